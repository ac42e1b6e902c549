"""Helpers shared by the model tests (a uniquely named module, importable next to them)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

VOCAB = 300
PAD = 1
EOS = 2


@dataclass
class Inputs:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    positions: torch.Tensor
    langs: torch.Tensor


def make_inputs(lengths: list[int], seed: int, width: int | None = None) -> Inputs:
    """Right-padded random token ids with positions 0..len-1 and the given real lengths."""
    gen = torch.Generator().manual_seed(seed)
    width = width or max(lengths)
    ids = torch.randint(5, VOCAB, (len(lengths), width), generator=gen)
    mask = torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]  # (B, T)
    ids = ids.masked_fill(~mask, PAD)
    positions = torch.arange(width).expand(len(lengths), width).masked_fill(~mask, 0)
    langs = torch.randint(0, 3, (len(lengths), width), generator=gen)
    return Inputs(ids, mask, positions, langs)


def randomize(model: torch.nn.Module, seed: int, std: float = 0.05) -> None:
    """Perturb every parameter so zero-initialised biases and LayerNorms are exercised too."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * std)
