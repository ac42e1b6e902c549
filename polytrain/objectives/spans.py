"""Span masking in whole words or single tokens: the units, the span lengths, their placement.

A *unit* is what a masking budget and a span length count. ``unit="word"`` counts whole words, with
the word boundaries of whole-word MLM (``masking.word_spans``: a ``▁`` piece, a CJK ideograph or a
letter of an unspaced script starts a word, ``polytrain.shards.vocab.starts_word``); ``unit="token"``
counts single ordinary tokens. mBART masks 35 % of the *words* with Poisson(3.5) span lengths
counted in words (Liu et al. 2020 §2.2; fairseq ``--mask-length span-poisson`` with whole-word
boundaries); SpanBERT draws geometric span lengths in words (Joshi et al. 2020 §3.1).

The three steps compose::

    units = span_units(ids, vocab, "word")                       # (U,) words of the text
    budget = randomized_round(0.35 * len(units), rng)            # units to mask
    lengths = sample_span_lengths(budget, 3.5, rng)              # (K,) in units, sum == budget
    spans = place_spans(units, lengths[lengths > 0], rng)        # token ranges, never overlapping

Special tokens are never in a unit, so spans never cover or cross them (document separators survive).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from polytrain.objectives.masking import SpanUnit, Units, expand_ranges, ordinary, span_units
from polytrain.types import Vocab

def lengths_to_budget(budget: int, draw: Callable[[int], np.ndarray], mean: float) -> np.ndarray:
    """Span lengths drawn until their sum reaches ``budget``; the last is cut so the sum is exactly it.

    Args:
        budget: units to cover (>= 0).
        draw: ``draw(n)`` returns (n,) non-negative int lengths (one call per chunk of draws),
            e.g. ``lambda n: rng.poisson(3.5, n)`` or SpanBERT's clipped geometric.
        mean: the expected length, which sizes the chunks (> 0).

    Returns:
        (K,) int64 lengths in draw order; zeros are kept (an objective may read them as
        insertions, as mBART does); the last one is >= 1.
    """
    if budget <= 0:
        return np.zeros(0, dtype=np.int64)
    if not mean > 0:
        raise ValueError(f"lengths_to_budget: mean must be > 0, got {mean}")
    chunks: list[np.ndarray] = []
    total = 0
    while total < budget:
        chunk = np.asarray(draw(int(np.ceil(budget / mean)) + 1), dtype=np.int64)
        if chunk.size and chunk.min() < 0:
            raise ValueError(f"lengths_to_budget: span lengths must be >= 0, got {chunk.min()}")
        chunks.append(chunk)
        total += int(chunk.sum())
    lengths = np.concatenate(chunks)
    cumulative = np.cumsum(lengths)
    last = int(np.searchsorted(cumulative, budget, side="left"))  # first index with sum >= budget
    lengths = lengths[: last + 1]
    lengths[last] = budget - (cumulative[last - 1] if last > 0 else 0)
    return lengths


def sample_span_lengths(budget: int, poisson_lambda: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson(``poisson_lambda``) span lengths whose sum is exactly ``budget`` (fairseq
    ``add_whole_word_mask``: draw until the sum reaches the budget, cut the last span to fit).

    Returns:
        (K,) int64 lengths in draw order; zeros are insertions; the last one is >= 1.
    """
    return lengths_to_budget(budget, lambda n: rng.poisson(poisson_lambda, size=n), poisson_lambda)


@dataclass(frozen=True)
class Spans:
    """Non-overlapping spans of whole units, as token ranges ``[starts[k], ends[k])``, sorted by start."""

    starts: np.ndarray
    """(K,) int64 first token of each span, increasing."""
    ends: np.ndarray
    """(K,) int64 exclusive token end of each span."""
    units: np.ndarray
    """(K,) int64 units (words or tokens) each span covers, >= 1."""

    @property
    def lengths(self) -> np.ndarray:
        """(K,) int64 tokens each span covers."""
        return self.ends - self.starts

    def positions(self) -> np.ndarray:
        """(N,) int64 every covered token position, increasing."""
        return expand_ranges(self.starts, self.ends)


