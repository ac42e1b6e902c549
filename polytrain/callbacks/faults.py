"""Training faults: non-finite steps skipped and counted, stalls named, skipped data counted.

- :class:`NonFiniteGuard`: a NaN/Inf loss or gradient skips the optimizer update (the weights and
  the optimizer state do not change) and is counted; after ``max_consecutive_nonfinite`` such steps
  in a row, the run saves ``last.ckpt`` and stops with :class:`TrainingAborted`.
- :class:`StallWatchdog`: a thread that warns, naming the rank and the phase (data wait,
  forward/backward, optimizer, validation, checkpoint) and dumping every thread's stack, when a
  phase lasts far longer than the running median step. It never stops the run.
- :class:`DataCounters`: the stream's skip counters (``Batch.stats``: corrupt shards, invalid
  UTF-8, refused members...) summed over ranks and logged cumulatively as ``data/<counter>``.
"""

from __future__ import annotations

import faulthandler
import logging
import statistics
import tempfile
import threading
import time
from collections import deque
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.plugins.precision import MixedPrecision
from lightning.pytorch.utilities.rank_zero import rank_zero_info

from polytrain.callbacks.checkpoint import save_last
from polytrain.distributed.collectives import all_ranks_sum
from polytrain.shards import reader as shard_reader

log = logging.getLogger(__name__)


class TrainingAborted(RuntimeError):
    """Training cannot usefully continue; the state before the fault is saved and named."""


# ------------------------------------------------------------------------------------ NaN / Inf


