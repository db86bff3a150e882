package runners

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
)

// copyOut copies /lathe/outputs from the container into dir on this machine.
func (d *Docker) copyOut(ctx context.Context, id, dir string) error {
	res, err := d.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: containerOutputs + "/."})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return untar(res.Content, dir)
}

// untar extracts regular files and directories, refusing paths that escape dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		// The archive's top entry is the source directory itself ("outputs/" or ".").
		if i := strings.IndexRune(name, filepath.Separator); i >= 0 && (name[:i] == "outputs" || name[:i] == ".") {
			name = name[i+1:]
		} else if name == "outputs" {
			continue
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
