#!/usr/bin/env bash
# Installs the local SLURM used by tests/distributed (Debian's slurmctld, slurmd, slurm-client and
# munge; 22.05 on bookworm). Idempotent: a fast no-op when every binary is already on PATH.
# Needs root (apt-get). The test harness (tests/distributed/slurm_cluster.py) writes its own
# slurm.conf and munge key in a temporary directory; nothing here configures or starts a daemon.
set -euo pipefail

needed=(slurmctld slurmd sbatch srun scontrol squeue sinfo scancel munged)
missing=()
for bin in "${needed[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-setup: missing ${missing[*]} and not root: install slurmctld slurmd slurm-client munge" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "slurm-setup: missing ${missing[*]} and no apt-get: install SLURM (slurmctld, slurmd, clients) and munge by hand" >&2
  exit 1
fi
echo "slurm-setup: installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps it small; the packages' own services are never started by us
# (policy-rc.d-less containers may print "invoke-rc.d" warnings, which are harmless here).
apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
for bin in "${needed[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "slurm-setup: $bin still missing after install" >&2; exit 1; }
done
echo "slurm-setup: installed SLURM $(dpkg-query -W -f='${Version}' slurmctld 2>/dev/null)" >&2
