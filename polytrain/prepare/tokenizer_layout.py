"""polytrain's tokenizer format: the id layout, the untrained pipeline and the trainer's error.

Id layout (checked by ``polytrain.shards.vocab.vocab_from_tokenizer``): ``<s> <pad> </s> <unk> <mask>``
are ids 0..4, then one ``<lang:xx>`` tag per language sorted by code, then learned pieces, then (with
byte fallback) the 256 ``<0xNN>`` byte tokens. Normalizer NFKC, pre-tokenizer and decoder Metaspace
(``▁``, prepend "always"), no post-processor: objectives add special tokens themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

from polytrain.shards.vocab import WORD_START
from polytrain.types import SPECIAL_TOKENS, language_tag

TokenizerModel = Literal["unigram", "bpe"]
UNK = SPECIAL_TOKENS[3]
BYTE_TOKENS: tuple[str, ...] = tuple(f"<0x{b:02X}>" for b in range(256))
"""SentencePiece-style byte-fallback tokens, appended after the learned pieces."""


class TokenizerTrainError(ValueError):
    """Bad input to the tokenizer trainer; the message is one line naming what and where."""


def special_tokens_for(languages: Iterable[str]) -> list[str]:
    """``SPECIAL_TOKENS`` then one ``<lang:xx>`` tag per language, sorted: ids 0, 1, 2, ..."""
    return [*SPECIAL_TOKENS, *(language_tag(lang) for lang in sorted(set(languages)))]


def build_tokenizer(model: TokenizerModel = "unigram") -> Tokenizer:
    """An untrained tokenizer with polytrain's normalizer, pre-tokenizer and decoder.

    Args:
        model: ``"unigram"`` (SentencePiece-style, as XLM-R and mBART) or ``"bpe"``.
    """
    if model == "unigram":
        tokenizer = Tokenizer(models.Unigram())
    elif model == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    else:
        raise TokenizerTrainError(f"model must be 'unigram' or 'bpe', got {model!r}")
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=WORD_START, prepend_scheme="always")
    return tokenizer
