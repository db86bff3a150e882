package config

import "fmt"

// WorkspaceTemplate is the commented lathe.yaml that `lathe init` writes.
func WorkspaceTemplate(name string) string {
	return fmt.Sprintf(`# Lathe workspace. Docs: lathe --help, lathe config show.
name: %s
default_runner: local
runners:
  - name: local
    type: local
  - name: docker
    type: docker
`, name)
}
