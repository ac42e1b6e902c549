"""The fine-tuning loop shared by ``classify`` and ``translate``: a small LightningModule and a Trainer.

AdamW with RoBERTa's betas and epsilon (``polytrain.optim``), linear warmup over the first 10 % of
the steps and linear decay to 0 (the schedule of XLM-R's and mBART's fine-tuning recipes), gradient
clipping at 1.0, seeded shuffling. The pretrained weights are fine-tuned with ``lr``; new
parameters (a classification head) may take a larger ``head_lr``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from lightning.pytorch import LightningModule, Trainer, seed_everything
from torch import nn
from torch.utils.data import DataLoader

from polytrain.optim import OptimizerConfig, build_optimizer, lr_factor, param_groups

WARMUP_FRACTION = 0.1
"""Share of the fine-tuning steps spent warming up (XLM-R's GLUE/XNLI recipe; mBART used 2500 of 40k)."""


@dataclass(frozen=True)
class FineTuneConfig:
    """How long and how fast to fine-tune.

    Attributes:
        epochs: passes over the training file.
        batch_size: examples per step.
        lr: peak learning rate of the pretrained weights.
        head_lr: peak learning rate of new parameters (``None``: ``lr``).
        seed: seeds the new parameters, dropout and the shuffling.
    """

    epochs: int = 3
    batch_size: int = 32
    lr: float = 2e-5
    head_lr: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0 or not (self.head_lr is None or self.head_lr > 0):
            raise ValueError(f"fine-tuning needs epochs >= 1, batch_size >= 1, lr > 0 and head_lr > 0, got {self}")


class FineTune(LightningModule):
    """Base of the fine-tuning modules: the optimizer and schedule of ``config`` over ``model`` and ``head``.

    Args:
        model: the pretrained ``Encoder`` or ``Seq2Seq`` (trained in place).
        head: new parameters (an empty ``nn.Module`` if none).
        config: the fine-tuning settings.
    """

    def __init__(self, model: nn.Module, head: nn.Module, config: FineTuneConfig) -> None:
        super().__init__()
        self.model, self.head, self.config = model, head, config

    def configure_optimizers(self) -> dict:
        cfg = self.config
        total = max(1, int(self.trainer.estimated_stepping_batches))
        schedule = OptimizerConfig(lr=cfg.lr, warmup_steps=int(WARMUP_FRACTION * total), schedule="linear")
        groups = param_groups(self.model, schedule.weight_decay)
        head_groups = [{**g, "lr": cfg.head_lr or cfg.lr} for g in param_groups(self.head, schedule.weight_decay)]
        optimizer = build_optimizer([g for g in groups + head_groups if g["params"]], schedule)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, schedule, total))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def fine_tune(module: FineTune, dataset: Sequence, collate_fn: object) -> None:
    """Train ``module`` on ``dataset`` for ``module.config.epochs`` epochs (CPU or the one GPU there is)."""
    cfg = module.config
    seed_everything(cfg.seed, verbose=False)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, collate_fn=collate_fn,  # type: ignore[arg-type]
                        generator=torch.Generator().manual_seed(cfg.seed))
    quiet = logging.getLogger("lightning.pytorch")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no "GPU available" / "max_epochs reached" lines in the table output
    try:
        trainer = Trainer(max_epochs=cfg.epochs, devices=1, logger=False, enable_checkpointing=False,
                          enable_progress_bar=False, enable_model_summary=False, gradient_clip_val=1.0,
                          num_sanity_val_steps=0)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
            trainer.fit(module.train(), loader)  # Lightning keeps submodules' modes: loading left them in eval
    finally:
        quiet.setLevel(level)
    module.eval()
