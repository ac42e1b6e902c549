"""T5 span corruption (Raffel et al. 2020 §3.1.4, "i.i.d. noise, replace spans"; mT5, Xue et al. 2021).

The noise mask follows T5's ``random_spans_noise_mask`` (t5/data/preprocessors.py): for a text of
``n`` maskable tokens, exactly ``round(n * noise_density)`` of them are noise, split into
``round(num_noise / mean_noise_span_length)`` spans; noise and non-noise span lengths are uniformly
random compositions, interleaved starting with non-noise. Each noise span becomes one sentinel in the
encoder input, and the decoder reconstructs the spans, each after its sentinel (T5's
``noise_span_to_unique_sentinel`` on the inputs, ``nonnoise_span_to_unique_sentinel`` on the targets)::

    text               w1 w2 w3 w4 w5 w6 w7 w8            (noise: w3 w4 and w7)
    input_ids          w1 w2 <S0> w5 w6 <S1> w8 </s>
    labels             <S0> w3 w4 <S1> w7 <S2> </s>
    decoder_input_ids  <s> <S0> w3 w4 <S1> w7 <S2>

A text that ends in non-noise closes its targets with one more sentinel (``<S2>`` above, as in the
paper's Figure 2); a text that ends in noise does not.

Sentinels: T5 appends 100 ``<extra_id_i>`` tokens to its vocabulary and uses id ``V - 1 - i`` for the
i-th (``sentinel_id``: "the last token in the vocabulary"). polytrain's tokenizer has no extra ids, so
this objective *reserves* ``num_sentinels`` ids at the top of the vocabulary, counting down as T5
does: sentinel ``i = vocab.size - 1 - skip_top - i``. The default ``skip_top=256`` steps over the
byte-fallback tokens ``<0x00>`` .. ``<0xFF>``, which polytrain's tokenizer puts last
(docs/tokenizer.md): reserving them would turn the bytes 0x9C-0xFF, among them the lead byte of every
non-ASCII character that falls back to bytes, into ``<unk>``. ``skip_top=0`` gives T5's ids exactly
(for a tokenizer without byte fallback).

Trade-off: the reserved ids are ordinary learned pieces that can no longer stand for text. Tokenizer
trainers put the rarest pieces last (Unigram sorts pieces by score, BPE adds its last merges last), so
little text uses them; where a text does, the token becomes ``<unk>`` (with a warning, and counted) so
that a sentinel in the input is never ambiguous. Training the tokenizer with ``num_sentinels`` more
pieces keeps the text vocabulary as large as it would be without them.

polytrain specifics, each a choice where T5 has no counterpart:

- Only ordinary tokens can be noise. A packed block holds ``</s>`` between documents (and may hold
  ``<unk>``); these stay in the input and never become targets. The mask is drawn over the block's
  ordinary tokens only, so a span that straddles a ``</s>`` is split in two, each with its own sentinel.
- The decoder starts with ``<s>``, not with T5's ``<pad>`` (id 0 in T5): polytrain's embeddings give
  ``<pad>`` a fixed zero row (``padding_idx``), while ``<s>`` has a learned one.
- ``random_roll`` is T5's option (default off in T5 and here). Without it the last maskable token is
  always noise and the first never is; with it the mask is rotated by a uniform offset, and a span
  that wraps around is split in two.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import torch

from polytrain.objectives import (Batch, DataKind, Example, ModelKind, ModelOutput, Objective, Statistic, TextBlock,
    TextPair, Vocab, checked_block, lang_index, missing_units, ordinary, target_cross_entropy, where)


def random_segmentation(num_items: int, num_segments: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random composition of ``num_items`` into ``num_segments`` positive parts.

    T5's ``_random_segmentation`` shuffles ``num_segments - 1`` segment starts among the
    ``num_items - 1`` gaps between items; choosing the gaps without replacement is the same law.

    Args:
        num_items: >= 1.
        num_segments: in ``[1, num_items]``.
        rng: source of randomness.

    Returns:
        (num_segments,) int64 positive lengths that sum to ``num_items``.
    """
    cuts = np.sort(rng.choice(num_items - 1, size=num_segments - 1, replace=False)) + 1  # (S-1,)
    return np.diff(np.concatenate([[0], cuts, [num_items]])).astype(np.int64)


