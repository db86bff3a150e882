package runners

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// resolveEndpoint follows the docker CLI's order (cli/command/cli.go
// resolveContextName): explicit host, named context, DOCKER_HOST,
// DOCKER_CONTEXT, config.json currentContext, default socket.
func resolveEndpoint(ep Endpoint) (string, *TLSFiles, error) {
	if ep.Host != "" {
		return ep.Host, ep.TLS, nil
	}
	ctxName := ep.Context
	if ctxName == "" {
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			return h, ep.TLS, nil
		}
		ctxName = os.Getenv("DOCKER_CONTEXT")
	}
	cfgDir := os.Getenv("DOCKER_CONFIG")
	if cfgDir == "" {
		home, _ := os.UserHomeDir()
		cfgDir = filepath.Join(home, ".docker")
	}
	if ctxName == "" {
		var cfg struct{ CurrentContext string }
		if b, err := os.ReadFile(filepath.Join(cfgDir, "config.json")); err == nil {
			_ = json.Unmarshal(b, &cfg) // a broken CLI config means: default
		}
		ctxName = cfg.CurrentContext
	}
	if ctxName == "" || ctxName == "default" {
		return "unix:///var/run/docker.sock", ep.TLS, nil
	}
	// Context store layout: docker/cli cli/context/store/doc.go.
	sum := sha256.Sum256([]byte(ctxName))
	id := hex.EncodeToString(sum[:])
	b, err := os.ReadFile(filepath.Join(cfgDir, "contexts", "meta", id, "meta.json"))
	if err != nil {
		return "", nil, &config.InputError{Field: "context", Msg: fmt.Sprintf("docker context %q not found (looked in %s)", ctxName, filepath.Join(cfgDir, "contexts")), Err: err}
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", nil, fmt.Errorf("docker context %q: %w", ctxName, err)
	}
	host := meta.Endpoints["docker"].Host
	if host == "" {
		return "", nil, &config.InputError{Field: "context", Msg: fmt.Sprintf("docker context %q has no docker endpoint", ctxName)}
	}
	tlsFiles := ep.TLS
	tlsDir := filepath.Join(cfgDir, "contexts", "tls", id, "docker")
	if tlsFiles == nil {
		if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
			tlsFiles = &TLSFiles{CA: filepath.Join(tlsDir, "ca.pem"), Cert: filepath.Join(tlsDir, "cert.pem"), Key: filepath.Join(tlsDir, "key.pem")}
		}
	}
	return host, tlsFiles, nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}
