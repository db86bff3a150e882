package config

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// maxYAMLProbeLines bounds the prefix search in YAMLSyntaxError (it parses
// one prefix per line).
const maxYAMLProbeLines = 5000

// YAMLSyntaxError turns a YAML parser error on data, the contents of file,
// into an InputError at the line of the mistake. The parser often names the
// line where the enclosing block began (and counts it from 0), so the line
// is the first one whose prefix of data fails the same way; when none does,
// it is the parser's own.
func YAMLSyntaxError(file string, data []byte, err error) *InputError {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if l := firstFailingLine(data, msg); l > 0 {
		line = l
	}
	return &InputError{File: file, Line: line, Msg: "invalid YAML: " + msg, Err: err}
}

func firstFailingLine(data []byte, msg string) int {
	end := 0
	for n := 1; n <= maxYAMLProbeLines && end < len(data); n++ {
		if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
			end += i + 1
		} else {
			end = len(data)
		}
		var doc yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(data[:end])).Decode(&doc)
		if err == nil {
			continue
		}
		got := err.Error()
		if m := yamlLineRE.FindStringSubmatch(got); m != nil {
			got = got[len(m[0]):]
		} else {
			got = strings.TrimPrefix(got, "yaml: ")
		}
		if got == msg {
			return n
		}
	}
	return 0
}
