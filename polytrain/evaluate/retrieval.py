"""Tatoeba-style cross-lingual sentence retrieval (XTREME, Hu et al. 2020, §3 "Tatoeba" and "BUCC").

Embed each side of N parallel pairs on its own and, for every source sentence, pick the target
sentence with the highest score; top-1 accuracy in both directions measures how well the encoder
aligns languages without labelled data::

    sentence -> Objective.plain_example   <s> ids </s> (MLM/TLM), ids </s> <lid> (mBART); no noise
             -> model.hidden_states        n_layers + 1 tensors (B, T, d), eval mode, no gradient
             -> mean over real tokens      (B, d) per layer; padding excluded, <s>/</s>/<lid> included
             -> L2-normalise               cosine = dot product
    S = src @ tgt.T                        (N, N) cosine, or the ratio margin of S (below)
    src_to_tgt = mean_i [argmax_j S[i, j] == i],   tgt_to_src = mean_j [argmax_i S[i, j] == j]

Layer i is Hugging Face's ``hidden_states[i]``: 0 the embeddings, ``n_layers`` the last layer.
XTREME pools XLM-R's layer 8 of 12: middle layers align languages best.

Ratio margin (Artetxe & Schwenk 2019, "Margin-based Parallel Corpus Mining with Multilingual
Sentence Embeddings", §3.1; used for BUCC), with NN_k(x) the k nearest targets of x and NN_k(y)
the k nearest sources of y (k = 4 in the paper)::

    margin(x, y) = cos(x, y) / ( sum_{z in NN_k(x)} cos(x, z) / 2k  +  sum_{z in NN_k(y)} cos(y, z) / 2k )

It discounts "hub" sentences that are close to everything, which plain cosine retrieval picks
too often.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import torch
from torch.nn import functional as F

from polytrain.stream.collate import collate
from polytrain.evaluate.inputs import TsvFile, read_tsv
from polytrain.evaluate.loading import EvalError, LoadedModel
from polytrain.objectives.base import Objective
from polytrain.types import Batch, TextPair

MARGIN_K = 4
"""Neighbours on each side in the ratio margin: k = 4 per Artetxe & Schwenk 2019 (§4.1)."""


class HiddenStates(Protocol):
    """What retrieval needs of a model: ``Encoder.hidden_states`` / ``Seq2Seq.hidden_states``."""

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, positions: torch.Tensor,
                      langs: torch.Tensor) -> list[torch.Tensor]: ...


# ----------------------------------------------------------------------------- the math
def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each row's hidden states over its real tokens.

    Args:
        hidden: (B, T, d) encoder states; rows of padded positions may hold anything (even NaN).
        mask: (B, T) bool, True on real tokens.

    Returns:
        (B, d) float32; a row without real tokens gives zeros.
    """
    keep = mask.unsqueeze(-1)  # (B, T) -> (B, T, 1)
    summed = hidden.float().masked_fill(~keep, 0.0).sum(dim=1)  # (B, d); masked_fill, not *: NaN * 0 is NaN
    return summed / mask.sum(dim=1, keepdim=True).clamp(min=1)  # (B, d) / (B, 1)


