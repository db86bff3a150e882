package main

import (
	"context"
	"fmt"
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
	var addr, keys string
	cmd := &cobra.Command{
		Use:   "serve --ssh ADDR --authorized-keys FILE",
		Short: "Serve the TUI to SSH clients (public-key authentication only)",
		Long: `Serve the TUI over SSH: every session gets its own program with its own window
size and colour profile. Only public keys listed in the authorized-keys file are
accepted; passwords are never. The host key is generated once and kept in
.lathe/ssh_host_ed25519_key. The default bind is 127.0.0.1:2222; bind another
interface only on purpose.`,
		Example: `  lathe serve --ssh 127.0.0.1:2222 --authorized-keys ~/.ssh/authorized_keys
  ssh -p 2222 127.0.0.1`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("ssh") && a.cfg.Serve.SSHAddr != "" {
				addr = a.cfg.Serve.SSHAddr
			}
			if keys == "" {
				keys = a.cfg.Serve.AuthorizedKeys
			}
			if keys == "" {
				return &config.InputError{Field: "--authorized-keys", Msg: "required: the file of public keys allowed to connect (e.g. ~/.ssh/authorized_keys)"}
			}
			if _, err := os.Stat(keys); err != nil {
				return &config.InputError{Field: "--authorized-keys", Msg: fmt.Sprintf("cannot read %s: %v", keys, err)}
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
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// Each session honours its own NO_COLOR; only --no-color applies to all.
			opts.NoColor = a.noColor
			a.progressf("lathe: serving %s over SSH on %s (authorized keys: %s); ctrl+c stops\n", info.Name, addr, keys)
			return serve.Serve(ctx, serve.Config{
				Addr:               addr,
				AuthorizedKeysPath: keys,
				HostKeyPath:        filepath.Join(info.StateDir, "ssh_host_ed25519_key"),
				Options:            func() tui.Options { return opts },
				Logf:               func(format string, args ...any) { a.progressf("lathe serve: "+format+"\n", args...) },
			})
		},
	}
	cmd.Flags().StringVar(&addr, "ssh", "127.0.0.1:2222", "address to listen on for SSH")
	cmd.Flags().StringVar(&keys, "authorized-keys", "", "file of public keys allowed to connect (OpenSSH authorized_keys format)")
	return cmd
}
