package serve

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The authorized_keys format of sshd(8) (AUTHORIZED_KEYS FILE FORMAT): one
// key a line, blank lines and # comments ignored, an optional
// comma-separated options field before the key type, option names in any
// case, option values in double quotes with \" for a quote.
//
// lathe serve honours from=, expiry-time=, restrict, pty and no-pty. The
// forwarding and user-rc options (and their no- forms) are accepted and
// change nothing, since the server offers no forwarding, agent, X11 or rc
// to anyone; touch-required and no-verify-required are its defaults. A key
// with an option whose restriction or grant it cannot carry out (command=,
// environment=, permitopen=, permitlisten=, principals=, tunnel=,
// cert-authority, no-touch-required, verify-required) is refused rather
// than let in with more than its line allows. An unknown option makes the
// line invalid, as in sshd.

// KeyLine is a line of an authorized keys file whose key may come in.
type KeyLine struct {
	Line    int // 1-based
	Key     gossh.PublicKey
	Comment string
	From    *fromList // nil: from anywhere
	Expiry  time.Time // zero: never expires; else refused once past it
	NoPTY   bool      // no-pty, or restrict without a later pty
}

// LineProblem is a line that lets no key in.
type LineProblem struct {
	Line int
	Msg  string
	// Unsupported marks a well-formed key line refused for an option
	// lathe serve does not carry out; otherwise the line is not valid.
	Unsupported bool
}

// maxLineLen bounds one line, as a sanity limit on what is parsed.
const maxLineLen = 64 << 10

// ParseAuthorizedKeys parses the content of an authorized keys file. It
// never fails as a whole: every line is a key or a problem, and the caller
// decides whether a problem is fatal. Expiry times without Z or UTC are in
// the server's time zone, as sshd reads them.
func ParseAuthorizedKeys(data []byte) ([]KeyLine, []LineProblem) {
	var keys []KeyLine
	var problems []LineProblem
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		k, p := parseKeyLine(line)
		switch {
		case p != nil:
			p.Line = n
			problems = append(problems, *p)
		case k != nil:
			k.Line = n
			keys = append(keys, *k)
		}
	}
	return keys, problems
}

// parseKeyLine returns the key of one line, a problem, or neither (a blank
// or comment line).
func parseKeyLine(line []byte) (*KeyLine, *LineProblem) {
	line = bytes.TrimRight(line, "\r")
	text := bytes.Trim(line, " \t")
	if len(text) == 0 || text[0] == '#' {
		return nil, nil
	}
	bad := func(format string, args ...any) (*KeyLine, *LineProblem) {
		return nil, &LineProblem{Msg: fmt.Sprintf(format, args...)}
	}
	if len(text) > maxLineLen {
		return bad("line longer than %d bytes", maxLineLen)
	}
	// sshd reads a line as a C string and would stop at a NUL; refusing
	// the line never lets in more than sshd would.
	if bytes.IndexByte(text, 0) >= 0 || bytes.IndexByte(text, '\r') >= 0 {
		return bad("NUL or carriage return inside the line")
	}
	key, comment, opts, _, err := gossh.ParseAuthorizedKey(text)
	if err != nil {
		return bad("not a public key line (want e.g. \"ssh-ed25519 AAAA... user@host\", options first if any): %v", err)
	}
	k := &KeyLine{Key: key, Comment: comment}
	if opts == nil {
		return k, nil
	}
	unsupported, err := k.applyOptions(optionsField(text))
	if err != nil {
		return bad("%v", err)
	}
	if len(unsupported) > 0 {
		return nil, &LineProblem{Unsupported: true, Msg: fmt.Sprintf(
			"key %s refused: lathe serve does not support the option %s (it would let the key in with more than its line allows); give it a line of its own without it",
			gossh.FingerprintSHA256(key), strings.Join(unsupported, ", "))}
	}
	return k, nil
}

// optionsField is the options field that starts text: up to the first
// space or tab outside double quotes, a quote preceded by a backslash not
// counting (as ssh.ParseAuthorizedKey splits it).
func optionsField(text []byte) string {
	inQuote := false
	for i, b := range text {
		if b == '"' && (i == 0 || text[i-1] != '\\') {
			inQuote = !inQuote
		}
		if !inQuote && (b == ' ' || b == '\t') {
			return string(text[:i])
		}
	}
	return string(text)
}

// splitOptions splits an options field at the commas outside quotes.
// Empty options (",,", a trailing comma) are skipped, as sshd skips them.
func splitOptions(field string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i <= len(field); i++ {
		if i < len(field) {
			b := field[i]
			if b == '"' && (i == 0 || field[i-1] != '\\') {
				inQuote = !inQuote
			}
			if inQuote || b != ',' {
				continue
			}
		}
		if opt := field[start:i]; opt != "" {
			out = append(out, opt)
		}
		start = i + 1
	}
	return out
}

