package engine

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lathe-ml/lathe/config"
)

// The launch grammar: `lathe run`'s flags, registered on cobra's flag set by
// the CLI and parsed from the Runs screen's launch line by the TUI, so every
// flag exists once and fails with the same error in both.

// LaunchFlags hold the flags of one launch as typed.
type LaunchFlags struct {
	Runner, Image, Entrypoint, GPUs, CPUs, Memory, ShmSize, Name string
	Params, Inputs                                               []string
	Detach                                                       bool
	Priority                                                     int
}

// Register adds the launch flags to fs.
func (f *LaunchFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Runner, "runner", "", "runner name (default: default_runner)")
	fs.StringVar(&f.Image, "image", "", "container image (docker runners)")
	fs.StringVar(&f.Entrypoint, "entrypoint", "", "replace the image's entrypoint; the command then is its arguments (docker and kubernetes runners)")
	fs.StringVar(&f.GPUs, "gpus", "", "GPUs: all, a count, or device ids (0,2)")
	fs.StringArrayVar(&f.Params, "param", nil, "parameter k=v (repeatable)")
	fs.StringArrayVar(&f.Inputs, "input", nil, "input name=PATH, mounted read-only (repeatable)")
	fs.BoolVar(&f.Detach, "detach", false, "print the run id and return once it started")
	fs.StringVar(&f.CPUs, "cpus", "", "CPU limit (docker)")
	fs.StringVar(&f.Memory, "memory", "", "memory limit, e.g. 4g (docker)")
	fs.StringVar(&f.ShmSize, "shm-size", "", "shared memory size, e.g. 1g (docker)")
	fs.StringVar(&f.Name, "name", "", "a name for the run")
	fs.IntVar(&f.Priority, "priority", 0, "queue priority on its runner (higher first)")
}

// Request turns the flags and the command into a LaunchRequest, checking
// every value; bad ones are input errors naming the flag.
func (f *LaunchFlags) Request(command []string, workDir string) (LaunchRequest, error) {
	req := LaunchRequest{Name: f.Name, Runner: f.Runner, Image: f.Image, Entrypoint: f.Entrypoint, GPUs: f.GPUs, Command: command,
		WorkDir: workDir, Priority: f.Priority}
	var err error
	if len(command) == 0 {
		return req, &config.InputError{Field: "command", Msg: "no command: give the program to run after the flags (and --)"}
	}
	if req.Params, err = ParseParams("--param", f.Params); err != nil {
		return req, err
	}
	if req.Inputs, err = ParseInputs("--input", f.Inputs); err != nil {
		return req, err
	}
	if req.Memory, err = ParseSize("--memory", f.Memory); err != nil {
		return req, err
	}
	if req.ShmSize, err = ParseSize("--shm-size", f.ShmSize); err != nil {
		return req, err
	}
	if req.CPUs, err = ParseCPUs("--cpus", f.CPUs); err != nil {
		return req, err
	}
	return req, nil
}

// ParseLaunchLine reads a launch line: `lathe run`'s flags, then the
// command, with or without a "--" between them, e.g.
//
//	--runner docker --image lathe-trainer:dev --param lr=0.1 -- /trainer --lr {lr}
//
// Words are split by SplitWords; nothing is expanded. It returns the
// request and whether --detach was given.
func ParseLaunchLine(line, workDir string) (LaunchRequest, bool, error) {
	words, err := SplitWords(line)
	if err != nil {
		return LaunchRequest{}, false, err
	}
	var f LaunchFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(discard{})
	fs.SetInterspersed(false) // the first word that is not a flag starts the command
	f.Register(fs)
	if err := fs.Parse(words); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return LaunchRequest{}, false, &config.InputError{Field: "--help", Msg: "the launch line takes lathe run's flags: " + flagNames(fs)}
		}
		return LaunchRequest{}, false, &config.InputError{Field: flagOf(err), Msg: err.Error() + " (flags: " + flagNames(fs) + ")"}
	}
	req, err := f.Request(fs.Args(), workDir)
	return req, f.Detach, err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func flagNames(fs *pflag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, "--"+f.Name) })
	return strings.Join(names, ", ")
}

// flagOf picks the flag a pflag error names ("unknown flag: --bogus",
// "flag needs an argument: --runner", `invalid argument "x" for "--priority" flag`).
func flagOf(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "--"); i >= 0 {
		f := msg[i:]
		if j := strings.IndexAny(f, " \"'"); j >= 0 {
			f = f[:j]
		}
		return f
	}
	return "launch line"
}

// SplitWords splits a line into words as a POSIX shell does ('single' and
// "double" quotes, backslashes; inside double quotes a backslash escapes
// only " \ $ and `), without any expansion. The TUI's launch line and `lathe
// shell` both use it.
func SplitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' { // a backslash-newline joins lines
				cur.WriteByte(s[i])
				inWord = true
			}
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

// ParseParams reads repeated k=v flags (--param) into a map; a key given
// twice is an input error.
func ParseParams(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &config.InputError{Field: flag, Msg: fmt.Sprintf("%q is not key=value (e.g. %s lr=0.01)", kv, flag)}
		}
		if _, dup := out[k]; dup {
			return nil, &config.InputError{Field: flag, Msg: fmt.Sprintf("%s given twice", k)}
		}
		out[k] = v
	}
	return out, nil
}

// ParseInputs reads repeated name=PATH flags (--input); names must be usable
// in LATHE_INPUT_<NAME>.
func ParseInputs(flag string, kvs []string) (map[string]string, error) {
	m, err := ParseParams(flag, kvs)
	if err != nil {
		return nil, err
	}
	for k, v := range m {
		if v == "" {
			return nil, &config.InputError{Field: flag, Msg: fmt.Sprintf("input %s has no path (name=PATH)", k)}
		}
		for _, c := range k {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return nil, &config.InputError{Field: flag, Msg: fmt.Sprintf("input name %q: use letters, digits, _ and -", k)}
			}
		}
	}
	return m, nil
}

// ParseSize reads a byte size as docker does (config.ParseSize).
func ParseSize(flag, s string) (int64, error) { return config.ParseSize(flag, s) }

// ParseCPUs reads --cpus: a positive decimal number of CPUs. "" is 0.
func ParseCPUs(flag, s string) (float64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || v > 1e6 {
		return 0, &config.InputError{Field: flag, Msg: fmt.Sprintf("%q is not a positive number of CPUs (e.g. 1.5)", s)}
	}
	return v, nil
}
