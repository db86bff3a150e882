#!/usr/bin/env bash
# A real one-node Slurm cluster for the tests (Debian bookworm: Slurm 22.05):
# munged, slurmctld and slurmd on this machine, one partition "debug" whose
# node has two GPUs. The GPUs are fake: gres.conf points at character
# devices with /dev/null's numbers, which is all slurmd needs to count them.
# Safe to run again. Sourced by .ci/run; TEST_SLURM=1 tells the tests.
set -euo pipefail

slurm_log() { echo "ci/slurm: $*" >&2; }

node=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
for i in 0 1; do
  [ -e /dev/fake-gpu$i ] || mknod /dev/fake-gpu$i c 1 3
done
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=lathe-ci
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MinJobAge=300
KillWait=5
GresTypes=gpu
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=4000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
CONF
cat > /etc/slurm/gres.conf <<CONF
Name=gpu File=/dev/fake-gpu[0-1]
CONF

if [ ! -s /etc/munge/munge.key ]; then
  slurm_log "creating the munge key"
  mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  su -s /bin/sh munge -c /usr/sbin/munged
fi
if ! pgrep -x slurmctld >/dev/null; then
  slurmctld
fi
if ! pgrep -x slurmd >/dev/null; then
  slurmd
fi
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  case "$state" in
    idle|mix|alloc) break ;;
    down*|drain*|inval*|unk*) scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 1
done
state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
if [ "$state" != idle ] && [ "$state" != mix ] && [ "$state" != alloc ]; then
  slurm_log "the node is '$state', not idle; slurmctld and slurmd logs:"
  tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  exit 1
fi
slurm_log "$(sinfo --version) up: node $node $state, $(sinfo -h -o '%G')"
export TEST_SLURM=1
