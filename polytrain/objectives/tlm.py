"""Translation language modelling (XLM, Lample & Conneau 2019): MLM over a concatenated parallel pair.

With A and B the two sides of a pair (A is the source with probability ``1 - swap_prob``),
``la = len(A)``, ``lb = len(B)``::

    input_ids  <s>  a1 .. a_la  </s>      </s>  b1 .. b_lb  </s>
    positions  0    1  .. la    la+1      0     1  .. lb    lb+1
    langs      A    A  .. A     A         B     B  .. B     B

The first segment is ``<s> A </s>``; the second segment ``</s> B </s>`` starts at the separator's
second ``</s>``, where positions restart at 0 (XLM's ``reset_positions``). Each special token
takes the language of the segment it opens or closes. The doubled ``</s> </s>`` is RoBERTa's /
XLM-R's pair separator, so an exported XLM-R model sees the format it knows. Both sides are masked
with the MLM rule (``TokenMasker``) over the union of their ordinary tokens.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from polytrain.objectives import (Batch, DataKind, Example, ModelKind, ModelOutput, Objective, Statistic, TextBlock,
    TextPair, TokenMasker, check_ids, lang_index, single_text, target_cross_entropy, where)


def longest_first(la: int, lb: int, budget: int) -> tuple[int, int]:
    """Lengths that fit ``budget`` after cutting the longer side first (HF ``longest_first``).

    The shorter side is kept whole if it fits in half the budget; otherwise both get half, the
    first side keeping the odd token. Returns ``(la', lb')`` with ``la' <= la``, ``lb' <= lb``.
    """
    if la + lb <= budget:
        return la, lb
    if la <= budget // 2:
        return la, budget - la
    if lb <= budget // 2:
        return budget - lb, lb
    return budget - budget // 2, budget // 2


class TranslationLM(Objective):
    """XLM's TLM: ``<s> A </s> </s> B </s>`` with per-side positions and language ids, masked like MLM.

    Models with language embeddings (XLM) add ``langs``; models without them (XLM-R) ignore
    ``langs``, so the language signal is dropped and only the reset positions and the other side's
    text remain.

    Args:
        weight: relative probability of this objective when mixed (XLM alternated MLM and TLM).
        mask_prob: fraction of the ordinary tokens of both sides chosen as targets; 0.15 per
            Devlin et al. 2019 §3.1, as in XLM (``--word_pred 0.15``).
        mask_replace_prob: fraction of the targets replaced by ``<mask>``; 0.8 (Devlin et al. 2019
            §3.1; XLM ``--word_mask_keep_rand 0.8,0.1,0.1``).
        random_replace_prob: fraction of the targets replaced by a random ordinary token; 0.1.
        whole_word_mask: choose whole words instead of single tokens (80/10/10 stays per token).
        swap_prob: probability that the target-language side comes first; 0.5 puts either side
            first equally often, so the model learns both directions.
    """

    model_kind: ClassVar[ModelKind] = "encoder"
    data_kind: ClassVar[DataKind] = "parallel"
    added_tokens: ClassVar[int] = 4  # <s>, </s> </s>, </s>
    min_text_tokens: ClassVar[int] = 2  # one per side

    def __init__(
        self,
        weight: float = 1.0,
        mask_prob: float = 0.15,
        mask_replace_prob: float = 0.8,
        random_replace_prob: float = 0.1,
        whole_word_mask: bool = False,
        swap_prob: float = 0.5,
    ) -> None:
        super().__init__(weight)
        try:
            self.masker = TokenMasker(mask_prob, mask_replace_prob, random_replace_prob, whole_word_mask)
        except ValueError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from None
        if not 0.0 <= swap_prob <= 1.0:
            raise ValueError(f"{type(self).__name__}: swap_prob must be in [0, 1], got {swap_prob}")
        self.swap_prob = swap_prob

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Concatenate, truncate (longer side first, from the end) and mask one pair.

        Args:
            sample: a ``TextPair``; ``lang`` of the example is ``"{src_lang}-{tgt_lang}"``.
            rng: source of all randomness (one draw for the swap, then the masking).

        Returns:
            An ``Example`` with (T,) ``input_ids``, ``labels``, ``positions``, ``langs``,
            ``T = la' + lb' + 4 <= max_length``.
        """
        if not isinstance(sample, TextPair):
            raise TypeError(f"{type(self).__name__} reads parallel TextPairs, got {type(sample).__name__}")
        vocab = self.vocab
        what = where(self, sample)
        sides = [
            (check_ids(sample.src_ids, vocab, f"{what} (source)"), lang_index(vocab, sample.src_lang, what)),
            (check_ids(sample.tgt_ids, vocab, f"{what} (target)"), lang_index(vocab, sample.tgt_lang, what)),
        ]
        if rng.random() < self.swap_prob:
            sides.reverse()
        (a, lang_a), (b, lang_b) = sides
        la, lb = longest_first(len(a), len(b), self.max_length - self.added_tokens)
        first = np.concatenate([[vocab.bos_id], a[:la], [vocab.eos_id]])  # (la + 2,)
        second = np.concatenate([[vocab.eos_id], b[:lb], [vocab.eos_id]])  # (lb + 2,)
        ids = np.concatenate([first, second]).astype(np.int64)  # (T,)
        input_ids, labels = self.masker(ids, vocab, rng)
        return Example(
            input_ids=input_ids,
            labels=labels,
            positions=np.concatenate([np.arange(len(first)), np.arange(len(second))]).astype(np.int64),
            langs=np.concatenate([np.full(len(first), lang_a), np.full(len(second), lang_b)]).astype(np.int64),
            lang=f"{sample.src_lang}-{sample.tgt_lang}",
            key=sample.key,
        )

    def plain_example(self, ids: np.ndarray, lang: str, key: str) -> Example:
        """One sentence as TLM's first segment, unmasked: ``<s> ids </s>`` (MLM's layout), labels
        all ``IGNORE_INDEX`` (``Objective.plain_example``)."""
        return single_text(ids, lang, key, self.vocab, self.max_length - self.added_tokens,
                           f"{type(self).__name__}: text {key!r}")

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean cross-entropy on the targets of both sides; accuracy and perplexity on them."""
        return target_cross_entropy(outputs, batch)

    def statistics(self, sample: TextBlock | TextPair, example: Example) -> list[Statistic]:
        """The target fraction over both sides and the 80/10/10 split (``TokenMasker.statistics``)."""
        return self.masker.statistics(example, self.vocab)
