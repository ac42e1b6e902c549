"""Masked language modelling (BERT, RoBERTa, XLM-R): predict the originals of masked tokens.

Layout of one example (``T = len(block) + 2``)::

    input_ids  <s>  w1   <mask> w3   w4'  w5   </s>      (w4' a random token, w5 kept as target)
    labels     -100 -100 w2     -100 w4   w5   -100
    positions  0    1    2      3    4    5    6
    langs      l    l    l      l    l    l    l         (vocab.lang_index(block.lang))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch

from polytrain.objectives import (Batch, DataKind, Example, ModelKind, ModelOutput, Objective, Statistic, TextBlock,
    TextPair, TokenMasker, lang_index, single_text, target_cross_entropy, where)


class MaskedLM(Objective):
    """XLM-R-style MLM on packed monolingual blocks: ``<s> block </s>``, loss on the targets only.

    Target selection follows fairseq's ``MaskTokensDataset``: exactly
    ``randomized_round(mask_prob * C)`` of the C ordinary tokens (never special tokens, never
    ``<unk>``), uniformly without replacement, rather than HF's independent Bernoulli draws;
    both have expectation ``mask_prob``, the count has lower variance per block.

    Args:
        weight: relative probability of this objective when several are mixed.
        mask_prob: fraction of the ordinary tokens chosen as targets; 0.15 per Devlin et al.
            2019 §3.1, kept by RoBERTa and XLM-R (Conneau et al. 2020).
        mask_replace_prob: fraction of the targets replaced by ``<mask>``; 0.8 per Devlin et al.
            2019 §3.1.
        random_replace_prob: fraction of the targets replaced by a random ordinary token (never a
            special token); 0.1 per Devlin et al. 2019 §3.1. The remaining
            ``1 - mask_replace_prob - random_replace_prob`` (0.1) stay unchanged.
        whole_word_mask: choose whole words (a ``▁`` token and its continuation pieces) instead
            of single tokens; the 80/10/10 rule is still drawn per token (fairseq draws it per
            word; HF's whole-word collator masks every token of a chosen word).
    """

    model_kind: ClassVar[ModelKind] = "encoder"
    data_kind: ClassVar[DataKind] = "mono"
    added_tokens: ClassVar[int] = 2  # <s> and </s>

    def __init__(
        self,
        weight: float = 1.0,
        mask_prob: float = 0.15,
        mask_replace_prob: float = 0.8,
        random_replace_prob: float = 0.1,
        whole_word_mask: bool = False,
    ) -> None:
        super().__init__(weight)
        try:
            self.masker = TokenMasker(mask_prob, mask_replace_prob, random_replace_prob, whole_word_mask)
        except ValueError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from None

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Mask one packed block.

        Args:
            sample: a ``TextBlock`` (T_block,) ids; blocks longer than ``max_length - 2`` are
                truncated with a warning (the packer should never produce them).
            rng: source of all randomness.

        Returns:
            An ``Example`` with (T,) ``input_ids``, ``labels``, ``positions``, ``langs``.
        """
        if not isinstance(sample, TextBlock):
            raise TypeError(f"{type(self).__name__} reads mono TextBlocks, got {type(sample).__name__}")
        room = self.max_length - self.added_tokens  # MLM reads no sentence ends: single_text's checks suffice
        example = single_text(sample.ids, sample.lang, sample.key, self.vocab, room, where(self, sample))
        example.input_ids, example.labels = self.masker(example.input_ids, self.vocab, rng)
        return example

    def make_examples(self, samples: Sequence[TextBlock | TextPair], rng: np.random.Generator) -> list[Example]:
        """The batch's examples, blocks of one length framed and masked as one (B, T) array
        (``TokenMasker.mask_rows``, one generator for the batch). A batch that ``make_example``
        would refuse, truncate or warn about takes the one-by-one path."""
        rows = self._framed(samples)
        if rows is None:
            return super().make_examples(samples, rng)
        framed, langs = rows
        input_ids, labels = self.masker.mask_rows(framed, self.vocab, rng)
        positions = np.broadcast_to(np.arange(framed.shape[1], dtype=np.int64), framed.shape).copy()
        lang_rows = np.repeat(langs[:, None], framed.shape[1], axis=1)
        return [Example(input_ids=input_ids[i], labels=labels[i], positions=positions[i], langs=lang_rows[i],
                        lang=s.lang, key=s.key) for i, s in enumerate(samples)]

    def _framed(self, samples: Sequence[TextBlock | TextPair]) -> tuple[np.ndarray, np.ndarray] | None:
        """``(<s> ids </s>`` of every block (B, T), language index of each (B,)``), or ``None`` unless
        every sample is a ``TextBlock`` of one length within the room, its ids in the vocabulary and
        its language known (what ``single_text`` checks one by one)."""
        if not samples or not all(isinstance(s, TextBlock) for s in samples):
            return None
        length = len(samples[0].ids)
        if not all(len(s.ids) == length for s in samples) or length > self.max_length - self.added_tokens:
            return None
        ids = np.array([s.ids for s in samples])  # (B, T - 2); np.stack's result, cheaper
        vocab = self.vocab
        if ids.ndim != 2 or ids.dtype.kind not in "iu" or (ids.size and (ids.min() < 0 or ids.max() >= vocab.size)):
            return None
        try:
            index = {lang: lang_index(vocab, lang, "") for lang in {s.lang for s in samples}}
        except KeyError:
            return None
        framed = np.empty((len(samples), length + 2), dtype=np.int64)
        framed[:, 0], framed[:, 1:-1], framed[:, -1] = vocab.bos_id, ids, vocab.eos_id
        return framed, np.array([index[s.lang] for s in samples], dtype=np.int64)

    def plain_example(self, ids: np.ndarray, lang: str, key: str) -> Example:
        """``<s> ids </s>`` unmasked, labels all ``IGNORE_INDEX`` (``Objective.plain_example``)."""
        return single_text(ids, lang, key, self.vocab, self.max_length - self.added_tokens,
                           f"{type(self).__name__}: text {key!r}")

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean cross-entropy on the targets; accuracy and perplexity on the targets only."""
        return target_cross_entropy(outputs, batch)

    def statistics(self, sample: TextBlock | TextPair, example: Example) -> list[Statistic]:
        """The target fraction and the 80/10/10 split (``TokenMasker.statistics``)."""
        return self.masker.statistics(example, self.vocab)
