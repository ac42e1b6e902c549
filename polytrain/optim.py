"""AdamW with decoupled weight decay and a warmup-then-decay learning-rate schedule."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn


@dataclass
class OptimizerConfig:
    """AdamW and learning-rate schedule. Defaults follow RoBERTa/XLM-R pretraining (Liu et al. 2019, Table 9)."""

    lr: float = 5e-4
    """Peak learning rate, reached at the end of warmup."""
    weight_decay: float = 0.01
    """Decoupled weight decay (Loshchilov & Hutter 2019); never applied to biases and norm weights."""
    betas: tuple[float, float] = (0.9, 0.98)
    """Adam betas; beta2 = 0.98 for stability with large batches (RoBERTa §3.1)."""
    eps: float = 1e-6
    """Adam epsilon (RoBERTa §3.1)."""
    warmup_steps: int = 1000
    """Linear warmup from 0 to ``lr`` over this many optimizer steps."""
    schedule: Literal["linear", "cosine", "constant"] = "linear"
    """Decay after warmup, down to ``min_lr_ratio * lr`` at ``trainer.max_steps``."""
    min_lr_ratio: float = 0.0
    """Final learning rate as a fraction of ``lr``."""
    fused: bool | None = None
    """Fused AdamW kernel (one kernel per parameter group instead of one per operation). None uses it
    when every parameter is a floating-point tensor on a device torch fuses for (CPU, CUDA); torch's
    own default (``fused=None``) would take the slower ``foreach`` path. On 2 CPU cores it made the
    tiny model's whole training step 4-8 % faster (docs/benchmarks.md)."""

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.warmup_steps < 0 or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"optimizer: need lr > 0, warmup_steps >= 0, 0 <= min_lr_ratio <= 1; got {self}")


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: matrices and embeddings decay; biases and LayerNorm weights (ndim < 2) do not."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


FUSED_DEVICES = ("cpu", "cuda")
"""Device types whose fused AdamW kernel polytrain chooses by default (torch has it for both since 2.4)."""


def build_optimizer(params: Iterable[dict], cfg: OptimizerConfig) -> torch.optim.AdamW:
    """AdamW over ``params`` (from ``param_groups``); fused where ``cfg.fused`` allows it."""
    groups = list(params)
    fused = cfg.fused if cfg.fused is not None else can_fuse(p for g in groups for p in g["params"])
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, fused=fused)


def can_fuse(params: Iterable[torch.Tensor]) -> bool:
    """True when every parameter is floating point on a device of ``FUSED_DEVICES``."""
    params = list(params)
    return bool(params) and all(p.is_floating_point() and p.device.type in FUSED_DEVICES for p in params)


def lr_factor(step: int, cfg: OptimizerConfig, total_steps: int) -> float:
    """Multiplier of ``cfg.lr`` at optimizer step ``step`` (0-based): warmup, then decay to ``min_lr_ratio``."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant" or total_steps <= cfg.warmup_steps:
        return 1.0
    progress = min(1.0, (step - cfg.warmup_steps) / (total_steps - cfg.warmup_steps))
    decay = 1.0 - progress if cfg.schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * progress))
    return cfg.min_lr_ratio + (1.0 - cfg.min_lr_ratio) * decay


def warmup_problem(cfg: OptimizerConfig, total_steps: int) -> str | None:
    """Why the schedule cannot do what it says in ``total_steps`` steps, or ``None``: a warmup of
    ``total_steps`` or more never reaches ``lr`` and never decays (a 50-step run with a 1000-step
    warmup trains at 5 % of its learning rate at most)."""
    if total_steps <= 0 or cfg.warmup_steps < total_steps:
        return None
    reached = lr_factor(total_steps - 1, cfg, total_steps)
    return (f"model.optimizer.warmup_steps={cfg.warmup_steps} >= trainer.max_steps={total_steps}: the whole run is "
            f"warmup, the learning rate reaches {reached:.1%} of lr={cfg.lr:g} at the last step and never decays; "
            "give fewer warmup steps (--model.optimizer.warmup_steps, commonly 1-10 % of max_steps)")
