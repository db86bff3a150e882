package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
)

// Every flag of `lathe run` works on the TUI's launch line and means the
// same there: the request parsed by cobra's flag set equals the one
// engine.ParseLaunchLine reads from the same words.
func TestEveryRunFlagWorksOnTheLaunchLine(t *testing.T) {
	samples := map[string]string{
		"runner": "local", "image": "img:1", "gpus": "0,1", "param": "lr=0.1", "input": "train=data/t.csv",
		"detach": "", "entrypoint": "/trainer", "cpus": "1.5", "memory": "4g", "shm-size": "1g", "name": "first try", "priority": "3",
	}
	cmd := newRunCmd(&app{})
	n := 0
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		n++
		v, ok := samples[f.Name]
		if !ok {
			t.Errorf("lathe run has --%s and this test has no sample value for it: add one", f.Name)
			return
		}
		words := []string{"--" + f.Name}
		line := "--" + f.Name
		if f.Value.Type() != "bool" {
			words = append(words, v)
			line += " '" + v + "'"
		}
		words = append(words, "--", "/trainer", "--epochs", "2")
		line += " -- /trainer --epochs 2"

		var lf engine.LaunchFlags
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		lf.Register(fs)
		if err := fs.Parse(words); err != nil {
			t.Fatalf("--%s: cobra's flags: %v", f.Name, err)
		}
		want, err := lf.Request(fs.Args(), "")
		if err != nil {
			t.Fatalf("--%s: %v", f.Name, err)
		}
		got, detach, err := engine.ParseLaunchLine(line, "")
		if err != nil {
			t.Fatalf("--%s on the launch line %q: %v", f.Name, line, err)
		}
		if !reflect.DeepEqual(got, want) || detach != lf.Detach {
			t.Errorf("--%s: launch line gives %+v (detach %v), lathe run %+v (detach %v)", f.Name, got, detach, want, lf.Detach)
		}
		if reflect.DeepEqual(got, engine.LaunchRequest{Command: []string{"/trainer", "--epochs", "2"}, Params: map[string]string{}, Inputs: map[string]string{}}) && !detach {
			t.Errorf("--%s %s changed nothing in the request", f.Name, v)
		}
	})
	if n < len(samples) {
		t.Errorf("lathe run has %d flags, the samples name %d: a flag was removed?", n, len(samples))
	}
}

// Bad values fail the same way on both, naming the flag (exit 2).
func TestLaunchLineErrorsNameTheFlag(t *testing.T) {
	for line, flag := range map[string]string{
		"--memory lots -- x":   "--memory",
		"--cpus -1 -- x":       "--cpus",
		"--priority high -- x": "--priority",
		"--param nokv -- x":    "--param",
		"--input 'a b=x' -- x": "--input",
		"--bogus 1 -- x":       "--bogus",
		"--runner":             "--runner",
		"--shm-size 1q -- x":   "--shm-size",
		"--gpus 1 --name n --": "command",
		"echo 'unterminated":   "command",
	} {
		_, _, err := engine.ParseLaunchLine(line, "")
		var ie *config.InputError
		if !config.IsInput(err) || !asInput(err, &ie) || ie.Field != flag {
			t.Errorf("%q: err %v (field %q), want an input error naming %s", line, err, fieldOf(ie), flag)
		}
		if err != nil && !strings.Contains(err.Error(), strings.TrimPrefix(flag, "--")) {
			t.Errorf("%q: message %q does not name %s", line, err, flag)
		}
	}
}

func asInput(err error, ie **config.InputError) bool {
	e, ok := err.(*config.InputError)
	*ie = e
	return ok
}

func fieldOf(ie *config.InputError) string {
	if ie == nil {
		return ""
	}
	return ie.Field
}
