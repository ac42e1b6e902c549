"""Tokens/s, samples/s and model FLOP utilisation (MFU), measured over windows of batches.

No per-step device synchronisation: the clock is read with ``time.perf_counter`` only at window
boundaries, token counts come from ``Batch.num_tokens`` (counted on the CPU by ``collate``), and
the number of target positions, if the batch does not carry it as a CPU integer
(``Batch.num_targets``), is summed on the device and read once per window. Lightning's
``ThroughputMonitor`` instead calls ``torch.cuda.synchronize()`` every batch.

With an asynchronous device, the host runs ahead of the device by a bounded queue, so over a window
of many steps host time equals device time; the window's last read waits for the device anyway.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn

from polytrain.distributed.flops import peak_bf16_flops, training_flops
from polytrain.models.config import ModelConfig
from polytrain.types import IGNORE_INDEX, Batch

log = logging.getLogger(__name__)

LOW_PRECISION = ("bf16-mixed", "bf16-true", "16-mixed", "16-true")
"""Precisions whose matmuls run on the bf16/fp16 tensor cores ``PEAK_BF16_FLOPS`` describes."""


class ThroughputMonitor(Callback):
    """Logs ``throughput/{tokens_per_s,samples_per_s,tflops_per_s,mfu}`` for this device, every window.

    ``tok/s`` and ``lr`` also go to the progress bar. Time spent in validation is not counted.
    All values are per device (this rank); with data parallelism the job's throughput is the world
    size times as much. MFU is ``training_flops`` (``polytrain.distributed.flops``) per second
    divided by the peak, and is logged only when a peak is known.

    Args:
        window: batches (micro-batches, with gradient accumulation) per measurement.
        peak_flops: peak FLOP/s of one device; ``None`` looks the CUDA device up in
            ``PEAK_BF16_FLOPS`` when the precision is bf16/fp16 (for ``32-true`` or an unlisted
            device, give it here, e.g. 989.5e12 for an H200 in bf16).
    """

    def __init__(self, window: int = 10, peak_flops: float | None = None) -> None:
        if window < 1:
            raise ValueError(f"ThroughputMonitor.window must be >= 1, got {window}")
        if peak_flops is not None and not peak_flops > 0:
            raise ValueError(f"ThroughputMonitor.peak_flops must be > 0, got {peak_flops}")
        self.window = window
        self.peak_flops = peak_flops
        self._peak: float | None = None
        self._validation_started: float | None = None
        self._reset()

    def _reset(self) -> None:
        self._batches = 0
        self._tokens = 0
        self._samples = 0
        self._flops = 0.0
        self._device_targets: torch.Tensor | None = None  # targets of batches without Batch.num_targets
        self._head_flops_per_target = 0.0
        self._start: float | None = None
        self._paused = 0.0

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._peak = self.peak_flops or self._table_peak(trainer)
        self._reset()

    def _table_peak(self, trainer: Trainer) -> float | None:
        device = trainer.strategy.root_device
        if device.type != "cuda":
            return None
        name = torch.cuda.get_device_name(device)
        if str(trainer.precision) not in LOW_PRECISION:
            rank_zero_warn(f"MFU not logged: precision {trainer.precision} has no peak in the table; "
                           "set the callback's peak_flops")
            return None
        peak = peak_bf16_flops(name)
        if peak is None:
            rank_zero_warn(f"MFU not logged: no peak FLOP/s known for {name!r}; set the callback's peak_flops")
        return peak

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Batch,
                           batch_idx: int) -> None:
        if self._start is None:  # the first batch (compilation, lazy init, worker start) is not timed
            self._start = time.perf_counter()
            return
        self._batches += 1
        self._tokens += batch.num_tokens
        self._samples += len(batch.keys)
        self._count_flops(pl_module, batch)
        if self._batches >= self.window:
            self._log_window(trainer, pl_module)

    def _count_flops(self, pl_module: LightningModule, batch: Batch) -> None:
        arch = getattr(pl_module, "architecture", None)
        vocab = getattr(pl_module, "vocab", None)
        if not isinstance(arch, ModelConfig) or vocab is None:
            return
        dec_tokens = dec_len = 0
        if batch.decoder_input_ids is not None:  # real decoder tokens (a CPU count), as for the encoder
            dec_tokens, dec_len = batch.num_decoder_tokens, batch.decoder_input_ids.shape[1]
        shape = (batch.num_tokens, batch.input_ids.shape[1], dec_tokens, dec_len)
        targets = getattr(batch, "num_targets", None)
        if isinstance(targets, int):
            self._flops += self._step_flops(arch, arch.padded_vocab_size(vocab.size), shape, targets)
            return
        # Targets as a device tensor: summed without a sync, read at the window's end.
        count = batch.labels.ne(IGNORE_INDEX).sum()
        self._device_targets = count if self._device_targets is None else self._device_targets + count
        self._flops += self._step_flops(arch, arch.padded_vocab_size(vocab.size), shape, 0)
        self._head_flops_per_target = self._step_flops(arch, arch.padded_vocab_size(vocab.size), (0, 0, 0, 0), 1)

    @staticmethod
    def _step_flops(arch: ModelConfig, vocab_size: int, shape: tuple[int, int, int, int], targets: int) -> float:
        tokens, length, dec_tokens, dec_len = shape
        return training_flops(arch, vocab_size, tokens=tokens, length=length, targets=targets,
                              decoder_tokens=dec_tokens, decoder_length=dec_len).total

    def _log_window(self, trainer: Trainer, pl_module: LightningModule) -> None:
        flops = self._flops
        if self._device_targets is not None:  # the window's one device read
            flops += self._head_flops_per_target * int(self._device_targets.item())
        assert self._start is not None
        elapsed = max(time.perf_counter() - self._start - self._paused, 1e-9)
        values = {
            "throughput/tokens_per_s": self._tokens / elapsed,
            "throughput/samples_per_s": self._samples / elapsed,
            "throughput/tflops_per_s": flops / elapsed / 1e12,
        }
        if self._peak:
            values["throughput/mfu"] = flops / elapsed / self._peak
        pl_module.log_dict(values, logger=True, batch_size=1)
        pl_module.log("tok/s", values["throughput/tokens_per_s"], prog_bar=True, logger=False, batch_size=1)
        if trainer.optimizers:
            pl_module.log("lr", trainer.optimizers[0].param_groups[0]["lr"], prog_bar=True, logger=False, batch_size=1)
        self._reset()
        self._start = time.perf_counter()

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._validation_started = time.perf_counter()

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._start is not None and self._validation_started is not None:
            self._paused += time.perf_counter() - self._validation_started
        self._validation_started = None


ThroughputBar = ThroughputMonitor
"""The earlier name, kept so that configs written before the rename still load."""
