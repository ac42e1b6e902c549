"""Read one WebDataset tar shard safely: allow-listed members only, strict UTF-8, counted problems.

``open_shard`` opens a local path or fsspec URL (``pipe:`` only when allowed); ``read_shard`` yields
``ShardSample``s and counts every skipped member or sample in a ``StreamStats`` (names below), with
one warning per shard naming it; ``read_documents`` yields the documents inside them
(``polytrain.shards.documents``), in either encoding. Nothing read from a shard is ever unpickled:
only ``.txt``, ``.src.txt``, ``.tgt.txt`` (strict UTF-8), ``.json`` and raw little-endian token
arrays (``.ids.u16``, ``.ids.u32`` and their ``src.``/``tgt.`` forms, read with ``numpy.frombuffer``)
are decoded; webdataset's default decoders are never used. ``polytrain.stream.dataset`` builds the
training streams on top of this.
"""

from __future__ import annotations

import json
import logging
import tarfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import fsspec
import numpy as np

from polytrain.shards.documents import (
    TEXT_SUFFIXES,
    TOKEN_DTYPES,
    TOKEN_SUFFIXES,
    Document,
    LayoutError,
    sample_documents,
    token_member,
)

log = logging.getLogger(__name__)

_TOKEN_MEMBERS = frozenset(f"{name}.{dtype}" for names in TOKEN_SUFFIXES.values() for name in names
                           for dtype in TOKEN_DTYPES)
ALLOWED_SUFFIXES = frozenset({"txt", "src.txt", "tgt.txt", "json"}) | _TOKEN_MEMBERS
"""The only member suffixes that are decoded; every other member is refused unread."""

# Counter names (``Batch.stats`` keys; ``"<name>:<shard url>"`` keys give the per-shard detail).
REFUSED_MEMBER = "refused_member"  # suffix not in ALLOWED_SUFFIXES (.pyd, .pth, .pyd.gz, ...)
OVERSIZED_MEMBER = "oversized_member"  # larger than max_member_bytes; skipped unread
INVALID_UTF8 = "invalid_utf8"  # text member is not strict UTF-8; sample dropped
INVALID_JSON = "invalid_json"  # .json member is not a JSON object; sample dropped
DUPLICATE_MEMBER = "duplicate_member"  # same key and suffix twice in a row; the later one dropped
NONCONTIGUOUS_KEY = "noncontiguous_key"  # a key reappears after another key; fragment dropped
MISSING_TEXT = "missing_text"  # sample lacks its text (or token) member(s)
EMPTY_TEXT = "empty_text"  # text that tokenizes to nothing
INVALID_LAYOUT = "invalid_layout"  # the .json does not describe the sample's documents; sample dropped
INVALID_TOKENS = "invalid_tokens"  # a token member of a size no whole number of ids, or an id outside the vocabulary
CUT_LINE = "cut_line"  # a sentence longer than max_line_chars: cut to that length before encoding
CUT_CHARS = "cut_chars"  # the characters those cuts removed
CORRUPT_SHARD = "corrupt_shard"  # truncated or invalid tar: the rest of the shard is skipped
EMPTY_SHARD = "empty_shard"  # a shard that gave no usable sample (incl. a zero-byte file)

_TAR_BLOCK = 512


def open_shard(url: str, allow_pipe: bool) -> BinaryIO:
    """Open a shard for streaming: a local path, or an fsspec URL (``file://``, ``http(s)://``,
    ``s3://`` with s3fs installed, ...).

    Args:
        url: where the shard is.
        allow_pipe: accept ``pipe:CMD`` URLs (opened by webdataset's ``gopen``, which runs CMD in
            a shell). Off by default: a config or manifest must not be able to run commands.

    Raises:
        ValueError: a ``pipe:`` URL without ``allow_pipe``.
    """
    if url.startswith("pipe:"):
        _check_pipe(url, allow_pipe)
        from webdataset.gopen import gopen  # only trusted pipe: URLs go through webdataset's opener

        return gopen(url, "rb")
    if "://" in url:
        return fsspec.open(url, "rb").open()
    return open(url, "rb")


def _check_pipe(url: str, allow_pipe: bool) -> None:
    if url.startswith("pipe:") and not allow_pipe:
        raise ValueError(f"{url}: pipe: URLs run a shell command; set data.allow_pipe=true to "
                         "allow them (only with configs you trust)")


