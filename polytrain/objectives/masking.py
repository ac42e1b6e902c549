"""Token masking shared by the encoder objectives (MLM, TLM), plus corruption statistics.

The masking rule is BERT's (Devlin et al. 2019, §3.1) as used by RoBERTa and XLM-R: a fraction
``mask_prob`` of the candidate tokens become targets; each target is independently replaced by
``<mask>`` (``mask_replace_prob``), by a random ordinary token (``random_replace_prob``), or kept.

Candidates are the ordinary tokens (not ``vocab.special``). Special tokens, including
``<unk>``, padding and language tags, wherever the tokenizer puts them, are never targets: predicting ``<unk>`` teaches the model
nothing about the text. (XLM and HF also skip special tokens; fairseq's ``MaskTokensDataset``
draws from every position, so ``<s>``/``</s>`` can become targets there.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from polytrain.types import IGNORE_INDEX, Example, Vocab


def randomized_round(x: float, rng: np.random.Generator) -> int:
    """``floor(x)`` or ``floor(x) + 1`` with expectation exactly ``x`` (fairseq ``MaskTokensDataset``).

    fairseq computes ``num_mask = int(mask_prob * sz + np.random.rand())``: unlike ``round`` or
    ``ceil`` it has no bias, so short blocks still get ``mask_prob`` of their tokens on average.
    """
    return int(x + rng.random())


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


def _check_probability(name: str, value: float, low_open: bool = False) -> None:
    ok = (0.0 < value <= 1.0) if low_open else (0.0 <= value <= 1.0)
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value}")


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

        Token mode: ``randomized_round(mask_prob * C)`` of the C candidates, uniformly without
        replacement (fairseq's count). Whole-word mode: the same count of words (fairseq's
        ``mask_whole_words``), uniformly without replacement, expanded to all their tokens; since
        every word is equally likely, the expected token fraction is still ``mask_prob``.
        """
        candidates = ordinary(ids, vocab)  # (T,)
        if not self.whole_word_mask:
            positions = np.flatnonzero(candidates)
            count = randomized_round(self.mask_prob * len(positions), rng)
            return np.sort(rng.choice(positions, size=count, replace=False)).astype(np.int64)
        starts, ends = word_spans(candidates, vocab.word_start[ids])
        count = randomized_round(self.mask_prob * len(starts), rng)
        chosen = np.sort(rng.choice(len(starts), size=count, replace=False))
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.arange(starts[w], ends[w]) for w in chosen]).astype(np.int64)

    def corrupt(
        self, ids: np.ndarray, targets: np.ndarray, vocab: Vocab, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Apply the 80/10/10 rule per target token, also in whole-word mode.

        In whole-word mode fairseq draws the rule once per word and HF masks every token of a
        chosen word; polytrain draws per token, so the token-level 80/10/10 proportions are the
        same in both modes whatever the word lengths (one rule, one set of statistics).

        Args:
            ids: (T,) int64 original input.
            targets: (N,) int64 target positions from ``select``.

        Returns:
            ``(input_ids, labels)``, both (T,) int64; ``labels`` holds the original id at the
            targets and ``IGNORE_INDEX`` elsewhere.
        """
        labels = np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
        labels[targets] = ids[targets]
        corrupted = ids.copy()
        draw = rng.random(len(targets))  # one categorical draw per target
        to_mask = draw < self.mask_replace_prob
        to_random = ~to_mask & (draw < self.mask_replace_prob + self.random_replace_prob)
        corrupted[targets[to_mask]] = vocab.mask_id
        corrupted[targets[to_random]] = random_ordinary_tokens(int(to_random.sum()), vocab, rng)
        return corrupted, labels

    def __call__(self, ids: np.ndarray, vocab: Vocab, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``select`` then ``corrupt``: (T,) ids -> ((T,) input_ids, (T,) labels)."""
        return self.corrupt(ids, self.select(ids, vocab, rng), vocab, rng)


def _fraction(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def example_stats(example: Example, vocab: Vocab) -> dict[str, float]:
    """Corruption statistics of one example, for ``polytrain inspect`` (sum the counts over many).

    Encoder objectives (no ``decoder_input_ids``): counts ``tokens``, ``candidates`` (ordinary
    tokens before corruption), ``targets``, ``masked`` / ``random`` / ``kept`` targets, and the
    fractions ``target_fraction`` (targets / candidates) and ``masked_fraction`` /
    ``random_fraction`` / ``kept_fraction`` (of the targets). A random replacement that drew the
    original token counts as kept (it is indistinguishable).

    Encoder-decoder objectives: ``input_tokens``, ``target_tokens``, ``mask_tokens`` (``<mask>``
    in the encoder input), ``length_ratio`` (input / target) and ``masked_fraction``: the share of
    the target's ordinary tokens missing from the input, exact when ``mask_random == 0`` and
    ``insert_ratio == 0`` (random replacement tokens look like kept text).
    Fractions of an empty denominator are 0.0.
    """
    labels = example.labels
    is_target = labels != IGNORE_INDEX  # (T,) or (T_dec,)
    if example.decoder_input_ids is not None:
        target_ordinary = int(ordinary(labels[is_target], vocab).sum())
        input_ordinary = int(ordinary(example.input_ids, vocab).sum())
        return {
            "input_tokens": float(len(example.input_ids)),
            "target_tokens": float(is_target.sum()),
            "mask_tokens": float((example.input_ids == vocab.mask_id).sum()),
            "length_ratio": _fraction(len(example.input_ids), int(is_target.sum())),
            "masked_fraction": _fraction(max(target_ordinary - input_ordinary, 0), target_ordinary),
        }
    inputs = example.input_ids[is_target]
    originals = labels[is_target]
    targets = int(is_target.sum())
    masked = int((inputs == vocab.mask_id).sum())
    kept = int((inputs == originals).sum())
    candidates = int(ordinary(example.input_ids[~is_target], vocab).sum()) + targets
    return {
        "tokens": float(len(example.input_ids)),
        "candidates": float(candidates),
        "targets": float(targets),
        "masked": float(masked),
        "random": float(targets - masked - kept),
        "kept": float(kept),
        "target_fraction": _fraction(targets, candidates),
        "masked_fraction": _fraction(masked, targets),
        "random_fraction": _fraction(targets - masked - kept, targets),
        "kept_fraction": _fraction(kept, targets),
    }
