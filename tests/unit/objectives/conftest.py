"""Synthetic vocabulary, blocks and pairs for the objective tests (no tokenizer file needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from polytrain.stream.collate import collate
from polytrain.rng import make_rng
from polytrain.testing import synthetic_vocab
from polytrain.types import IGNORE_INDEX, SPECIAL_TOKENS, Batch, Example, ModelOutput, TextBlock, TextPair, Vocab

LANGUAGES = ("de", "en", "fr")
SIZE = 1000
NUM_SPECIAL = len(SPECIAL_TOKENS) + len(LANGUAGES)  # 8: <s> <pad> </s> <unk> <mask> + 3 tags


def build_vocab() -> Vocab:
    """polytrain's id layout with 3 language tags; every third ordinary id starts a word."""
    return synthetic_vocab(SIZE, LANGUAGES, word_start=3)


@pytest.fixture
def vocab() -> Vocab:
    return build_vocab()


def random_text(length: int, rng: np.random.Generator, low: int = NUM_SPECIAL, high: int = SIZE) -> np.ndarray:
    """(length,) ordinary ids in [low, high) with ~2 % <unk> and ~1 % other special tokens mixed in."""
    ids = rng.integers(low, high, size=length, dtype=np.int64)
    noise = rng.random(length)
    ids[noise < 0.02] = 3  # <unk> is special: must never become a target
    specials = np.array([1, 4, 5, 6, 7])  # <pad>, <mask>, language tags
    odd = noise > 0.99
    ids[odd] = rng.choice(specials, size=int(odd.sum()))
    return ids


def make_block(key: str, length: int, rng: np.random.Generator, lang: str = "en") -> TextBlock:
    """A packed block: documents separated by </s>, sentences of 3..40 tokens."""
    ids = random_text(length, rng)
    ends: list[int] = []
    position = 0
    while position < length:
        position = min(length, position + int(rng.integers(3, 41)))
        ends.append(position)
    # Every ~4th sentence closes a document: its last token is the </s> separator.
    for end in ends[:-1]:
        if rng.random() < 0.25:
            ids[end - 1] = 2
    return TextBlock(key=key, lang=lang, ids=ids, sentence_ends=np.array(ends, dtype=np.int64))


@pytest.fixture
def blocks() -> Callable[..., list[TextBlock]]:
    """Factory: ``blocks(n, length=510, seed=0, lang="en")`` -> n random blocks."""

    def factory(n: int, length: int = 510, seed: int = 0, lang: str = "en") -> list[TextBlock]:
        rng = make_rng(seed, "test-blocks")
        return [make_block(f"b{i}", length, rng, lang) for i in range(n)]

    return factory


@pytest.fixture
def pairs() -> Callable[..., list[TextPair]]:
    """Factory: ``pairs(n, max_len=40, seed=0)`` -> de-en pairs; de ids < 500 <= en ids (tell sides apart)."""

    def factory(n: int, max_len: int = 40, seed: int = 0) -> list[TextPair]:
        rng = make_rng(seed, "test-pairs")
        out = []
        for i in range(n):
            src = random_text(int(rng.integers(1, max_len + 1)), rng, NUM_SPECIAL, 500)
            tgt = random_text(int(rng.integers(1, max_len + 1)), rng, 500, SIZE)
            out.append(TextPair(key=f"p{i}", src_lang="de", tgt_lang="en", src_ids=src, tgt_ids=tgt))
        return out

    return factory


def _fake_outputs(examples: list[Example], vocab: Vocab, perfect: bool, seed: int = 0) -> tuple[ModelOutput, Batch]:
    """Collate ``examples`` and make logits (N, V) for the target rows: random, or peaked at the labels."""
    batch = collate(examples, "test", vocab.pad_id)
    targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]  # (N,)
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(len(targets), vocab.size, generator=generator)
    if perfect:
        logits[torch.arange(len(targets)), targets] += 100.0
    hidden = torch.zeros(*batch.labels.shape, 4)  # (B, T, d): unused by the losses
    return ModelOutput(hidden=hidden, logits=logits.requires_grad_()), batch


@pytest.fixture
def fake_outputs() -> Callable[..., tuple[ModelOutput, Batch]]:
    """``fake_outputs(examples, vocab, perfect)`` -> (ModelOutput, Batch) with logits only at targets."""
    return _fake_outputs
