"""A checkpoint on every stop: save ``last.ckpt`` at a step boundary every rank agrees on (docs/reliability.md).

:class:`SaveOnSignal` is in ``configs/base.yaml``, so every run (not only SLURM runs) keeps its
training when it is told to stop, and a crash loses at most ``every_minutes`` of it:

1. **Signal.** SIGTERM (``kill``, preemption, a scheduler's time limit), SIGINT (Ctrl-C) and SIGUSR1
   (SLURM's ``--signal=USR1@N``) only set a flag. Saving inside the handler would start a collective
   at whatever point each rank was interrupted. A second Ctrl-C stops at once, without a save.
2. **Agree.** After every optimizer step (every ``check_every``), the ranks take the MAX of their
   flags with one 1-element ``all_reduce`` on a CPU (gloo) group: they act at the same step, or none
   does, and never in the middle of gradient accumulation. The time cadence rides on the same value.
3. **Save.** Every rank calls ``trainer.save_checkpoint(<ModelCheckpoint dirpath>/last.ckpt)``. On a
   signal the trainer then stops without the validation Lightning runs when ``should_stop`` is set
   (it could take the whole time before the scheduler's SIGKILL): ``fit`` returns and the process
   exits 0. ``--ckpt_path auto`` resumes from that file.

Lightning's own handlers stand aside: its SIGTERM handler (which broadcasts inside the handler and
then raises) is replaced, and its SLURM auto-requeue installs a SIGUSR1 handler only where none
exists. Requeueing a SLURM job is the extra of ``polytrain.callbacks.requeue.SlurmRequeue``.
"""

from __future__ import annotations

import os
import signal
import time
from types import FrameType
from typing import Any, Literal

import torch
import torch.distributed as dist
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_warn

from polytrain.callbacks.checkpoint import save_last
from polytrain.compat import is_lightning_signal_handler

STOP_SIGNALS = ("SIGUSR1", "SIGUSR2", "SIGHUP", "SIGINT", "SIGTERM")
"""The signals that may stop a run, by precedence: when ranks received different ones, the agreed
one is the latest in this order (a SIGTERM anywhere means the job ends; SIGUSR1 asks it to come back)."""
_NONE, _TIMED = 0, 1  # flag values below the signals' (2 + index in STOP_SIGNALS)


def _code(signum: int) -> int:
    return 2 + STOP_SIGNALS.index(signal.Signals(signum).name)


def _signal_of(code: int) -> signal.Signals:
    return signal.Signals[STOP_SIGNALS[code - 2]]


def signal_number(name: str, owner: str) -> signal.Signals:
    """``"USR1"`` or ``"SIGUSR1"`` -> ``signal.SIGUSR1``; ``owner`` names the option in the error.

    Raises:
        ValueError: not one of :data:`STOP_SIGNALS`.
    """
    full = name.upper() if name.upper().startswith("SIG") else f"SIG{name.upper()}"
    if full not in STOP_SIGNALS:
        raise ValueError(f"{owner}: {name!r} is not a stop signal polytrain handles ({', '.join(STOP_SIGNALS)})")
    return signal.Signals[full]


