package runners

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// slurmScript is the batch script of every Slurm run. It is a constant: no
// part of a run's command, parameters or environment is ever written into
// it. Its one argument is the run folder, which holds
//
//	argv       the command, NUL-separated, exec'd as "${argv[@]}"
//	env        NAME=value pairs, NUL-separated, exported one by one
//	workdir    the working directory, NUL-terminated
//	setup.sh   the runner's module and setup lines (config, not run input)
//	image      the container image, when the run has one
//
// and receives stdout.log and stderr.log (the program's output), gpus (the
// devices Slurm gave the job) and exit (the exit status, written last via a
// rename, so a reader never sees half of it). SIGTERM from scancel or the
// time limit reaches the program (a trapped signal is reset in children),
// and the script outlives it to record its status.
const slurmScript = `#!/bin/bash
# Lathe's batch script (runners/slurm_script.go); $1 is the run folder.
d=$1
trap : TERM INT
printf '%s\n' "${SLURM_JOB_GPUS:-${CUDA_VISIBLE_DEVICES:-}}" > "$d/gpus.tmp" && mv -f "$d/gpus.tmp" "$d/gpus"
while IFS= read -r -d '' kv; do export "$kv"; done < "$d/env"
mapfile -d '' -t argv < "$d/argv"
IFS= read -r -d '' wd < "$d/workdir"
if [ -n "${SLURM_JOB_GPUS:-}" ] && [ -z "${CUDA_VISIBLE_DEVICES:-}" ]; then export CUDA_VISIBLE_DEVICES=$SLURM_JOB_GPUS; fi
if [ -f "$d/setup.sh" ]; then . "$d/setup.sh" >>"$d/stdout.log" 2>>"$d/stderr.log"; fi
if ! cd "$wd"; then
  echo "lathe: cannot enter the working directory $wd" >>"$d/stderr.log"
  printf '127\n' > "$d/exit.tmp" && mv -f "$d/exit.tmp" "$d/exit"; exit 127
fi
if [ -f "$d/image" ]; then
  IFS= read -r -d '' img < "$d/image"
  if command -v apptainer >/dev/null; then argv=(apptainer exec --nv "$img" "${argv[@]}")
  elif command -v singularity >/dev/null; then argv=(singularity exec --nv "$img" "${argv[@]}")
  elif command -v enroot >/dev/null; then argv=(enroot start "$img" "${argv[@]}")
  fi
fi
"${argv[@]}" </dev/null >>"$d/stdout.log" 2>>"$d/stderr.log"
s=$?
printf '%d\n' "$s" > "$d/exit.tmp" && mv -f "$d/exit.tmp" "$d/exit"
exit $s
`

// nulJoin joins items with a NUL after each, the format the script reads
// with read -d ”. An item holding a NUL cannot be passed to exec at all.
func nulJoin(field string, items []string) ([]byte, error) {
	var b bytes.Buffer
	for _, it := range items {
		if strings.IndexByte(it, 0) >= 0 {
			return nil, &config.InputError{Field: field, Msg: fmt.Sprintf("%q contains a NUL byte, which no program can receive", it)}
		}
		b.WriteString(it)
		b.WriteByte(0)
	}
	return b.Bytes(), nil
}

// shellQuote quotes s for a POSIX shell as one word: inside single quotes
// nothing is special, and a single quote itself is written '\”. ssh(1)
// hands the remote command to the login shell as one string, so every
// argument of a remote command goes through this.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes each argument and joins them with spaces.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// setupScript renders the runner's modules and setup lines.
func setupScript(o config.SlurmOptions) []byte {
	if len(o.Modules) == 0 && len(o.Setup) == 0 {
		return nil
	}
	var b strings.Builder
	for _, m := range o.Modules {
		b.WriteString("module load " + shellQuote(m) + "\n")
	}
	for _, l := range o.Setup {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// sbatchArgs are the options of one run's sbatch, each one argument.
func sbatchArgs(o config.SlurmOptions, spec Spec, dir string, gpus int) []string {
	args := []string{"--parsable", "--job-name=lathe-" + spec.ID, "--output=" + dir + "/slurm.log",
		"--chdir=" + dir, "--comment=lathe run " + spec.ID}
	if o.Partition != "" {
		args = append(args, "--partition="+o.Partition)
	}
	if o.Account != "" {
		args = append(args, "--account="+o.Account)
	}
	if o.QOS != "" {
		args = append(args, "--qos="+o.QOS)
	}
	if o.TimeLimit != "" {
		args = append(args, "--time="+o.TimeLimit)
	}
	cpus := o.CPUs
	if spec.CPUs > 0 {
		cpus = int(spec.CPUs + 0.999)
	}
	if cpus > 0 {
		args = append(args, "--cpus-per-task="+strconv.Itoa(cpus))
	}
	mem := o.Memory
	if spec.Memory > 0 {
		mem = spec.Memory
	}
	if mem > 0 {
		args = append(args, "--mem="+strconv.FormatInt(max(1, (mem+(1<<20)-1)>>20), 10)+"M")
	}
	if gpus > 0 {
		args = append(args, "--gres=gpu:"+strconv.Itoa(gpus))
	}
	return append(args, o.SbatchArgs...)
}
