"""Fixtures for tests that need real processes: a local SLURM cluster (see slurm_cluster.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from slurm_cluster import SlurmCluster, missing_binaries


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A running two-node SLURM cluster on localhost, shared by the session and stopped at its end.

    Skipped when SLURM is not installed, except under ``CI=true`` where that is a failure: CI must
    exercise the SLURM path (``.ci/slurm-setup.sh`` installs it).
    """
    missing = missing_binaries()
    if missing:
        reason = f"SLURM not installed (missing {', '.join(missing)}); run .ci/slurm-setup.sh as root"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    if os.geteuid() != 0:
        # slurmd must run as root to start jobs as the submitting user; munged needs its key owned by us.
        reason = "the local SLURM cluster needs root (slurmd launches job steps as root here)"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    # munged's socket path must stay short (AF_UNIX paths are limited to 108 bytes): use /tmp directly,
    # not pytest's deep tmp tree.
    cluster = SlurmCluster.start()
    try:
        yield cluster
    finally:
        cluster.stop(keep=os.environ.get("POLYTRAIN_KEEP_SLURM", "") == "1")
