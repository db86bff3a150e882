package runs

import "github.com/lathe-ml/lathe/engine"

// ParseLaunch reads the launch line with `lathe run`'s own flags
// (engine.ParseLaunchLine), then the command, e.g.
//
//	--runner docker --image lathe-trainer:dev --param lr=0.1 -- /trainer --lr {lr}
//
// Words are split as a POSIX shell would, but nothing is expanded. Bad
// syntax is an input error naming the flag. --detach is accepted and changes
// nothing: a run launched from the TUI always goes on by itself.
func ParseLaunch(line string) (engine.LaunchRequest, error) {
	req, _, err := engine.ParseLaunchLine(line, "")
	return req, err
}
