package serve

import (
	"crypto/ed25519"
	"net/netip"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// fixedKey is a deterministic ed25519 public key (seed of zeros) for
// parser tests.
func fixedKey(t testing.TB) gossh.PublicKey {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub, err := gossh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestParseAuthorizedKeys(t *testing.T) {
	key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(fixedKey(t))))
	local := func(y, mo, d, h, mi, s int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.Local)
	}
	cases := []struct {
		opts        string
		from        string // the from= list kept; "" none
		expiry      time.Time
		noPTY       bool
		problem     string // substring of the problem; "" = a key
		unsupported bool
	}{
		{opts: ""},
		{opts: `from="10.0.0.0/8,!10.1.0.0/16"`, from: "10.0.0.0/8,!10.1.0.0/16"},
		{opts: `FROM="*.example.com"`, from: "*.example.com"},
		{opts: `from="a\"b"`, from: `a"b`},
		{opts: `from="x" ,`, problem: "not a public key line"},
		{opts: `expiry-time="20261231"`, expiry: local(2026, 12, 31, 0, 0, 0)},
		{opts: `expiry-time="202612312359"`, expiry: local(2026, 12, 31, 23, 59, 0)},
		{opts: `expiry-time="20261231235958"`, expiry: local(2026, 12, 31, 23, 59, 58)},
		{opts: `expiry-time="20261231Z"`, expiry: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{opts: `expiry-time="20261231utc"`, expiry: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{opts: `expiry-time="20260231"`, expiry: local(2026, 3, 3, 0, 0, 0)}, // rolls over, as mktime does
		{opts: `expiry-time="20991231",expiry-time="20270101"`, expiry: local(2027, 1, 1, 0, 0, 0)},
		{opts: `expiry-time="2026-12-31"`, problem: "want YYYYMMDD"},
		{opts: `expiry-time="20261301"`, problem: "want YYYYMMDD"},
		{opts: `expiry-time="19691231"`, problem: "before 1970"},
		{opts: `expiry-time=20261231`, problem: "must be in double quotes"},
		{opts: `restrict`, noPTY: true},
		{opts: `restrict,pty`},
		{opts: `pty,restrict`, noPTY: true},
		{opts: `no-pty,pty`},
		{opts: `NO-PTY`, noPTY: true},
		{opts: `no-pty,,no-agent-forwarding,`, noPTY: true},
		{opts: `port-forwarding,agent-forwarding,X11-forwarding,user-rc,touch-required,no-verify-required`},
		{opts: `command="uptime"`, problem: "option command=", unsupported: true},
		{opts: `environment="A=b",permitopen="h:1",permitlisten="2",principals="p",tunnel="0"`, problem: "environment=, permitopen=, permitlisten=, principals=, tunnel=", unsupported: true},
		{opts: `cert-authority`, problem: "option cert-authority", unsupported: true},
		{opts: `no-touch-required`, problem: "option no-touch-required", unsupported: true},
		{opts: `verify-required`, problem: "option verify-required", unsupported: true},
		{opts: `command="x",frobnicate`, problem: `unknown option "frobnicate"`},
		{opts: `lathe-role=operator`, problem: `unknown option "lathe-role"`},
		{opts: `no-pty=yes`, problem: "takes no value"},
		{opts: `from`, problem: "needs a value"},
		{opts: `from="a",from="b"`, problem: "more than one from="},
		{opts: `from="a"x`, problem: "text after the closing quote"},
		{opts: `from=""`, problem: "empty entry"},
		{opts: `from="10.0.0.1/8"`, problem: "write the network address, e.g. 10.0.0.0/8"},
	}
	for _, c := range cases {
		line := key + " ada@laptop"
		if c.opts != "" {
			line = c.opts + " " + line
		}
		keys, problems := ParseAuthorizedKeys([]byte("# comment\n\n" + line + "\n"))
		if c.problem != "" {
			if len(keys) != 0 || len(problems) != 1 || problems[0].Line != 3 || !strings.Contains(problems[0].Msg, c.problem) || problems[0].Unsupported != c.unsupported {
				t.Errorf("%s: keys %v problems %+v; want one problem at line 3 containing %q (unsupported=%v)", c.opts, keys, problems, c.problem, c.unsupported)
			}
			continue
		}
		if len(problems) != 0 || len(keys) != 1 {
			t.Errorf("%s: keys %v problems %+v; want one key", c.opts, keys, problems)
			continue
		}
		k := keys[0]
		from := ""
		if k.From != nil {
			from = k.From.raw
		}
		if k.Line != 3 || k.Comment != "ada@laptop" || from != c.from || !k.Expiry.Equal(c.expiry) || k.NoPTY != c.noPTY {
			t.Errorf("%s: got line %d comment %q from %q expiry %v noPTY %v; want from %q expiry %v noPTY %v",
				c.opts, k.Line, k.Comment, from, k.Expiry, k.NoPTY, c.from, c.expiry, c.noPTY)
		}
	}
}

func TestParseAuthorizedKeysLines(t *testing.T) {
	key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(fixedKey(t))))
	data := "  \t\n# c\r\n" + key + " a\r\n" + "garbage\n" + "\t" + key + "\n" + key + "\x00x\n" + key
	keys, problems := ParseAuthorizedKeys([]byte(data))
	var kl, pl []int
	for _, k := range keys {
		kl = append(kl, k.Line)
	}
	for _, p := range problems {
		pl = append(pl, p.Line)
	}
	if len(kl) != 3 || kl[0] != 3 || kl[1] != 5 || kl[2] != 7 || len(pl) != 2 || pl[0] != 4 || pl[1] != 6 {
		t.Errorf("key lines %v, problem lines %v; want [3 5 7] and [4 6]", kl, pl)
	}
}

