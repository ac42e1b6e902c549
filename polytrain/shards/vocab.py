"""Derive the ``Vocab`` (special ids, language tags, word starts) from a tokenizer file, in one place.

Every value that must agree with the tokenizer (vocabulary size, special ids, language tags) is read
here and passed on; nothing else in polytrain hard-codes an id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import fsspec
import numpy as np
from tokenizers import Tokenizer

from polytrain.errors import ConfigError
from polytrain.types import SPECIAL_TOKENS, Vocab, language_tag

_LANG_TAG = re.compile(r"^<lang:([^>]+)>$")
_MBART_CODE = re.compile(r"^([a-z]{2,3})_[A-Z]{2}$")
"""mBART's language codes (``en_XX``, ``sw_KE``; fairseq ``FAIRSEQ_LANGUAGE_CODES``): language ``en``, ``sw``."""
WORD_START = "\u2581"
"""Metaspace's word-start marker (SentencePiece's "▁")."""

# CJK ideographs, each its own word as in BERT's ``tokenize_chinese_chars`` (google-research/bert,
# tokenization.py ``_is_chinese_char``): Chinese and Japanese put no spaces between words.
_CJK_IDEOGRAPHS = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                   (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


# Scripts written without spaces between words and without ideographs: Thai, Lao, Myanmar, Khmer
# (Unicode blocks). Without a word segmenter, a piece that begins with one of their letters is a
# word, as a CJK piece is; a piece that begins with a combining vowel or tone mark continues one.
_UNSPACED_SCRIPTS = ((0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF))
# Thai and Lao vowels written after their consonant that Unicode classes as letters (Lo), not marks:
# sara a, sara aa, sara am, lakkhangyao; Lao a, aa, am. They never begin a syllable.
_FOLLOWING_VOWELS = frozenset("\u0e30\u0e32\u0e33\u0e45\u0eb0\u0eb2\u0eb3")


def starts_word(piece: str) -> bool:
    """Whether a token begins a word for whole-word masking: a Metaspace ``▁`` piece, a piece that
    begins with a CJK ideograph, or one that begins with a letter of Thai, Lao, Myanmar or Khmer
    (not a combining mark, nor a Thai/Lao vowel written after its consonant); these scripts mark
    no word starts with spaces."""
    if piece.startswith(WORD_START):
        return True
    if not piece:
        return False
    first = ord(piece[0])
    if any(low <= first <= high for low, high in _CJK_IDEOGRAPHS):
        return True
    return (any(low <= first <= high for low, high in _UNSPACED_SCRIPTS) and unicodedata.category(piece[0]) == "Lo"
            and piece[0] not in _FOLLOWING_VOWELS)


def file_sha256(path: str) -> str:
    """The sha256 of the file at a local path or fsspec URL (what ``Vocab.sha256`` records)."""
    try:
        with fsspec.open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        raise FileNotFoundError(f"tokenizer file not found: {path}") from None


def read_tokenizer_file(path: str) -> tuple[Tokenizer, str]:
    """Load a ``tokenizer.json`` from a local path or fsspec URL; return it and its sha256."""
    try:
        with fsspec.open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"tokenizer file not found: {path}") from None
    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as err:  # tokenizers raises plain Exception subclasses
        raise ConfigError(f"{path}: not a Hugging Face tokenizer.json ({err})") from None
    return tokenizer, hashlib.sha256(data).hexdigest()


def _specials(tokenizer: Tokenizer, source: str) -> dict[str, int]:
    """Ids of ``SPECIAL_TOKENS`` by name; one line naming the first one the tokenizer lacks."""
    ids = {}
    for token in SPECIAL_TOKENS:
        idx = tokenizer.token_to_id(token)
        if idx is None:
            raise ConfigError(f"{source}: no {token} token; polytrain needs {' '.join(SPECIAL_TOKENS)} "
                              "(its own tokenizers, XLM-R's and mBART's have them)")
        ids[token] = idx
    return ids


def _language_tags(tokenizer: Tokenizer, special_ids: set[int], source: str) -> dict[str, tuple[int, str]]:
    """``{language: (id, tag)}``: polytrain's ``<lang:xx>`` tokens, and mBART's special ``xx_YY`` codes as ``xx``."""
    tags: dict[str, tuple[int, str]] = {}
    for token, idx in tokenizer.get_vocab(with_added_tokens=True).items():
        match = _LANG_TAG.match(token) or (_MBART_CODE.match(token) if idx in special_ids else None)
        if not match:
            continue
        lang = match.group(1)
        if lang in tags:
            raise ConfigError(f"{source}: two tags for language {lang!r}: {tags[lang][1]} and {token}")
        tags[lang] = (idx, token)
    return tags


def vocab_from_tokenizer(tokenizer: Tokenizer, sha256: str = "", source: str = "tokenizer") -> Vocab:
    """Derive the ``Vocab`` from the tokenizer itself: special ids, language tags, word starts.

    Special tokens are found by name (``<s> <pad> </s> <unk> <mask>``, wherever they sit) plus every
    added token marked special; language tags are ``<lang:xx>`` tokens (polytrain) and special
    tokens shaped like mBART's codes (``en_XX`` is language ``en``). polytrain's own layout (ids
    0..4 then sorted tags) gives the same ``Vocab`` as always; XLM-R's (``<mask>`` last, no tags) and
    mBART-50's (codes after the pieces) are read as they are. ``source`` names the file in errors.
    """
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    ids = _specials(tokenizer, source)
    special_ids = {i for i, t in tokenizer.get_added_tokens_decoder().items() if t.special} | set(ids.values())
    tags = _language_tags(tokenizer, special_ids, source)
    special = np.zeros(size, dtype=bool)
    special[sorted(i for i in special_ids | {i for i, _ in tags.values()} if 0 <= i < size)] = True
    word_start = np.zeros(size, dtype=bool)
    for token, idx in tokenizer.get_vocab(with_added_tokens=True).items():
        word_start[idx] = starts_word(token)
    languages = tuple(sorted(tags))
    bos, pad, eos, unk, mask = (ids[t] for t in SPECIAL_TOKENS)
    return Vocab(
        size=size, bos_id=bos, pad_id=pad, eos_id=eos, unk_id=unk, mask_id=mask,
        languages=languages,
        lang_token_ids=tuple(tags[lang][0] for lang in languages),
        num_special=int(np.argmin(special)) if not special.all() else size,  # the leading run of special ids
        word_start=word_start,
        sha256=sha256,
        lang_tags=tuple(tags[lang][1] for lang in languages),
        special=special,
    )


def load_vocab(path: str) -> tuple[Tokenizer, Vocab]:
    """Load the tokenizer at ``path`` and derive its ``Vocab``."""
    tokenizer, digest = read_tokenizer_file(path)
    return tokenizer, vocab_from_tokenizer(tokenizer, digest, source=path)


def check_languages(vocab: Vocab, languages: list[str], source: str) -> None:
    """Fail with one line if a language of the data (``source``) has no tag in a tokenizer with tags.

    A tokenizer without any tag (XLM-R's) marks no language in the ids: every language is fine
    (what needs tags, language embeddings and mBART's ``X </s> <lid>``, refuses it on its own).
    """
    if not vocab.languages:
        return
    missing = sorted(set(languages) - set(vocab.languages))
    if missing:
        tags = ", ".join(language_tag(lang) for lang in missing)
        raise ConfigError(
            f"{source}: languages {missing} have no tag in the tokenizer ({tags} missing; "
            f"it has {list(vocab.languages)}); retrain the tokenizer on these shards, or add them with "
            "polytrain tokenizer extend"
        )