class StreamStats:
    """Counters of skipped data, kept in totals and as increments since the last :meth:`take`."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()

    def add(self, name: str, url: str | None = None, n: int = 1) -> None:
        """Count ``n`` events ``name``, and ``"name:url"`` too when the shard is known."""
        for key in (name, f"{name}:{url}") if url else (name,):
            self.totals[key] += n
            self._pending[key] += n

    def take(self) -> dict[str, int]:
        """The increments since the previous call (what travels in ``Batch.stats``)."""
        out = dict(self._pending)
        self._pending.clear()
        return out

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Count nothing inside the block (documents re-read to resume were counted already)."""
        totals, pending = self.totals.copy(), self._pending.copy()
        try:
            yield
        finally:
            self.totals, self._pending = totals, pending


@dataclass
class ShardSample:
    """One decoded WebDataset sample: its text members and its JSON metadata."""

    key: str
    url: str
    texts: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    """Token members (``ids.u16``, ...) as read-only arrays of their little-endian type."""
    meta: dict[str, Any] | None = None
    bad: bool = False
    """A member failed to decode (already counted); the sample must be dropped."""


class _CountingReader:
    """A read-only file wrapper that counts bytes, to spot a tar cut at a header boundary."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def has_bytes(self, total: int) -> bool:
        """Whether the file holds at least ``total`` bytes (reads ahead as needed)."""
        while self.count < total:
            if not self.read(total - self.count):
                return False
        return True


def read_shard(url: str, kind: str, stats: StreamStats, allow_pipe: bool = False,
               max_member_bytes: int = 16 * 2**20, encoding: str = "text") -> Iterator[ShardSample]:
    """Yield the usable samples of one shard; never raises for bad data, counts it instead.

    A truncated or corrupt tar ends the shard (``corrupt_shard``, one warning line naming the
    URL and the error); samples read before the damage are still yielded.

    Args:
        url: the shard (see :func:`open_shard`).
        kind: ``"mono"`` or ``"parallel"``: which text members a sample needs.
        stats: where the counters go.
        allow_pipe: see :func:`open_shard` (a refused ``pipe:`` URL raises, it is a config error).
        max_member_bytes: members larger than this are skipped without being read into memory.
        encoding: ``"text"`` (a sample needs its text members) or ``"tokens"`` (its token members
            and its ``.json``).
    """
    _check_pipe(url, allow_pipe)  # a config error, not bad data: raise
    issues: Counter[str] = Counter()
    shard_stats = _ShardCounter(stats, issues, url)
    yielded = 0
    try:
        with open_shard(url, allow_pipe) as raw:
            reader = _CountingReader(raw)
            for sample in _samples(reader, url, shard_stats, max_member_bytes):
                if sample.bad:
                    continue
                if not _complete(sample, kind, encoding):
                    shard_stats.add(MISSING_TEXT)
                    continue
                yielded += 1
                yield sample
    except Exception as err:  # noqa: BLE001  # any failure inside one shard must not end the run
        _corrupt(url, err, shard_stats)
    if not yielded and not issues[CORRUPT_SHARD] and not issues[EMPTY_SHARD]:
        shard_stats.add(EMPTY_SHARD)
    _warn_issues(url, issues)


def _complete(sample: ShardSample, kind: str, encoding: str) -> bool:
    if encoding == "text":
        return all(s in sample.texts for s in TEXT_SUFFIXES[kind])
    return sample.meta is not None and all(token_member(sample.arrays, s) is not None for s in TOKEN_SUFFIXES[kind])


def read_documents(url: str, kind: str, stats: StreamStats, encoding: str = "text", allow_pipe: bool = False,
                   max_member_bytes: int = 16 * 2**20, vocab_size: int | None = None) -> Iterator[Document]:
    """The documents of one shard in file order, numbered from 0 (``Document.index``), in the
    shard's encoding: text documents carry ``sentences``, token documents ``ids`` and ``ends``.

    A sample whose ``.json`` disagrees with its members (``invalid_layout``) or that holds an id
    ``>= vocab_size`` (``invalid_tokens``) is skipped and counted, with its documents; the others
    keep their numbers. Arguments as :func:`read_shard`.
    """
    counter = _ShardCounter(stats, Counter(), url)
    index = 0
    for sample in read_shard(url, kind, stats, allow_pipe, max_member_bytes, encoding):
        if vocab_size is not None and any(a.size and int(a.max()) >= vocab_size for a in sample.arrays.values()):
            counter.add(INVALID_TOKENS)
            continue
        try:
            docs = sample_documents(kind, sample.key, sample.texts, sample.arrays, sample.meta, index)
        except LayoutError as err:
            counter.add(INVALID_LAYOUT)
            log.warning("shard %s: sample %s skipped: %s", url, sample.key, err)
            continue
        index += len(docs)
        yield from docs


class _ShardCounter:
    """Counts into the stream's ``StreamStats`` and into this shard read's own tally."""

    def __init__(self, stats: StreamStats, issues: Counter[str], url: str) -> None:
        self.stats, self.issues, self.url = stats, issues, url

    def add(self, name: str) -> None:
        self.stats.add(name, self.url)
        self.issues[name] += 1


def _corrupt(url: str, err: Exception, counter: _ShardCounter) -> None:
    if isinstance(err, tarfile.ReadError) and str(err) == "empty file":
        counter.add(EMPTY_SHARD)  # a zero-byte file
        return
    counter.add(CORRUPT_SHARD)
    log.warning("corrupt or unreadable shard %s: %s: %s; skipped the rest of it",
                url, type(err).__name__, " ".join(str(err).split()))


def _warn_issues(url: str, issues: Counter[str]) -> None:
    details = {k: v for k, v in issues.items() if k != CORRUPT_SHARD}
    if details:
        summary = ", ".join(f"{n} {name}" for name, n in sorted(details.items()))
        log.warning("shard %s: %s (skipped and counted)", url, summary)


_BAD = object()
"""Marks a member that failed to decode (its sample is dropped)."""


def member_key(name: str) -> tuple[str | None, str | None]:
    """``(key, suffix)`` of a tar member: the key is the path up to the first ``.`` of the file name,
    the suffix the rest (WebDataset's naming: ``a/b.src.txt`` -> ``("a/b", "src.txt")``); ``(None,
    None)`` for a name without one. Here rather than webdataset's helper, whose import loads torch:
    ``polytrain data tokenize`` reads shards without it."""
    folder, _, file = name.rpartition("/")
    stem, dot, suffix = file.partition(".")
    if not dot or not stem:
        return None, None
    return (f"{folder}/{stem}" if folder else stem), suffix


def _samples(reader: _CountingReader, url: str, counter: _ShardCounter,
             max_member_bytes: int) -> Iterator[ShardSample]:
    """Group consecutive allow-listed members sharing a key into samples (WebDataset's rule).

    Strict where a streaming group-by is lax: a key that comes back after another key would
    become a second, partial sample; it is counted and dropped instead. Members that are not
    allow-listed are refused unread (tarfile skips their bytes).
    """
    tar = tarfile.open(fileobj=reader, mode="r|")  # type: ignore[call-overload]  # noqa: SIM115  # plain tar, streamed
    current: ShardSample | None = None
    done: set[str] = set()
    for info in tar:
        tar.members = []  # streaming: do not keep every TarInfo of the shard
        key, suffix = member_key(info.name)
        suffix = suffix.lower() if suffix else suffix
        if not info.isreg() or key is None or suffix not in ALLOWED_SUFFIXES:
            counter.add(REFUSED_MEMBER)
            continue
        if current is None or key != current.key:
            if current is not None:  # a new key's header proves the previous sample is complete
                done.add(current.key)
                yield current
            current = ShardSample(key=key, url=url, bad=key in done)
            if current.bad:
                counter.add(NONCONTIGUOUS_KEY)
        if suffix in current.texts or (suffix == "json" and current.meta is not None):
            counter.add(DUPLICATE_MEMBER)
        elif info.size > max_member_bytes:
            counter.add(OVERSIZED_MEMBER)
            current.bad = True
        else:
            member = tar.extractfile(info)
            assert member is not None  # a regular file
            _store(current, suffix, _decode(suffix, member.read(), counter))
    # tarfile takes a stream that stops at a member boundary for a complete archive; a real one
    # ends with a zero block. Without it the last sample may be incomplete: the shard is corrupt.
    if not reader.has_bytes(tar.offset + _TAR_BLOCK):
        raise tarfile.ReadError(f"truncated: no end-of-archive block at offset {tar.offset}")
    if current is not None:
        yield current


def _store(sample: ShardSample, suffix: str, value: Any) -> None:
    if value is _BAD:
        sample.bad = True
    elif suffix == "json":
        sample.meta = value
    elif suffix in _TOKEN_MEMBERS:
        sample.arrays[suffix] = value
    else:
        sample.texts[suffix] = value


def _decode(suffix: str, data: bytes, counter: _ShardCounter) -> Any:
    """Strict UTF-8 for text, ``json.loads`` (an object) for ``.json``, a read-only little-endian
    array for token members; ``_BAD`` if invalid."""
    if suffix in _TOKEN_MEMBERS:
        dtype = TOKEN_DTYPES[suffix.rsplit(".", 1)[1]]
        if len(data) % dtype.itemsize:
            counter.add(INVALID_TOKENS)
            return _BAD
        return np.frombuffer(data, dtype=dtype)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        counter.add(INVALID_UTF8 if suffix != "json" else INVALID_JSON)
        return _BAD
    if suffix != "json":
        return text
    try:
        meta = json.loads(text)
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        counter.add(INVALID_JSON)
        return _BAD
    return meta
