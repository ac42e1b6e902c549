"""Tar writing for ``polytrain data shard`` and ``data tokenize``: WebDataset tar shards, reproducible to the byte.

Every member gets fixed metadata (mode 0644, uid/gid 0, mtime 0, empty user/group names), the
members of a sample are written in sorted extension order, and each shard is written to
``NAME.tar.tmp``, hashed on the fly, made durable and renamed when complete. ``ShardWriter`` cuts
one (kind, language, split) into numbered, size-capped shards of many-document samples and returns
their ``ShardInfo`` entries for the manifest; the sample format is specified in
``docs/data-format.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from polytrain.shards.documents import encode_keys, text_members
from polytrain.shards.manifest import ShardInfo

_KEY_RE = re.compile(r"[^./\\\x00-\x20\x7f]+")
BLOCK = 512
"""Tar's block size: a header is one block and member data is padded to whole blocks."""
_END_OF_ARCHIVE = b"\0" * (2 * BLOCK)


@dataclass(frozen=True)
class Sample:
    """One document or sentence pair, before it goes into a many-document sample."""

    kind: str
    lang: str
    key: str
    texts: dict[str, str]
    """Member extension -> text: ``{"txt": ...}`` (sentences joined by ``"\n"``) or
    ``{"src.txt": ..., "tgt.txt": ...}``."""
    meta: dict[str, Any]
    """``source`` (the input's name) and, for jsonl documents, their ``id``."""
    sentences: int

    @property
    def chars(self) -> int:
        """Characters of the text members (both sides of a pair)."""
        return sum(len(t) for t in self.texts.values())

    def lines(self) -> list[str]:
        """The document's lines: its sentences (mono) or ``[source, target]`` (parallel)."""
        if self.kind == "parallel":
            return [self.texts["src.txt"], self.texts["tgt.txt"]]
        return self.texts["txt"].split("\n")

    @property
    def text_bytes(self) -> int:
        """UTF-8 bytes of the text members."""
        return sum(len(t.encode("utf-8")) for t in self.texts.values())

    def size_bound(self, continues_run: bool) -> int:
        """Bytes this document adds to a sample at most: its text, line ends and its share of the json."""
        text = self.text_bytes + self.sentences + 1
        doc_id = len(json.dumps(self.meta.get("id"), ensure_ascii=True)) + 1
        run = 0 if continues_run else 2 * len(self.key) + len(json.dumps(self.meta["source"], ensure_ascii=True)) + 32
        return text + doc_id + len(str(self.sentences)) + 1 + run


def samples_members(samples: list[Sample]) -> dict[str, bytes]:
    """The members of one sample holding ``samples`` (documents of one kind and language)."""
    first = samples[0]
    langs = ({"lang": first.lang} if first.kind == "mono"
             else {"src_lang": first.lang.split("-")[0], "tgt_lang": first.lang.split("-")[1]})
    extra: dict[str, Any] = {"sources": {_run_prefix(s.key): s.meta["source"] for s in samples}}
    ids = [s.meta.get("id") for s in samples]
    if any(i is not None for i in ids):
        extra["ids"] = ids
    return text_members(first.kind, langs, [s.key for s in samples], [s.lines() for s in samples], extra)


def _run_prefix(key: str) -> str:
    """What a key's run is keyed by in ``sources``: the key without its 8-digit number."""
    run = encode_keys([key])[0]
    return run[0] if isinstance(run, list) else run


# --------------------------------------------------------------------------- tar encoding
def encode_sample(sample: Mapping[str, str | bytes]) -> bytes:
    """Tar bytes of one sample: its members in sorted extension order, with fixed metadata.

    Args:
        sample: ``{"__key__": key, ext: bytes, ...}``; the key must not contain ``.``, ``/`` or
            whitespace (WebDataset splits member names at the first ``.``).
    """
    key = sample.get("__key__")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"sample key {key!r} must be a non-empty string without '.', '/' or spaces")
    parts: list[bytes] = []
    for ext in sorted(k for k in sample if k != "__key__"):
        data = sample[ext]
        if not isinstance(data, bytes) or not ext or "/" in ext:
            raise ValueError(f"sample {key}: member {ext!r} must be bytes with a non-empty extension")
        parts.append(tar_header(f"{key}.{ext}", len(data)))
        parts.append(data + b"\0" * (-len(data) % BLOCK))
    return b"".join(parts)


# The fixed fields of a POSIX ustar header: mode 0644, uid/gid 0, mtime 0, a regular file, magic
# "ustar\0" version "00", empty user/group names and device fields (as tarfile writes them since
# Python 3.11 for non-device files), no link name or prefix.
_USTAR_IDS = b"0000644\0" + b"0000000\0" * 2
_USTAR_MTIME = b"00000000000\0"
_USTAR_TAIL = (b"0" + b"\0" * 100 + b"ustar\x0000").ljust(356, b"\0")


def tar_header(name: str, size: int) -> bytes:
    """The 512-byte header of a regular file member with polytrain's fixed metadata.

    Equal to ``tarfile.TarInfo.tobuf(PAX_FORMAT)`` with mtime 0, uid/gid 0, mode 0644 and empty
    user/group names (a unit test checks this), but fixed by this code rather than by the Python
    version, and built directly because ``tobuf`` took over a third of the writer's run time.
    Names that are not short ASCII take tarfile's path (pax extended headers).
    """
    if len(name) > 100 or not name.isascii() or size >= 8**11:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, 0, 0o644
        info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
        return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")
    head = name.encode("ascii").ljust(100, b"\0") + _USTAR_IDS + b"%011o\0" % size + _USTAR_MTIME
    checksum = sum(head) + sum(_USTAR_TAIL) + 8 * ord(" ")  # the checksum field counts as spaces
    return head + b"%06o\0 " % checksum + _USTAR_TAIL


