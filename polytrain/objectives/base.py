"""The ``Objective`` interface: two abstract methods and four optional hooks.

- ``make_example(sample, rng)`` turns one tokenized ``TextBlock`` / ``TextPair`` into an ``Example``.
  It runs in DataLoader workers, must be pure, and takes all randomness from ``rng``.
- ``loss(outputs, batch)`` turns the model's ``ModelOutput`` into a scalar loss and metric tensors.
- ``head(d_model, vocab)`` (optional) returns an extra ``nn.Module`` the objective needs; the
  ``PretrainModule`` owns and optimises it and passes it to ``loss`` as ``outputs.head``.
- ``statistics(sample, example)`` (optional) reports what one example shows of the objective's
  settings (``Statistic``: e.g. the fraction of words masked next to ``mask_ratio``), for
  ``polytrain inspect``; the design note is in docs/writing-a-plugin.md.
- ``make_examples(samples, rng)`` (optional) makes a training batch's examples at once, from one
  generator for the batch; the default calls ``make_example`` for each sample in turn with it, and
  an override may draw for the whole batch at once (it must follow the same rule).
- ``plain_example(ids, lang, key)`` (optional) lays out one clean sentence the way this objective
  shows text to the model, without noise; evaluation (the retrieval probe, ``polytrain evaluate``)
  encodes sentences with it, so it never has to know the objective classes. ``None`` (the
  default) means the objective has no such layout. Design note: docs/writing-a-plugin.md.

``setup(vocab, max_length)`` is plumbing, not interface: it binds the tokenizer-derived ``Vocab``
and the run's input length, once per instance, before any example is made
(``polytrain.registry.bind_objectives``), so that special ids are never copied into configs. The
objective is then pickled into the DataLoader workers as it is: the module never mutates it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from polytrain.types import IGNORE_INDEX, Batch, Example, ModelOutput, TextBlock, TextPair, Vocab

if TYPE_CHECKING:  # torch is imported where a loss is computed: `polytrain inspect --help` never loads it
    import torch
    from torch import nn

ModelKind = Literal["encoder", "encoder_decoder"]
DataKind = Literal["mono", "parallel"]


@dataclass(frozen=True)
class Statistic:
    """One ratio that an example shows, e.g. masked words / words of the text, with the setting it tracks.

    ``polytrain inspect`` sums ``numerator`` and ``denominator`` by ``name`` over many examples and
    prints the ratio of the sums next to ``expected`` (so long blocks weigh by their size).
    """

    name: str
    """Short key, the same in every example (``"masked_word_fraction"``)."""
    numerator: float
    denominator: float
    meaning: str
    """What the ratio is, in a few words (``"words missing from the encoder input"``)."""
    expected: float | None = None
    """The configured value the ratio should approach, if a setting fixes one."""
    parameter: str = ""
    """The setting that gives ``expected`` (``"mask_ratio"``)."""


class Objective(ABC):
    """Base class of every pretraining objective (built-in or plugin).

    Subclasses set the class variables and implement ``make_example`` and ``loss``.

    Args:
        weight: relative probability that a training batch comes from this objective when
            several objectives are mixed in one run (XLM alternated MLM and TLM).
    """

    model_kind: ClassVar[ModelKind] = "encoder"
    """The model this objective trains."""
    data_kind: ClassVar[DataKind] = "mono"
    """Which shards it reads: monolingual documents or parallel pairs."""
    added_tokens: ClassVar[int] = 2
    """How many special tokens ``make_example`` adds to a mono block (the packer leaves room)."""
    min_text_tokens: ClassVar[int] = 1
    """Text tokens an example needs at least (TLM: one per side); with ``added_tokens``, the
    smallest ``max_length`` the objective accepts."""
    whole_documents: bool = False
    """Mono blocks hold whole sentences of one document (mBART) instead of a cut text stream
    that crosses documents (XLM, XLM-R); see ``polytrain.stream.packing``."""

    def __init__(self, weight: float = 1.0) -> None:
        if not weight > 0:
            raise ValueError(f"{type(self).__name__}: weight must be > 0, got {weight}")
        self.weight = weight
        self._vocab: Vocab | None = None
        self.max_length = 0

    @property
    def name(self) -> str:
        """Short name used in metric keys; the registry sets it from the entry-point name."""
        return getattr(self, "_name", type(self).__name__.lower())

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def vocab(self) -> Vocab:
        """The tokenizer-derived vocabulary given to ``setup`` (special ids, language tags)."""
        if self._vocab is None:
            raise RuntimeError(f"{type(self).__name__}.setup(vocab, max_length) was not called")
        return self._vocab

    @property
    def is_set_up(self) -> bool:
        """Whether ``setup`` bound a vocabulary."""
        return self._vocab is not None

    def setup(self, vocab: Vocab, max_length: int) -> None:
        """Bind the tokenizer-derived vocabulary and the model's maximum input length.

        Raises:
            ValueError: ``max_length`` leaves less than ``min_text_tokens`` text tokens after the
                ``added_tokens`` special tokens.
        """
        if max_length < self.added_tokens + self.min_text_tokens:
            raise ValueError(f"{type(self).__name__}: max_length must be >= {self.added_tokens + self.min_text_tokens} "
                             f"({self.added_tokens} special tokens + {self.min_text_tokens} text), got {max_length}")
        self._vocab = vocab
        self.max_length = max_length

    @abstractmethod
    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        """Corrupt one tokenized sample into a training example.

        Args:
            sample: a ``TextBlock`` if ``data_kind == "mono"``, else a ``TextPair``.
            rng: the only source of randomness (validation and evaluation key it by the sample:
                ``make_rng(seed, "val", sample.key)``).
        """

    def make_examples(self, samples: Sequence[TextBlock | TextPair], rng: np.random.Generator) -> list[Example]:
        """Optional hook: the examples of one training batch, ``[make_example(s, rng) for s in samples]``.

        The training stream calls this once per batch with the batch's generator (keyed by seed,
        rank, worker and the worker's batch count, so a resumed stream draws the same). Override it
        to draw for the whole batch at once (``MaskedLM`` masks its blocks as one array): the
        examples must follow the rule ``make_example`` follows, in distribution, not draw for draw.
        Validation calls ``make_example`` per sample, so its examples stay keyed by the sample.

        Args:
            samples: the batch's samples, as ``make_example`` takes them.
            rng: the only randomness of the batch.
        """
        return [self.make_example(sample, rng) for sample in samples]

    @abstractmethod
    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Scalar loss and detached metric tensors (e.g. ``{"accuracy": ..., "ppl": ...}``).

        ``outputs.logits`` holds one row per ``batch.labels != IGNORE_INDEX`` position.
        """

    def head(self, d_model: int, vocab: Vocab) -> nn.Module | None:
        """Optional hook: an extra module (e.g. a discriminator head) trained with the model.

        ``PretrainModule`` calls it once, owns and optimises the module, and passes it to ``loss``
        as ``outputs.head``.
        """
        return None

    def statistics(self, sample: TextBlock | TextPair, example: Example) -> list[Statistic]:
        """Optional hook: what ``example`` (made from ``sample``) shows of this objective's settings.

        ``polytrain inspect`` sums each statistic over many examples and prints it next to its
        ``expected`` value, and it adds the statistics every objective has (lengths, the fraction
        of text tokens missing from the input). Pure, cheap, called once per inspected example;
        never called in training. The default reports nothing objective-specific.
        """
        return []

    def plain_example(self, ids: np.ndarray, lang: str, key: str) -> Example | None:
        """Optional hook: one clean sentence laid out as this objective's model reads text, no noise.

        Evaluation encodes sentences with it (retrieval, classification) and, for an
        encoder-decoder objective, also takes the decoder side from it (translation: the encoder
        fields of the source's example, the decoder fields of the target's). Built-ins: MLM and TLM
        ``<s> ids </s>`` with positions 0.. and ``lang`` on every token; mBART denoising
        ``ids </s> <lid>`` with decoder input ``<lid> ids </s>``; BART ``<s> ids </s>``.

        Args:
            ids: (T,) int64 token ids of the sentence, no special tokens, at most
                ``max_length - added_tokens`` of them (callers cut longer ones and count them).
            lang: the sentence's language (must have a tag in the vocabulary).
            key: names the sentence in messages.

        Returns:
            An ``Example`` whose ``labels`` are ``IGNORE_INDEX`` on the encoder side (encoder
            objectives) or the clean reconstruction target (encoder-decoder objectives); ``None``
            if the objective has no single-sentence layout (the default).
        """
        return None

    @property
    def head_module(self) -> nn.Module | None:
        """Removed in 0.2: the head reaches ``loss`` as ``outputs.head`` (docs/writing-a-plugin.md)."""
        raise AttributeError(f"{type(self).__name__}.head_module was removed in polytrain 0.2: the module's "
                             "copy of your head() comes to loss() as outputs.head")


