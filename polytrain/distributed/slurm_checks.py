"""Start-up checks of a SLURM job, run in every ``polytrain fit`` before the trainer forms its process
group (``cli.PolytrainCLI.before_fit``): a launch that would hang in the rendezvous stops in one line.

docs/slurm.md ("A multi-task job without srun", "A rank 0 address that does not resolve").
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from polytrain.errors import LaunchError


def check_slurm_launch(environ: Mapping[str, str] | None = None) -> None:
    """Refuse a multi-task SLURM run started without ``srun`` (it would hang at process-group setup).

    In the batch shell SLURM sets ``SLURM_NTASKS`` to the whole allocation's task count but starts
    only one process; Lightning then waits for ranks that never come. Every ``srun`` task has
    ``SLURM_STEP_ID``; the batch shell does not. Interactive allocations (job name ``bash`` or
    ``interactive``), where Lightning starts its own processes, are left alone, as Lightning does.

    Raises:
        LaunchError: SLURM_NTASKS > 1 outside any job step.
    """
    env = os.environ if environ is None else environ
    if "SLURM_JOB_ID" not in env or env.get("SLURM_JOB_NAME") in ("bash", "interactive"):
        return
    ntasks = int(env.get("SLURM_NTASKS", "1") or 1)
    if ntasks > 1 and "SLURM_STEP_ID" not in env:
        raise LaunchError(
            f"SLURM job {env['SLURM_JOB_ID']} has {ntasks} tasks but this process was not started by srun, so "
            "the other ranks never start and training would hang: run `srun polytrain fit ...` in the batch "
            "script (`polytrain slurm` writes it)"
        )


def check_job_start(environ: Mapping[str, str] | None = None) -> None:
    """The start-up checks of a SLURM job (:func:`check_slurm_launch`, :func:`check_master_address`),
    run by ``polytrain fit`` before the trainer forms its process group; nothing outside SLURM."""
    check_slurm_launch(environ)
    check_master_address(environ)


def check_master_address(environ: Mapping[str, str] | None = None) -> None:
    """Refuse a multi-task SLURM job whose rank 0 address does not resolve here (it would hang).

    The address is the one Lightning's ``SLURMEnvironment`` uses: ``MASTER_ADDR``, else the first host
    of ``SLURM_NODELIST``. When this node cannot resolve it, torch's rendezvous retries until the
    process-group timeout (30 min) or the job's time limit ("The IPv6 network addresses of (n1, ...)
    cannot be retrieved").

    Raises:
        LaunchError: the address does not resolve, naming it and where it came from.
    """
    env = os.environ if environ is None else environ
    if "SLURM_JOB_ID" not in env or int(env.get("SLURM_NTASKS", "1") or 1) < 2:
        return
    from lightning.fabric.plugins.environments import SLURMEnvironment  # the training process has it loaded

    address = env.get("MASTER_ADDR")
    source = "MASTER_ADDR"
    if not address:
        nodes = env.get("SLURM_NODELIST") or env.get("SLURM_JOB_NODELIST") or "127.0.0.1"
        address, source = SLURMEnvironment.resolve_root_node_address(nodes), f"the first node of SLURM_NODELIST {nodes}"
    try:
        socket.getaddrinfo(address, None)
    except (OSError, UnicodeError) as err:
        raise LaunchError(
            f"rank 0's address {address} ({source}) does not resolve on {socket.gethostname()} ({err}): the ranks "
            "could not meet and the job would hang; set MASTER_ADDR to an address every node reaches "
            "(polytrain slurm --env MASTER_ADDR=...)") from None