def _runs(units: Units) -> tuple[list[int], list[int]]:
    """Half-open ranges of unit indices whose units follow each other without a token in between."""
    if not len(units):
        return [], []
    breaks = (np.flatnonzero(units.ends[:-1] != units.starts[1:]) + 1).tolist()
    return [0, *breaks], [*breaks, len(units)]


def place_spans(units: Units, lengths: np.ndarray, rng: np.random.Generator) -> Spans:
    """Place non-empty spans of whole units on runs of adjacent units, without overlap.

    Longest span first, each at a start drawn uniformly among the unit positions where it fits
    inside one run of units not yet covered (a run ends at a special token). A span that fits
    nowhere (fragmentation, only likely when the spans cover nearly every unit) is shortened to the
    longest free run.

    Args:
        units: the units of the text (``span_units``).
        lengths: (K,) int64 span lengths in units, each >= 1, with ``sum <= len(units)``.
        rng: the only randomness (one draw per span).

    Returns:
        The spans, sorted by start.
    """
    free_start, free_end = _runs(units)
    starts = np.zeros(len(lengths), dtype=np.int64)
    placed = np.asarray(lengths, dtype=np.int64).copy()
    for j in np.argsort(-placed, kind="stable"):
        sizes = np.asarray(free_end) - np.asarray(free_start)
        length = min(int(placed[j]), int(sizes.max()))
        room = np.maximum(sizes - length + 1, 0)  # (R,) admissible starts per free run
        cumulative = np.cumsum(room)
        draw = int(rng.integers(cumulative[-1]))
        run = int(np.searchsorted(cumulative, draw, side="right"))
        start = int(free_start[run]) + draw - int(cumulative[run] - room[run])
        starts[j], placed[j] = start, length
        pieces = [p for p in ((free_start[run], start), (start + length, free_end[run])) if p[1] > p[0]]
        free_start[run : run + 1] = [p[0] for p in pieces]
        free_end[run : run + 1] = [p[1] for p in pieces]
    order = np.argsort(starts, kind="stable")
    first, count = starts[order], placed[order]
    return Spans(units.starts[first], units.ends[first + count - 1], count)


def missing_units(text: np.ndarray, input_ids: np.ndarray, vocab: Vocab, unit: SpanUnit) -> tuple[int, int]:
    """``(missing, total)``: units of ``text`` absent from ``input_ids``, as a multiset difference.

    A unit is compared as its token sequence, so the count is order-free (sentence permutation does
    not count) and a unit that lost any of its tokens (to ``<mask>``, a sentinel, a random token,
    truncation, or an insertion inside it) is missing. Exact for span infilling in whole units
    without random replacements; ``polytrain inspect`` reports it.

    Args:
        text: (T,) int64 the original sample's ids.
        input_ids: (T_in,) int64 what the model reads.
    """
    text, input_ids = np.asarray(text, dtype=np.int64), np.asarray(input_ids, dtype=np.int64)
    if unit == "token":  # the same multiset difference, vectorised
        ua, ca = np.unique(text[ordinary(text, vocab)], return_counts=True)
        ub, cb = np.unique(input_ids[ordinary(input_ids, vocab)], return_counts=True)
        present = np.zeros(len(ua), dtype=np.int64)
        if len(ub):
            at = np.minimum(np.searchsorted(ub, ua), len(ub) - 1)
            hit = ub[at] == ua
            present[hit] = cb[at[hit]]
        return int(np.maximum(ca - present, 0).sum()), int(ca.sum())

    def bag(ids: np.ndarray) -> Counter[bytes]:
        found = span_units(ids, vocab, unit)
        return Counter(ids[a:b].tobytes() for a, b in zip(found.starts.tolist(), found.ends.tolist()))

    original, kept = bag(text), bag(input_ids)
    missing = sum(max(n - kept.get(key, 0), 0) for key, n in original.items())
    return missing, sum(original.values())
