"""Save, stop and requeue on SLURM's pre-timeout signal, at a step boundary that every rank agrees on.

Lightning's own ``SLURMEnvironment(auto_requeue=True)`` saves *inside* the signal handler on every
rank: a collective started at whatever point each rank was interrupted (maybe inside another
collective), by a handler that any earlier handler (submitit, NCCL) silently disables, and that
DataLoader workers also receive. ``SlurmRequeue`` replaces it (docs/slurm.md, "Requeue"):

1. the handler only sets a flag (in the training process; forked DataLoader workers ignore it);
2. after each optimizer step (or every ``check_every``), the ranks take the MAX of their flags with
   one tiny all_reduce on a CPU (gloo) group, so they all act at the same step or none does;
3. every rank calls ``trainer.save_checkpoint(<ModelCheckpoint dirpath>/last.ckpt)`` and the
   trainer stops (``should_stop``): ``fit`` returns normally, exit code 0;
4. after ``fit`` has torn down, rank 0 runs ``scontrol requeue <job id>``; the rerun's
   ``--ckpt_path auto`` (or ``last``) resumes from that checkpoint.

Disable Lightning's handler with the plugin in ``configs/trainer/slurm.yaml``
(``SLURMEnvironment(auto_requeue=False)``). If it is left on, it stands aside: Lightning installs its
SIGUSR1 handler only where none exists, and this callback installs its own first (in ``setup``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, Literal

import torch
import torch.distributed as dist
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_warn

from polytrain.callbacks.checkpoint import save_last
from polytrain.checkpoint.resume import last_checkpoint_path
from polytrain.compat import is_lightning_signal_handler
from polytrain.distributed.slurm import check_slurm_launch


# Flag values; the agreed value is the MAX over ranks, so a SIGTERM anywhere means "save, no requeue".
_NONE, _REQUEUE, _TERM = 0, 1, 2
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
    """On SIGUSR1 (SLURM's ``--signal=USR1@N``): save at the next agreed step, stop, requeue the job.

    Args:
        signal_name: the requeue signal; must match the sbatch ``--signal`` (``USR1`` by default).
        save_on_sigterm: also save and stop on SIGTERM (sent on preemption and at the time limit,
            ``KillWait`` seconds before SIGKILL), without requeueing: a preempting partition with
            ``PreemptMode=REQUEUE`` requeues by itself. Replaces Lightning's SIGTERM handler. Needs
            DataLoader workers that survive SIGTERM (``worker_init_fn=worker_ignore_signals``).
        check_every: agree on the flag every this many optimizer steps (1: react at the next
            step). The agreement is a 1-element all_reduce on a CPU group: no GPU synchronisation.
        requeue: run ``requeue_command`` on rank 0 after saving (only under SLURM).
        requeue_command: the command, to which the job id is appended (tests pass a fake one).
        dirpath: where ``last.ckpt`` goes; default: the first ModelCheckpoint's ``dirpath`` (so
            ``--ckpt_path auto|last`` finds it), else ``<default_root_dir>/checkpoints``.
        on_conflict: what to do when another library already handles the signal: ``"error"``
            (refuse to start) or ``"warn"`` (replace it). A handler of Lightning's own is replaced
            (with a warning for its SIGUSR1 auto-requeue handler).
    """

    def __init__(
        self,
        signal_name: str = "SIGUSR1",
        save_on_sigterm: bool = False,
        check_every: int = 1,
        requeue: bool = True,
        requeue_command: Sequence[str] = ("scontrol", "requeue"),
        dirpath: str | None = None,
        on_conflict: Literal["error", "warn"] = "error",
    ) -> None:
        name = signal_name.upper() if signal_name.upper().startswith("SIG") else f"SIG{signal_name.upper()}"
        if not hasattr(signal, name) or name in ("SIGKILL", "SIGSTOP"):
            raise ValueError(f"SlurmRequeue.signal_name={signal_name!r} is not a catchable signal")
        if check_every < 1:
            raise ValueError(f"SlurmRequeue.check_every={check_every} must be at least 1")
        check_slurm_launch()  # here, at config time: a run without srun would hang in DDP setup
        self.signum = signal.Signals[name]
        self.save_on_sigterm = save_on_sigterm
        self.check_every = check_every
        self.requeue = requeue
        self.requeue_command = list(requeue_command)
        self.dirpath = dirpath
        self.on_conflict = on_conflict
        self.flag = _NONE  # set by the handler; read at step boundaries
        self.saved_path: str | None = None  # the checkpoint written on the signal, once it is written
        self.stop_reason: int = _NONE
        self._main_pid = os.getpid()
        self._previous: dict[signal.Signals, Any] = {}
        self._group: Any = None
        self._last_step = -1

    # ------------------------------------------------------------------------------------- signals

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: only records the signal (saving here would be a collective at a random point)."""
        if os.getpid() != self._main_pid:
            return  # a forked DataLoader worker: the training process acts, the worker carries on
        self.flag = max(self.flag, _TERM if signum == signal.SIGTERM else _REQUEUE)

    def _install(self) -> None:
        """Install the handler(s); idempotent, called again where Lightning may have wrapped SIGTERM."""
        self._main_pid = os.getpid()
        signals = [self.signum] + ([signal.SIGTERM] if self.save_on_sigterm else [])
        for signum in signals:
            current = signal.getsignal(signum)
            if current == self.handle:
                continue
            if current not in (signal.SIG_DFL, signal.SIG_IGN, None):
                self._check_conflict(signum, current)
            self._previous.setdefault(signum, current)
            signal.signal(signum, self.handle)

    def _check_conflict(self, signum: signal.Signals, previous: Any) -> None:
        if isinstance(getattr(previous, "__self__", None), SlurmRequeue):
            return  # left by an earlier fit in this process: replaced
        if is_lightning_signal_handler(previous, self.handle):
            if signum != signal.SIGTERM:  # Lightning always owns SIGTERM; only its auto-requeue is news
                rank_zero_warn(
                    f"SlurmRequeue replaces Lightning's {signum.name} auto-requeue handler (it saves inside the "
                    "handler); set trainer.plugins SLURMEnvironment(auto_requeue=false), see configs/trainer/slurm.yaml"
                )
            return
        owner = getattr(previous, "__qualname__", None) or type(previous).__qualname__
        module = getattr(previous, "__module__", "?")
        message = (
            f"{signum.name} already has a handler ({module}.{owner}), installed by another library (submitit? "
            f"NCCL?); SlurmRequeue would replace it. Remove that handler or set SlurmRequeue(on_conflict='warn')"
        )
        if self.on_conflict == "error":
            raise RuntimeError(message)
        rank_zero_warn(message)

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self.handle:  # Lightning's teardown may have restored already
                keep = previous is not None and not is_lightning_signal_handler(previous, self.handle)
                signal.signal(signum, previous if keep else signal.SIG_DFL)
        self._previous.clear()

    # ------------------------------------------------------------------------------------- hooks

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        # Before any DataLoader worker is forked (the sanity check's validation workers come first),
        # so every worker inherits this handler, which ignores the signal outside the training process.
        if stage == "fit":
            self.saved_path, self.stop_reason = None, _NONE  # a new fit (the flag stays: a signal may be early)
            self._install()

    def on_sanity_check_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._install()  # Lightning wrapped SIGTERM after setup(); take it back before workers fork

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._install()
        self._last_step = trainer.global_step
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # A CPU group: agreeing on a flag must not wait for the GPU stream every step.
            self._group = None if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")
        restarts = int(os.environ.get("SLURM_RESTART_COUNT", "0") or 0)
        rank_zero_info(f"SlurmRequeue: {self.signum.name} saves and requeues; training from step "
                       f"{trainer.global_step}, SLURM_RESTART_COUNT={restarts}")
        if restarts > 0 and trainer.global_step == 0:
            rank_zero_warn(
                f"SLURM restart {restarts} of job {os.environ.get('SLURM_JOB_ID')} starts at step 0: no last.ckpt "
                f"was found in {self.checkpoint_path(trainer)}; is --ckpt_path auto (or last) on the command line?"
            )

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        step = trainer.global_step
        if self.saved_path is not None:
            return  # saved already; stopping (min_steps may delay the stop, never repeat the save)
        if step == self._last_step:
            return  # still accumulating gradients: a checkpoint here would lose the partial sum
        self._last_step = step
        if step % self.check_every:
            return
        reason = self._agree()
        if reason == _NONE:
            return
        path = save_last(trainer, self.dirpath)
        self.saved_path, self.stop_reason = path, reason
        trainer.should_stop = True
        name = "SIGTERM" if reason == _TERM else self.signum.name
        rank_zero_info(f"SlurmRequeue: {name} received; saved {path} at step {step} and stopping")

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self._restore()
        if stage != "fit" or self.saved_path is None:
            return
        self.flag = _NONE
        # After fit has finished (loggers flushed): scontrol requeue kills this job's processes.
        if trainer.is_global_zero and self.requeue and self.stop_reason == _REQUEUE:
            self.run_requeue()

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._restore()  # teardown() is not called after an exception; never requeue a crashed run

    def run_requeue(self, environ: Mapping[str, str] | None = None) -> bool:
        """Run ``requeue_command <job id>``; True when it succeeded. Outside SLURM only logs and returns False."""
        job = slurm_job_id(environ)
        if job is None:
            rank_zero_info(f"SlurmRequeue: not under SLURM (no SLURM_JOB_ID); resume with --ckpt_path {self.saved_path}")
            return False
        command = [*self.requeue_command, job]
        try:
            proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
        except (FileNotFoundError, subprocess.TimeoutExpired) as error:
            rank_zero_warn(f"SlurmRequeue: `{' '.join(command)}` failed ({error}); {self.saved_path} is saved: "
                           f"resubmit job {job} by hand")
            return False
        if proc.returncode != 0:
            rank_zero_warn(f"SlurmRequeue: `{' '.join(command)}` exited {proc.returncode}: {proc.stderr.strip()}; "
                           f"{self.saved_path} is saved: resubmit job {job} by hand")
            return False
        rank_zero_info(f"SlurmRequeue: requeued SLURM job {job}; it resumes from {self.saved_path}")
        return True

    # ------------------------------------------------------------------------------------- helpers

    def _agree(self) -> int:
        """The MAX of every rank's flag (this rank's flag alone when not distributed)."""
        flag = torch.tensor([self.flag], dtype=torch.int32)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._group)
        return int(flag.item())

    def checkpoint_path(self, trainer: Trainer) -> str:
        """``<dir>/last.ckpt``, where ``--ckpt_path auto|last`` looks (see ``dirpath``)."""
        return last_checkpoint_path(trainer, self.dirpath)