class NonFiniteGuard(Callback):
    """Skips optimizer updates whose loss or gradients are not finite, counts them, stops after a run of them.

    Checked in ``on_before_optimizer_step`` (after backward and the DDP gradient all-reduce, before
    clipping and the update): if the loss of any micro-batch since the last update, or any gradient,
    holds a NaN or Inf, every gradient is set to ``None``, so the optimizer leaves the weights and
    its own state (moments, step count) untouched; the learning-rate schedule and ``global_step``
    still advance, and the data stream moves past the batch. The ranks agree on the decision (one
    scalar all-reduce). With ``16-mixed`` only the loss is checked: the GradScaler already skips
    and rescales on gradient overflow, which is routine there.

    Cost: one device-to-host read of one boolean per optimizer step.

    Logs ``train/nonfinite_skipped`` (cumulative; saved in checkpoints).

    Args:
        max_consecutive_nonfinite: after this many skipped steps in a row, save ``last.ckpt`` (the
            weights from before the first of them) and raise :class:`TrainingAborted`.
    """

    def __init__(self, max_consecutive_nonfinite: int = 10) -> None:
        if max_consecutive_nonfinite < 1:
            raise ValueError(f"NonFiniteGuard.max_consecutive_nonfinite must be >= 1, got {max_consecutive_nonfinite}")
        self.max_consecutive = max_consecutive_nonfinite
        self.skipped = 0
        """Optimizer steps skipped since the run began (resumes included)."""
        self.consecutive = 0
        self.skipped_steps: deque[int] = deque(maxlen=100)
        """The most recent skipped ``global_step`` values (the step that would have been taken)."""
        self._loss_ok: torch.Tensor | None = None
        self._decided = False
        self._step_skipped = False

    def on_before_backward(self, trainer: Trainer, pl_module: LightningModule, loss: torch.Tensor) -> None:
        # Stays a device tensor until on_before_optimizer_step: no synchronisation per micro-batch.
        finite = torch.isfinite(loss.detach()).all()
        self._loss_ok = finite if self._loss_ok is None else self._loss_ok & finite

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule,
                                 optimizer: torch.optim.Optimizer) -> None:
        ok = torch.ones((), dtype=torch.bool, device=pl_module.device) if self._loss_ok is None else self._loss_ok
        self._loss_ok = None
        params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        scaled = isinstance(trainer.precision_plugin, MixedPrecision) and trainer.precision_plugin.scaler is not None
        if params and not scaled:
            norms = torch._foreach_norm([_local(p.grad) for p in params])  # fused, per device and dtype
            ok = ok & torch.isfinite(torch.stack([n.to(ok.device, torch.float32) for n in norms])).all()
        bad = all_ranks_sum(trainer, (~ok).to(torch.float32).reshape(1))
        self._decided, self._step_skipped = True, bool(bad.item() > 0)
        if self._step_skipped:
            for group in optimizer.param_groups:
                for p in group["params"]:
                    p.grad = None  # the optimizer leaves parameters without a gradient (and their state) alone

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if not self._decided:
            return  # a micro-batch of gradient accumulation: no optimizer step yet
        self._decided = False
        if self._step_skipped:
            self._count_skip(trainer, batch_idx)
        else:
            self.consecutive = 0
        pl_module.log("train/nonfinite_skipped", float(self.skipped), on_step=True, on_epoch=False, batch_size=1)
        if self.consecutive >= self.max_consecutive:
            path = save_last(trainer)
            last = self.skipped_steps[-1]
            first = last - self.consecutive + 1
            raise TrainingAborted(
                f"{self.consecutive} optimizer steps in a row had a non-finite loss or gradient "
                f"(steps {first}-{last}); saved {path} with the weights from before step {first}. Lower the "
                f"learning rate, check the data of those batches, or raise NonFiniteGuard.max_consecutive_nonfinite")

    def _count_skip(self, trainer: Trainer, batch_idx: int) -> None:
        step = trainer.global_step - 1  # the step that would have been taken (global_step has advanced)
        self.skipped += 1
        self.consecutive += 1
        self.skipped_steps.append(step)
        if trainer.is_global_zero:
            log.warning("non-finite loss or gradient at step %d (batch %d): update skipped (%d in a row, %d in all)",
                        step, batch_idx, self.consecutive, self.skipped)

    def state_dict(self) -> dict[str, Any]:
        return {"skipped": self.skipped, "consecutive": self.consecutive, "skipped_steps": list(self.skipped_steps)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.skipped = int(state_dict.get("skipped", 0))
        self.consecutive = 0  # a resumed run gets a fresh budget of consecutive failures
        self.skipped_steps = deque(state_dict.get("skipped_steps", []), maxlen=100)


def _local(t: torch.Tensor) -> torch.Tensor:
    """The local shard of a DTensor (FSDP2 gradients), the tensor itself otherwise."""
    return t.to_local() if hasattr(t, "to_local") else t


# ------------------------------------------------------------------------------------ watchdog

DATA_WAIT = "data wait"
FORWARD_BACKWARD = "forward/backward"
OPTIMIZER = "optimizer"
VALIDATION = "validation"
CHECKPOINT = "checkpoint"
STARTUP = "startup"


class StallWatchdog(Callback):
    """Warns, naming the rank and the phase, when a training phase lasts far longer than usual.

    A daemon thread wakes every ``poll_seconds``. The current phase (``data wait``,
    ``forward/backward``, ``optimizer``, ``validation`` per batch, ``checkpoint`` from the start of
    a save until the next step) is compared with ``max(min_seconds, factor x median step time)``
    over the last ``window`` steps (``startup_seconds`` until ``warmup_steps`` steps were timed).
    Past it, one warning on this rank names the phase and the step, followed by the stack of every
    thread (``faulthandler.dump_traceback``); it warns again each time the stall doubles. It never
    stops the run: a slow collective or filesystem may still complete.

    Args:
        factor: how many median steps a phase may take.
        min_seconds: never warn before this (short steps have noisy medians).
        startup_seconds: the limit before ``warmup_steps`` steps were timed (includes compilation).
        poll_seconds: how often the thread looks.
        window: steps in the running median.
        warmup_steps: steps timed before the median is trusted.
    """

    def __init__(self, factor: float = 10.0, min_seconds: float = 60.0, startup_seconds: float = 900.0,
                 poll_seconds: float = 1.0, window: int = 100, warmup_steps: int = 5) -> None:
        if factor <= 1 or min_seconds < 0 or poll_seconds <= 0 or window < 1 or warmup_steps < 1:
            raise ValueError("StallWatchdog needs factor > 1, min_seconds >= 0, poll_seconds > 0, window >= 1, "
                             f"warmup_steps >= 1; got factor={factor}, min_seconds={min_seconds}, "
                             f"poll_seconds={poll_seconds}, window={window}, warmup_steps={warmup_steps}")
        self.factor, self.min_seconds, self.startup_seconds = factor, min_seconds, startup_seconds
        self.poll_seconds, self.warmup_steps = poll_seconds, warmup_steps
        self.durations: deque[float] = deque(maxlen=window)
        self.warnings: list[str] = []
        """Every warning issued (without the stacks), for tests and post-mortems."""
        self._phase: tuple[str, int, float] = (STARTUP, 0, time.monotonic())
        self._step_started: float | None = None
        self._rank = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------- phase bookkeeping
    def _enter(self, name: str, trainer: Trainer) -> None:
        self._phase = (name, trainer.global_step, time.monotonic())  # one assignment: read whole by the thread

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._rank = trainer.global_rank
        self._phase = (STARTUP, trainer.global_step, time.monotonic())
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name=f"polytrain-watchdog-rank{self._rank}", daemon=True)
        self._thread.start()

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._enter(DATA_WAIT, trainer)
        self._step_started = time.monotonic()

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        if self._step_started is None:
            self._step_started = time.monotonic()
        self._enter(FORWARD_BACKWARD, trainer)

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule,
                                 optimizer: torch.optim.Optimizer) -> None:
        self._enter(OPTIMIZER, trainer)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        now = time.monotonic()
        if self._step_started is not None:
            self.durations.append(now - self._step_started)  # data wait + forward/backward + optimizer
        self._step_started = now
        self._enter(DATA_WAIT, trainer)

    def on_validation_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int,
                                  dataloader_idx: int = 0) -> None:
        self._enter(VALIDATION, trainer)

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._enter(VALIDATION, trainer)

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._enter(DATA_WAIT, trainer)
        self._step_started = None  # the next step's time starts when its batch arrives

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        self._enter(CHECKPOINT, trainer)
        self._step_started = None  # a step that includes a save is not a typical step

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self._halt()

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._halt()

    def _halt(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5 * self.poll_seconds)
        self._thread = None

    # -------------------------------------------------------------------- the thread
    def threshold(self) -> float:
        """Seconds the current phase may last before a warning."""
        if len(self.durations) < self.warmup_steps:
            return max(self.min_seconds, self.startup_seconds)
        return max(self.min_seconds, self.factor * statistics.median(self.durations))

    def _watch(self) -> None:
        warned_at: tuple[str, int, float] | None = None
        next_limit = 0.0
        while not self._stop.wait(self.poll_seconds):
            phase = self._phase
            name, step, started = phase
            elapsed = time.monotonic() - started
            if phase != warned_at:
                next_limit = self.threshold()
            if elapsed <= next_limit:
                continue
            warned_at, next_limit = phase, 2 * elapsed
            self._report(name, step, elapsed)

    def _report(self, name: str, step: int, elapsed: float) -> None:
        median = statistics.median(self.durations) if self.durations else float("nan")
        message = (f"watchdog: rank {self._rank} has been in phase '{name}' for {elapsed:.1f}s at step {step} "
                   f"(median step {median:.3f}s, limit {self.threshold():.1f}s; the run continues); "
                   f"stacks of rank {self._rank}:")
        self.warnings.append(message)
        log.warning("%s\n%s", message, _stacks())


