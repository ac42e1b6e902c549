"""Requeue a SLURM job that stopped on SLURM's pre-timeout signal, once every rank has finished.

Saving and stopping on signals is :class:`polytrain.callbacks.signals.SaveOnSignal`'s job, in every
run (``configs/base.yaml``). ``SlurmRequeue`` (``configs/trainer/slurm.yaml``) adds what only SLURM
runs need (docs/slurm.md, "Requeue"):

1. a restart that found no checkpoint says so (the start-up checks of a SLURM job, no ``srun`` and
   an unresolvable ``MASTER_ADDR``, run in every ``polytrain fit``: ``distributed.slurm_checks.check_job_start``);
2. when ``SaveOnSignal`` stopped the run on the requeue signal (``SIGUSR1``), the job is requeued
   only after *every* rank has finished: ``scontrol requeue`` ends every process of the job, and a
   rank still tearing down would die with "Connection closed by peer". The batch script that
   ``polytrain slurm`` writes runs ``scontrol requeue`` itself after ``srun`` has returned; this
   callback only asks for it (``$POLYTRAIN_REQUEUE_FILE``). Without that variable (a hand-written
   script), rank 0 runs it after a barrier of all ranks.

Lightning's own ``SLURMEnvironment(auto_requeue=True)`` saves *inside* the signal handler on every
rank; ``configs/trainer/slurm.yaml`` turns it off.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_warn

from polytrain.callbacks.signals import SaveOnSignal, signal_number
from polytrain.checkpoint.resume import checkpoint_dir
from polytrain.distributed.slurm import REQUEUE_FILE_VARIABLE

_JOB_ID = re.compile(r"^\d+(_\d+)?$")


def slurm_job_id(environ: Mapping[str, str] | None = None) -> str | None:
    """The id ``scontrol requeue`` needs: ``<array job>_<task>`` for array jobs, else ``SLURM_JOB_ID``.

    Returns:
        None when not running under SLURM.

    Raises:
        ValueError: the variables hold something that is not a job id.
    """
    env = os.environ if environ is None else environ
    array_job, array_task = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    job = f"{array_job}_{array_task}" if array_job and array_task else env.get("SLURM_JOB_ID")
    if job is None:
        return None
    if not _JOB_ID.match(job):
        raise ValueError(f"SLURM job id {job!r} (from SLURM_JOB_ID / SLURM_ARRAY_*) is not a SLURM job id")
    return job


class SlurmRequeue(Callback):
    """Requeue the SLURM job after ``SaveOnSignal`` saved and stopped on ``signal_name``.

    Args:
        signal_name: the requeue signal; must match the sbatch ``--signal`` (``USR1`` by default) and
            be one of ``SaveOnSignal.signals``. Other signals (SIGTERM at preemption or the time
            limit) save and stop without a requeue: a partition with ``PreemptMode=REQUEUE``
            requeues by itself.
        requeue: requeue at all (only under SLURM).
        requeue_command: the command, to which the job id is appended, for scripts that do not
            requeue from the batch step (tests pass a fake one).
    """

    def __init__(
        self,
        signal_name: str = "SIGUSR1",
        requeue: bool = True,
        requeue_command: Sequence[str] = ("scontrol", "requeue"),
    ) -> None:
        self.signum = signal_number(signal_name, "SlurmRequeue.signal_name")
        self.requeue = requeue
        self.requeue_command = list(requeue_command)
        self.saver: SaveOnSignal | None = None

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        savers = [c for c in trainer.callbacks if isinstance(c, SaveOnSignal)]
        if not savers or self.signum not in savers[0].signals:
            raise RuntimeError(
                f"SlurmRequeue needs polytrain.callbacks.signals.SaveOnSignal handling {self.signum.name} in "
                "trainer.callbacks (configs/base.yaml has it): nothing would save before the requeue")
        self.saver = savers[0]

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        restarts = int(os.environ.get("SLURM_RESTART_COUNT", "0") or 0)
        rank_zero_info(f"SlurmRequeue: {self.signum.name} saves and requeues; training from step "
                       f"{trainer.global_step}, SLURM_RESTART_COUNT={restarts}")
        if restarts > 0 and trainer.global_step == 0:
            rank_zero_warn(
                f"SLURM restart {restarts} of job {os.environ.get('SLURM_JOB_ID')} starts at step 0: no checkpoint "
                f"was found in {checkpoint_dir(trainer)}; is --ckpt_path auto (or last) on the command line?"
            )

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        saver = self.saver
        if stage != "fit" or saver is None or saver.stopped_by != self.signum or not self.requeue:
            return
        request = os.environ.get(REQUEUE_FILE_VARIABLE)
        if request:
            if trainer.is_global_zero:
                self.request_requeue(Path(request), str(saver.saved_path))
            return
        saver.barrier()  # every rank is past fit: the requeue ends this job's processes
        if trainer.is_global_zero:
            self.run_requeue(str(saver.saved_path))

    def request_requeue(self, request: Path, saved: str, environ: Mapping[str, str] | None = None) -> None:
        """Ask the batch script to requeue the job once ``srun`` has returned: write ``request``."""
        job = slurm_job_id(environ)
        if job is None:
            rank_zero_info(f"SlurmRequeue: not under SLURM (no SLURM_JOB_ID); resume with --ckpt_path {saved}")
            return
        request.write_text(f"{job}\n")
        rank_zero_info(f"SlurmRequeue: asked for a requeue of SLURM job {job} ({request}); the batch script "
                       f"requeues it when every rank has exited, and it resumes from {saved}")

    def run_requeue(self, saved: str, environ: Mapping[str, str] | None = None) -> bool:
        """Run ``requeue_command <job id>``; True when it succeeded. Outside SLURM only logs and returns False."""
        job = slurm_job_id(environ)
        if job is None:
            rank_zero_info(f"SlurmRequeue: not under SLURM (no SLURM_JOB_ID); resume with --ckpt_path {saved}")
            return False
        command = [*self.requeue_command, job]
        try:
            proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
        except (FileNotFoundError, subprocess.TimeoutExpired) as error:
            rank_zero_warn(f"SlurmRequeue: `{' '.join(command)}` failed ({error}); {saved} is saved: "
                           f"resubmit job {job} by hand")
            return False
        if proc.returncode != 0:
            rank_zero_warn(f"SlurmRequeue: `{' '.join(command)}` exited {proc.returncode}: {proc.stderr.strip()}; "
                           f"{saved} is saved: resubmit job {job} by hand")
            return False
        rank_zero_info(f"SlurmRequeue: requeued SLURM job {job}; it resumes from {saved}")
        return True
