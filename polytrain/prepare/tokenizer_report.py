"""Per-language quality report of a tokenizer: fertility, UNK rate, byte fallback, vocabulary use, coverage.

``polytrain tokenizer train`` computes it on held-out text and writes it next to the tokenizer
(``tok.report.json``); the fields are documented in ``docs/tokenizer.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from polytrain.prepare.tokenizer_layout import BYTE_TOKENS
from polytrain.prepare.tokenizer_text import group_texts
from polytrain.shards.vocab import vocab_from_tokenizer

NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
"""Scripts written without spaces between words: the report counts fertility per character."""


def _base_lang(lang: str) -> str:
    return lang.replace("-", "_").split("_")[0].lower()


def _language_stats(tokenizer: Tokenizer, lang: str, sentences: list[str], size: int, unk_id: int,
                    byte_ids: np.ndarray) -> dict[str, Any]:
    per_char = _base_lang(lang) in NO_SPACE_LANGUAGES
    encodings = tokenizer.encode_batch(sentences, add_special_tokens=False)
    ids = np.asarray([i for enc in encodings for i in enc.ids], dtype=np.int64)
    if per_char:
        types = {c for s in sentences for c in s if not c.isspace()}
        units = sum(1 for s in sentences for c in s if not c.isspace())
    else:
        types = {w for s in sentences for w in s.split()}
        units = sum(len(s.split()) for s in sentences)
    ordered = sorted(types)
    bad = {unk_id, *byte_ids.tolist()}
    covered = sum(1 for enc in tokenizer.encode_batch(ordered, add_special_tokens=False)
                  if bad.isdisjoint(enc.ids))
    n_unk = int(np.sum(ids == unk_id))
    n_bytes = int(np.isin(ids, byte_ids).sum())
    distinct = int(np.unique(ids).size)
    return {
        "sentences": len(sentences),
        "chars": sum(map(len, sentences)),
        "unit": "char" if per_char else "word",
        "units": units,
        "tokens": int(ids.size),
        "fertility": ids.size / units if units else None,
        "unk_tokens": n_unk,
        "unk_rate": n_unk / ids.size if ids.size else 0.0,
        "byte_fallback_tokens": n_bytes,
        "byte_fallback_rate": n_bytes / ids.size if ids.size else 0.0,
        "distinct_tokens": distinct,
        "vocab_used": distinct / size,
        "types": len(ordered),
        "types_covered": covered / len(ordered) if ordered else None,
    }


def tokenizer_report(tokenizer: Tokenizer, texts_by_lang: Mapping[str, Iterable[str]],
                     max_chars: int | None = None) -> dict[str, Any]:
    """Per-language quality of a tokenizer on held-out text.

    Per language (see ``docs/tokenizer.md``): ``fertility`` (tokens per whitespace word, or per
    non-space character where ``unit`` is ``"char"``: zh, ja, th, lo, km, my), ``unk_rate`` and
    ``byte_fallback_rate`` (share of tokens), ``vocab_used`` (distinct ids used / vocabulary size),
    ``types_covered`` (share of distinct words, or characters, encoded without ``<unk>`` or bytes).

    Args:
        tokenizer: a tokenizer with polytrain's id layout.
        texts_by_lang: sentences per language.
        max_chars: read at most about this many characters per language.
    """
    vocab = vocab_from_tokenizer(tokenizer, source="tokenizer")
    byte_ids = np.asarray([i for i in map(tokenizer.token_to_id, BYTE_TOKENS) if i is not None], dtype=np.int64)
    langs: dict[str, Any] = {}
    for lang in sorted(texts_by_lang):
        sentences = group_texts(((lang, s) for s in texts_by_lang[lang]), max_chars).get(lang, [])
        langs[lang] = _language_stats(tokenizer, lang, sentences, vocab.size, vocab.unk_id, byte_ids)
    return {"vocab_size": vocab.size, "num_special": vocab.num_special,
            "languages_with_tags": list(vocab.languages), "byte_fallback": bool(byte_ids.size),
            "languages": langs}


def format_report_table(report: Mapping[str, Any]) -> str:
    """The per-language part of a :func:`tokenizer_report` as a plain-text table."""
    rows = [["lang", "text", "tok/unit", "unk", "bytes", "vocab used", "types covered"]]
    for lang, st in report["languages"].items():
        fert = "-" if st["fertility"] is None else f"{st['fertility']:.2f}/{st['unit']}"
        cov = "-" if st["types_covered"] is None else f"{100 * st['types_covered']:.1f}%"
        rows.append([lang, str(st.get("text", "")), fert, f"{100 * st['unk_rate']:.2f}%",
                     f"{100 * st['byte_fallback_rate']:.2f}%", f"{100 * st['vocab_used']:.1f}%", cov])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(r, widths))).rstrip() for r in rows)
