#!/usr/bin/env bash
# Installs and starts the services the tests use for real (dockerd, sshd's
# binaries, tmux, graphviz, chromium, PostgreSQL, a one-node Slurm cluster) and
# exports the variables the tests read (TEST_POSTGRES_URL, PGPASSWORD,
# TEST_SLURM). Sourced by .ci/run; a developer can source it too:
#   sudo -E bash -c 'source .ci/services.sh && make test'
# Runs as root on Debian; safe to run again.
log() { echo "ci: $*" >&2; }

# Debian packages the tests use for real: dockerd, sshd + ssh client, tmux,
# graphviz, chromium (report pages), PostgreSQL (the shared store), a one-node
# Slurm cluster (the Slurm runner).
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)   # checks `lathe lineage --dot`
# A one-node Slurm cluster (the Slurm runner's tests): .ci/slurm.sh.
command -v munged >/dev/null 2>&1 || missing+=(munge)
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)   # opens `lathe report` pages headless
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)   # the Kubernetes runner's tests: etcd under a kube-apiserver
# the server itself, not only the client tools a machine may already have
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Start dockerd unless a daemon already answers.
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd >/tmp/lathe-ci-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not start; its log:"
    tail -50 /tmp/lathe-ci-dockerd.log >&2
    exit 1
  fi
fi
log "docker $(docker version --format '{{.Server.Version}}')"

# kube-apiserver for the Kubernetes runner's tests, built from the
# k8s.io/kubernetes module pinned in tools/kube (about 8 CPU-minutes cold) and
# cached outside the checkout; each test binary starts its own etcd and API
# server on 127.0.0.1 from it (internal/kubetest).
kube_version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' tools/kube/go.mod)
kube_bin=/var/cache/lathe/kube-apiserver-$kube_version
if [ ! -x "$kube_bin" ]; then
  log "building kube-apiserver $kube_version (cached in $kube_bin)"
  mkdir -p /var/cache/lathe
  (cd tools/kube && go build -trimpath -mod=mod \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$kube_version" \
    -o "$kube_bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver) || { log "kube-apiserver build failed"; exit 1; }
  mv "$kube_bin.tmp" "$kube_bin"
fi
export TEST_KUBE_APISERVER=$kube_bin
log "$("$kube_bin" --version) (etcd $(etcd --version | awk 'NR == 1 {print $3}'))"

# munged, slurmctld and slurmd, waiting for the node to be idle.
source .ci/slurm.sh

# PostgreSQL for the shared-store tests: a cluster on 127.0.0.1, a password
# user and a test database. The tests read the URL from
# TEST_POSTGRES_URL and the password from PGPASSWORD; each test makes
# a schema of its own in it (internal/pgtest).
pg_password=lathe-ci-test
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  log "creating a PostgreSQL cluster"
  pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main >/dev/null
fi
read -r pg_ver pg_name pg_port pg_status _ < <(pg_lsclusters -h | head -1)
if [ "$pg_status" != online ]; then
  log "starting PostgreSQL $pg_ver/$pg_name"
  pg_ctlcluster "$pg_ver" "$pg_name" start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -p $pg_port -Atqc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -p $pg_port -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lathe_ci') THEN
    CREATE ROLE lathe_ci LOGIN PASSWORD '$pg_password';
  ELSE
    ALTER ROLE lathe_ci PASSWORD '$pg_password';
  END IF;
END \$\$;
SQL
if ! su postgres -c "psql -p $pg_port -Atqc \"SELECT 1 FROM pg_database WHERE datname = 'lathe_ci'\"" | grep -q 1; then
  su postgres -c "createdb -p $pg_port -O lathe_ci lathe_ci"
fi
export TEST_POSTGRES_URL="postgres://lathe_ci@127.0.0.1:$pg_port/lathe_ci?sslmode=disable"
export PGPASSWORD=$pg_password
log "postgres $(su postgres -c "psql -p $pg_port -Atqc 'show server_version'") on 127.0.0.1:$pg_port"