class TarFile:
    """One tar file written to ``path.tmp``, hashed on the fly, renamed to ``path`` by finish()."""

    def __init__(self, path: str) -> None:
        self.path, self.tmp = path, f"{path}.tmp"
        self.size, self.samples, self.chars, self.sentences = 0, 0, 0, 0
        self._sha = hashlib.sha256()
        self._file = open(self.tmp, "wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._sha.update(data)
        self.size += len(data)

    def finish(self) -> tuple[int, str]:
        """Close the archive, make it durable and give it its final name; returns (bytes, sha256)."""
        # No padding to tar's 10240-byte record: readers do not need it and sizes stay exact.
        self.write(_END_OF_ARCHIVE)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.tmp, self.path)
        return self.size, self._sha.hexdigest()

    def abort(self) -> None:
        self._file.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


@dataclass(frozen=True)
class TarStats:
    """What :func:`write_shard` wrote."""

    samples: int
    bytes: int
    sha256: str


def write_shard(path: str, samples: Iterable[Mapping[str, str | bytes]]) -> TarStats:
    """Write WebDataset samples (``{"__key__": ..., ext: bytes}``) to one tar file, atomically.

    Any member extension is accepted (tests use this to build hostile shards); the writer of
    ``polytrain data shard`` only ever emits ``.txt`` and ``.json``.
    """
    tar = TarFile(path)
    try:
        for sample in samples:
            tar.write(encode_sample(sample))
            tar.samples += 1
        size, sha = tar.finish()
    except BaseException:
        tar.abort()
        raise
    return TarStats(samples=tar.samples, bytes=size, sha256=sha)


# --------------------------------------------------------------------------- shards
def member_overhead(kind: str) -> int:
    """A many-document sample's own bytes at most: its members' headers and padding, the json frame."""
    return (2 if kind == "mono" else 3) * (2 * BLOCK - 1) + 128


class ShardWriter:
    """Writes the documents of one (kind, language, split) into numbered, size-capped shards whose
    samples hold many documents each (``polytrain.shards.documents``).

    Args:
        out_dir: the output folder (holding ``manifest.json``).
        kind: ``"mono"`` or ``"parallel"``.
        lang: language or pair; shards go to ``{out_dir}/{kind}/{lang}/{split}-NNNNNN.tar``.
        split: ``"train"`` or ``"val"``.
        max_samples: close a shard when it holds this many documents.
        max_bytes: close a shard before it would exceed this size; a document that alone exceeds
            it is written into a shard of its own (nothing is dropped).
        member_bytes: close a tar sample (many documents) once its text reaches this many bytes.
    """

    def __init__(self, out_dir: str, kind: str, lang: str, split: str, max_samples: int,
                 max_bytes: int, member_bytes: int = 1_000_000) -> None:
        self.out_dir, self.kind, self.lang, self.split = out_dir, kind, lang, split
        self.max_samples, self.max_bytes, self.member_bytes = max_samples, max_bytes, member_bytes
        self.rel_dir = f"{kind}/{lang}"
        self.shards: list[ShardInfo] = []
        self._tar: TarFile | None = None
        self._pending: list[Sample] = []
        self._pending_bytes = 0  # at most, once written
        self._pending_text = 0
        os.makedirs(os.path.join(out_dir, kind, lang), exist_ok=True)

    def add(self, sample: Sample) -> None:
        """Append one document, first closing the current shard if it is full."""
        last = self._pending[-1].key if self._pending else None
        size = sample.size_bound(last is not None and len(encode_keys([last, sample.key])) == 1)
        size += 0 if self._pending else member_overhead(self.kind)
        tar = self._tar
        if tar is not None and (tar.samples >= self.max_samples or tar.size + self._pending_bytes + size
                                + len(_END_OF_ARCHIVE) > self.max_bytes):
            self._finish()
            size = sample.size_bound(False) + member_overhead(self.kind)
        if self._tar is None:
            name = f"{self.split}-{len(self.shards):06d}.tar"
            self._tar = TarFile(os.path.join(self.out_dir, self.kind, self.lang, name))
        self._pending.append(sample)
        self._pending_bytes += size
        self._pending_text += sample.text_bytes
        self._tar.samples += 1
        self._tar.chars += sample.chars
        self._tar.sentences += sample.sentences
        if self._pending_text >= self.member_bytes:
            self._flush()

    def close(self) -> list[ShardInfo]:
        """Finish the last shard; returns every shard written, in order."""
        if self._tar is not None:
            self._finish()
        return self.shards

    def abort(self) -> None:
        """Remove the unfinished shard's temporary file (finished shards stay, unlisted)."""
        if self._tar is not None:
            self._tar.abort()
            self._tar = None

    def _flush(self) -> None:
        """Write the pending documents as one tar sample, keyed by the first document's key."""
        if self._pending:
            assert self._tar is not None
            self._tar.write(encode_sample({"__key__": self._pending[0].key, **samples_members(self._pending)}))
            self._pending, self._pending_bytes, self._pending_text = [], 0, 0

    def _finish(self) -> None:
        self._flush()
        tar = self._tar
        assert tar is not None
        size, sha = tar.finish()
        src, tgt = self.lang.split("-") if self.kind == "parallel" else (None, None)
        self.shards.append(ShardInfo(
            path=f"{self.rel_dir}/{os.path.basename(tar.path)}", kind=self.kind, lang=self.lang,
            split=self.split, samples=tar.samples, chars=tar.chars, bytes=size, sha256=sha,
            sentences=tar.sentences, tokens=None, src_lang=src, tgt_lang=tgt))
        self._tar = None
