"""Converters: pad a list of model-agnostic ``Example``s into a ``Batch`` (seqio's feature converters).

Objectives never pad; this is the only place that does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from polytrain.types import IGNORE_INDEX, Batch, Example


def _pad(rows: Sequence[np.ndarray], value: int, multiple_of: int) -> torch.Tensor:
    """Stack 1-D int arrays right-padded with ``value`` to a common length -> (B, T) long."""
    lengths = [len(r) for r in rows]
    length = -(-max(lengths) // multiple_of) * multiple_of
    # np.array of rows of one length is np.stack's result at a third of its cost (per-call overhead).
    if min(lengths) == length:  # packed blocks of a round length: nothing to pad
        return torch.from_numpy(np.array(rows, dtype=np.int64))
    out = np.full((len(rows), length), value, dtype=np.int64)
    if min(lengths) == max(lengths):  # one copy of the whole batch
        out[:, : lengths[0]] = np.array(rows)
    else:
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
    return torch.from_numpy(out)


def _real_tokens(rows: Sequence[np.ndarray], multiple_of: int) -> torch.Tensor:
    """(B, T) bool mask, True where ``rows`` had a token (pad ids may also occur in real text)."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    length = -(-int(lengths.max()) // multiple_of) * multiple_of
    return torch.from_numpy(np.arange(length) < lengths[:, None])


def collate(examples: Sequence[Example], objective: str, pad_id: int, pad_to_multiple_of: int = 8) -> Batch:
    """Pad ``examples`` (all from ``objective``) into a ``Batch``.

    Args:
        examples: non-empty; encoder-decoder examples must all carry ``decoder_input_ids``.
        objective: name of the objective that made them (selects the loss).
        pad_id: the tokenizer's ``<pad>`` id.
        pad_to_multiple_of: round sequence lengths up (tensor-core friendly shapes).
    """
    if not examples:
        raise ValueError("collate needs at least one example")
    input_ids = _pad([e.input_ids for e in examples], pad_id, pad_to_multiple_of)
    decoder = examples[0].decoder_input_ids is not None
    batch = Batch(
        objective=objective,
        input_ids=input_ids,
        attention_mask=_real_tokens([e.input_ids for e in examples], pad_to_multiple_of),
        positions=_pad([e.positions for e in examples], 0, pad_to_multiple_of),
        langs=_pad([e.langs for e in examples], 0, pad_to_multiple_of),
        labels=_pad([e.labels for e in examples], IGNORE_INDEX, pad_to_multiple_of),
        lang=[e.lang for e in examples],
        keys=[e.key for e in examples],
        num_tokens=sum(len(e.input_ids) for e in examples),
    )
    if decoder:
        dec = [e.decoder_input_ids for e in examples]
        batch.decoder_input_ids = _pad(dec, pad_id, pad_to_multiple_of)
        batch.decoder_attention_mask = _real_tokens(dec, pad_to_multiple_of)
        batch.num_decoder_tokens = sum(len(d) for d in dec)
    return batch
