package config

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a byte size as docker does: a number with an optional b,
// k, m, g or t suffix (powers of 1024). "" is 0. Errors are input errors
// naming field.
func ParseSize(field, s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	s = strings.TrimSuffix(s, "b")
	if s == "" {
		return 0, &InputError{Field: field, Msg: "size has no number (e.g. 512m, 4g)"}
	}
	switch s[len(s)-1] {
	case 'k':
		mult = 1 << 10
	case 'm':
		mult = 1 << 20
	case 'g':
		mult = 1 << 30
	case 't':
		mult = 1 << 40
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, &InputError{Field: field, Msg: fmt.Sprintf("%q is not a size (e.g. 512m, 4g)", s)}
	}
	return int64(v * float64(mult)), nil
}
