"""Tokens per second and learning rate on the progress bar, measured over windows of steps."""

from __future__ import annotations

import time
from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer

from polytrain.types import Batch


class ThroughputBar(Callback):
    """Shows ``tok/s`` (real input tokens per second, this rank) and ``lr`` on the progress bar.

    Token counts come from ``Batch.num_tokens`` (counted on the CPU by the collate function), and
    time is read once per window, so the callback never synchronises the device.

    Args:
        window: optimizer steps per measurement.
    """

    def __init__(self, window: int = 10) -> None:
        self.window = window
        self._tokens = 0
        self._steps = 0
        self._start: float | None = None

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Batch, batch_idx: int) -> None:
        if self._start is None:
            self._start = time.perf_counter()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Batch, batch_idx: int) -> None:
        self._tokens += batch.num_tokens
        self._steps += 1
        if self._steps < self.window or self._start is None:
            return
        elapsed = time.perf_counter() - self._start
        pl_module.log("tok/s", self._tokens / max(elapsed, 1e-9), prog_bar=True, logger=True, batch_size=1)
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        if optimizer is not None:
            pl_module.log("lr", optimizer.param_groups[0]["lr"], prog_bar=True, logger=False, batch_size=1)
        self._tokens, self._steps, self._start = 0, 0, time.perf_counter()
