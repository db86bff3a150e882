package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// WorkspaceTemplate is the commented lathe.yaml that `lathe init` writes.
// It loads cleanly as is, with two runners (local and docker).
func WorkspaceTemplate(name string) string {
	return fmt.Sprintf(`# Lathe workspace config. Run state lives in .lathe/ beside this file.
# See the merged settings and where each came from: lathe config show
# Layers, lowest first: built-in defaults < user config
# (~/.config/lathe/config.yaml) < team runners file < this file < LATHE_* env < flags.
# Secrets never go here: SSH uses your ssh agent and ~/.ssh/config, TLS uses
# certificate paths, and runs get secrets from your environment via pass_env.

name: %s
default_runner: local

# A team runners file, shared through a repository (also LATHE_RUNNERS).
# Relative paths are relative to this file. Runners here override its
# runners of the same name.
# runners_file: ../ml-infra/runners.yaml

# A team's shared store of runs, lineage and studies (default: .lathe/store.db),
# and a shared object directory. The password comes from PGPASSWORD or
# ~/.pgpass, never from this file. See: lathe store --help
# store: postgres://you@db.example.internal/lathe?sslmode=require
# objects: /mnt/team/lathe-objects

runners:
  - name: local
    type: local            # a plain subprocess on this machine, no isolation
  - name: docker
    type: docker           # the daemon from DOCKER_HOST or the current docker context
    # gpus: all            # all | N | [0, 2] | [GPU-uuid, ...]
    # max_concurrent: 1    # runs beyond this queue
    # image: python:3.12-slim
    # pass_env: [WANDB_API_KEY]   # copied from your environment into each run

  # A GPU box over SSH (key from your ssh agent):
  # - name: gpu1
  #   type: docker
  #   host: ssh://ml@gpu1.example.internal
  #   gpus: all
  #   max_concurrent: 2

  # A docker context (docker context ls):
  # - name: lab
  #   type: docker
  #   context: lab-box

  # A daemon over TCP with mutual TLS (paths only):
  # - name: secure
  #   type: docker
  #   host: tcp://10.0.0.5:2376
  #   tls: {ca: ~/.lathe/tls/ca.pem, cert: ~/.lathe/tls/cert.pem, key: ~/.lathe/tls/key.pem}

  # A Slurm cluster through its login node (your ssh; empty host: this machine):
  # - name: hpc
  #   type: slurm
  #   host: ssh://me@login.hpc.example.edu
  #   work_dir: /scratch/me/lathe   # run folders, on the filesystem the nodes share
  #   partition: gpu
  #   time_limit: "4:00:00"
  #   gpus_per_run: 1

  # A pool: each run goes to the member with the most free capacity:
  # - name: anywhere
  #   type: pool
  #   members: [local, hpc]

  # A Kubernetes cluster (kubeconfig as kubectl finds it; one Job per run):
  # - name: cluster
  #   type: kubernetes
  #   context: lab
  #   namespace: ml
  #   image: ghcr.io/lab/train:1
  #   gpus_per_run: 1
  #   volumes: [{claim: results, mount: /results, local: /mnt/results, outputs: true}]

# Data profiling (defaults shown; thresholds follow ydata-profiling):
# explore:
#   missing_values: ["", NA, N/A, "null", NaN]
#   sample_rows: 100000      # rows loaded for the table view
#   alerts: {missing: 0.01, high_correlation: 0.9, skewness: 20, high_cardinality: 50}
`, yamlString(name))
}

// yamlString writes s plainly when YAML reads it back as the same string,
// and double-quoted otherwise (names like "true", "1.0" or "a: b").
func yamlString(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+s), &n); err == nil && len(n.Content) == 1 {
		m := n.Content[0]
		if len(m.Content) == 2 && m.Content[1].ShortTag() == "!!str" && m.Content[1].Value == s && m.Content[1].Style == 0 {
			return s
		}
	}
	return strconv.Quote(s)
}
