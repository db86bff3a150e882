package serve

import (
	"fmt"
	"net/netip"
	"strings"
)

// The from="pattern-list" check of an authorized_keys line, as sshd(8)
// does it (OpenSSH match.c match_host_and_ip, addrmatch.c addr_match_list)
// with UseDNS no, its default: the client's host name is its address.
//
// A list is comma-separated entries, each an address, an address/masklen
// CIDR block, or a wildcard pattern (* any run, ? any one character),
// optionally negated with a leading !. The client is let in when some entry
// matches and no negated entry does. An empty entry, or a CIDR block with
// bits set past its mask length (10.0.0.1/8), makes the whole list invalid,
// and an invalid list lets nobody in. An entry that does not parse as an
// address or CIDR block (127.0.0.1/33 included) is a wildcard pattern.
//
// One deliberate difference: sshd parses addresses with getaddrinfo, which
// also takes inet_aton's shorthands (127.1, 0x7f.0.0.1, 2130706433); here
// they are wildcard patterns that match no address, so such a list refuses
// where sshd would let the client in.

// fromList is a parsed from= option.
type fromList struct {
	raw     string
	entries []fromEntry
}

type fromEntry struct {
	neg     bool
	pattern string       // the entry as written, without its !
	prefix  netip.Prefix // valid when the entry is an address or a CIDR block
}

// parseFrom parses a from= list; an error says why no client could match it.
func parseFrom(list string) (fromList, error) {
	fl := fromList{raw: list}
	for _, e := range strings.Split(list, ",") {
		ent := fromEntry{}
		if strings.HasPrefix(e, "!") {
			ent.neg, e = true, e[1:]
		}
		if e == "" {
			return fl, fmt.Errorf("empty entry in the from= list %q (a stray comma or !)", list)
		}
		ent.pattern = e
		p, err := parseCIDR(e)
		if err == errHostBits {
			return fl, fmt.Errorf("from= entry %q has bits set past its mask length; write the network address, e.g. %s", e, p.Masked())
		}
		if err == nil {
			ent.prefix = p
		}
		fl.entries = append(fl.entries, ent)
	}
	return fl, nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

var errHostBits = parseError("host bits set")

// parseCIDR parses "addr" (a full-length block) or "addr/len" as
// addrmatch.c addr_pton_cidr does; errHostBits is its -2.
func parseCIDR(s string) (netip.Prefix, error) {
	addr, bits, hasLen := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, parseError("not an address")
	}
	n := a.BitLen()
	if hasLen {
		// Digits only (leading zeros allowed), at most the address's length.
		n = 0
		if bits == "" {
			return netip.Prefix{}, parseError("bad mask length")
		}
		for _, c := range bits {
			if c < '0' || c > '9' {
				return netip.Prefix{}, parseError("bad mask length")
			}
			n = min(n*10+int(c-'0'), 1000)
		}
		if n > a.BitLen() {
			return netip.Prefix{}, parseError("bad mask length")
		}
	}
	p := netip.PrefixFrom(a, n)
	if p.Masked().Addr() != a {
		return p, errHostBits
	}
	return p, nil
}

// allows reports whether a client at addr passes the list.
func (fl fromList) allows(addr netip.Addr) bool {
	addr = addr.Unmap()
	host := strings.ToLower(addr.String())
	positive := false
	for _, e := range fl.entries {
		var match bool
		if e.prefix.IsValid() {
			match = e.prefix.Contains(addr)
		} else {
			match = glob(e.pattern, addr.String())
		}
		// The host-name pass (match_hostname) compares the lowercased
		// pattern with the host name, here the address itself.
		match = match || glob(strings.ToLower(e.pattern), host)
		if match {
			if e.neg {
				return false
			}
			positive = true
		}
	}
	return positive
}

// glob matches s against a pattern of literal bytes, * (any run, the empty
// one included) and ? (any one byte), as match.c match_pattern does, in
// O(len(p)·len(s)) time at worst instead of its exponential backtracking.
func glob(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