def noise_counts(length: int, noise_density: float, mean_noise_span_length: float) -> tuple[int, int]:
    """``(num_noise_tokens, num_noise_spans)`` for a text of ``length >= 2`` maskable tokens (T5).

    ``num_noise_tokens = round(length * noise_density)`` clipped to ``[1, length - 1]`` and
    ``num_noise_spans = max(1, round(num_noise_tokens / mean_noise_span_length))``, with numpy's
    round-half-to-even like T5's ``tf.round``. One addition: the spans are capped at the number of
    non-noise tokens (T5 would otherwise produce empty non-noise spans at extreme densities).
    """
    num_noise = min(max(int(np.round(length * noise_density)), 1), length - 1)
    num_spans = max(int(np.round(num_noise / mean_noise_span_length)), 1)
    return num_noise, min(num_spans, length - num_noise)


def random_spans_noise_mask(
    length: int,
    noise_density: float,
    mean_noise_span_length: float,
    rng: np.random.Generator,
    random_roll: bool = False,
) -> np.ndarray:
    """T5's noise mask: random spans of noise, alternating with non-noise, starting with non-noise.

    Subject to the counts of ``noise_counts``, all masks are equally likely. Texts of one token are
    drawn as texts of two and cut, as in T5 (so they get no noise).

    Args:
        length: number of maskable tokens (>= 0).
        noise_density: fraction of noise tokens; 0.0 gives no noise.
        mean_noise_span_length: average span length.
        rng: source of randomness: noise lengths, then non-noise lengths, then the roll (T5's order).
        random_roll: rotate the mask by a uniform offset in ``[0, length)`` (T5's ``random_roll``).

    Returns:
        (length,) bool, True on noise.
    """
    if noise_density == 0.0 or length == 0:
        return np.zeros(length, dtype=bool)
    padded_length = max(length, 2)  # T5: "increase length to avoid degeneracy"
    num_noise, num_spans = noise_counts(padded_length, noise_density, mean_noise_span_length)
    noise_lengths = random_segmentation(num_noise, num_spans, rng)  # (S,)
    nonnoise_lengths = random_segmentation(padded_length - num_noise, num_spans, rng)  # (S,)
    interleaved = np.stack([nonnoise_lengths, noise_lengths], axis=1).reshape(-1)  # (2S,)
    mask = np.repeat(np.tile([False, True], num_spans), interleaved)[:length]  # (length,)
    if random_roll:
        mask = np.roll(mask, int(rng.integers(0, padded_length)))
    return mask


def span_bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)``: (K,) int64 each, the maximal runs of True in ``mask`` (T,), ends exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))  # starts and ends alternate
    return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)


