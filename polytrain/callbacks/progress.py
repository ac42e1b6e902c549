"""Progress of ``fit``: Lightning's Rich bar on a terminal, plain lines in logs (``ProgressLog``).

``ProgressLog`` prints the model's size and training FLOPs per token when training starts, and a
progress line every 30 s where no bar is seen (a SLURM job's output file, ``> train.log``).

Lightning's Rich progress bar, adapted to pretraining on an endless stream:

Lightning's Rich bar prints every float with three decimals (``.3f``), so a learning rate of
2e-4 reads ``lr: 0.000``; and it writes the epoch as ``Epoch 0/<max_epochs - 1>``, which is
``Epoch 0/-2`` when training is bounded by ``max_steps`` only (``max_epochs=-1``, an endless
stream). ``polytrain fit`` uses this bar wherever Lightning would show its Rich bar
(``PolytrainCLI.instantiate_trainer``); a bar given in ``trainer.callbacks`` replaces it.
Lightning's TQDM bar (without ``rich``) already shows ``lr=2e-4`` and ``Epoch 0``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any, Literal

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import RichProgressBar
from torch import nn

from polytrain.distributed.flops import flops_per_token
from polytrain.models.config import ModelConfig
from polytrain.progress import clock

SCIENTIFIC = ("lr",)
"""Progress-bar metrics shown in scientific notation (``2.00e-04``) instead of rounded away."""


def format_metrics(items: dict[str, Any]) -> dict[str, Any]:
    """``items`` with the ``SCIENTIFIC`` values as strings, which the bar prints unchanged."""
    return {k: f"{v:.2e}" if k in SCIENTIFIC and isinstance(v, float) else v for k, v in items.items()}


class StreamProgressBar(RichProgressBar):
    """The Rich bar: ``lr`` in scientific notation; ``Epoch N`` without the ``/-2`` of an endless run."""

    def get_metrics(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, Any]:
        return format_metrics(super().get_metrics(trainer, pl_module))

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        # Lightning appends "/{max_epochs - 1}" whenever max_epochs is set, also to -1 (endless).
        if trainer.max_epochs is not None and trainer.max_epochs >= 0:
            return
        if self.progress is not None and self.train_progress_bar_id is not None:
            # Padded to the validation description, as Lightning does, so the bar does not flicker.
            description = f"{f'Epoch {trainer.current_epoch}':{len(self.validation_description)}}"
            self.progress.update(self.train_progress_bar_id, description=description)


MLM_TARGET_FRACTION = 0.15
"""Share of an encoder's positions that carry a loss, for the FLOPs-per-token estimate printed at the
start: MLM/TLM's 15 % (Devlin et al. 2019 §3.1). An encoder-decoder's every decoder position does."""


def model_size_line(pl_module: LightningModule) -> str | None:
    """``model: N parameters (E in embeddings), F training FLOPs per token ...``, or ``None`` for a
    module without polytrain's ``architecture``, ``vocab`` and ``max_length``."""
    arch, vocab = getattr(pl_module, "architecture", None), getattr(pl_module, "vocab", None)
    length = pl_module.hparams.get("max_length") if isinstance(arch, ModelConfig) else None
    if vocab is None or not isinstance(length, int):
        return None
    params = sum(p.numel() for p in pl_module.parameters())  # a DTensor (FSDP2) counts its full shape
    embeddings = sum(p.numel() for m in pl_module.modules() if isinstance(m, nn.Embedding) for p in m.parameters())
    targets = MLM_TARGET_FRACTION if arch.kind == "encoder" else 1.0
    flops = flops_per_token(arch, arch.padded_vocab_size(vocab.size), length, targets)
    return (f"model: {params:,} parameters ({embeddings:,} in embeddings); {flops:.3g} training FLOPs per token "
            f"(forward + backward, {length}-token inputs, {targets:.0%} of positions with a loss; "
            "polytrain.distributed.flops)")