def cosine_matrix(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """(N, N) cosine similarities of (N, d) ``src`` and (N, d) ``tgt`` rows (any norm)."""
    if src.shape != tgt.shape or src.ndim != 2:
        raise ValueError(f"retrieval: src and tgt must both be (N, d), got {tuple(src.shape)} and {tuple(tgt.shape)}")
    return F.normalize(src.float(), dim=-1) @ F.normalize(tgt.float(), dim=-1).T  # (N, d) @ (d, N)


def ratio_margin(sim: torch.Tensor, k: int = MARGIN_K) -> torch.Tensor:
    """Artetxe & Schwenk's ratio margin of a cosine matrix (module docstring); ``k`` capped at N.

    Args:
        sim: (N, N) cosine similarities, sources in rows, targets in columns.
        k: neighbours per side.

    Returns:
        (N, N) margin scores; one matrix serves both directions.
    """
    k = min(k, sim.shape[0])
    near_src = sim.topk(k, dim=1).values.mean(dim=1)  # (N,) mean cosine of each source's k nearest targets
    near_tgt = sim.topk(k, dim=0).values.mean(dim=0)  # (N,) mean cosine of each target's k nearest sources
    return sim / ((near_src[:, None] + near_tgt[None, :]) / 2)  # sum/2k + sum/2k = (mean + mean) / 2


def top1_accuracy(scores: torch.Tensor) -> torch.Tensor:
    """(2,) ``[src_to_tgt, tgt_to_src]`` top-1 accuracy of an (N, N) score matrix whose diagonal is
    gold. Ties go to the lower index (``argmax``), so duplicated candidates count against the score."""
    gold = torch.arange(len(scores), device=scores.device)  # (N,)
    return torch.stack([(scores.argmax(dim=1) == gold).float().mean(), (scores.argmax(dim=0) == gold).float().mean()])


def retrieval_accuracy(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """(2,) cosine top-1 accuracy ``[src_to_tgt, tgt_to_src]``; row i of ``src`` and ``tgt`` are translations."""
    return top1_accuracy(cosine_matrix(src, tgt))


# ----------------------------------------------------------------------------- the inputs
def take_pairs(pairs: Iterable[TextPair], max_pairs: int) -> tuple[list[TextPair], int]:
    """The first ``max_pairs`` pairs whose source and target are both new; returns (pairs, duplicates).

    A repeated sentence would give two identical candidates, one of which must count as a miss.
    Stops reading (and closes a generator, so its shard file closes) once enough pairs are kept.
    """
    kept: list[TextPair] = []
    seen_src: set[bytes] = set()
    seen_tgt: set[bytes] = set()
    duplicates = 0
    stream = iter(pairs)
    try:
        for pair in stream:
            src, tgt = pair.src_ids.tobytes(), pair.tgt_ids.tobytes()
            if src in seen_src or tgt in seen_tgt:
                duplicates += 1
                continue
            seen_src.add(src)
            seen_tgt.add(tgt)
            kept.append(pair)
            if len(kept) >= max_pairs:
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return kept, duplicates


def truncated(pairs: Sequence[TextPair], layout: Objective) -> int:
    """Sentences (either side) of ``pairs`` that :func:`side_batches` cuts to fit ``layout``."""
    room = layout.max_length - layout.added_tokens
    return sum(int(len(p.src_ids) > room) + int(len(p.tgt_ids) > room) for p in pairs)


def side_batches(pairs: Sequence[TextPair], side: str, layout: Objective, pad_id: int,
                 batch_size: int) -> list[Batch]:
    """One side (``"src"`` or ``"tgt"``) of ``pairs`` as padded CPU batches, in pair order.

    Each sentence is cut to ``layout``'s room (``max_length - added_tokens``; :func:`truncated`
    counts them) and laid out by ``layout.plain_example``.
    """
    room = layout.max_length - layout.added_tokens
    examples = []
    for pair in pairs:
        ids, lang = (pair.src_ids, pair.src_lang) if side == "src" else (pair.tgt_ids, pair.tgt_lang)
        example = layout.plain_example(ids[:room], lang, f"{pair.key}.{side}")
        assert example is not None  # plain_layout chose an objective that has the layout
        examples.append(example)
    return [collate(examples[i : i + batch_size], "retrieval", pad_id) for i in range(0, len(examples), batch_size)]


@torch.no_grad()
def embed(model: HiddenStates, batches: Sequence[Batch], device: torch.device | str,
          layers: Sequence[int] = (-1,)) -> torch.Tensor:
    """(L, N, d) mean-pooled states of the sentences of ``batches`` at each of ``layers``, in order.

    Args:
        model: an ``Encoder`` or ``Seq2Seq`` in eval mode (deterministic states).
        batches: from :func:`side_batches`.
        device: where the model is.
        layers: indices into ``model.hidden_states`` (0 the embeddings, -1 the last layer).
    """
    pooled: list[torch.Tensor] = []
    for batch in batches:
        batch = batch.to(device)
        states = model.hidden_states(batch.input_ids, batch.key_padding_mask(), batch.positions, batch.langs)
        pooled.append(torch.stack([mean_pool(states[i], batch.attention_mask) for i in layers]))  # (L, B, d)
    return torch.cat(pooled, dim=1)  # (L, N, d)


def score_layers(src: torch.Tensor, tgt: torch.Tensor, k: int = MARGIN_K) -> dict[str, torch.Tensor]:
    """Top-1 accuracies of (L, N, d) ``src`` and ``tgt`` embeddings, per layer.

    Returns:
        ``{"cosine": (L, 2), "margin": (L, 2)}``, columns ``[src_to_tgt, tgt_to_src]``.
    """
    cosine, margin = [], []
    for s, t in zip(src, tgt, strict=True):
        sim = cosine_matrix(s, t)
        cosine.append(top1_accuracy(sim))
        margin.append(top1_accuracy(ratio_margin(sim, k)))
    return {"cosine": torch.stack(cosine), "margin": torch.stack(margin)}


def token_pairs(rows: Sequence[tuple[list[int] | np.ndarray, list[int] | np.ndarray]], src_lang: str, tgt_lang: str,
                name: str) -> list[TextPair]:
    """``TextPair``s of tokenized rows; keys ``<name>:<row>``; rows with an empty side are left out."""
    return [TextPair(f"{name}:{i}", src_lang, tgt_lang, np.asarray(s, dtype=np.int64), np.asarray(t, dtype=np.int64))
            for i, (s, t) in enumerate(rows) if len(s) and len(t)]


# ----------------------------------------------------------------------------- the task
def layer_indices(spec: str, depth: int) -> list[int]:
    """``"all"`` or comma-separated indices (negative from the end) -> hidden-state indices 0..depth.

    Raises:
        EvalError: not integers, or outside the model's ``depth + 1`` hidden states.
    """
    if spec == "all":
        return list(range(depth + 1))
    try:
        layers = [int(x) for x in spec.split(",")]
    except ValueError:
        raise EvalError(f"--layers {spec!r}: give 'all' or comma-separated integers") from None
    bad = [x for x in layers if not -depth - 1 <= x <= depth]
    if bad:
        raise EvalError(f"--layers {bad}: the model has hidden states 0..{depth} (0 = embeddings)")
    return [x % (depth + 1) for x in layers]


def evaluate_pairs(loaded: LoadedModel, file: TsvFile, layers: Sequence[int], max_pairs: int, batch_size: int,
                   k: int = MARGIN_K) -> dict:
    """Retrieval on one parallel TSV: the first ``max_pairs`` distinct pairs, every layer of ``layers``.

    Returns:
        The file's JSON entry: counts (``pairs``, ``duplicates``, ``empty`` sides after tokenizing,
        ``truncated`` sentences), ``chance`` = 1/N, and per layer the cosine and margin accuracy
        in both directions.
    """
    src_lang, tgt_lang = file.lang.split("-")
    for lang in (src_lang, tgt_lang):
        loaded.check_language(lang, file.path)
    rows = read_tsv(file.path, "source<TAB>target")
    ids = zip(loaded.encode([a for a, _ in rows]), loaded.encode([b for _, b in rows]), strict=True)
    tokenized = token_pairs(list(ids), src_lang, tgt_lang, file.path)
    pairs, duplicates = take_pairs(tokenized, max_pairs)
    if len(pairs) < 2:
        raise EvalError(f"{file.path}: {len(pairs)} distinct pair(s); retrieval needs at least 2")
    src, tgt = (embed(loaded.model, side_batches(pairs, side, loaded.layout, loaded.vocab.pad_id, batch_size),
                      loaded.device, layers) for side in ("src", "tgt"))  # (L, N, d) each
    scores = score_layers(src, tgt, k)
    forward, backward = f"{src_lang}_to_{tgt_lang}", f"{tgt_lang}_to_{src_lang}"
    return {"path": file.path, "pair": file.lang, "pairs": len(pairs), "duplicates": duplicates,
            "empty": len(rows) - len(tokenized), "truncated": truncated(pairs, loaded.layout), "chance": 1 / len(pairs),
            "layers": [{"layer": layer, **{kind: {forward: float(v[i, 0]), backward: float(v[i, 1])}
                                           for kind, v in scores.items()}} for i, layer in enumerate(layers)]}
