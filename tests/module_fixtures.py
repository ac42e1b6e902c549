"""A tiny PretrainModule architecture and synthetic MLM batches for it, shared by the unit and
integration tiers (the module's math, metrics, precision and scale tests)."""

from __future__ import annotations

import torch

from polytrain.models.config import ModelConfig
from polytrain.module import PretrainModule
from polytrain.types import IGNORE_INDEX, Batch


TINY = ModelConfig(d_model=64, n_layers=2, n_heads=2, d_ff=128, dropout=0.0, attention_dropout=0.0)


def synthetic_batches(module: PretrainModule, n: int, seed: int = 0) -> list[Batch]:
    """MLM-shaped batches (B=4, T=32, ~15 % targets) over the module's ordinary vocabulary."""
    gen = torch.Generator().manual_seed(seed)
    vocab, out = module.vocab, []
    for i in range(n):
        ids = torch.randint(vocab.num_special, vocab.size, (4, 32), generator=gen)
        targets = torch.rand(4, 32, generator=gen) < 0.15
        targets[:, 0] = True  # at least one target per row
        labels = torch.where(targets, ids, torch.full_like(ids, IGNORE_INDEX))
        out.append(Batch(objective=module.objectives[0].name, input_ids=ids.masked_fill(targets, vocab.mask_id),
                         attention_mask=torch.ones(4, 32, dtype=torch.bool),
                         positions=torch.arange(32).expand(4, 32).clone(), langs=torch.zeros(4, 32, dtype=torch.long),
                         labels=labels, lang=[vocab.languages[0]] * 4, keys=[f"b{i}-{j}" for j in range(4)],
                         num_tokens=4 * 32))
    return out
