"""The token-level toolkit of the objectives: checks, whole words, BERT's target rule and replacement.

The masking rule is BERT's (Devlin et al. 2019, §3.1) as used by RoBERTa and XLM-R: a fraction
``mask_prob`` of the candidate tokens become targets; each target is independently replaced by
``<mask>`` (``mask_replace_prob``), by a random ordinary token (``random_replace_prob``), or kept.

Candidates are the ordinary tokens (not ``vocab.special``). Special tokens, including
``<unk>``, padding and language tags, wherever the tokenizer puts them, are never targets: predicting ``<unk>`` teaches the model
nothing about the text. (XLM and HF also skip special tokens; fairseq's ``MaskTokensDataset``
draws from every position, so ``<s>``/``</s>`` can become targets there.)

Everything here is part of the plugin API (``polytrain.objectives``); the built-in objectives use
nothing else.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from polytrain.objectives.base import Statistic
from polytrain.types import IGNORE_INDEX, Example, TextBlock, TextPair, Vocab

if TYPE_CHECKING:
    from polytrain.objectives.base import Objective


def randomized_round(x: float, rng: np.random.Generator) -> int:
    """``floor(x)`` or ``floor(x) + 1`` with expectation exactly ``x`` (fairseq ``MaskTokensDataset``).

    fairseq computes ``num_mask = int(mask_prob * sz + np.random.rand())``: unlike ``round`` or
    ``ceil`` it has no bias, so short blocks still get ``mask_prob`` of their tokens on average.
    """
    return int(x + rng.random())


def randomized_rounds(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`randomized_round` of each element of (B,) ``x``, one draw each: (B,) int64."""
    return (x + rng.random(len(x))).astype(np.int64)


def ordinary(ids: np.ndarray, vocab: Vocab) -> np.ndarray:
    """(T,) bool: True where ``ids`` are ordinary (non-special) tokens, i.e. masking candidates."""
    return ~vocab.special[ids]


def random_ordinary_tokens(n: int, vocab: Vocab, rng: np.random.Generator) -> np.ndarray:
    """(n,) int64 tokens drawn uniformly from ``vocab.ordinary_ids`` (never a special token or tag).

    In polytrain's layout those are ``num_special .. size - 1`` and the draws are exactly
    ``rng.integers(num_special, size)``'s (numpy offsets the same bounded draw by ``low``).
    """
    return vocab.ordinary_ids[rng.integers(0, len(vocab.ordinary_ids), size=n, dtype=np.int64)]


