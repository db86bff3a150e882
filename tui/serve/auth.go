package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
)

// maxKeysFile bounds what is read of an authorized keys file.
const maxKeysFile = 16 << 20

// keyFile is one authorized keys file and the role its keys get. It is read
// again on every authentication, as sshd reads authorized_keys, so an edit,
// a deletion or a replacement holds for the very next connection; what it
// logs about the file is logged again only when that changes.
type keyFile struct {
	path  string
	flag  string // the flag that named it, for messages
	role  engine.Role
	data  []byte // the content last parsed
	keys  []KeyLine
	state string // what was last logged about the file ("" = fine)
}

// grant is what a key is let in with.
type grant struct {
	role   engine.Role
	noPTY  bool
	source string // file:line
}

// authorizer decides who comes in. The operator keys file is consulted
// first, so a key on a usable line in both files is an operator.
type authorizer struct {
	mu    sync.Mutex
	files []*keyFile
	logf  func(format string, args ...any)
	now   func() time.Time
}

// newAuthorizer reads the files strictly: a missing, unreadable or insecure
// file, an invalid line, or no usable key at all is a *config.InputError;
// keys refused for an unsupported option (and keys already expired) are
// logged as warnings naming the file and line.
func newAuthorizer(files []*keyFile, logf func(string, ...any)) (*authorizer, error) {
	usable := 0
	for _, f := range files {
		data, err := readKeysFile(f.path)
		if err != nil {
			return nil, &config.InputError{File: f.path, Field: f.flag, Msg: err.Error(), Err: errors.Unwrap(err)}
		}
		keys, problems := ParseAuthorizedKeys(data)
		for _, p := range problems {
			if !p.Unsupported {
				return nil, &config.InputError{File: f.path, Line: p.Line, Field: f.flag, Msg: p.Msg}
			}
		}
		f.data, f.keys = data, keys
		f.logProblems(problems, logf)
		for _, k := range keys {
			if !k.Expiry.IsZero() && time.Now().After(k.Expiry) {
				logf("ssh: warning: %s:%d: key %s expired at %s; it is refused", f.path, k.Line, gossh.FingerprintSHA256(k.Key), k.Expiry.Format(time.RFC3339))
			}
		}
		usable += len(keys)
	}
	if usable == 0 {
		var names []string
		for _, f := range files {
			names = append(names, f.path)
		}
		return nil, &config.InputError{File: strings.Join(names, ", "), Field: files[0].flag,
			Msg: "no usable public keys: add one per line, as in ~/.ssh/authorized_keys"}
	}
	return &authorizer{files: files, logf: logf, now: time.Now}, nil
}

func (f *keyFile) logProblems(problems []LineProblem, logf func(string, ...any)) {
	for _, p := range problems {
		what := "warning"
		if !p.Unsupported {
			what = "error"
		}
		logf("ssh: %s: %s:%d: %s", what, f.path, p.Line, p.Msg)
	}
}

// reload reads the file again. A file that cannot be read, or that is not
// safe to trust, lets no key in; its invalid lines let no key in; either is
// logged when it is first seen.
func (f *keyFile) reload(logf func(string, ...any)) {
	data, err := readKeysFile(f.path)
	if err != nil {
		f.keys, f.data = nil, nil
		if st := "error: " + err.Error(); st != f.state {
			f.state = st
			logf("ssh: error: %s (%s): %v; no key from it is let in until it is fixed", f.path, f.flag, err)
		}
		return
	}
	if f.state != "" {
		logf("ssh: %s is readable again", f.path)
		f.state = ""
	}
	if f.data != nil && bytes.Equal(data, f.data) {
		return
	}
	keys, problems := ParseAuthorizedKeys(data)
	f.data, f.keys = data, keys
	f.logProblems(problems, logf)
	logf("ssh: %s changed: %d usable keys", f.path, len(keys))
}

// readKeysFile reads an authorized keys file after the checks sshd's
// StrictModes makes: a regular file, owned by the server's user or root and
// writable by nobody else, in a directory nobody else may write to (unless
// it is sticky, as /tmp is).
func readKeysFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the authorized keys file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read the authorized keys file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if err := trusted(fi, "file"); err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve the authorized keys file: %w", err)
	}
	di, err := os.Stat(filepath.Dir(real))
	if err != nil {
		return nil, fmt.Errorf("cannot check the authorized keys file's directory: %w", err)
	}
	if di.Mode()&fs.ModeSticky == 0 {
		if err := trusted(di, "directory "+filepath.Dir(real)); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the authorized keys file: %w", err)
	}
	if len(data) > maxKeysFile {
		return nil, fmt.Errorf("larger than %d MiB: not an authorized keys file", maxKeysFile>>20)
	}
	return data, nil
}

// trusted refuses what another user could have written.
func trusted(fi fs.FileInfo, what string) error {
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("bad modes for %s (%v): group or others may write it, so anyone could add a key; chmod go-w it", what, fi.Mode().Perm())
	}
	if uid, ok := ownerUID(fi); ok && uid != 0 && uid != os.Getuid() {
		return fmt.Errorf("bad ownership for %s: owned by uid %d, not by the server's user (%d) or root", what, uid, os.Getuid())
	}
	return nil
}

// authorize decides whether key, offered from remote, comes in, and with
// what. reason says why not, for the server's log (never for the client).
func (a *authorizer) authorize(key gossh.PublicKey, remote net.Addr) (g grant, ok bool, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	addr, addrOK := remoteIP(remote)
	var reasons []string
	for _, f := range a.files {
		f.reload(a.logf)
		for _, k := range f.keys {
			if !ssh.KeysEqual(k.Key, key) {
				continue
			}
			src := fmt.Sprintf("%s:%d", f.path, k.Line)
			switch {
			case !k.Expiry.IsZero() && now.Unix() > k.Expiry.Unix():
				reasons = append(reasons, fmt.Sprintf("%s: expired at %s", src, k.Expiry.Format(time.RFC3339)))
			case k.From != nil && (!addrOK || !k.From.allows(addr)):
				reasons = append(reasons, fmt.Sprintf("%s: from=%q does not allow %s", src, k.From.raw, remote))
			default:
				return grant{role: f.role, noPTY: k.NoPTY, source: src}, true, ""
			}
		}
	}
	if len(reasons) == 0 {
		return grant{}, false, "not in any authorized keys file"
	}
	return grant{}, false, strings.Join(reasons, "; ")
}

// remoteIP is the client's address without port, IPv4-mapped IPv6 as IPv4
// (as sshd normalises it).
func remoteIP(a net.Addr) (netip.Addr, bool) {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(ta.IP)
		if ok && ta.Zone != "" {
			ip = ip.WithZone(ta.Zone)
		}
		return ip.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// grantHint says how a viewer key becomes an operator, for the refusal
// message a viewer sees.
func grantHint(files []*keyFile) string {
	for _, f := range files {
		if f.role == engine.Operator {
			return "ask the server's owner to add this key to " + f.path
		}
	}
	return "ask the server's owner to list this key in an operator keys file (lathe serve --operator-keys FILE)"
}