class ProgressLog(Callback):
    """Plain progress lines for logs: SLURM jobs, ``polytrain fit ... > train.log``, no progress bar.

    On global rank 0, to stdout: the model's size and FLOPs per token when training starts; a line
    at the first step, every ``every_seconds`` seconds (and every ``every_n_steps`` steps, if set)
    and at the last step::

        step 1200/10000 (12%)  loss 3.412  tok/s/device 45,210  lr 4.80e-04  elapsed 0:21:05  eta 2:34:10

    (``loss``: mean training loss over the steps since the previous line, non-finite ones left out
    and counted; ``tok/s/device``: ``ThroughputMonitor``'s ``throughput/tokens_per_s``, when it runs;
    ``lr``: of the first parameter group; ``eta``: the remaining steps at this process's step rate so
    far, validation included), and one line after each validation with ``val/loss`` and its duration.
    ``polytrain fit`` adds it when the config names none (``PolytrainCLI.instantiate_trainer``).

    Args:
        when: ``"auto"``: when stdout is not a terminal or the trainer shows no progress bar (a
            terminal shows the bar instead); ``"always"``; ``"never"`` (also no size line).
        every_seconds: seconds between two lines (wall clock).
        every_n_steps: also a line every this many optimizer steps; ``None``: by time only.
    """

    def __init__(self, when: Literal["auto", "always", "never"] = "auto", every_seconds: float = 30.0,
                 every_n_steps: int | None = None) -> None:
        if not every_seconds > 0 or (every_n_steps is not None and every_n_steps < 1):
            raise ValueError(f"ProgressLog: every_seconds must be > 0 and every_n_steps >= 1 or null, got "
                             f"{every_seconds} and {every_n_steps}")
        self.when, self.every_seconds, self.every_n_steps = when, every_seconds, every_n_steps
        self._active = False
        self._start = self._last_time = self._validation_start = 0.0
        self._first_step = self._last_step = self._printed_step = 0
        self._losses: list[torch.Tensor] = []  # each micro-batch's loss since the last line, on the device

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        shown = sys.stdout.isatty() and trainer.progress_bar_callback is not None
        self._active = trainer.is_global_zero and (self.when == "always" or (self.when == "auto" and not shown))
        if trainer.is_global_zero and self.when != "never" and (line := model_size_line(pl_module)) is not None:
            print(line, flush=True)
        self._start = self._last_time = time.monotonic()
        self._first_step = self._last_step = self._printed_step = trainer.global_step
        self._losses = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if not self._active:
            return
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if isinstance(loss, torch.Tensor):  # kept on the device: reduced and read once per line
            self._losses.append(loss.detach())
        step = trainer.global_step
        if step == self._last_step:  # inside gradient accumulation: no optimizer step yet
            return
        self._last_step = step
        now = time.monotonic()
        due = now - self._last_time >= self.every_seconds or step == self._first_step + 1
        if due or (self.every_n_steps is not None and step % self.every_n_steps == 0):
            self._print_step(trainer, now)

    def _print_step(self, trainer: Trainer, now: float) -> None:
        step, total = trainer.global_step, trainer.max_steps
        parts = [f"step {step}/{total} ({step / total:.0%})" if total and total > 0 else f"step {step}"]
        if self._losses:
            # Lightning divided each loss by the accumulation steps: multiply back.
            losses = torch.stack(self._losses).float() * trainer.accumulate_grad_batches
            finite = losses.isfinite()
            loss_sum, count, skipped = torch.stack([losses[finite].sum(), finite.sum(), (~finite).sum()]).tolist()
            parts.append(f"loss {loss_sum / count:.4g}" if count else "loss -")
            if skipped:
                parts.append(f"({int(skipped)} non-finite)")
        throughput = trainer.callback_metrics.get("throughput/tokens_per_s")
        if throughput is not None:
            parts.append(f"tok/s/device {float(throughput):,.0f}")
        if trainer.optimizers:
            parts.append(f"lr {trainer.optimizers[0].param_groups[0]['lr']:.2e}")
        elapsed = now - self._start
        parts.append(f"elapsed {clock(elapsed)}")
        done = step - self._first_step
        if total and total > 0 and done > 0:
            parts.append(f"eta {clock(elapsed / done * max(total - step, 0))}")
        print("  ".join(parts), flush=True)
        self._last_time, self._printed_step, self._losses = now, step, []

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._validation_start = time.monotonic()

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not self._active or trainer.sanity_checking:
            return
        val_loss = trainer.callback_metrics.get("val/loss")
        shown = f"val/loss {float(val_loss):.4g}" if val_loss is not None else "no val/loss"
        print(f"step {trainer.global_step} validation: {shown} "
              f"({clock(time.monotonic() - self._validation_start)})", flush=True)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._active and trainer.global_step != self._printed_step:
            self._print_step(trainer, time.monotonic())
