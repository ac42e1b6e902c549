"""Seq2seq denoising (BART, Lewis et al. 2020; mBART, Liu et al. 2020): reconstruct a noised block.

Noise, in fairseq ``DenoisingDataset`` order: sentence permutation, then text infilling (Poisson
spans, each replaced by one ``<mask>``; zero-length spans insert a ``<mask>``), then optional
insertion noise. With X the block and X~ its noised version, ``add_lang_token=True`` (mBART, the
paper's Figure 1 and HF ``MBartTokenizer`` / ``shift_tokens_right``)::

    input_ids          X~  </s> <lid>
    decoder_input_ids  <lid> X  </s>
    labels             X  </s> <lid>

and ``add_lang_token=False`` (BART, fairseq ``denoising`` / HF ``BartForConditionalGeneration``
with ``decoder_start_token_id = </s>``)::

    input_ids          <s> X~ </s>
    decoder_input_ids  </s> <s> X
    labels             <s> X  </s>

Masking counts subword tokens: candidates are the ordinary tokens of X (special tokens, such as the
``</s>`` between documents of a ``whole_documents=False`` block, are never covered, and spans do not
cross them).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from polytrain.objectives.base import DataKind, ModelKind, Objective, target_cross_entropy
from polytrain.objectives.masking import (
    check_ids,
    lang_index,
    ordinary,
    random_ordinary_tokens,
    randomized_round,
    truncate,
)
from polytrain.types import Batch, Example, ModelOutput, TextBlock, TextPair

_DROPPED_INSERTIONS = (
    "Denoising: a block had no room for all inserted tokens (zero-length spans outnumber the tokens "
    "that spans remove when poisson_lambda < 1, or insert_ratio > 0); the extra insertions were dropped"
)


@dataclass
class Noised:
    """The result of ``Denoising.noise``, with what was done, for statistics and tests.

    ``masked_tokens = span_lengths.sum()``; ``<mask>`` tokens in ``ids`` (when ``mask_random=0``,
    ``replace_length=1``) ``= len(span_starts) + inserted``.
    """

    ids: np.ndarray
    """(T~,) int64 noised text, without the added special tokens."""
    permuted: np.ndarray
    """(T,) int64 the text after sentence permutation, before masking."""
    span_starts: np.ndarray
    """(K,) int64 start of each non-empty span in ``permuted``, increasing."""
    span_lengths: np.ndarray
    """(K,) int64 length of each non-empty span (>= 1)."""
    zero_spans: int
    """Spans of sampled length 0 (each asks for one inserted ``<mask>``)."""
    inserted: int
    """Tokens actually inserted: zero-length spans plus ``insert_ratio`` noise, capped to fit."""


def permute_sentences(
    ids: np.ndarray, sentence_ends: np.ndarray, ratio: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle ``ceil(ratio * S)`` randomly chosen sentences among their own slots (fairseq).

    Args:
        ids: (T,) int64 text.
        sentence_ends: (S,) int64 exclusive sentence ends, increasing, last = T.
        ratio: fraction of the sentences that take part; 1.0 is a uniform random permutation.

    Returns:
        ``(ids, ends)``: (T,) the permuted text and (S,) its new sentence ends.
    """
    count = len(sentence_ends)
    num_to_permute = int(np.ceil(count * ratio))
    if ratio <= 0.0 or num_to_permute < 2:
        return ids, sentence_ends
    starts = np.concatenate([[0], sentence_ends[:-1]])  # (S,)
    chosen = rng.permutation(count)[:num_to_permute]
    order = np.arange(count)
    order[chosen] = chosen[rng.permutation(num_to_permute)]
    permuted = np.concatenate([ids[starts[i] : sentence_ends[i]] for i in order])
    return permuted.astype(np.int64), np.cumsum(sentence_ends[order] - starts[order])


