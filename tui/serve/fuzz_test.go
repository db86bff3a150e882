package serve

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// FuzzAuthorizedKeys feeds arbitrary files to the authorized keys parser.
// Its seed corpus is testdata/fuzz/FuzzAuthorizedKeys (run by go test);
// `go test ./tui/serve -run '^$' -fuzz FuzzAuthorizedKeys` searches
// further. Beyond not panicking, it checks that:
//   - every non-blank, non-comment line is exactly one key or one problem,
//     numbered as in the file;
//   - CRLF line ends parse as LF ones;
//   - a key line, written back from what was parsed (the key, from=,
//     expiry-time=, no-pty), parses to the same thing;
//   - the from= matcher agrees with a regexp translation of each pattern
//     on a few client addresses, and never lets in a client a negated
//     entry names.
func FuzzAuthorizedKeys(f *testing.F) {
	key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(fixedKey(f))))
	for _, s := range []string{
		key,
		`from="10.0.0.0/8,!10.1.*" ` + key + " c",
		`restrict,pty,expiry-time="20991231Z" ` + key,
		`command="echo \"hi\"",no-pty ` + key,
	} {
		f.Add([]byte(s))
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3"),
		netip.MustParseAddr("::1"), netip.MustParseAddr("fe80::1"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, problems := ParseAuthorizedKeys(data)

		// Every meaningful line is one key or one problem, in order.
		lines := bytes.Split(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] == '\n' {
			lines = lines[:len(lines)-1]
		}
		var want []int
		for i, l := range lines {
			l = bytes.Trim(bytes.TrimRight(l, "\r"), " \t")
			if len(l) > 0 && l[0] != '#' {
				want = append(want, i+1)
			}
		}
		var got []int
		ki, pi := 0, 0
		for ki < len(keys) || pi < len(problems) {
			if pi == len(problems) || ki < len(keys) && keys[ki].Line < problems[pi].Line {
				got = append(got, keys[ki].Line)
				ki++
			} else {
				got = append(got, problems[pi].Line)
				pi++
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("lines with a key or a problem %v, want %v", got, want)
		}
		for _, p := range problems {
			if p.Msg == "" {
				t.Fatalf("line %d: a problem without a message", p.Line)
			}
		}

		// CRLF files parse as LF ones.
		crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		k2, p2 := ParseAuthorizedKeys(crlf)
		if describe(k2, p2) != describe(keys, problems) {
			t.Fatalf("CRLF changes the result:\n%s\nvs\n%s", describe(k2, p2), describe(keys, problems))
		}

		for _, k := range keys {
			if k.Key == nil {
				t.Fatalf("line %d: a key line without a key", k.Line)
			}
			// Written back, the line parses to the same key and options.
			var opts []string
			if k.From != nil {
				opts = append(opts, `from="`+strings.ReplaceAll(k.From.raw, `"`, `\"`)+`"`)
			}
			if k.Expiry.Year() > 9999 {
				continue // rolled over past what the format can write
			}
			if !k.Expiry.IsZero() {
				opts = append(opts, `expiry-time="`+k.Expiry.UTC().Format("20060102150405")+`Z"`)
			}
			if k.NoPTY {
				opts = append(opts, "no-pty")
			}
			line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.Key)))
			if len(opts) > 0 {
				line = strings.Join(opts, ",") + " " + line
			}
			rk, rp := ParseAuthorizedKeys([]byte(line))
			if len(rp) != 0 || len(rk) != 1 {
				// A from= list holding a space or a backslash before a quote
				// cannot be written back unambiguously; skip those.
				if k.From != nil && strings.ContainsAny(k.From.raw, " \t\\") {
					continue
				}
				t.Fatalf("line %d written back as %q: keys %v problems %+v", k.Line, line, rk, rp)
			}
			r := rk[0]
			if !bytes.Equal(r.Key.Marshal(), k.Key.Marshal()) || r.NoPTY != k.NoPTY || !r.Expiry.Equal(k.Expiry) ||
				(r.From == nil) != (k.From == nil) || r.From != nil && r.From.raw != k.From.raw {
				t.Fatalf("line %d written back as %q parses differently", k.Line, line)
			}
			if k.From != nil {
				checkFrom(t, *k.From, addrs)
			}
		}
	})
}

// checkFrom compares fl.allows with a reference: each entry as a CIDR
// block when it parses as one, else as a regexp made from the pattern.
func checkFrom(t *testing.T, fl fromList, addrs []netip.Addr) {
	t.Helper()
	for _, a := range addrs {
		s := a.String()
		pos, neg := false, false
		for _, e := range fl.entries {
			m := false
			if p, err := netip.ParsePrefix(e.pattern); err == nil && p.Masked() == p {
				m = p.Contains(a)
			} else if ad, err := netip.ParseAddr(e.pattern); err == nil && ad.Zone() == "" {
				m = ad == a
			}
			m = m || globRef(e.pattern, s) || globRef(strings.ToLower(e.pattern), s)
			if m && e.neg {
				neg = true
			}
			if m && !e.neg {
				pos = true
			}
		}
		if want := pos && !neg; fl.allows(a) != want {
			t.Fatalf("from=%q allows %s = %v, reference says %v", fl.raw, a, fl.allows(a), want)
		}
	}
}

// globRef is sshd's match_pattern written as a regexp.
func globRef(p, s string) bool {
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return false
	}
	return re.MatchString(s)
}

func describe(keys []KeyLine, problems []LineProblem) string {
	var b strings.Builder
	for _, k := range keys {
		from := "-"
		if k.From != nil {
			from = k.From.raw
		}
		fmt.Fprintf(&b, "key %d %s %q %s %s %v\n", k.Line, gossh.FingerprintSHA256(k.Key), k.Comment, from, k.Expiry.Format(time.RFC3339), k.NoPTY)
	}
	for _, p := range problems {
		fmt.Fprintf(&b, "problem %d %v %s\n", p.Line, p.Unsupported, p.Msg)
	}
	return b.String()
}