def _stacks() -> str:
    """Every thread's Python stack, as ``faulthandler.dump_traceback`` writes it."""
    with tempfile.TemporaryFile(mode="w+") as f:
        faulthandler.dump_traceback(file=f, all_threads=True)
        f.seek(0)
        return f.read()


# ------------------------------------------------------------------------------------ data counters

COUNTERS: tuple[str, ...] = (
    shard_reader.REFUSED_MEMBER, shard_reader.OVERSIZED_MEMBER, shard_reader.INVALID_UTF8, shard_reader.INVALID_JSON,
    shard_reader.DUPLICATE_MEMBER, shard_reader.NONCONTIGUOUS_KEY, shard_reader.MISSING_TEXT, shard_reader.EMPTY_TEXT,
    shard_reader.CORRUPT_SHARD, shard_reader.EMPTY_SHARD,
)
"""The stream's counters, in a fixed order (every rank all-reduces the same vector)."""


class DataCounters(Callback):
    """Logs the data skipped during training: ``data/<counter>``, cumulative, summed over ranks.

    The stream counts what it skips (``polytrain.shards.reader``: one sample per ``invalid_utf8``,
    ``missing_text``...; one event per ``corrupt_shard``, whose remaining samples are lost) and
    ships the increments in each ``Batch.stats``; the per-shard detail is in the stream's warnings.
    Counted here when the batch reaches training, so batches read ahead but never trained on are
    not counted. Every ``trainer.log_every_n_steps`` steps the ranks sum their counts (one
    all-reduce) and every counter is logged, zeros included. Totals are saved in checkpoints.
    """

    def __init__(self) -> None:
        self.local: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        """This rank's counts (on rank 0, plus the totals restored from a checkpoint)."""
        self.totals: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        """The sum over ranks at the last synchronisation."""
        self._restored: dict[str, int] | None = None
        self._last_step = -1

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._restored is not None:
            base = self._restored if trainer.global_rank == 0 else {}  # saved totals are already summed
            self.local = {name: int(base.get(name, 0)) for name in COUNTERS}
            self.totals = {name: int(self._restored.get(name, 0)) for name in COUNTERS}
            self._restored = None
        self._last_step = trainer.global_step

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        for key, n in (getattr(batch, "stats", None) or {}).items():
            if ":" not in key:  # "name:url" keys repeat the count per shard
                self.local[key] = self.local.get(key, 0) + int(n)
        if trainer.global_step == self._last_step:
            return  # accumulating gradients: the same step
        self._last_step = trainer.global_step
        if trainer.global_step % max(1, trainer.log_every_n_steps) == 0:
            self._sync(trainer)
        for name in COUNTERS:
            pl_module.log(f"data/{name}", float(self.totals[name]), on_step=True, on_epoch=False, batch_size=1)

    def _sync(self, trainer: Trainer) -> None:
        local = torch.tensor([float(self.local.get(name, 0)) for name in COUNTERS],
                             device=trainer.strategy.root_device, dtype=torch.float64)
        summed = all_ranks_sum(trainer, local).cpu().tolist()
        self.totals = {name: int(v) for name, v in zip(COUNTERS, summed)}

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._sync(trainer)
        lost = {k: v for k, v in self.totals.items() if v}
        if lost:
            rank_zero_info("data skipped and counted during training (see the warnings for the shards): "
                           + ", ".join(f"{n} {k}" for k, n in lost.items()))

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        # Every rank saves together (Trainer.save_checkpoint), so the totals can be summed here.
        if trainer.state.fn == "fit" and "callbacks" in checkpoint:
            self._sync(trainer)
            checkpoint["callbacks"][self.state_key] = dict(self.totals)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.totals)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored = {k: int(v) for k, v in state_dict.items()}
