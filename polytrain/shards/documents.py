"""Documents inside shard samples, in both encodings: text and token ids (docs/data-format.md).

A shard sample (``polytrain.shards.reader.ShardSample``) holds either

- **one document** (the layout of polytrain 0.1, still read): mono ``{key}.txt`` (sentences joined
  by ``"\\n"``) and a ``{key}.json`` of metadata; parallel ``{key}.src.txt`` and ``{key}.tgt.txt``;
- **many documents** (what ``polytrain data shard`` writes now): the same text members, one line
  per sentence (mono) or per side of a pair (parallel), and a ``{key}.json`` whose ``keys`` list
  (in runs, :func:`encode_keys`) says how many documents the sample holds, plus for mono the number
  of ``sentences`` of each document;
- **token ids** (``polytrain data tokenize``): ``{key}.ids.u16`` / ``.ids.u32`` (mono) or
  ``{key}.src.ids.u16`` and ``{key}.tgt.ids.u16`` (parallel): raw little-endian arrays, and a
  ``{key}.json`` with the ``keys``, the ``sentences`` per document and the token ``lengths`` of
  every sentence (parallel: ``src_lengths`` and ``tgt_lengths``).

:func:`sample_documents` turns any of these into ``Document``s, checking that the ``.json`` agrees
with the members; :func:`text_members` and :func:`token_members` write the last two. A parallel
document is a pair: two "sentences", source then target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TOKEN_DTYPES: dict[str, np.dtype] = {"u16": np.dtype("<u2"), "u32": np.dtype("<u4")}
"""Suffix of a token member -> its array type (raw little-endian, no header)."""
TOKEN_SUFFIXES: dict[str, tuple[str, ...]] = {
    "mono": ("ids",), "parallel": ("src.ids", "tgt.ids")}
"""The token members of a sample of each kind, before the dtype suffix (``ids.u16``)."""
TEXT_SUFFIXES: dict[str, tuple[str, ...]] = {"mono": ("txt",), "parallel": ("src.txt", "tgt.txt")}
"""The text members a sample of each kind must have."""

_RUN_KEY = re.compile(r"(.*\D|)(\d{8})")


class LayoutError(ValueError):
    """A sample's ``.json`` does not describe its members (counts or lengths disagree)."""


@dataclass
class Document:
    """One document (mono) or sentence pair (parallel) of a shard, as text or as token ids.

    A pair is a document of two sentences, source then target.
    """

    key: str
    """The document's key (``de_3fa9c2e1_00000042``), the same in text and token shards."""
    index: int
    """Its position among the documents of its shard (0, 1, ...): what a resume refers to."""
    sentences: list[str] | None = None
    """Text: the sentences (parallel: ``[source, target]``); ``None`` once tokenized."""
    ids: np.ndarray | None = None
    """Tokens: (T,) ids of all sentences, concatenated (uint16, uint32 or int64)."""
    ends: np.ndarray | None = None
    """Tokens: (S,) int64 exclusive end of each sentence in ``ids``; the last equals T."""

    def split_ids(self) -> list[np.ndarray]:
        """The token ids of each sentence (views of ``ids``)."""
        assert self.ids is not None and self.ends is not None, "not tokenized"
        return np.split(self.ids, self.ends[:-1]) if len(self.ends) else []


# ----------------------------------------------------------------------------- keys
def encode_keys(keys: Sequence[str]) -> list[Any]:
    """Keys as runs: ``[prefix, first, count]`` stands for ``prefix + f"{first + i:08d}"``, i < count.

    Consecutive document keys of one input file (``de_3fa9c2e1_00000042``, ``..43``, ...) take one
    run; a key without an 8-digit number at its end is kept as a string.
    """
    runs: list[Any] = []
    for key in keys:
        match = _RUN_KEY.fullmatch(key)
        if match is None:
            runs.append(key)
            continue
        prefix, number = match.group(1), int(match.group(2))
        last = runs[-1] if runs else None
        if isinstance(last, list) and last[0] == prefix and last[1] + last[2] == number:
            last[2] += 1
        else:
            runs.append([prefix, number, 1])
    return runs


def decode_keys(runs: object) -> list[str]:
    """The keys that :func:`encode_keys` made ``runs`` of; :class:`LayoutError` if malformed."""
    if not isinstance(runs, list):
        raise LayoutError("'keys' must be a list")
    keys: list[str] = []
    for run in runs:
        if isinstance(run, str):
            keys.append(run)
            continue
        ok = (isinstance(run, list) and len(run) == 3 and isinstance(run[0], str)
              and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in run[1:])
              and run[1] + run[2] <= 10**8)
        if not ok:
            raise LayoutError(f"'keys' run {run!r} is not [prefix, first, count]")
        keys += [f"{run[0]}{n:08d}" for n in range(run[1], run[1] + run[2])]
    return keys