def plain_layout(objectives: Iterable[Objective]) -> Objective | None:
    """The first of ``objectives`` that lays out a plain sentence (defines ``plain_example``), or ``None``."""
    return next((o for o in objectives if type(o).plain_example is not Objective.plain_example), None)


def target_cross_entropy(outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Mean cross-entropy over the target positions, with accuracy and perplexity on them only.

    The shared loss of MLM, TLM and denoising: ``outputs.logits`` (N, V) already holds only the
    target rows, so the targets are ``batch.labels`` at its non-ignored positions, in row-major order.
    The metrics also carry ``token_loss`` and ``token_correct`` (N,), from which ``PretrainModule``
    derives per-language figures without recomputing the softmax.
    """
    import torch

    targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]  # (N,)
    token_loss = torch.nn.functional.cross_entropy(outputs.logits.float(), targets, reduction="none")  # (N,)
    if targets.numel() == 0:
        # Possible only for very short texts: a zero loss (keeps the graph) instead of NaN; the
        # per-language figures simply receive no tokens from this batch.
        zero = outputs.logits.sum() * 0.0
        return zero, {"token_loss": token_loss.detach(), "token_correct": targets.bool()}
    loss = token_loss.mean()
    with torch.no_grad():
        token_correct = outputs.logits.argmax(-1) == targets  # (N,)
        metrics = {
            "accuracy": token_correct.float().mean(),
            "ppl": loss.detach().exp(),
            "token_loss": token_loss.detach(),
            "token_correct": token_correct,
        }
    return loss, metrics
