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

Masking counts whole words (``span_unit="word"``, mBART: "35% of the words", Poisson(3.5) span
lengths in words) or ordinary tokens (``span_unit="token"``). Words are whole-word MLM's
(``polytrain.objectives.span_units``). Special tokens, such as the ``</s>`` between documents of a
``whole_documents=False`` block, are never covered, and spans do not cross them.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from polytrain.objectives import (Batch, DataKind, Example, ModelKind, ModelOutput, Objective, Spans, SpanUnit,
    Statistic, TextBlock, TextPair, Vocab, checked_block, lang_index, missing_units, place_spans,
    random_ordinary_tokens, randomized_round, sample_span_lengths, span_units, target_cross_entropy, where)

_DROPPED_INSERTIONS = (
    "Denoising: a block had no room for all inserted tokens (zero-length spans outnumber the tokens "
    "that spans remove when poisson_lambda < 1, or insert_ratio > 0); the extra insertions were dropped"
)


@dataclass
class Noised:
    """The result of ``Denoising.noise``, with what was done, for statistics and tests.

    ``masked_tokens = span_lengths.sum()``, ``masked_units = span_units.sum()``; ``<mask>`` tokens in
    ``ids`` (when ``mask_random=0``, ``replace_length=1``) ``= len(span_starts) + inserted``.
    """

    ids: np.ndarray
    """(T~,) int64 noised text, without the added special tokens."""
    permuted: np.ndarray
    """(T,) int64 the text after sentence permutation, before masking."""
    span_starts: np.ndarray
    """(K,) int64 start of each non-empty span in ``permuted``, increasing."""
    span_lengths: np.ndarray
    """(K,) int64 length in tokens of each non-empty span (>= 1)."""
    span_units: np.ndarray
    """(K,) int64 length of each non-empty span in ``span_unit`` (words or tokens, >= 1)."""
    num_units: int
    """Units (words or ordinary tokens) of ``permuted``: the masking budget's denominator."""
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