class SpanCorruption(Objective):
    """T5 span corruption: each noise span becomes one sentinel; the decoder writes the spans.

    Defaults are T5's and mT5's (Raffel et al. 2020 §3.1.4 and §3.3.4: 15 % noise, mean span length
    3; Xue et al. 2021 keep both). The sentinels are the top ``num_sentinels`` ids of the tokenizer,
    reserved by this objective (module docstring).

    Args:
        weight: relative probability of this objective when several are mixed.
        noise_density: fraction of a block's ordinary tokens that are noise; 0.15 per T5.
        mean_noise_span_length: average noise span length in tokens; 3.0 per T5.
        num_sentinels: how many ids are reserved as sentinels ``vocab.size - 1 - skip_top - i``;
            100 per T5's ``extra_ids``. Must cover the most spans a block of ``max_length`` tokens
            can have (checked in ``setup``).
        skip_top: how many ids at the very top stay text, below which the sentinels start; 256
            keeps polytrain's byte-fallback tokens (the last 256 ids) usable; 0 is T5's layout.
        random_roll: rotate each noise mask by a random offset so that noise is spread uniformly
            over positions (T5's ``random_roll``; off by default, as in T5).
    """

    model_kind: ClassVar[ModelKind] = "encoder_decoder"
    data_kind: ClassVar[DataKind] = "mono"
    added_tokens: ClassVar[int] = 1  # the final </s> of the encoder input

    def __init__(
        self,
        weight: float = 1.0,
        noise_density: float = 0.15,
        mean_noise_span_length: float = 3.0,
        num_sentinels: int = 100,
        skip_top: int = 256,
        random_roll: bool = False,
    ) -> None:
        super().__init__(weight)
        name = type(self).__name__
        if not 0.0 <= noise_density < 1.0:
            raise ValueError(f"{name}: noise_density must be in [0, 1), got {noise_density}")
        if not mean_noise_span_length >= 1.0:
            raise ValueError(f"{name}: mean_noise_span_length must be >= 1, got {mean_noise_span_length}")
        if num_sentinels < 1:
            raise ValueError(f"{name}: num_sentinels must be >= 1, got {num_sentinels}")
        if skip_top < 0:
            raise ValueError(f"{name}: skip_top must be >= 0, got {skip_top}")
        self.noise_density = noise_density
        self.mean_noise_span_length = mean_noise_span_length
        self.num_sentinels = num_sentinels
        self.skip_top = skip_top
        self.random_roll = random_roll
        self.reserved_replaced = 0
        """Text tokens that were sentinel ids and became ``<unk>`` (in this process)."""
        self.spans_dropped = 0
        """Noise spans given back to the text because sentinels or decoder length ran out (this process)."""
        self._warned: set[str] = set()

    @property
    def sentinel_ids(self) -> range:
        """The reserved ids, ``[vocab.size - skip_top - num_sentinels, vocab.size - skip_top)``."""
        top = self.vocab.size - self.skip_top
        return range(top - self.num_sentinels, top)

    def is_sentinel(self, ids: np.ndarray) -> np.ndarray:
        """(T,) bool: which of ``ids`` (T,) are reserved sentinel ids."""
        reserved = self.sentinel_ids
        return (ids >= reserved.start) & (ids < reserved.stop)

    def sentinel(self, index: np.ndarray) -> np.ndarray:
        """Id of sentinel ``index`` (K,): ``vocab.size - 1 - skip_top - index``, counting down as T5's
        ``<extra_id_i>`` do; (K,) int64."""
        return (self.vocab.size - 1 - self.skip_top - np.asarray(index)).astype(np.int64)

    def setup(self, vocab: Vocab, max_length: int) -> None:
        """Bind the vocabulary; check that the sentinels and the longest block fit.

        The worst case is a block of ``max_length - 1`` ordinary tokens: its spans (plus one after a
        roll split, plus the closing sentinel) must have sentinels, and its targets must fit the
        decoder's ``max_length``.
        """
        name = type(self).__name__
        if max_length < 2:
            raise ValueError(f"{name}: max_length must be >= 2, got {max_length}")
        if vocab.size - self.skip_top - self.num_sentinels <= vocab.num_special:
            raise ValueError(
                f"{name}: the vocabulary of {vocab.size} tokens ({vocab.num_special} special) is too small to reserve "
                f"num_sentinels={self.num_sentinels} sentinel ids below the top skip_top={self.skip_top} "
                f"and keep ordinary tokens"
            )
        reserved = vocab.size - 1 - self.skip_top - np.arange(self.num_sentinels)  # (num_sentinels,)
        if vocab.special[reserved].any():
            # Imported tokenizers keep special tokens at the top (XLM-R's <mask>, mBART-50's language
            # codes): a sentinel there would stand for two things.
            clash = sorted(int(i) for i in reserved[vocab.special[reserved]])
            raise ValueError(
                f"{name}: the reserved sentinel ids {reserved[-1]}..{reserved[0]} include special token id(s) "
                f"{clash[:5]}{' ...' if len(clash) > 5 else ''}; raise skip_top={self.skip_top} above them"
            )
        num_noise, num_spans = noise_counts(max(max_length - 1, 2), self.noise_density, self.mean_noise_span_length)
        spans = num_spans + int(self.random_roll) + 1  # + a wrapped span + the closing sentinel
        if self.noise_density > 0 and spans > self.num_sentinels:
            raise ValueError(
                f"{name}: a block of {max_length - 1} tokens needs up to {spans} sentinels but num_sentinels="
                f"{self.num_sentinels}; raise num_sentinels or mean_noise_span_length"
            )
        if self.noise_density > 0 and num_noise + spans + 1 > max_length:
            raise ValueError(
                f"{name}: targets of up to {num_noise + spans + 1} tokens exceed max_length={max_length}; "
                f"lower noise_density={self.noise_density} or raise mean_noise_span_length"
            )
        super().setup(vocab, max_length)

    def _warn_once(self, key: str, message: str) -> None:
        """Warn once per process and kind (workers each warn once; counts stay on the instance)."""
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, stacklevel=3)

    def _checked_text(self, sample: TextBlock | TextPair) -> np.ndarray:
        """(T,) int64 block ids, checked and truncated (``checked_block``), sentinel ids -> ``<unk>``."""
        ids, _ = checked_block(self, sample)
        reserved = self.is_sentinel(ids)
        if reserved.any():
            self.reserved_replaced += int(reserved.sum())
            self._warn_once("reserved", f"{where(self, sample)}: {int(reserved.sum())} tokens use ids in "
                            f"{self.sentinel_ids}, which {type(self).__name__} reserves as sentinels; they become "
                            f"<unk> (counted in reserved_replaced)")
            ids = np.where(reserved, self.vocab.unk_id, ids)
        return ids

    def noise_mask(self, text: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """T5's mask drawn over the ordinary tokens of ``text`` (T,); special tokens are never noise.

        Returns:
            (T,) bool, True on noise.
        """
        maskable = ordinary(text, self.vocab)  # (T,)
        mask = np.zeros(len(text), dtype=bool)
        mask[maskable] = random_spans_noise_mask(
            int(maskable.sum()), self.noise_density, self.mean_noise_span_length, rng, self.random_roll
        )
        return mask

    def _fit_spans(self, text: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Span bounds of ``mask``, dropping the last spans while sentinels or decoder room run out.

        Only spans split by special tokens can exceed the bounds ``setup`` checked; this is rare.
        """
        starts, ends = span_bounds(mask)
        while len(starts):
            closing = int(ends[-1] < len(text))  # the text ends in non-noise: one more sentinel
            sentinels = len(starts) + closing
            if sentinels <= self.num_sentinels and int((ends - starts).sum()) + sentinels + 1 <= self.max_length:
                break
            starts, ends = starts[:-1], ends[:-1]
            self.spans_dropped += 1
            self._warn_once("dropped", f"{type(self).__name__}: a noise span was dropped because the sentinels or the "
                            f"decoder length ran out (counted in spans_dropped)")
        return starts, ends

    def corrupt(self, text: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Replace each noise span by its sentinel (inputs) and list the spans after theirs (targets).

        Args:
            text: (T,) int64 the block, special tokens included.
            mask: (T,) bool noise mask, False on special tokens.

        Returns:
            ``(inputs, targets)``, (T_in,) and (T_out,) int64, both without the final ``</s>``.
        """
        starts, ends = self._fit_spans(text, mask)
        sentinels = self.sentinel(np.arange(len(starts) + 1))  # (K+1,)
        keep = np.ones(len(text), dtype=bool)
        for start, end in zip(starts, ends):
            keep[start + 1 : end] = False
        inputs = text.copy()
        inputs[starts] = sentinels[: len(starts)]
        parts = [np.concatenate([[sentinels[k]], text[start:end]]) for k, (start, end) in enumerate(zip(starts, ends))]
        if len(text) and (not len(ends) or ends[-1] < len(text)):
            parts.append(sentinels[len(starts) :])  # closing sentinel after trailing non-noise (T5)
        targets = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return inputs[keep].astype(np.int64), targets.astype(np.int64)

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Corrupt one packed block (module docstring for the layout).

        Args:
            sample: a ``TextBlock`` of at most ``max_length - 1`` tokens (longer ones are truncated
                with a warning; the packer never makes them).
            rng: the only source of randomness.

        Returns:
            An ``Example`` with (T_enc,) ``input_ids``/``positions``/``langs`` and (T_dec,)
            ``labels``/``decoder_input_ids``; ``T_enc, T_dec <= max_length``.
        """
        vocab = self.vocab
        text = self._checked_text(sample)
        lang = lang_index(vocab, sample.lang, where(self, sample))
        inputs, targets = self.corrupt(text, self.noise_mask(text, rng))
        input_ids = np.concatenate([inputs, [vocab.eos_id]]).astype(np.int64)  # (T_enc,)
        labels = np.concatenate([targets, [vocab.eos_id]]).astype(np.int64)  # (T_dec,)
        decoder_input_ids = np.concatenate([[vocab.bos_id], labels[:-1]]).astype(np.int64)  # shifted right
        return Example(
            input_ids=input_ids,
            labels=labels,
            positions=np.arange(len(input_ids), dtype=np.int64),
            langs=np.full(len(input_ids), lang, dtype=np.int64),
            lang=sample.lang,
            key=sample.key,
            decoder_input_ids=decoder_input_ids,
        )

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean cross-entropy over every target token (sentinels, spans, ``</s>``), as in T5."""
        return target_cross_entropy(outputs, batch)

    def statistics(self, sample: TextBlock | TextPair, example: Example) -> list[Statistic]:
        """What ``polytrain inspect`` shows next to the settings: the noise fraction (text tokens
        missing from the input, vs ``noise_density``), sentinels per example, and noise tokens per
        sentinel (the mean span length, vs ``mean_noise_span_length``)."""
        text = np.asarray(sample.ids, dtype=np.int64)[: self.max_length - self.added_tokens]
        missing, total = missing_units(text, example.input_ids, self.vocab, "token")
        sentinels = int(self.is_sentinel(example.input_ids).sum())
        return [
            Statistic("noise_fraction", missing, total, "text tokens missing from the encoder input",
                      self.noise_density, "noise_density"),
            Statistic("sentinels_per_example", sentinels, 1, "sentinel tokens in the encoder input"),
            Statistic("tokens_per_sentinel", missing, sentinels, "missing tokens per sentinel", self.mean_noise_span_length,
                      "mean_noise_span_length"),
        ]
