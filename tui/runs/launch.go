package runs

import (
	"fmt"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
)

// ParseLaunch reads the launch line: the flags of `lathe run` that make
// sense interactively, then the command, e.g.
//
//	--runner docker --image lathe-trainer:dev --param lr=0.1 -- /trainer --lr {lr}
//
// Words are split as a POSIX shell would ('single', "double" quotes and
// backslashes), but nothing is expanded. Bad syntax is an input error.
func ParseLaunch(line string) (engine.LaunchRequest, error) {
	words, err := splitWords(line)
	if err != nil {
		return engine.LaunchRequest{}, err
	}
	var req engine.LaunchRequest
	var params, inputs []string
	i := 0
	value := func(flag string) (string, error) {
		if i+1 >= len(words) {
			return "", &config.InputError{Field: flag, Msg: flag + " needs a value"}
		}
		i++
		return words[i], nil
	}
loop:
	for ; i < len(words); i++ {
		w := words[i]
		name, val, hasVal := strings.Cut(w, "=")
		get := func() (string, error) {
			if hasVal {
				return val, nil
			}
			return value(name)
		}
		var err error
		switch name {
		case "--":
			i++
			break loop
		case "--runner":
			req.Runner, err = get()
		case "--image":
			req.Image, err = get()
		case "--gpus":
			req.GPUs, err = get()
		case "--name":
			req.Name, err = get()
		case "--param":
			var v string
			v, err = get()
			params = append(params, v)
		case "--input":
			var v string
			v, err = get()
			inputs = append(inputs, v)
		default:
			if strings.HasPrefix(w, "--") && len(req.Command) == 0 {
				return req, &config.InputError{Field: name, Msg: fmt.Sprintf("unknown flag %s (use --runner, --image, --gpus, --param, --input, --name, then the command)", name)}
			}
			break loop
		}
		if err != nil {
			return req, err
		}
	}
	req.Command = words[i:]
	if len(req.Command) == 0 {
		return req, &config.InputError{Field: "command", Msg: "no command: give the program to run after the flags"}
	}
	if req.Params, err = engine.ParseParams("--param", params); err != nil {
		return req, err
	}
	if req.Inputs, err = engine.ParseInputs("--input", inputs); err != nil {
		return req, err
	}
	return req, nil
}

// splitWords splits a line into words as a POSIX shell does, without any
// expansion.
func splitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, &config.InputError{Field: "command", Msg: "unterminated ' quote"}
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, &config.InputError{Field: "command", Msg: `unterminated " quote`}
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
