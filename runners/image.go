package runners

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/format"
	"github.com/moby/moby/client"
)

// BuildGoBinary compiles a Go main package as a static binary (CGO_ENABLED=0),
// the only kind that runs in a FROM-scratch image. pkgDir is a directory or an
// import path; dir is the module directory to run the build in ("" = current).
func BuildGoBinary(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// ScratchImage describes a FROM-scratch image: files copied from this machine
// into the image, and its entrypoint. These machines cannot pull base images,
// so lathe's example and test images are static binaries on scratch.
type ScratchImage struct {
	Tag        string
	Files      map[string]string // path in the image -> host file
	Entrypoint []string
	Cmd        []string // the default command, replaced by a run's command
	Labels     map[string]string
}

// BuildScratchImage builds img on the runner's daemon with the classic
// builder (no BuildKit session needed) and returns the image id.
func (d *Docker) BuildScratchImage(ctx context.Context, img ScratchImage) (string, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var df strings.Builder
	df.WriteString("FROM scratch\n")
	for _, dst := range format.SortedKeys(img.Files) {
		b, err := os.ReadFile(img.Files[dst])
		if err != nil {
			return "", err
		}
		st, err := os.Stat(img.Files[dst])
		if err != nil {
			return "", err
		}
		name := "ctx/" + strings.TrimPrefix(path.Clean(dst), "/")
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			return "", err
		}
		if _, err := tw.Write(b); err != nil {
			return "", err
		}
		fmt.Fprintf(&df, "COPY %s %s\n", name, dst)
	}
	if len(img.Entrypoint) > 0 {
		ep, _ := json.Marshal(img.Entrypoint)
		fmt.Fprintf(&df, "ENTRYPOINT %s\n", ep)
	}
	if len(img.Cmd) > 0 {
		c, _ := json.Marshal(img.Cmd)
		fmt.Fprintf(&df, "CMD %s\n", c)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(df.Len()), ModTime: time.Unix(0, 0)}); err != nil {
		return "", err
	}
	if _, err := tw.Write([]byte(df.String())); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := d.cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags: []string{img.Tag}, Remove: true, ForceRemove: true, Dockerfile: "Dockerfile", Labels: img.Labels})
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", img.Tag, err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	var id string
	for {
		var msg struct {
			Stream      string `json:"stream"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
			Aux *struct {
				ID string `json:"ID"`
			} `json:"aux"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("build image %s: %w", img.Tag, err)
		}
		if msg.ErrorDetail != nil {
			return "", fmt.Errorf("build image %s: %s", img.Tag, msg.ErrorDetail.Message)
		}
		if msg.Aux != nil && msg.Aux.ID != "" {
			id = msg.Aux.ID
		}
	}
	if id == "" {
		digest, err := d.ImageDigest(ctx, img.Tag)
		if err != nil {
			return "", err
		}
		id = digest
	}
	return id, nil
}

// BuildTrainerImage builds examples/trainer into a FROM-scratch image tagged
// tag (the `make image` target and the tests use it). moduleDir is the root of
// the lathe module.
func (d *Docker) BuildTrainerImage(ctx context.Context, moduleDir, tag string) (string, error) {
	tmp, err := os.MkdirTemp("", "lathe-trainer-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "trainer")
	if err := BuildGoBinary(ctx, moduleDir, "./examples/trainer", bin); err != nil {
		return "", err
	}
	// CMD, not ENTRYPOINT: a run's command replaces it whole (`-- /trainer
	// --lr 0.1`), as docker run's arguments replace an image's CMD.
	return d.BuildScratchImage(ctx, ScratchImage{Tag: tag, Files: map[string]string{"/trainer": bin},
		Cmd: []string{"/trainer"}})
}
