"""The all-rank operations polytrain runs outside the model: sums of counters, gathers of state.

Every one is a collective when ``torch.distributed`` runs with more than one process (every rank
must call it, in the same order) and the identity otherwise, so single-process code needs no branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist

if TYPE_CHECKING:
    from lightning.pytorch import Trainer


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_ranks_sum(trainer: Trainer, values: torch.Tensor) -> torch.Tensor:
    """Sum ``values`` over ranks (one collective through the trainer's strategy); unchanged when not distributed."""
    if trainer.world_size > 1 and _distributed():
        return trainer.strategy.reduce(values, reduce_op="sum")
    return values


def gather(value: Any) -> list[Any]:
    """``value`` of every rank, by rank (``all_gather_object``: any picklable plain value)."""
    if _distributed():
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, value)
        return out
    return [value]


def rank_and_world() -> tuple[int, int]:
    """This process's global rank and the world size (``(0, 1)`` when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1