// dequote returns the content of a "quoted" option value, \" standing for
// a quote (sshd's opt_dequote); the closing quote must end the option.
func dequote(name, v string) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", fmt.Errorf("option %s: the value must be in double quotes, e.g. %s=\"…\"", name, name)
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v) && v[i+1] == '"':
			b.WriteByte('"')
			i++
		case v[i] == '"':
			if i != len(v)-1 {
				return "", fmt.Errorf("option %s: text after the closing quote", name)
			}
			return b.String(), nil
		default:
			b.WriteByte(v[i])
		}
	}
	return "", fmt.Errorf("option %s: no closing quote", name)
}

// Option names by what lathe serve does with them (lowercase; sshd matches
// names in any case).
var (
	// Nothing to do: the server offers no forwarding, agent, X11 or rc.
	noopOptions = []string{"no-port-forwarding", "port-forwarding", "no-agent-forwarding", "agent-forwarding",
		"no-x11-forwarding", "x11-forwarding", "no-user-rc", "user-rc", "touch-required", "no-verify-required"}
	// Known to sshd, not carried out here: the key is refused.
	unsupportedFlags  = []string{"cert-authority", "no-touch-required", "verify-required"}
	unsupportedValued = []string{"command", "environment", "permitopen", "permitlisten", "principals", "tunnel"}
)

// applyOptions sets k's restrictions from an options field. It returns the
// unsupported options found, or an error for a field sshd would refuse too.
func (k *KeyLine) applyOptions(field string) (unsupported []string, err error) {
	for _, opt := range splitOptions(field) {
		name, val, hasVal := strings.Cut(opt, "=")
		lname := strings.ToLower(name)
		if !hasVal {
			switch {
			case lname == "restrict":
				k.NoPTY = true
			case lname == "pty":
				k.NoPTY = false
			case lname == "no-pty":
				k.NoPTY = true
			case slices.Contains(noopOptions, lname):
			case slices.Contains(unsupportedFlags, lname):
				unsupported = append(unsupported, lname)
			case slices.Contains(unsupportedValued, lname) || lname == "from" || lname == "expiry-time":
				return nil, fmt.Errorf("option %s needs a value: %s=\"…\"", name, lname)
			default:
				return nil, fmt.Errorf("unknown option %q (sshd refuses the line too)", name)
			}
			continue
		}
		switch {
		case lname == "from", lname == "expiry-time", slices.Contains(unsupportedValued, lname):
		case lname == "restrict" || lname == "pty" || lname == "no-pty" || slices.Contains(noopOptions, lname) || slices.Contains(unsupportedFlags, lname):
			return nil, fmt.Errorf("option %s takes no value", name)
		default:
			return nil, fmt.Errorf("unknown option %q (sshd refuses the line too)", name)
		}
		v, err := dequote(lname, val)
		if err != nil {
			return nil, err
		}
		switch lname {
		case "from":
			if k.From != nil {
				return nil, fmt.Errorf("more than one from= option (sshd refuses the line too); join the patterns with commas")
			}
			fl, err := parseFrom(v)
			if err != nil {
				return nil, err
			}
			k.From = &fl
		case "expiry-time":
			t, err := parseExpiry(v)
			if err != nil {
				return nil, err
			}
			// With several, the earliest holds, as in sshd.
			if k.Expiry.IsZero() || t.Before(k.Expiry) {
				k.Expiry = t
			}
		default:
			if !slices.Contains(unsupported, lname+"=") {
				unsupported = append(unsupported, lname+"=")
			}
		}
	}
	return unsupported, nil
}

// parseExpiry reads an expiry-time value: YYYYMMDD, YYYYMMDDHHMM or
// YYYYMMDDHHMMSS, in the server's time zone, or in UTC with a Z or UTC
// suffix (OpenSSH misc.c parse_absolute_time). Out-of-range days roll over
// into the next month, as mktime does.
func parseExpiry(v string) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("expiry-time %q: want YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally followed by Z for UTC, e.g. expiry-time=\"20261231\"", v)
	}
	s, loc := v, time.Local
	switch {
	case len(s) > 1 && strings.EqualFold(s[len(s)-1:], "z"):
		s, loc = s[:len(s)-1], time.UTC
	case len(s) > 3 && strings.EqualFold(s[len(s)-3:], "utc"):
		s, loc = s[:len(s)-3], time.UTC
	}
	if len(s) != 8 && len(s) != 12 && len(s) != 14 {
		return bad()
	}
	num := func(from, to, lo, hi int) (int, bool) {
		if len(s) < to {
			return 0, true
		}
		n := 0
		for _, c := range s[from:to] {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, n >= lo && n <= hi
	}
	y, ok1 := num(0, 4, 0, 9999)
	mo, ok2 := num(4, 6, 1, 12)
	d, ok3 := num(6, 8, 1, 31)
	h, ok4 := num(8, 10, 0, 23)
	mi, ok5 := num(10, 12, 0, 59)
	sec, ok6 := num(12, 14, 0, 60)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return bad()
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc)
	if t.Unix() < 0 {
		return time.Time{}, fmt.Errorf("expiry-time %q: before 1970", v)
	}
	return t, nil
}