def sample_span_lengths(budget: int, poisson_lambda: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson span lengths whose sum is exactly ``budget``: draw until the sum reaches it, then
    shorten the last span to the remaining budget (fairseq ``add_whole_word_mask``).

    Returns:
        (K,) int64 lengths in draw order; zeros are insertions; the last one is >= 1.
    """
    if budget <= 0:
        return np.zeros(0, dtype=np.int64)
    draws: list[np.ndarray] = []
    total = 0
    while total < budget:
        chunk = rng.poisson(poisson_lambda, size=int(np.ceil(budget / poisson_lambda)) + 1)
        draws.append(chunk)
        total += int(chunk.sum())
    lengths = np.concatenate(draws).astype(np.int64)
    cumulative = np.cumsum(lengths)
    last = int(np.searchsorted(cumulative, budget, side="left"))  # first index with sum >= budget
    lengths = lengths[: last + 1]
    lengths[last] = budget - (cumulative[last - 1] if last > 0 else 0)
    return lengths


def place_spans(candidates: np.ndarray, lengths: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Place non-empty spans on free runs of candidate tokens, without overlap.

    Longest span first, each at a start drawn uniformly among the positions where it fits
    inside one run of candidates not yet covered. A span that fits nowhere (fragmentation,
    only likely with ``mask_ratio`` near 1) is shortened to the longest free run.

    Args:
        candidates: (T,) bool, True at tokens that may be masked.
        lengths: (K,) int64 span lengths >= 1 with ``sum <= candidates.sum()``.

    Returns:
        ``(starts, lengths)``, (K,) int64 each, sorted by start.
    """
    padded = np.concatenate([[False], candidates, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))  # run starts and ends alternate
    free_start, free_end = list(edges[0::2]), list(edges[1::2])
    starts = np.zeros(len(lengths), dtype=np.int64)
    placed = lengths.astype(np.int64).copy()
    for j in np.argsort(-lengths, kind="stable"):
        sizes = np.asarray(free_end) - np.asarray(free_start)
        length = min(int(placed[j]), int(sizes.max()))
        room = np.maximum(sizes - length + 1, 0)  # (R,) admissible starts per free run
        cumulative = np.cumsum(room)
        draw = int(rng.integers(cumulative[-1]))
        run = int(np.searchsorted(cumulative, draw, side="right"))
        start = int(free_start[run]) + draw - int(cumulative[run] - room[run])
        starts[j], placed[j] = start, length
        left, right = (free_start[run], start), (start + length, free_end[run])
        pieces = [p for p in (left, right) if p[1] > p[0]]
        free_start[run : run + 1] = [p[0] for p in pieces]
        free_end[run : run + 1] = [p[1] for p in pieces]
    order = np.argsort(starts, kind="stable")
    return starts[order], placed[order]


class Denoising(Objective):
    """mBART/BART denoising: encoder reads the noised block, decoder reconstructs the original.

    Defaults are mBART's (Liu et al. 2020 §2.2: 35 % of the words masked with Poisson(3.5) span
    lengths, all sentences permuted, language id token), not fairseq's ``DenoisingDataset``
    defaults (which mask nothing). BART large (Lewis et al. 2020 §5.1): ``mask_ratio=0.3``,
    ``poisson_lambda=3.0``, ``add_lang_token=False``.

    Args:
        weight: relative probability of this objective when several are mixed.
        mask_ratio: fraction of the block's ordinary tokens covered by spans (fairseq ``mask``);
            0.35 per mBART.
        poisson_lambda: mean of the Poisson span-length distribution; 3.5 per mBART.
        mask_random: probability that a span (or inserted token) is replaced by a random ordinary
            token instead of ``<mask>`` (fairseq ``mask_random``); 0.0 in mBART and BART.
        replace_length: tokens that replace a span: 1 = one ``<mask>`` (BART/mBART text
            infilling), 0 = the span is deleted, -1 = every token becomes ``<mask>`` (fairseq).
        permute_sentence_ratio: fraction of the block's sentences shuffled (fairseq
            ``permute_sentences``); 1.0 per mBART and BART.
        insert_ratio: extra ``<mask>`` tokens inserted at random, as a fraction of the noised
            length (fairseq ``insert``); 0.0 in mBART and BART.
        add_lang_token: mBART's language-id layout (``X </s> <lid>``); False gives BART's
            ``<s> X </s>``.
        whole_documents: blocks of whole sentences of one document, as mBART's instances
            ("until either it hits the document boundary or reaches the 512 max token length",
            §2.2; fairseq denoising's ``complete_doc``). False packs a text stream that crosses
            documents, as MLM does: fewer pad tokens, but a block then starts and ends
            mid-sentence and holds several documents separated by ``</s>``.
    """

    model_kind: ClassVar[ModelKind] = "encoder_decoder"
    data_kind: ClassVar[DataKind] = "mono"
    added_tokens: ClassVar[int] = 2  # </s> <lid>  (or <s> ... </s>)

    def __init__(
        self,
        weight: float = 1.0,
        mask_ratio: float = 0.35,
        poisson_lambda: float = 3.5,
        mask_random: float = 0.0,
        replace_length: int = 1,
        permute_sentence_ratio: float = 1.0,
        insert_ratio: float = 0.0,
        add_lang_token: bool = True,
        whole_documents: bool = True,
    ) -> None:
        super().__init__(weight)
        name = type(self).__name__
        for label, value in (
            ("mask_ratio", mask_ratio),
            ("mask_random", mask_random),
            ("permute_sentence_ratio", permute_sentence_ratio),
            ("insert_ratio", insert_ratio),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: {label} must be in [0, 1], got {value}")
        if not poisson_lambda > 0.0:
            raise ValueError(f"{name}: poisson_lambda must be > 0, got {poisson_lambda}")
        if replace_length not in (-1, 0, 1):
            raise ValueError(f"{name}: replace_length must be -1, 0 or 1 (fairseq), got {replace_length}")
        self.mask_ratio = mask_ratio
        self.poisson_lambda = poisson_lambda
        self.mask_random = mask_random
        self.replace_length = replace_length
        self.permute_sentence_ratio = permute_sentence_ratio
        self.insert_ratio = insert_ratio
        self.add_lang_token = add_lang_token
        self.whole_documents = whole_documents

    def setup(self, vocab: Vocab, max_length: int) -> None:
        """Bind the vocabulary; mBART's layout needs a language tag for every language.

        Raises:
            ValueError: ``add_lang_token`` with a tokenizer without tags (XLM-R's), or too small a
                ``max_length`` (``Objective.setup``).
        """
        if self.add_lang_token and not vocab.languages:
            raise ValueError(f"{type(self).__name__}: add_lang_token=True (mBART's X </s> <lid>) needs language tags "
                             "and the tokenizer has none (an XLM-R tokenizer marks no language); set "
                             "add_lang_token: false for BART's <s> X </s>")
        super().setup(vocab, max_length)

    def _replacements(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """(count,) ``<mask>``, or with probability ``mask_random`` a random ordinary token."""
        tokens = np.full(count, self.vocab.mask_id, dtype=np.int64)
        is_random = rng.random(count) < self.mask_random
        tokens[is_random] = random_ordinary_tokens(int(is_random.sum()), self.vocab, rng)
        return tokens

    def _replace_spans(
        self, text: np.ndarray, starts: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Replace each span of ``text`` (T,) by ``replace_length`` tokens; returns the shorter text."""
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        covered = np.repeat(starts, lengths) + offsets  # (M,) positions of all masked tokens
        out, keep = text.copy(), np.ones(len(text), dtype=bool)
        if self.replace_length == 1:
            out[starts] = self._replacements(len(starts), rng)
            keep[covered[offsets > 0]] = False
        elif self.replace_length == 0:
            keep[covered] = False
        else:  # -1: every token of a span becomes <mask>, or a random token if the span is random
            is_random = np.repeat(rng.random(len(starts)) < self.mask_random, lengths)
            out[covered] = self.vocab.mask_id
            out[covered[is_random]] = random_ordinary_tokens(int(is_random.sum()), self.vocab, rng)
        return out[keep]

    def _insert(self, text: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
        """``text`` (T,) with ``count`` replacement tokens at distinct random positions of the
        (T + count,) result, as fairseq's ``add_insertion_noise`` (``randperm``): any gap can
        receive several, but they are spread uniformly over the output, not piled on one gap."""
        out = np.empty(len(text) + count, dtype=np.int64)
        inserted = np.zeros(len(out), dtype=bool)
        inserted[rng.choice(len(out), size=count, replace=False)] = True
        out[inserted] = self._replacements(count, rng)
        out[~inserted] = text
        return out

    def noise(self, text: np.ndarray, sentence_ends: np.ndarray, room: int, rng: np.random.Generator) -> Noised:
        """Permute sentences, infill spans, insert tokens (at most ``room`` tokens in all).

        Args:
            text: (T,) int64 the block, ``T <= room``.
            sentence_ends: (S,) int64 its sentence ends.
            room: the longest allowed noised text; insertions beyond it are dropped, never text.
        """
        permuted, _ = permute_sentences(text, sentence_ends, self.permute_sentence_ratio, rng)
        candidates = ordinary(permuted, self.vocab)  # (T,)
        budget = min(randomized_round(self.mask_ratio * int(candidates.sum()), rng), int(candidates.sum()))
        lengths = sample_span_lengths(budget, self.poisson_lambda, rng)
        starts, span_lengths = place_spans(candidates, lengths[lengths > 0], rng)
        noised = self._replace_spans(permuted, starts, span_lengths, rng)
        zero_spans = int((lengths == 0).sum())
        wanted = zero_spans
        if self.insert_ratio > 0.0:
            wanted += randomized_round(self.insert_ratio * len(noised), rng)
        inserted = min(wanted, room - len(noised))  # spans never lengthen the text, so room >= 0
        if inserted < wanted:
            warnings.warn(_DROPPED_INSERTIONS, stacklevel=2)
        noised = self._insert(noised, inserted, rng)
        return Noised(noised, permuted, starts, span_lengths, zero_spans, inserted)

    def _checked_block(self, sample: TextBlock, what: str) -> tuple[np.ndarray, np.ndarray]:
        """The block's ids truncated to ``max_length - 2`` and its sentence ends clipped to match."""
        ids = check_ids(sample.ids, self.vocab, what)
        ends = np.asarray(sample.sentence_ends, dtype=np.int64).reshape(-1)
        if len(ids) and (len(ends) == 0 or ends[0] <= 0 or np.any(np.diff(ends) <= 0) or ends[-1] != len(ids)):
            raise ValueError(
                f"{what}: sentence_ends must increase from > 0 to len(ids)={len(ids)}, got {ends.tolist()}"
            )
        ids = truncate(ids, self.max_length - self.added_tokens, what)
        ends = np.append(ends[ends < len(ids)], len(ids)) if len(ids) else np.zeros(0, dtype=np.int64)
        return ids, ends

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Noise one block and lay out encoder input, decoder input and labels (module docstring).

        Returns:
            An ``Example`` with (T_enc,) ``input_ids``/``positions``/``langs`` and (T_dec,)
            ``decoder_input_ids``/``labels``, ``T_enc, T_dec <= max_length``.
        """
        if not isinstance(sample, TextBlock):
            raise TypeError(f"{type(self).__name__} reads mono TextBlocks, got {type(sample).__name__}")
        vocab, what = self.vocab, f"{type(self).__name__}: block {sample.key!r}"
        text, ends = self._checked_block(sample, what)
        lang = lang_index(vocab, sample.lang, what)
        noised = self.noise(text, ends, self.max_length - self.added_tokens, rng).ids
        if self.add_lang_token:
            lid = vocab.lang_token_ids[lang]
            input_ids = np.concatenate([noised, [vocab.eos_id, lid]])
            labels = np.concatenate([text, [vocab.eos_id, lid]])
            decoder_input_ids = np.concatenate([[lid], text, [vocab.eos_id]])
        else:
            input_ids = np.concatenate([[vocab.bos_id], noised, [vocab.eos_id]])
            labels = np.concatenate([[vocab.bos_id], text, [vocab.eos_id]])
            decoder_input_ids = np.concatenate([[vocab.eos_id, vocab.bos_id], text])
        return Example(
            input_ids=input_ids.astype(np.int64),
            labels=labels.astype(np.int64),
            positions=np.arange(len(input_ids), dtype=np.int64),
            langs=np.full(len(input_ids), lang, dtype=np.int64),
            lang=sample.lang,
            key=sample.key,
            decoder_input_ids=decoder_input_ids.astype(np.int64),
        )

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean cross-entropy over all target tokens (teacher forcing); accuracy and perplexity."""
        return target_cross_entropy(outputs, batch)

    def plain_example(self, ids: np.ndarray, lang: str, key: str) -> Example:
        """The clean sentence in this objective's layout (``Objective.plain_example``): mBART
        ``ids </s> <lid>`` in, ``<lid> ids </s>`` decoder input, ``ids </s> <lid>`` labels; BART
        ``<s> ids </s>``. ``make_example`` of a noiseless copy, so the layout is written once."""
        clean = copy.copy(self)
        clean.mask_ratio = clean.permute_sentence_ratio = clean.insert_ratio = 0.0
        ids = np.asarray(ids, dtype=np.int64)
        block = TextBlock(key=key, lang=lang, ids=ids, sentence_ends=np.array([len(ids)], dtype=np.int64))
        return clean.make_example(block, np.random.default_rng(0))  # nothing to draw without noise