class Denoising(Objective):
    """mBART/BART denoising: encoder reads the noised block, decoder reconstructs the original.

    Defaults are mBART's (Liu et al. 2020 §2.2: 35 % of the words masked with Poisson(3.5) span
    lengths counted in words, all sentences permuted, language id token), not fairseq's
    ``DenoisingDataset`` defaults (which mask nothing). BART large (Lewis et al. 2020 §5.1: "30 % of
    tokens"): ``mask_ratio=0.3``, ``poisson_lambda=3.0``, ``span_unit="token"``, ``add_lang_token=False``.

    Args:
        weight: relative probability of this objective when several are mixed.
        mask_ratio: fraction of the block's units (words or ordinary tokens, ``span_unit``) covered
            by spans (fairseq ``mask``); 0.35 of the words per mBART.
        poisson_lambda: mean of the Poisson span-length distribution, in ``span_unit``; 3.5 per mBART.
        span_unit: what ``mask_ratio`` and span lengths count: ``"word"``, whole words with the
            boundaries of whole-word MLM (mBART §2.2 "35% of the words"; fairseq ``span-poisson``
            with whole-word masking), or ``"token"``, ordinary subword tokens (the BART paper's
            "30% of tokens"). Words need a tokenizer that marks word starts (Metaspace ``▁``).
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
        span_unit: SpanUnit = "word",
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
        if span_unit not in ("word", "token"):
            raise ValueError(f"{name}: span_unit must be 'word' or 'token', got {span_unit!r}")
        if replace_length not in (-1, 0, 1):
            raise ValueError(f"{name}: replace_length must be -1, 0 or 1 (fairseq), got {replace_length}")
        self.mask_ratio = mask_ratio
        self.poisson_lambda = poisson_lambda
        self.span_unit = span_unit
        self.mask_random = mask_random
        self.replace_length = replace_length
        self.permute_sentence_ratio = permute_sentence_ratio
        self.insert_ratio = insert_ratio
        self.add_lang_token = add_lang_token
        self.whole_documents = whole_documents

    def setup(self, vocab: Vocab, max_length: int) -> None:
        """Bind the vocabulary: mBART's layout needs a language tag for every language, and
        ``span_unit="word"`` a tokenizer that marks word starts.

        Raises:
            ValueError: ``add_lang_token`` with a tokenizer without tags (XLM-R's), word units without
                word starts, or too small a ``max_length`` (``Objective.setup``).
        """
        if self.add_lang_token and not vocab.languages:
            raise ValueError(f"{type(self).__name__}: add_lang_token=True (mBART's X </s> <lid>) needs language tags "
                             "and the tokenizer has none (an XLM-R tokenizer marks no language); set "
                             "add_lang_token: false for BART's <s> X </s>")
        if self.span_unit == "word" and not vocab.word_start[vocab.ordinary_ids].any():
            raise ValueError(f"{type(self).__name__}: span_unit='word' needs word starts, but no ordinary token of the "
                             "tokenizer starts a word (no Metaspace \u2581 pieces); set span_unit: token")
        super().setup(vocab, max_length)

    def _replacements(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """(count,) ``<mask>``, or with probability ``mask_random`` a random ordinary token."""
        tokens = np.full(count, self.vocab.mask_id, dtype=np.int64)
        is_random = rng.random(count) < self.mask_random
        tokens[is_random] = random_ordinary_tokens(int(is_random.sum()), self.vocab, rng)
        return tokens

    def _replace_spans(self, text: np.ndarray, spans: Spans, rng: np.random.Generator) -> np.ndarray:
        """Replace each span of ``text`` (T,) by ``replace_length`` tokens; returns the shorter text."""
        covered = spans.positions()  # (M,) positions of all masked tokens
        out, keep = text.copy(), np.ones(len(text), dtype=bool)
        if self.replace_length == 1:
            out[spans.starts] = self._replacements(len(spans.starts), rng)
            keep[covered] = False
            keep[spans.starts] = True
        elif self.replace_length == 0:
            keep[covered] = False
        else:  # -1: every token of a span becomes <mask>, or a random token if the span is random
            is_random = np.repeat(rng.random(len(spans.starts)) < self.mask_random, spans.lengths)
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
        units = span_units(permuted, self.vocab, self.span_unit)  # (U,) words or tokens
        budget = min(randomized_round(self.mask_ratio * len(units), rng), len(units))
        lengths = sample_span_lengths(budget, self.poisson_lambda, rng)  # in units
        spans = place_spans(units, lengths[lengths > 0], rng)
        noised = self._replace_spans(permuted, spans, rng)
        zero_spans = int((lengths == 0).sum())
        wanted = zero_spans
        if self.insert_ratio > 0.0:
            wanted += randomized_round(self.insert_ratio * len(noised), rng)
        inserted = min(wanted, room - len(noised))  # spans never lengthen the text, so room >= 0
        if inserted < wanted:
            warnings.warn(_DROPPED_INSERTIONS, stacklevel=2)
        noised = self._insert(noised, inserted, rng)
        return Noised(ids=noised, permuted=permuted, span_starts=spans.starts, span_lengths=spans.lengths,
                      span_units=spans.units, num_units=len(units), zero_spans=zero_spans, inserted=inserted)

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Noise one block and lay out encoder input, decoder input and labels (module docstring).

        Returns:
            An ``Example`` with (T_enc,) ``input_ids``/``positions``/``langs`` and (T_dec,)
            ``decoder_input_ids``/``labels``, ``T_enc, T_dec <= max_length``.
        """
        vocab = self.vocab
        text, ends = checked_block(self, sample)
        lang = lang_index(vocab, sample.lang, where(self, sample))
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

    def statistics(self, sample: TextBlock | TextPair, example: Example) -> list[Statistic]:
        """Masked fraction and span length in ``span_unit``, as the example shows them.

        ``masked_<unit>_fraction``: units of the block missing from the encoder input
        (``missing_units``: exact with ``mask_random=0`` and ``insert_ratio=0``; an inserted
        ``<mask>`` inside a word makes that word missing), next to ``mask_ratio``.
        ``<unit>s_per_mask``: missing units per ``<mask>``, the mean span length with zero-length
        spans counted (each inserts one ``<mask>``), next to ``poisson_lambda`` (``replace_length=1``
        only; a little below it, as each block's last span is cut to the budget).
        """
        unit, vocab = self.span_unit, self.vocab
        text = np.asarray(sample.ids, dtype=np.int64)[: self.max_length - self.added_tokens]
        missing, total = missing_units(text, example.input_ids, vocab, unit)
        masks = int((example.input_ids == vocab.mask_id).sum())
        stats = [Statistic(f"masked_{unit}_fraction", missing, total, f"{unit}s missing from the encoder input",
                           self.mask_ratio, "mask_ratio"),
                 Statistic("masks_per_example", masks, 1, "<mask> tokens in the encoder input")]
        if self.replace_length == 1:
            expected = self.poisson_lambda if self.mask_random == 0 else None
            stats.append(Statistic(f"{unit}s_per_mask", missing, masks, f"missing {unit}s per <mask>", expected,
                                   "poisson_lambda"))
        return stats

    def plain_example(self, ids: np.ndarray, lang: str, key: str) -> Example:
        """The clean sentence in this objective's layout (``Objective.plain_example``): mBART
        ``ids </s> <lid>`` in, ``<lid> ids </s>`` decoder input, ``ids </s> <lid>`` labels; BART
        ``<s> ids </s>``. ``make_example`` of a noiseless copy, so the layout is written once."""
        clean = copy.copy(self)
        clean.mask_ratio = clean.permute_sentence_ratio = clean.insert_ratio = 0.0
        ids = np.asarray(ids, dtype=np.int64)
        block = TextBlock(key=key, lang=lang, ids=ids, sentence_ends=np.array([len(ids)], dtype=np.int64))
        return clean.make_example(block, np.random.default_rng(0))  # nothing to draw without noise
