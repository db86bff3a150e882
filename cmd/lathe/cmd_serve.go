package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/tui"
	"github.com/lathe-ml/lathe/tui/serve"
)

func newServeCmd(a *app) *cobra.Command {
	var addr, keys, opKeys string
	cmd := &cobra.Command{
		Use:   "serve --ssh ADDR --authorized-keys FILE [--operator-keys FILE]",
		Short: "Serve the TUI to SSH clients (public-key authentication only)",
		Long: `Serve the TUI over SSH: every session gets its own program with its own window
size and colour profile. Only public keys are accepted, never passwords.

Two roles. A key in --authorized-keys is a viewer: it sees every screen (data,
runs, logs, metrics, lineage, studies, runners) and changes nothing. A key in
--operator-keys is an operator: it may also launch, stop and rerun runs and
tune, which runs commands as the user running lathe serve. A key in both files
is an operator. Every launch and stop made over SSH is logged with its key's
fingerprint.

Both files are OpenSSH authorized_keys files, read again for every connection:
an edit, a deletion or a replacement holds from the next connection on (a file
that is missing, unreadable, writable by others or garbage lets no key in).
from=, expiry-time=, restrict, pty and no-pty are honoured as sshd does; a key
with command=, environment=, permitopen=, permitlisten=, principals=, tunnel=,
cert-authority, no-touch-required or verify-required is refused, with a
warning at start-up naming the file and line.

The host key is generated once and kept in .lathe/ssh_host_ed25519_key
(serve.host_key). The default bind is 127.0.0.1:2222; bind another interface
only on purpose.`,
		Example: `  lathe serve --authorized-keys ~/.config/lathe/viewer_keys --operator-keys ~/.config/lathe/operator_keys
  lathe serve --ssh 127.0.0.1:2222 --authorized-keys ~/.ssh/authorized_keys
  ssh -p 2222 127.0.0.1`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			addrField := "--ssh"
			if !cmd.Flags().Changed("ssh") && a.cfg.Serve.SSHAddr != "" {
				addr, addrField = a.cfg.Serve.SSHAddr, "serve.ssh_addr"
			}
			if err := serve.CheckAddr(addr); err != nil {
				return &config.InputError{Field: addrField, Msg: err.Error()}
			}
			if keys == "" {
				keys = a.cfg.Serve.AuthorizedKeys
			}
			if opKeys == "" {
				opKeys = a.cfg.Serve.OperatorKeys
			}
			if keys == "" && opKeys == "" {
				return &config.InputError{Field: "--authorized-keys", Msg: "required: the file of public keys allowed to connect as viewers (e.g. ~/.ssh/authorized_keys), and/or --operator-keys FILE for keys that may also launch and stop runs"}
			}
			for flag, path := range map[string]string{"--authorized-keys": keys, "--operator-keys": opKeys} {
				if path == "" {
					continue
				}
				if err := checkKeysFile(path); err != nil {
					return &config.InputError{Field: flag, Msg: err.Error(), Err: err}
				}
			}
			if a.root == "" {
				if _, err := a.ensureDemo(""); err != nil {
					return err
				}
			}
			opts, err := a.tuiOptions()
			if err != nil {
				return err
			}
			info := opts.Engine.Info()
			hostKey := a.cfg.Serve.HostKey
			if hostKey == "" {
				hostKey = filepath.Join(info.StateDir, "ssh_host_ed25519_key")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// Each session honours its own NO_COLOR; only --no-color applies to all.
			opts.NoColor = a.noColor
			roles := ""
			if keys != "" {
				roles = "viewers: " + keys
			}
			if opKeys != "" {
				if roles != "" {
					roles += ", "
				}
				roles += "operators: " + opKeys
			}
			a.progressf("lathe: serving %s over SSH on %s (%s); ctrl+c stops\n", info.Name, addr, roles)
			err = serve.Serve(ctx, serve.Config{
				Addr:               addr,
				AuthorizedKeysPath: keys,
				OperatorKeysPath:   opKeys,
				HostKeyPath:        hostKey,
				MaxSessions:        a.cfg.Serve.MaxSessions,
				Options:            func() tui.Options { return opts },
				Logf:               func(format string, args ...any) { a.progressf("lathe serve: "+format+"\n", args...) },
			})
			// The address came from the config file: say so, not --ssh.
			var ie *config.InputError
			if errors.As(err, &ie) && ie.Field == "--ssh" {
				ie.Field = addrField
			}
			return err
		},
	}
	cmd.Flags().StringVar(&addr, "ssh", serve.DefaultAddr, "address to listen on for SSH (HOST:PORT)")
	cmd.Flags().StringVar(&keys, "authorized-keys", "", "public keys let in as viewers, who see everything and change nothing (OpenSSH authorized_keys format)")
	cmd.Flags().StringVar(&opKeys, "operator-keys", "", "public keys let in as operators, who may also launch, stop, rerun and tune (OpenSSH authorized_keys format)")
	return cmd
}

// checkKeysFile says, in words and without Go's error text, why path cannot
// serve as a file of public keys.
func checkKeysFile(path string) error {
	const want = "give a file of public keys in OpenSSH authorized_keys format"
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist; %s", path, want)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s cannot be read (permission denied); %s", path, want)
	case err != nil:
		return fmt.Errorf("%s cannot be read; %s", path, want)
	case st.IsDir():
		return fmt.Errorf("%s is a directory; %s", path, want)
	}
	return nil
}