class SaveOnSignal(Callback):
    """Save ``last.ckpt`` and stop on a signal; save it every ``every_minutes`` too. Both at an agreed step.

    Args:
        signals: the signals that save and stop (any of ``SIGTERM``, ``SIGINT``, ``SIGUSR1``,
            ``SIGUSR2``, ``SIGHUP``). SLURM sends SIGUSR1 before the time limit (``--signal``) and
            SIGTERM at preemption and at the limit, ``KillWait`` seconds (30 by default) before SIGKILL.
        every_minutes: also save ``last.ckpt`` (and continue) when this many minutes of training
            have passed since the last full checkpoint of any kind, so that a crash loses at most
            about this much work; ``None`` turns it off. On top of the validation checkpoints.
        check_every: agree every this many optimizer steps (1: react at the next step). The agreement
            is one 1-element all_reduce on a CPU group per check: no GPU synchronisation.
        dirpath: where ``last.ckpt`` goes; default: the first ModelCheckpoint's ``dirpath`` (where
            ``--ckpt_path auto|last`` looks), else ``<default_root_dir>/checkpoints``.
        on_conflict: when another library already handles one of ``signals``: ``"error"`` (refuse
            to start, naming the handler) or ``"warn"`` (replace it). Lightning's handlers are replaced.
    """

    def __init__(
        self,
        signals: list[str] = ["SIGTERM", "SIGINT", "SIGUSR1"],  # noqa: B006 - read only
        every_minutes: float | None = 30.0,
        check_every: int = 1,
        dirpath: str | None = None,
        on_conflict: Literal["error", "warn"] = "error",
    ) -> None:
        if check_every < 1:
            raise ValueError(f"SaveOnSignal.check_every={check_every} must be at least 1")
        if every_minutes is not None and every_minutes <= 0:
            raise ValueError(f"SaveOnSignal.every_minutes={every_minutes} must be positive (or null: off)")
        self.signals = [signal_number(name, "SaveOnSignal.signals") for name in signals]
        self.every_seconds = None if every_minutes is None else 60.0 * every_minutes
        self.check_every = check_every
        self.dirpath = dirpath
        self.on_conflict = on_conflict
        self.received = _NONE  # set by the handler only; read at step boundaries
        self._interrupted = False  # a first Ctrl-C came
        self.stopped_by: signal.Signals | None = None
        """The agreed signal that stopped this fit, once its checkpoint is saved."""
        self.saved_path: str | None = None
        """The checkpoint written on that signal."""
        self._main_pid = os.getpid()
        self._previous: dict[signal.Signals, Any] = {}
        self._group: Any = None
        self._last_step = -1
        self._last_save = time.monotonic()
        self._limit_val_batches: int | float | None = None

    # ------------------------------------------------------------------------------------- signals

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: records the signal (a second Ctrl-C raises ``KeyboardInterrupt`` at once)."""
        if os.getpid() != self._main_pid:
            return  # a forked DataLoader worker: the training process acts, the worker carries on
        if signum == signal.SIGINT:
            if self._interrupted:
                signal.default_int_handler(signum, frame)  # the user insists: stop now, without a save
            self._interrupted = True
        if self.received < _code(signum):
            os.write(2, f"polytrain: {signal.Signals(signum).name} received: saving at the next step boundary"
                        f"{' (Ctrl-C again: stop now, without a checkpoint)' if signum == signal.SIGINT else ''}\n"
                     .encode())
        self.received = max(self.received, _code(signum))

    def install(self) -> None:
        """Install the handlers; idempotent (called again where Lightning re-wraps SIGTERM)."""
        self._main_pid = os.getpid()
        for signum in self.signals:
            current = signal.getsignal(signum)
            if current == self.handle:
                continue
            if current not in (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler, None):
                self._check_conflict(signum, current)
            self._previous.setdefault(signum, current)
            signal.signal(signum, self.handle)

    def _check_conflict(self, signum: signal.Signals, previous: Any) -> None:
        if isinstance(getattr(previous, "__self__", None), SaveOnSignal):
            return  # left by an earlier fit in this process: replaced
        if is_lightning_signal_handler(previous, self.handle):
            if signum == signal.SIGUSR1:  # Lightning always owns SIGTERM; only its auto-requeue is news
                rank_zero_warn(
                    "SaveOnSignal replaces Lightning's SIGUSR1 auto-requeue handler (it saves inside the handler); "
                    "set trainer.plugins SLURMEnvironment(auto_requeue=false), see configs/trainer/slurm.yaml"
                )
            return
        owner = getattr(previous, "__qualname__", None) or type(previous).__qualname__
        module = getattr(previous, "__module__", "?")
        message = (
            f"{signum.name} already has a handler ({module}.{owner}), installed by another library (submitit? "
            f"NCCL?); SaveOnSignal would replace it. Remove that handler or set SaveOnSignal(on_conflict='warn')"
        )
        if self.on_conflict == "error":
            raise RuntimeError(message)
        rank_zero_warn(message)

    def restore(self) -> None:
        """Put back the handlers found at :meth:`install` (Lightning's own ones: the default)."""
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
            self.saved_path, self.stopped_by = None, None  # a new fit (a signal received already stays)
            self.install()

    def on_sanity_check_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.install()  # Lightning wrapped SIGTERM after setup(); take it back before workers fork

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.install()
        self._last_step = trainer.global_step
        self._last_save = time.monotonic()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # A CPU group: agreeing on a flag must not wait for the GPU stream every step.
            self._group = None if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        self._last_save = time.monotonic()  # any full checkpoint (validation, timed, signal) restarts the clock

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        step = trainer.global_step
        if self.saved_path is not None or step == self._last_step:
            return  # stopping already (min_steps may delay it), or within an accumulated step
        self._last_step = step
        if step % self.check_every:
            return
        due = self.every_seconds is not None and time.monotonic() - self._last_save >= self.every_seconds
        agreed = self._agree(max(self.received, _TIMED if due else _NONE))
        if agreed == _TIMED:
            # Not marked as ModelCheckpoint's save of this step: a validation at this very step still
            # writes its top-k checkpoint.
            path = save_last(trainer, self.dirpath, mark_saved=False)
            rank_zero_info(f"SaveOnSignal: saved {path} at step {step} (every {self.every_seconds / 60:g} min)")
        elif agreed > _TIMED:
            self._stop(trainer, _signal_of(agreed))

    def _stop(self, trainer: Trainer, signum: signal.Signals) -> None:
        path = save_last(trainer, self.dirpath)
        self.saved_path, self.stopped_by = path, signum
        trainer.should_stop = True
        # Lightning validates before stopping when should_stop is set in the middle of an epoch; a
        # full validation can use up the time before SIGKILL. Validation is off until teardown.
        self._limit_val_batches, trainer.limit_val_batches = trainer.limit_val_batches, 0
        rank_zero_info(f"SaveOnSignal: {signum.name} received; saved {path} at step {trainer.global_step} "
                       "and stopping (no validation)")

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self.restore()
        if self._limit_val_batches is not None:  # the same trainer may validate later
            trainer.limit_val_batches, self._limit_val_batches = self._limit_val_batches, None
        if stage == "fit" and self.saved_path is not None:
            self.received, self._interrupted = _NONE, False

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self.restore()  # teardown() is not called after an exception

    def _agree(self, flag: int) -> int:
        """The MAX of every rank's ``flag`` (this rank's alone when not distributed)."""
        if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return flag
        tensor = torch.tensor([flag], dtype=torch.int32)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX, group=self._group)
        return int(tensor.item())

    def barrier(self) -> None:
        """Wait for every rank on this callback's CPU group (after ``fit``: no GPU work is left)."""
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.barrier(group=self._group)
