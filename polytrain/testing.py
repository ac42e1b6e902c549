"""Helpers for testing objectives (built-in or plugin): vocabularies and samples without hand-built types.

Part of the plugin API (docs/writing-a-plugin.md, "Testing by statistics"). Two kinds of input:

- **Synthetic**, for statistics over many samples: ``synthetic_vocab`` gives polytrain's id layout
  (special tokens, one tag per language, ordinary ids) without a tokenizer file, so a test can draw
  random ids in ``[vocab.num_special, vocab.size)`` and know which ids start words.
- **Real text**, for layouts and word boundaries: ``train_tokenizer`` trains a small real tokenizer in
  memory; ``text_blocks`` and ``text_pairs`` tokenize and pack text exactly as the training stream
  does (``polytrain.stream``), for the objective being tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from tokenizers import Tokenizer

from polytrain.objectives.base import Objective
from polytrain.prepare.tokenizer import train_tokenizer as _train
from polytrain.shards.vocab import vocab_from_tokenizer
from polytrain.stream.dataset import encode_texts
from polytrain.stream.packing import packer_for
from polytrain.types import SPECIAL_TOKENS, TextBlock, TextPair, Vocab


def synthetic_vocab(size: int = 1000, languages: Sequence[str] = ("de", "en", "fr"),
                    word_start: np.ndarray | int = 3) -> Vocab:
    """A ``Vocab`` with polytrain's id layout and no tokenizer behind it.

    Ids 0-4 are ``<s> <pad> </s> <unk> <mask>``, then one language tag per language (sorted), then
    ordinary ids up to ``size - 1``.

    Args:
        size: vocabulary size.
        languages: the languages with a tag.
        word_start: (size,) bool, which ids start a word; or an int ``k``: every k-th ordinary id
            starts a word (``num_special``, ``num_special + k``, ...), so ids drawn uniformly make
            words of geometric length with mean ``k``.
    """
    languages = tuple(sorted(languages))
    num_special = len(SPECIAL_TOKENS) + len(languages)
    if size <= num_special:
        raise ValueError(f"synthetic_vocab: size must be > {num_special} (special tokens and tags), got {size}")
    if isinstance(word_start, int):
        starts = np.zeros(size, dtype=bool)
        starts[num_special::word_start] = True
    else:
        starts = np.asarray(word_start, dtype=bool)
        if starts.shape != (size,):
            raise ValueError(f"synthetic_vocab: word_start must have shape ({size},), got {starts.shape}")
    ids = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    return Vocab(size=size, bos_id=ids["<s>"], pad_id=ids["<pad>"], eos_id=ids["</s>"], unk_id=ids["<unk>"],
                 mask_id=ids["<mask>"], languages=languages,
                 lang_token_ids=tuple(range(len(SPECIAL_TOKENS), num_special)), num_special=num_special,
                 word_start=starts)


def train_tokenizer(texts_by_lang: Mapping[str, Iterable[str]], vocab_size: int = 1000) -> tuple[Tokenizer, Vocab]:
    """A small real tokenizer (polytrain's Unigram with language tags) trained in memory, and its ``Vocab``.

    Args:
        texts_by_lang: ``{lang: sentences}``; every language gets a tag.
        vocab_size: total size (special tokens, tags and the 256 byte tokens included).
    """
    tokenizer = _train(texts_by_lang, vocab_size=vocab_size)
    return tokenizer, vocab_from_tokenizer(tokenizer)


def text_blocks(objective: Objective, tokenizer: Tokenizer, documents: Iterable[str], lang: str,
                key: str = "doc") -> list[TextBlock]:
    """Mono blocks for ``objective`` (already ``setup``), packed as the training stream packs them.

    Args:
        objective: decides the block size (``max_length - added_tokens``) and ``whole_documents``.
        tokenizer: the tokenizer of ``objective.vocab``.
        documents: one text per document, one sentence per line (a shard's ``.txt`` member).
        lang: the documents' language.
        key: document keys are ``f"{key}{i}"``; block keys follow the stream's ``lang/doc/index``.

    Returns:
        Every block, the last one flushed (it may be shorter), in order.
    """
    packer = packer_for(objective)
    if packer is None:
        raise ValueError(f"text_blocks: {type(objective).__name__} reads parallel data; use text_pairs")
    blocks = [b for i, doc in enumerate(documents)
              for b in packer.add(f"{key}{i}", lang, encode_texts(tokenizer, doc.split("\n")))]
    return blocks + packer.flush()


def text_pairs(tokenizer: Tokenizer, pairs: Iterable[tuple[str, str]], src_lang: str, tgt_lang: str,
               key: str = "pair") -> list[TextPair]:
    """Parallel samples as the training stream makes them: ``(source, target)`` texts tokenized
    without special tokens; pairs with an empty side are skipped (the stream skips and counts them)."""
    out = []
    for i, (src, tgt) in enumerate(pairs):
        src_ids, tgt_ids = encode_texts(tokenizer, [src, tgt])
        if len(src_ids) and len(tgt_ids):
            out.append(TextPair(f"{key}{i}", src_lang, tgt_lang, src_ids, tgt_ids))
    return out