func TestFromList(t *testing.T) {
	cases := []struct {
		list string
		addr string
		want bool
	}{
		{"10.9.9.9", "127.0.0.1", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.0/8", "127.9.9.9", true},
		{"127.0.0.0/008", "127.9.9.9", true},
		{"128.0.0.0/1", "127.0.0.1", false},
		{"0.0.0.0/0", "8.8.8.8", true},
		{"0.0.0.0/0", "::1", false},
		{"::/0", "::1", true},
		{"::/0", "127.0.0.1", false},
		{"::ffff:127.0.0.1", "127.0.0.1", false}, // the client is unmapped, as sshd does
		{"127.0.0.1", "::ffff:127.0.0.1", true},
		{"fe80::/10", "fe80::1", true},
		{"FE80::*", "fe80::1", true}, // the host-name pass lowercases
		{"2001:db8::/32", "2001:db8:1::5", true},
		{"127.0.0.1/33", "127.0.0.1", false}, // not a CIDR: a pattern that does not match
		{"127.0.0.?", "127.0.0.5", true},
		{"127.0.0.?", "127.0.0.55", false},
		{"127.*", "127.3.2.1", true},
		{"*.1", "10.0.0.1", true},
		{"!127.0.0.1,*", "127.0.0.1", false},
		{"!127.0.0.1,*", "127.0.0.2", true},
		{"*,!127.0.0.0/8", "127.0.0.2", false},
		{"!10.0.0.0/8", "127.0.0.1", false},
		{"localhost", "127.0.0.1", false}, // no DNS (UseDNS no)
		{"127.1", "127.0.0.1", false},     // inet_aton shorthand: refused here, let in by sshd
	}
	for _, c := range cases {
		fl, err := parseFrom(c.list)
		if err != nil {
			t.Errorf("parseFrom(%q): %v", c.list, err)
			continue
		}
		if got := fl.allows(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("from=%q allows %s = %v, want %v", c.list, c.addr, got, c.want)
		}
	}
	for _, bad := range []string{"", ",", "a,", ",a", "!", "a,!", "10.0.0.1/8", "::1/64", "!10.0.0.1/8,*"} {
		if _, err := parseFrom(bad); err == nil {
			t.Errorf("parseFrom(%q) = nil error, want one (sshd lets nobody in)", bad)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "abc", true},
		{"?", "", false}, {"?", "a", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"*a*b*", "xxaxxbxx", true}, {"*a*b*", "xxbxxaxx", false}, {"a?c", "abc", true},
		{"**", "x", true}, {"*?", "", false}, {"*?", "x", true}, {"a*", "a", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false},
	}
	for _, c := range cases {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}