# ----------------------------------------------------------------------------- reading
def _counts(meta: dict[str, Any], name: str, n: int | None = None) -> list[int]:
    value = meta.get(name)
    counts = np.asarray(value) if isinstance(value, list) else None
    # dtype kind "i": integers only (True, 1.5, "2" or null make bool, float, str or object arrays).
    if counts is None or (len(counts) and (counts.dtype.kind != "i" or counts.ndim != 1 or counts.min() < 0)):
        raise LayoutError(f"{name!r} must be a list of counts")
    if n is not None and len(counts) != n:
        raise LayoutError(f"{name!r} has {len(counts)} entries for {n} documents")
    return value  # type: ignore[return-value]


def _ends(lengths: list[int]) -> np.ndarray:
    return np.cumsum(np.asarray(lengths, dtype=np.int64))


def token_member(arrays: dict[str, np.ndarray], name: str) -> np.ndarray | None:
    """The array of token member ``name`` (``ids``, ``src.ids``, ``tgt.ids``) in whichever dtype."""
    for suffix in TOKEN_DTYPES:
        if f"{name}.{suffix}" in arrays:
            return arrays[f"{name}.{suffix}"]
    return None


def sample_documents(kind: str, key: str, texts: dict[str, str], arrays: dict[str, np.ndarray],
                     meta: dict[str, Any] | None, first: int) -> list[Document]:
    """The documents of one decoded sample, numbered from ``first``.

    Args:
        kind: ``"mono"`` or ``"parallel"``.
        key: the sample's key (the document's key in the one-document layout).
        texts: decoded text members by suffix (``txt``, ``src.txt``, ``tgt.txt``).
        arrays: decoded token members by suffix (``ids.u16``, ...); empty for text samples.
        meta: the ``.json`` member, if any.
        first: index of the sample's first document in its shard.

    Raises:
        LayoutError: the ``.json`` does not agree with the members.
    """
    if arrays:
        return _token_documents(kind, arrays, meta or {}, first)
    if meta is None or "keys" not in meta:  # one document per sample (polytrain 0.1)
        sentences = texts["txt"].split("\n") if kind == "mono" else [texts["src.txt"], texts["tgt.txt"]]
        return [Document(key=key, index=first, sentences=sentences)]
    keys = decode_keys(meta["keys"])
    if kind == "parallel":
        src, tgt = texts["src.txt"].split("\n"), texts["tgt.txt"].split("\n")
        if not len(src) == len(tgt) == len(keys):
            raise LayoutError(f"{len(keys)} keys for {len(src)} source and {len(tgt)} target lines")
        return [Document(key=k, index=first + i, sentences=[s, t]) for i, (k, s, t) in enumerate(zip(keys, src, tgt))]
    counts = _counts(meta, "sentences", len(keys))
    lines = texts["txt"].split("\n")
    if sum(counts) != len(lines) or 0 in counts:
        raise LayoutError(f"'sentences' counts {sum(counts)} lines (none may be 0), the text has {len(lines)}")
    bounds = np.cumsum([0, *counts]).tolist()
    return [Document(key=k, index=first + i, sentences=lines[bounds[i]:bounds[i + 1]]) for i, k in enumerate(keys)]


def _token_documents(kind: str, arrays: dict[str, np.ndarray], meta: dict[str, Any], first: int) -> list[Document]:
    keys = decode_keys(meta.get("keys"))
    if kind == "parallel":
        src, tgt = token_member(arrays, "src.ids"), token_member(arrays, "tgt.ids")
        assert src is not None and tgt is not None  # the reader checked the members
        src_ends = _ends(_counts(meta, "src_lengths", len(keys)))
        tgt_ends = _ends(_counts(meta, "tgt_lengths", len(keys)))
        if (src_ends[-1:].sum(), tgt_ends[-1:].sum()) != (len(src), len(tgt)):
            raise LayoutError(f"lengths sum to {src_ends[-1:].sum()} and {tgt_ends[-1:].sum()} tokens, "
                              f"the members hold {len(src)} and {len(tgt)}")
        starts_s, starts_t = np.concatenate([[0], src_ends[:-1]]), np.concatenate([[0], tgt_ends[:-1]])
        docs = []
        for i, key in enumerate(keys):
            s, t = src[starts_s[i]:src_ends[i]], tgt[starts_t[i]:tgt_ends[i]]
            docs.append(Document(key=key, index=first + i, ids=np.concatenate([s, t]),
                                 ends=np.array([len(s), len(s) + len(t)], dtype=np.int64)))
        return docs
    ids = token_member(arrays, "ids")
    assert ids is not None
    counts = _counts(meta, "sentences", len(keys))
    lengths = _counts(meta, "lengths", sum(counts))
    if sum(lengths) != len(ids) or 0 in counts:
        raise LayoutError(f"'lengths' sum to {sum(lengths)} tokens, the member holds {len(ids)} (and no "
                          "document may have 0 sentences)")
    return split_documents(ids, np.asarray(lengths, dtype=np.int64), counts, keys, range(first, first + len(keys)))


