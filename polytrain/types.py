"""The data types that cross module boundaries.

Flow: shards -> ``TextBlock`` / ``TextPair`` (tokenized, in DataLoader workers)
-> ``Objective.make_example`` -> ``Example`` -> ``data.converters.collate`` -> ``Batch``
-> model -> ``ModelOutput`` -> ``Objective.loss``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # at run time torch is imported where a tensor is made: data preparation never loads it
    import torch

PathLike = str | os.PathLike
"""A file's location: a path, or an fsspec URL as a string."""

IGNORE_INDEX = -100
"""Label value of positions that carry no loss (PyTorch ``cross_entropy`` default)."""

SPECIAL_TOKENS: tuple[str, ...] = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
"""Special tokens in id order 0..4 (fairseq/XLM-R order for the first four)."""


def language_tag(lang: str) -> str:
    """The single atomic token that stands for language ``lang`` (e.g. ``<lang:en>``)."""
    return f"<lang:{lang}>"


@dataclass(frozen=True)
class Vocab:
    """What objectives and models need to know about the tokenizer, derived from it in one place
    (``polytrain.shards.vocab.vocab_from_tokenizer``).

    In polytrain's own layout ids ``0 .. num_special - 1`` are special: the five ``SPECIAL_TOKENS``
    then one language tag per language, and every later id is ordinary. Imported tokenizers put
    special tokens elsewhere (XLM-R's ``<mask>`` last, mBART-50's ``en_XX`` codes before it), and an
    extended tokenizer appends its new tags: ``special`` marks them wherever they sit.
    """

    size: int
    pad_id: int
    bos_id: int
    eos_id: int
    unk_id: int
    mask_id: int
    languages: tuple[str, ...]
    """Languages with a tag token, sorted; the index here is the language-embedding index. Empty for a
    tokenizer without tags (XLM-R's): its languages are then not marked in the ids."""
    lang_token_ids: tuple[int, ...]
    """Token id of each language's tag, aligned with ``languages``."""
    num_special: int
    """Number of leading special ids (polytrain: 5 + languages; XLM-R and mBART: 4)."""
    word_start: np.ndarray = field(repr=False, compare=False)
    """(size,) bool: the token begins a word (Metaspace ``▁``, or a CJK ideograph first:
    ``polytrain.shards.vocab.starts_word``); used by whole-word masking."""
    sha256: str = ""
    """Hash of the tokenizer file; stored with checkpoints."""
    lang_tags: tuple[str, ...] = ()
    """Text of each language's tag token, aligned with ``languages`` (empty: ``language_tag(lang)``)."""
    special: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False, compare=False)
    """(size,) bool: special tokens and language tags, wherever they sit. They are never masking
    targets nor random replacements. Left empty, ids below ``num_special`` (polytrain's layout)."""
    ordinary_ids: np.ndarray = field(init=False, repr=False, compare=False)
    """(size - #special,) int64, increasing: the ids that are not ``special`` (derived)."""

    def __post_init__(self) -> None:
        if self.special.size == 0:
            object.__setattr__(self, "special", np.arange(self.size) < self.num_special)
        if self.special.shape != (self.size,):
            raise ValueError(f"Vocab.special has shape {self.special.shape}, expected ({self.size},)")
        object.__setattr__(self, "ordinary_ids", np.flatnonzero(~self.special).astype(np.int64))

    def lang_index(self, lang: str) -> int:
        """Index of ``lang`` in ``languages`` (its language-embedding row)."""
        try:
            return self.languages.index(lang)
        except ValueError:
            raise KeyError(f"language {lang!r} has no tag in the tokenizer (it has {list(self.languages)})") from None

    def lang_token(self, lang: str) -> int:
        """Token id of ``lang``'s tag token."""
        return self.lang_token_ids[self.lang_index(lang)]

    def lang_tag(self, lang: str) -> str:
        """``lang``'s tag token as text (``<lang:xx>``, or an imported mBART-50 code such as ``en_XX``)."""
        index = self.lang_index(lang)
        return self.lang_tags[index] if self.lang_tags else language_tag(lang)


@dataclass
class TextBlock:
    """A packed run of monolingual text, tokenized, without special tokens added by objectives.

    In a text stream (MLM), consecutive documents are separated by ``eos_id`` inside ``ids``; a
    whole-document block (denoising) holds sentences of one document and no ``eos_id``
    (``polytrain.stream.packing``).
    """

    key: str
    """Unique, stable id of the block in its stream (seeds the objective's randomness)."""
    lang: str
    ids: np.ndarray
    """(T,) int64 token ids."""
    sentence_ends: np.ndarray
    """(S,) int64 exclusive end offsets of the sentences in ``ids``, increasing; the last equals T."""