def check_ids(ids: np.ndarray, vocab: Vocab, what: str) -> np.ndarray:
    """Return ``ids`` as a 1-D int64 array, or raise one line naming ``what`` if an id is out of range."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"{what}: token ids must be 1-D, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab.size):
        raise ValueError(f"{what}: token id out of range [0, {vocab.size}): min {ids.min()}, max {ids.max()}")
    return ids


def lang_index(vocab: Vocab, lang: str, what: str) -> int:
    """``vocab.lang_index(lang)``, with ``what`` (objective and sample key) in the error message.

    A tokenizer without language tags (XLM-R's) gives every language index 0: such a tokenizer
    cannot drive language embeddings (``PretrainModule`` refuses the combination).
    """
    if not vocab.languages:
        return 0
    try:
        return vocab.lang_index(lang)
    except KeyError as err:
        raise KeyError(f"{what}: {err.args[0]}") from None


def truncate(ids: np.ndarray, limit: int, what: str) -> np.ndarray:
    """``ids[:limit]``, warning (once per call site, Python's default filter) when tokens are dropped."""
    if len(ids) > limit:
        warnings.warn(f"{what}: {len(ids)} tokens exceed the room of {limit}; truncated", stacklevel=3)
        return ids[:limit]
    return ids


def where(objective: Objective, sample: TextBlock | TextPair) -> str:
    """How errors and warnings name a sample: ``"MaskedLM: block 'en/doc/0'"`` (``pair`` for a ``TextPair``)."""
    kind = "pair" if isinstance(sample, TextPair) else "block"
    return f"{type(objective).__name__}: {kind} {sample.key!r}"


def checked_block(objective: Objective, sample: TextBlock | TextPair) -> tuple[np.ndarray, np.ndarray]:
    """A mono sample's ids, checked and cut to the room the objective leaves, and its sentence ends.

    The first step of a mono objective's ``make_example``: the sample must be a ``TextBlock``, its
    ids in ``[0, vocab.size)`` and its ``sentence_ends`` increasing to ``len(ids)``; a block longer than
    ``max_length - added_tokens`` (which the packer never makes) is truncated with a warning, and
    its sentence ends are clipped to match. Every failure is one line naming the objective and key.

    Returns:
        ``(ids, sentence_ends)``: (T,) int64 and (S,) int64, the last end equal to T (both empty if T = 0).
    """
    if not isinstance(sample, TextBlock):
        raise TypeError(f"{type(objective).__name__} reads mono TextBlocks, got {type(sample).__name__}")
    what = where(objective, sample)
    ids = check_ids(sample.ids, objective.vocab, what)
    ends = np.asarray(sample.sentence_ends, dtype=np.int64).reshape(-1)
    if len(ids) and (len(ends) == 0 or ends[0] <= 0 or np.any(np.diff(ends) <= 0) or ends[-1] != len(ids)):
        raise ValueError(f"{what}: sentence_ends must increase from > 0 to len(ids)={len(ids)}, got {ends.tolist()}")
    ids = truncate(ids, objective.max_length - objective.added_tokens, what)
    ends = np.append(ends[ends < len(ids)], len(ids)) if len(ids) else np.zeros(0, dtype=np.int64)
    return ids, ends


def single_text(ids: np.ndarray, lang: str, key: str, vocab: Vocab, room: int, what: str) -> Example:
    """``<s> ids </s>`` with positions 0.. and ``lang``'s index on every token, labels all ignored.

    The unmasked layout of MLM (and of TLM's first segment), which their ``plain_example`` gives
    evaluation. ``ids`` longer than ``room`` are cut at the end with a warning; an id outside the
    vocabulary or an unknown ``lang`` raises, naming ``what``.
    """
    ids = truncate(check_ids(ids, vocab, what), room, what)
    framed = np.concatenate([[vocab.bos_id], ids, [vocab.eos_id]]).astype(np.int64)  # (T,)
    return Example(
        input_ids=framed,
        labels=np.full(len(framed), IGNORE_INDEX, dtype=np.int64),
        positions=np.arange(len(framed), dtype=np.int64),
        langs=np.full(len(framed), lang_index(vocab, lang, what), dtype=np.int64),
        lang=lang,
        key=key,
    )


def word_spans(candidates: np.ndarray, word_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split the candidate positions into whole words.

    A word starts at a candidate that is a word start (Metaspace ``▁``) or that follows a
    non-candidate (special tokens such as ``</s>`` break words); it runs over the following
    candidates that are not word starts.

    Args:
        candidates: (T,) bool, True at ordinary tokens.
        word_start: (T,) bool, ``vocab.word_start[ids]``.

    Returns:
        ``(starts, ends)``: (W,) int64 each, half-open token ranges of the words in order.
    """
    prev_candidate = np.concatenate([[False], candidates[:-1]])
    begins = candidates & (word_start | ~prev_candidate)  # (T,)
    starts = np.flatnonzero(begins)
    # A word ends where the next word begins or where the run of candidates stops.
    stops = np.flatnonzero(candidates & ~np.concatenate([candidates[1:], [False]])) + 1
    boundaries = np.union1d(starts[1:], stops)  # every word's end is the smallest boundary > start
    ends = boundaries[np.searchsorted(boundaries, starts, side="right")]
    return starts.astype(np.int64), ends.astype(np.int64)


SpanUnit = Literal["word", "token"]
"""What span lengths and masking budgets count: whole words or single ordinary tokens."""


def expand_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(N,) int64 every position of the half-open ranges ``[starts[i], ends[i])``, in range order."""
    lengths = ends - starts
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return (np.repeat(starts, lengths) + offsets).astype(np.int64)


@dataclass(frozen=True)
class Units:
    """The maskable units of a token sequence, in order: unit ``i`` is the tokens ``[starts[i], ends[i])``."""

    starts: np.ndarray
    """(U,) int64 first token of each unit, increasing."""
    ends: np.ndarray
    """(U,) int64 exclusive end of each unit; ``ends[i] <= starts[i + 1]``."""

    def __len__(self) -> int:
        return len(self.starts)

    def positions(self, chosen: np.ndarray) -> np.ndarray:
        """(N,) int64 token positions of the ``chosen`` unit indices (increasing if ``chosen`` is)."""
        chosen = np.asarray(chosen, dtype=np.int64)
        return expand_ranges(self.starts[chosen], self.ends[chosen])


def span_units(ids: np.ndarray, vocab: Vocab, unit: SpanUnit) -> Units:
    """The units of ``ids`` (T,): whole words (whole-word MLM's boundaries) or single ordinary tokens.

    Special tokens belong to no unit and end a word.
    """
    candidates = ordinary(ids, vocab)  # (T,)
    if unit == "token":
        positions = np.flatnonzero(candidates).astype(np.int64)
        return Units(positions, positions + 1)
    if unit == "word":
        return Units(*word_spans(candidates, vocab.word_start[ids]))
    raise ValueError(f"span unit must be 'word' or 'token', got {unit!r}")


def _check_probability(name: str, value: float, low_open: bool = False) -> None:
    ok = (0.0 < value <= 1.0) if low_open else (0.0 <= value <= 1.0)
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value}")


def corrupt_targets(ids: np.ndarray, targets: np.ndarray, vocab: Vocab, rng: np.random.Generator,
                    mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """BERT's replacement of the targets (Devlin et al. 2019 §3.1: 80 % ``<mask>``, 10 % random, 10 % kept).

    One categorical draw per target token: ``<mask>`` with ``mask_replace_prob``, a random ordinary
    token (``random_ordinary_tokens``, never a special token) with ``random_replace_prob``, else the
    token stays. The labels hold the original id at every target.

    Args:
        ids: (T,) int64 original input.
        targets: (N,) int64 target positions.

    Returns:
        ``(input_ids, labels)``, both (T,) int64; ``labels`` is ``IGNORE_INDEX`` off the targets.
    """
    draw = rng.random(len(targets))  # one categorical draw per target
    corrupted, labels, random_at = _apply_draws(ids, targets, draw, vocab, mask_replace_prob, random_replace_prob)
    corrupted[random_at] = random_ordinary_tokens(len(random_at), vocab, rng)
    return corrupted, labels


def _apply_draws(ids: np.ndarray, targets: np.ndarray, draw: np.ndarray, vocab: Vocab, mask_replace_prob: float,
                 random_replace_prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The part of ``corrupt_targets`` that takes no randomness, given each target's draw (N,):
    ``(input_ids with <mask> placed, labels, (R,) the targets that take a random token)``."""
    labels = np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
    labels[targets] = ids[targets]
    corrupted = ids.copy()
    to_mask = draw < mask_replace_prob
    to_random = ~to_mask & (draw < mask_replace_prob + random_replace_prob)
    corrupted[targets[to_mask]] = vocab.mask_id
    return corrupted, labels, targets[to_random]


@dataclass(frozen=True)
class TokenMasker:
    """BERT/XLM-R target selection and 80/10/10 corruption, shared by ``MaskedLM`` and ``TranslationLM``.

    Args:
        mask_prob: fraction of the candidate tokens (or words) chosen as targets.
        mask_replace_prob: fraction of the targets replaced by ``<mask>``.
        random_replace_prob: fraction of the targets replaced by a random ordinary token; the
            remaining ``1 - mask_replace_prob - random_replace_prob`` are left unchanged.
        whole_word_mask: choose whole words instead of single tokens.
    """

    mask_prob: float = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    whole_word_mask: bool = False

    def __post_init__(self) -> None:
        _check_probability("mask_prob", self.mask_prob, low_open=True)
        _check_probability("mask_replace_prob", self.mask_replace_prob)
        _check_probability("random_replace_prob", self.random_replace_prob)
        if self.mask_replace_prob + self.random_replace_prob > 1.0 + 1e-9:
            raise ValueError(
                "mask_replace_prob + random_replace_prob must be <= 1, got "
                f"{self.mask_replace_prob} + {self.random_replace_prob}"
            )

    def select(self, ids: np.ndarray, vocab: Vocab, rng: np.random.Generator) -> np.ndarray:
        """Choose the target positions of ``ids`` (T,); returns (N,) sorted int64 positions.

        ``randomized_round(mask_prob * U)`` of the U units (ordinary tokens, or whole words with
        ``whole_word_mask``: fairseq's ``mask_whole_words``), uniformly without replacement (fairseq's
        count), expanded to all their tokens. Since every word is equally likely, the expected token
        fraction is ``mask_prob`` in both modes.
        """
        if not self.whole_word_mask:  # the units are the candidate positions themselves
            positions = np.flatnonzero(ordinary(ids, vocab))
            count = randomized_round(self.mask_prob * len(positions), rng)
            return np.sort(rng.choice(positions, size=count, replace=False)).astype(np.int64)
        words = span_units(ids, vocab, "word")
        count = randomized_round(self.mask_prob * len(words), rng)
        return words.positions(np.sort(rng.choice(len(words), size=count, replace=False)))

    def corrupt(
        self, ids: np.ndarray, targets: np.ndarray, vocab: Vocab, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """``corrupt_targets`` with this masker's probabilities, drawn per target token, also in
        whole-word mode.

        In whole-word mode fairseq draws the rule once per word and HF masks every token of a
        chosen word; polytrain draws per token, so the token-level 80/10/10 proportions are the
        same in both modes whatever the word lengths (one rule, one set of statistics).
        """
        return corrupt_targets(ids, targets, vocab, rng, self.mask_replace_prob, self.random_replace_prob)

    def __call__(self, ids: np.ndarray, vocab: Vocab, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``select`` then ``corrupt``: (T,) ids -> ((T,) input_ids, (T,) labels)."""
        return self.corrupt(ids, self.select(ids, vocab, rng), vocab, rng)

    def mask_rows(self, rows: np.ndarray, vocab: Vocab, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Mask every row of a batch by this rule, all rows at once, with one generator for the batch.

        Each row gets what ``self(row, vocab, rng)`` gives it in distribution (``randomized_round``
        of ``mask_prob`` times its candidates, chosen uniformly without replacement, then the
        80/10/10 rule), but the draws are made for the whole batch: random scores rank each row's
        candidates, and a row's targets are its ``k`` lowest. Numpy's per-call overhead made one
        ``choice`` and one ``integers`` per row most of the stream's masking time. Whole words are
        masked row after row (``self(row, vocab, rng)``, the same generator).

        Args:
            rows: (B, T) int64 token ids, one sequence per row.
            rng: the only randomness of the batch.

        Returns:
            ``(input_ids, labels)``, both (B, T) int64.
        """
        if self.whole_word_mask or not rows.size:
            pairs = [self(row, vocab, rng) for row in rows]
            if not pairs:
                return rows.copy(), np.full(rows.shape, IGNORE_INDEX, dtype=np.int64)
            return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
        candidates = ordinary(rows, vocab)  # (B, T)
        counts = candidates.sum(axis=1)  # (B,)
        k = randomized_rounds(self.mask_prob * counts, rng)  # (B,) targets per row
        scores = rng.random(rows.shape)  # (B, T)
        scores[~candidates] = np.inf  # never among a row's k lowest: k <= its candidates
        lowest = np.argsort(scores, axis=1)[:, : int(k.max())]  # (B, K) positions, lowest score first
        chosen = np.arange(lowest.shape[1]) < k[:, None]  # (B, K)
        targets = np.sort((lowest + rows.shape[1] * np.arange(len(rows))[:, None])[chosen])  # (N,) in rows.ravel()
        corrupted, labels, random_at = _apply_draws(rows.reshape(-1), targets, rng.random(len(targets)), vocab,
                                                    self.mask_replace_prob, self.random_replace_prob)
        corrupted[random_at] = random_ordinary_tokens(len(random_at), vocab, rng)
        return corrupted.reshape(rows.shape), labels.reshape(rows.shape)

    def statistics(self, example: Example, vocab: Vocab) -> list[Statistic]:
        """What one encoder example shows of this rule, next to the settings (``Objective.statistics``).

        ``selected_fraction`` (targets / ordinary tokens, vs ``mask_prob``), ``mask_share``,
        ``random_share`` and ``kept_share`` (of the targets, vs the replacement probabilities; a
        random draw of the original token counts as kept, it is indistinguishable), and with
        ``whole_word_mask`` ``selected_word_fraction`` (words whose every token is a target).
        """
        is_target = example.labels != IGNORE_INDEX  # (T,)
        inputs, originals = example.input_ids[is_target], example.labels[is_target]
        targets = int(is_target.sum())
        masked = int((inputs == vocab.mask_id).sum())
        kept = int((inputs == originals).sum())
        candidates = int(ordinary(example.input_ids[~is_target], vocab).sum()) + targets
        kept_param = "1 - mask_replace_prob - random_replace_prob"
        stats = [
            Statistic("selected_fraction", targets, candidates, "targets / ordinary tokens", self.mask_prob, "mask_prob"),
            Statistic("mask_share", masked, targets, "targets replaced by <mask>", self.mask_replace_prob,
                      "mask_replace_prob"),
            Statistic("random_share", targets - masked - kept, targets, "targets replaced by a random token",
                      self.random_replace_prob, "random_replace_prob"),
            Statistic("kept_share", kept, targets, "targets left unchanged",
                      round(1.0 - self.mask_replace_prob - self.random_replace_prob, 10), kept_param),
        ]
        if self.whole_word_mask:
            original = np.where(is_target, example.labels, example.input_ids)  # (T,)
            words = span_units(original, vocab, "word")
            covered = np.concatenate([[0], np.cumsum(is_target)])  # targets before each position
            whole = int(((covered[words.ends] - covered[words.starts]) == words.ends - words.starts).sum())
            stats.append(Statistic("selected_word_fraction", whole, len(words), "words whose every token is a target",
                                   self.mask_prob, "mask_prob"))
        return stats