def split_documents(ids: np.ndarray, lengths: np.ndarray, counts: Sequence[int], keys: Sequence[str],
                    indices: Sequence[int]) -> list[Document]:
    """Token documents cut from the sentences of several documents, concatenated: a token sample
    (``_token_documents``) or a group the encoder tokenized at once (``TextEncoder``).

    Args:
        ids: (T,) the ids of every sentence, in order.
        lengths: (S,) int64 the tokens of each sentence; they sum to T.
        counts: the sentences of each document (0 allowed); they sum to S.
        keys: each document's key.
        indices: each document's ``Document.index``.
    """
    ends = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])  # (S + 1,)
    firsts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts, dtype=np.int64)])  # (D + 1,)
    bounds = ends[firsts]  # (D + 1,) each document's first token
    within = ends[1:] - np.repeat(bounds[:-1], counts)  # (S,) sentence ends within their document
    bounds_at, firsts_at = bounds.tolist(), firsts.tolist()
    # A copy per document: a view would keep the whole sample or group alive while the document waits
    # in a shuffle buffer. Its sentence ends may share one array (they are small).
    return [Document(key=key, index=index, ids=ids[bounds_at[i]:bounds_at[i + 1]].copy(),
                     ends=within[firsts_at[i]:firsts_at[i + 1]]) for i, (key, index) in enumerate(zip(keys, indices))]


# ----------------------------------------------------------------------------- writing
def _json(meta: dict[str, Any]) -> bytes:
    # Compact, sorted keys, ASCII escapes (a jsonl "id" may hold lone surrogates UTF-8 cannot encode).
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def text_members(kind: str, langs: dict[str, str], keys: Sequence[str], sentences: Sequence[Sequence[str]],
                 extra: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The members of one many-document text sample (without ``__key__``).

    Args:
        kind: ``"mono"`` or ``"parallel"``.
        langs: ``{"lang": "de"}`` or ``{"src_lang": "de", "tgt_lang": "en"}`` (stored in the json).
        keys: the documents' keys.
        sentences: each document's sentences (parallel: ``[source, target]``); none may hold
            ``"\\n"``, and a mono document has at least one.
        extra: more per-sample metadata for the json (``sources``, ``ids``).
    """
    meta: dict[str, Any] = {**langs, **(extra or {}), "keys": encode_keys(keys)}
    if kind == "parallel":
        return {"json": _json(meta), "src.txt": "\n".join(s[0] for s in sentences).encode("utf-8"),
                "tgt.txt": "\n".join(s[1] for s in sentences).encode("utf-8")}
    meta["sentences"] = [len(s) for s in sentences]
    return {"json": _json(meta), "txt": "\n".join(line for s in sentences for line in s).encode("utf-8")}


def token_members(kind: str, langs: dict[str, str], docs: Sequence[Document], dtype: np.dtype) -> dict[str, bytes]:
    """The members of one token sample holding tokenized ``docs`` (``ids`` and ``ends`` set).

    Args:
        kind: ``"mono"`` or ``"parallel"``.
        langs: as for :func:`text_members`.
        docs: tokenized documents; a parallel one has exactly two sentences.
        dtype: ``uint16`` or ``uint32`` (``token_dtype``): every id must fit.
    """
    suffix = next(s for s, d in TOKEN_DTYPES.items() if d == np.dtype(dtype).newbyteorder("<"))
    meta: dict[str, Any] = {**langs, "keys": encode_keys([d.key for d in docs])}
    lengths = [np.diff(d.ends, prepend=0).tolist() for d in docs]  # type: ignore[arg-type]
    if kind == "parallel":
        meta["src_lengths"], meta["tgt_lengths"] = [n[0] for n in lengths], [n[1] for n in lengths]
        src = [d.ids[: int(d.ends[0])] for d in docs]  # type: ignore[index]
        tgt = [d.ids[int(d.ends[0]):] for d in docs]  # type: ignore[index]
        return {"json": _json(meta), f"src.ids.{suffix}": _raw(src, dtype), f"tgt.ids.{suffix}": _raw(tgt, dtype)}
    meta["sentences"] = [len(n) for n in lengths]
    meta["lengths"] = [x for n in lengths for x in n]
    return {"json": _json(meta), f"ids.{suffix}": _raw([d.ids for d in docs], dtype)}  # type: ignore[misc]


def _raw(arrays: Sequence[np.ndarray], dtype: np.dtype) -> bytes:
    out = np.concatenate([np.zeros(0, dtype=np.int64), *arrays]) if arrays else np.zeros(0)
    return out.astype(np.dtype(dtype).newbyteorder("<"), copy=False).tobytes()


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest array type of :data:`TOKEN_DTYPES` that holds every id below ``vocab_size``."""
    return np.dtype("<u2") if vocab_size <= 2**16 else np.dtype("<u4")