@dataclass
class TextPair:
    """A tokenized parallel sentence pair (no special tokens)."""

    key: str
    src_lang: str
    tgt_lang: str
    src_ids: np.ndarray
    """(Ts,) int64."""
    tgt_ids: np.ndarray
    """(Tt,) int64."""


@dataclass
class Example:
    """One model-agnostic training example, made by an objective. Objectives never pad.

    For encoder objectives ``labels`` aligns with ``input_ids``; for encoder-decoder objectives it
    aligns with ``decoder_input_ids``. Positions without loss hold ``IGNORE_INDEX``.
    """

    input_ids: np.ndarray
    """(T,) int64 encoder input."""
    labels: np.ndarray
    """(T,) or (T_dec,) int64 targets, ``IGNORE_INDEX`` where no loss."""
    positions: np.ndarray
    """(T,) int64 position of each input token (TLM restarts them for the second sentence)."""
    langs: np.ndarray
    """(T,) int64 language index of each input token (``Vocab.lang_index``)."""
    lang: str
    """Language (or ``src-tgt`` pair) for per-language metrics."""
    key: str
    decoder_input_ids: np.ndarray | None = None
    """(T_dec,) int64, encoder-decoder objectives only: targets shifted right."""


@dataclass
class Batch:
    """A padded batch of examples of one objective. Padded positions of ``labels`` are ignored."""

    objective: str
    input_ids: torch.Tensor
    """(B, T) long."""
    attention_mask: torch.Tensor
    """(B, T) bool, True on real tokens."""
    positions: torch.Tensor
    """(B, T) long."""
    langs: torch.Tensor
    """(B, T) long."""
    labels: torch.Tensor
    """(B, T) or (B, T_dec) long."""
    lang: list[str]
    """(B,) language or pair of each example."""
    keys: list[str]
    decoder_input_ids: torch.Tensor | None = None
    """(B, T_dec) long."""
    decoder_attention_mask: torch.Tensor | None = None
    """(B, T_dec) bool."""
    num_tokens: int = 0
    """Real encoder input tokens, counted on the CPU by ``collate`` (reading it never syncs a device)."""
    num_decoder_tokens: int = 0
    """Real decoder input tokens (encoder-decoder batches), counted on the CPU by ``collate``."""
    stats: dict[str, int] = field(default_factory=dict)
    """Data counters of the worker that made this batch, accumulated since its previous batch
    (keys ``<counter>`` and ``<counter>:<shard url>``, e.g. ``corrupt_shard:<url>``): workers are
    separate processes, so counts travel with the batches."""
    state: dict[str, object] | None = None
    """Training batches only: the producing worker's stream position right after this batch (plain
    values: dicts, lists, ints, strings, bytes; ``PretrainDataModule`` keeps the latest one per
    worker for checkpoints, see docs/resume.md)."""

    def key_padding_mask(self) -> torch.Tensor | None:
        """``attention_mask``, or ``None`` when no input token is padding.

        Decided from ``num_tokens``, a CPU count, so it never synchronises the device. Packed
        blocks (every MLM batch but the last of a stream) have no padding; without a mask,
        ``scaled_dot_product_attention`` can pick its mask-free kernels (FlashAttention on GPUs).
        """
        return None if self.num_tokens == self.input_ids.numel() else self.attention_mask

    def pin_memory(self) -> Batch:
        """Page-locked copy; ``DataLoader(pin_memory=True)`` calls this on custom batch types."""
        return self._map_tensors(lambda t: t.pin_memory())

    def to(self, *args: Any, **kwargs: Any) -> Batch:
        """Copy with the tensor fields moved (``Tensor.to`` arguments); the rest is shared.

        Lightning moves a batch with ``batch.to(device)`` when it has this method; without it,
        Lightning walks every field, and each string of ``keys`` and ``lang`` and every value of
        ``stats`` and ``state``, on every step.
        """
        return self._map_tensors(lambda t: t.to(*args, **kwargs))

    def _map_tensors(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Batch:
        import torch

        mapped = {f.name: fn(getattr(self, f.name)) for f in dataclasses.fields(self)
                  if isinstance(getattr(self, f.name), torch.Tensor)}
        return dataclasses.replace(self, **mapped)


@dataclass
class ModelOutput:
    """What a model returns: hidden states, and vocabulary logits only where there are targets."""

    hidden: torch.Tensor
    """(B, T, d) last hidden states (the decoder's for encoder-decoder models)."""
    logits: torch.Tensor
    """(N, V) logits at the positions where ``batch.labels != IGNORE_INDEX``, in row-major order."""
    head: torch.nn.Module | None = None
    """The objective's own extra module (``Objective.head``), owned and optimised by
    ``PretrainModule``; ``None`` for objectives without one."""
