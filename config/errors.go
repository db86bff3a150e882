package config

import (
	"errors"
	"fmt"
)

// InputError is bad input from the user: a config file, a flag, a data file, a
// spec. Every front end maps it to exit status 2. It names where the problem is
// (file, line, column, field or flag) and what would be valid.
type InputError struct {
	File   string // file the problem is in, if any
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Field  string // key, field or flag name, if any
	Msg    string // what is wrong and what would be valid
	Err    error  // underlying cause, if any
}

func (e *InputError) Error() string {
	loc := ""
	switch {
	case e.File != "" && e.Line > 0 && e.Column > 0:
		loc = fmt.Sprintf("%s:%d:%d: ", e.File, e.Line, e.Column)
	case e.File != "" && e.Line > 0:
		loc = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		loc = e.File + ": "
	}
	field := ""
	if e.Field != "" {
		field = e.Field + ": "
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return loc + field + msg
}

func (e *InputError) Unwrap() error { return e.Err }

// Inputf returns an InputError with a formatted message and no location.
func Inputf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// IsInput reports whether err is (or wraps) an InputError.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// RenameField returns err with the field of the InputError it is (or wraps)
// renamed from from to to, so a front end can name its own flag ("ratios"
// becomes "--ratios"). Other errors come back unchanged.
func RenameField(err error, from, to string) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.Field == from {
		ie.Field = to
	}
	return err
}
