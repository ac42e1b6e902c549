"""``polytrain data shard``: raw multilingual text -> WebDataset tar shards + ``manifest.json``.

Inputs are ``.txt`` (one sentence per line, documents separated by blank lines), ``.jsonl``
(``{"text", "lang"?, "id"?}``, sentences separated by ``"\\n"``) and ``.tsv`` (one sentence pair
per line). The output layout, sample format and manifest are specified in ``docs/data-format.md``.

The writer makes two passes over the input. The first validates and counts every line (skips are
counted per file and reason) and collects what the validation split needs; the second writes the
shards. Keeping nothing but counters between the passes bounds memory for any corpus size.
Every shard is written to ``NAME.tar.tmp`` and renamed when complete; ``manifest.json`` is written
last, so a crash never leaves a manifest that lists a partial shard.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import itertools
import json
import os
import re
import shutil
import sys
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from polytrain.data.manifest import MANIFEST_NAME, Manifest, ShardInfo

PROG = "polytrain data shard"
EXTENSIONS: dict[str, str] = {".txt": "txt", ".jsonl": "jsonl", ".tsv": "tsv"}
SKIP_REASONS: tuple[str, ...] = (
    "invalid_utf8", "control_char", "overlong_line", "empty_document", "invalid_json",
    "missing_lang", "invalid_lang", "missing_tab", "empty_side",
)
"""Skip counters kept per input file; ``docs/data-format.md`` says what each one counts."""

# A language code: ISO 639-1/3 letters plus optional "_"-separated subtags (zh_Hans, en_XX).
# No "-" (it separates the two sides of a pair) and no "." (it ends a WebDataset key).
_LANG_RE = re.compile(r"[a-z]{2,3}(?:_[A-Za-z0-9]{2,8}){0,3}")
_PAIR_RE = re.compile(rf"({_LANG_RE.pattern})-({_LANG_RE.pattern})")
# C0 controls except tab, DEL, C1 controls, and the Unicode line/paragraph separators: lines with
# them are skipped, so that in every text member str.splitlines() equals str.split("\n").
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")  # only JSON "\\ud800" escapes can produce these
_KEY_RE = re.compile(r"[^./\\\x00-\x20\x7f]+")
_BLOCK = 512
_END_OF_ARCHIVE = b"\0" * (2 * _BLOCK)


class ShardError(ValueError):
    """A user error: bad option, missing or unusable input, occupied output folder (one line)."""


@dataclass(frozen=True)
class ShardOptions:
    """How the writer cuts shards and picks the validation split (all stored in the manifest)."""

    max_samples: int = 1000
    """A shard is closed when it holds this many samples."""
    max_bytes: int = 64_000_000
    """A shard is closed before it would exceed this many bytes (a larger sample goes alone)."""
    val_fraction: float = 0.02
    """Expected fraction of each language's documents (or pairs) in the validation split."""
    min_val: int = 1
    """At least this many validation samples per language with >= 2 documents (train keeps one)."""
    max_line_chars: int = 20_000
    """Sentences (lines, TSV sides) longer than this are skipped as ``overlong_line``."""
    max_doc_chars: int = 1_000_000
    """Longer documents are cut at sentence boundaries into several documents, which bounds
    memory on one-sentence-per-line corpora without blank lines."""
    seed: int = 0
    """Seed of the validation split hash."""

    def __post_init__(self) -> None:
        checks = [("max_samples", self.max_samples >= 1, ">= 1"),
                  ("max_bytes", self.max_bytes >= 4 * _BLOCK, f">= {4 * _BLOCK}"),
                  ("val_fraction", 0.0 <= self.val_fraction < 1.0, "in [0, 1)"),
                  ("min_val", self.min_val >= 0, ">= 0"),
                  ("max_line_chars", self.max_line_chars >= 1, ">= 1"),
                  ("max_doc_chars", self.max_doc_chars >= self.max_line_chars, ">= max_line_chars"),
                  ("seed", self.seed >= 0, ">= 0")]
        for name, ok, rule in checks:
            if not ok:
                raise ShardError(f"--{name.replace('_', '-')} must be {rule}, got {getattr(self, name)}")


@dataclass(frozen=True)
class Source:
    """One input file.

    Args:
        path: the path as given (or as joined under a given folder); names the file in messages
            and in the manifest's ``skipped``.
        name: stable name used in keys and in the samples' ``source``: the file name, or
            ``folder/relative/path`` for files found under a given folder.
        fmt: ``"txt"``, ``"jsonl"`` or ``"tsv"``.
        lang: the file's language (txt, jsonl) or pair ``src-tgt`` (tsv); ``None`` for a jsonl
            file whose lines must carry their own ``"lang"``.
    """

    path: str
    name: str
    fmt: str
    lang: str | None


@dataclass(frozen=True)
class Sample:
    """One document or sentence pair, before encoding into tar members."""

    kind: str
    lang: str
    key: str
    texts: dict[str, str]
    """Member extension -> text: ``{"txt": ...}`` or ``{"src.txt": ..., "tgt.txt": ...}``."""
    meta: dict[str, Any]
    sentences: int

    @property
    def chars(self) -> int:
        """Characters of the text members (both sides of a pair)."""
        return sum(len(t) for t in self.texts.values())

    def members(self) -> dict[str, str | bytes]:
        """WebDataset sample dict: ``__key__`` plus UTF-8 ``.txt`` members and a ``.json`` member."""
        # ensure_ascii: a JSON "id" may hold lone surrogates, which UTF-8 cannot encode.
        meta = json.dumps(self.meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        out: dict[str, str | bytes] = {"__key__": self.key, "json": meta.encode("ascii")}
        out.update((ext, text.encode("utf-8")) for ext, text in self.texts.items())
        return out


# --------------------------------------------------------------------------- tar writing
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
        parts.append(data + b"\0" * (-len(data) % _BLOCK))
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


class _TarFile:
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
    tar = _TarFile(path)
    try:
        for sample in samples:
            tar.write(encode_sample(sample))
            tar.samples += 1
        size, sha = tar.finish()
    except BaseException:
        tar.abort()
        raise
    return TarStats(samples=tar.samples, bytes=size, sha256=sha)


class ShardWriter:
    """Writes the samples of one (kind, language, split) into numbered, size-capped shards.

    Args:
        out_dir: the output folder (holding ``manifest.json``).
        kind: ``"mono"`` or ``"parallel"``.
        lang: language or pair; shards go to ``{out_dir}/{kind}/{lang}/{split}-NNNNNN.tar``.
        split: ``"train"`` or ``"val"``.
        max_samples: close a shard when it holds this many samples.
        max_bytes: close a shard before it would exceed this size; a sample that alone exceeds
            it is written into a shard of its own (nothing is dropped).
    """

    def __init__(self, out_dir: str, kind: str, lang: str, split: str, max_samples: int,
                 max_bytes: int) -> None:
        self.out_dir, self.kind, self.lang, self.split = out_dir, kind, lang, split
        self.max_samples, self.max_bytes = max_samples, max_bytes
        self.rel_dir = f"{kind}/{lang}"
        self.shards: list[ShardInfo] = []
        self._tar: _TarFile | None = None
        os.makedirs(os.path.join(out_dir, kind, lang), exist_ok=True)

    def add(self, sample: Sample) -> None:
        """Append one sample, first closing the current shard if it is full."""
        data = encode_sample(sample.members())
        tar = self._tar
        if tar is not None and (tar.samples >= self.max_samples
                                or tar.size + len(data) + len(_END_OF_ARCHIVE) > self.max_bytes):
            self._finish()
        if self._tar is None:
            name = f"{self.split}-{len(self.shards):06d}.tar"
            self._tar = _TarFile(os.path.join(self.out_dir, self.kind, self.lang, name))
        self._tar.write(data)
        self._tar.samples += 1
        self._tar.chars += sample.chars
        self._tar.sentences += sample.sentences

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

    def _finish(self) -> None:
        tar = self._tar
        assert tar is not None
        size, sha = tar.finish()
        src, tgt = self.lang.split("-") if self.kind == "parallel" else (None, None)
        self.shards.append(ShardInfo(
            path=f"{self.rel_dir}/{os.path.basename(tar.path)}", kind=self.kind, lang=self.lang,
            split=self.split, samples=tar.samples, chars=tar.chars, bytes=size, sha256=sha,
            sentences=tar.sentences, tokens=None, src_lang=src, tgt_lang=tgt))
        self._tar = None


# --------------------------------------------------------------------------- reading inputs
def _raw_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line bytes without the line ending and a leading UTF-8 BOM)."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            yield lineno, raw[:-1] if raw.endswith(b"\r") else raw


def _decode(raw: bytes, counts: dict[str, int]) -> str | None:
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        counts["invalid_utf8"] += 1
        return None


def _clean(text: str, opts: ShardOptions, counts: dict[str, int]) -> str | None:
    """``text`` stripped, or ``None`` (counted) if it must be skipped; "" for a blank one."""
    text = text.strip()
    if _SURROGATE_RE.search(text):
        counts["invalid_utf8"] += 1
        return None
    if _CONTROL_RE.search(text):
        counts["control_char"] += 1
        return None
    if len(text) > opts.max_line_chars:
        counts["overlong_line"] += 1
        return None
    return text


def _cut(sentences: Iterable[str], max_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of ``sentences`` whose "\\n"-joined length is at most ``max_chars``.

    Lazy, so a file without blank lines is never held in memory whole. Yields ``[]`` once for a
    document without any sentence (the caller counts it as ``empty_document``).
    """
    doc: list[str] = []
    size = 0
    for sentence in sentences:
        if doc and size + 1 + len(sentence) > max_chars:
            yield doc
            doc, size = [], 0
        size += len(sentence) + (1 if doc else 0)
        doc.append(sentence)
    yield doc


def _txt_documents(src: Source, opts: ShardOptions, counts: dict[str, int]) -> Iterator[list[str]]:
    """Documents of a .txt file: runs of non-blank lines; undecodable lines belong to their run."""
    lines = (_decode(raw, counts) for _, raw in _raw_lines(src.path))
    for blank, run in itertools.groupby(lines, key=lambda line: line is not None and not line.strip()):
        if not blank:
            cleaned = (None if line is None else _clean(line, opts, counts) for line in run)
            yield from _cut((s for s in cleaned if s), opts.max_doc_chars)


def _jsonl_documents(src: Source, opts: ShardOptions,
                     counts: dict[str, int]) -> Iterator[tuple[int, str, list[str], Any]]:
    """(index, language, sentences, id) of each document of a .jsonl file.

    Every non-blank line takes an index, skipped ones too, and each extra part of a cut document
    takes the next one; blank lines are ignored.
    """
    index = 0
    for _, raw in _raw_lines(src.path):
        line = _decode(raw, counts)
        if line is not None and not line.strip():
            continue
        parsed = None if line is None else _parse_jsonl(line, src, counts)
        if parsed is None:
            index += 1
            continue
        lang, text, doc_id = parsed
        cleaned = (_clean(part, opts, counts) for part in text.split("\n"))
        for doc in _cut((s for s in cleaned if s), opts.max_doc_chars):
            yield index, lang, doc, doc_id
            index += 1


def _parse_jsonl(line: str, src: Source, counts: dict[str, int]) -> tuple[str, str, Any] | None:
    """(language, text, id) of one jsonl line, or ``None`` (counted) if it is unusable."""
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        counts["invalid_json"] += 1
        return None
    lang = obj.get("lang")
    if lang is None:
        lang = src.lang
    if lang is None:
        counts["missing_lang"] += 1
        return None
    if not isinstance(lang, str) or not _LANG_RE.fullmatch(lang):
        counts["invalid_lang"] += 1
        return None
    return lang, obj["text"], obj.get("id")


def _mono_samples(src: Source, opts: ShardOptions, counts: dict[str, int]) -> Iterator[Sample]:
    tag = hashlib.sha1(src.name.encode("utf-8")).hexdigest()[:8]
    if src.fmt == "txt":
        file_lang = src.lang
        assert file_lang is not None
        docs: Iterator[tuple[int, str, list[str], Any]] = (
            (i, file_lang, d, None) for i, d in enumerate(_txt_documents(src, opts, counts)))
    else:
        docs = _jsonl_documents(src, opts, counts)
    # The index counts every document of the file (skipped ones too), so the keys of a document
    # do not shift when a document before it becomes valid or invalid.
    for index, lang, sentences, doc_id in docs:
        if not sentences:
            counts["empty_document"] += 1
            continue
        meta = {"lang": lang, "id": doc_id, "source": src.name, "sentences": len(sentences)}
        yield Sample(kind="mono", lang=lang, key=f"{lang}_{tag}_{index:08d}",
                     texts={"txt": "\n".join(sentences)}, meta=meta, sentences=len(sentences))


def _tsv_samples(src: Source, opts: ShardOptions, counts: dict[str, int]) -> Iterator[Sample]:
    assert src.lang is not None
    src_lang, tgt_lang = src.lang.split("-")
    tag = hashlib.sha1(src.name.encode("utf-8")).hexdigest()[:8]
    for lineno, raw in _raw_lines(src.path):
        line = _decode(raw, counts)
        if line is None or ("\t" not in line and not line.strip()):
            continue
        cells = line.split("\t")
        if len(cells) != 2:
            counts["missing_tab"] += 1
            continue
        if not cells[0].strip() or not cells[1].strip():
            counts["empty_side"] += 1
            continue
        left = _clean(cells[0], opts, counts)
        right = None if left is None else _clean(cells[1], opts, counts)
        if left is None or right is None:
            continue
        meta = {"src_lang": src_lang, "tgt_lang": tgt_lang, "source": src.name, "line": lineno}
        yield Sample(kind="parallel", lang=src.lang, key=f"{src.lang}_{tag}_{lineno - 1:08d}",
                     texts={"src.txt": left, "tgt.txt": right}, meta=meta, sentences=1)


def iter_samples(src: Source, opts: ShardOptions, counts: dict[str, int]) -> Iterator[Sample]:
    """Every valid sample of ``src`` in file order; skips are added to ``counts`` by reason."""
    if src.fmt == "tsv":
        return _tsv_samples(src, opts, counts)
    return _mono_samples(src, opts, counts)


def new_counts() -> dict[str, int]:
    """A zeroed skip counter for one input file."""
    return dict.fromkeys(SKIP_REASONS, 0)


# --------------------------------------------------------------------------- finding inputs
def _file_source(path: str, name: str, lang: str | None, pair: str | None) -> Source:
    """A Source for one file, with its language taken from the options or the file name."""
    stem, ext = os.path.splitext(os.path.basename(path))
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise ShardError(f"{path}: unknown extension {ext or '(none)'!r} "
                         f"(expected one of {', '.join(EXTENSIONS)})")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ShardError(f"{path}: the file name is not valid UTF-8; rename it") from None
    if fmt == "tsv":
        found = pair or (stem if _PAIR_RE.fullmatch(stem) else None)
        if found is None:
            raise ShardError(f"{path}: cannot tell the language pair: name the file like "
                             "'de-en.tsv' or pass --pair de-en")
        return Source(path=path, name=name, fmt=fmt, lang=found)
    found = lang or (stem if _LANG_RE.fullmatch(stem) else None)
    if found is None and fmt == "txt":
        raise ShardError(f"{path}: cannot tell the language: name the file like 'de.txt' or "
                         "pass --lang de")
    return Source(path=path, name=name, fmt=fmt, lang=found)


def _walk(folder: str, log: TextIO) -> list[tuple[str, str]]:
    """(path, name) of the input files under ``folder``, sorted; reports the files it ignores."""
    root = os.path.basename(os.path.normpath(os.path.abspath(folder)))
    found: list[tuple[str, str]] = []
    ignored: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fname in filenames:
            rel = os.path.relpath(os.path.join(dirpath, fname), folder).replace(os.sep, "/")
            target = found if os.path.splitext(fname)[1] in EXTENSIONS else ignored
            target.append((os.path.join(dirpath, fname), f"{root}/{rel}"))
    if ignored:
        names = ", ".join(n for _, n in sorted(ignored)[:3]) + (", ..." if len(ignored) > 3 else "")
        print(f"{PROG}: note: {folder}: ignored {len(ignored)} file(s) that are not "
              f".txt/.jsonl/.tsv ({names})", file=log)
    return sorted(found, key=lambda pn: pn[1])


def discover_sources(inputs: list[str], lang: str | None = None, pair: str | None = None,
                     log: TextIO | None = None) -> list[Source]:
    """Expand files and folders (recursively) into Sources, checking everything up front.

    Raises:
        ShardError: a missing input, an unknown extension, an underivable language, two inputs
            with the same name, or no input file at all.
    """
    if lang is not None and not _LANG_RE.fullmatch(lang):
        raise ShardError(f"--lang {lang!r} is not a language code (e.g. de, zh_Hans)")
    if pair is not None and not _PAIR_RE.fullmatch(pair):
        raise ShardError(f"--pair {pair!r} is not SRC-TGT (e.g. de-en)")
    files: list[tuple[str, str]] = []
    for given in inputs:
        if os.path.isdir(given):
            files.extend(_walk(given, log or sys.stderr))
        elif os.path.isfile(given):
            files.append((given, os.path.basename(given)))
        else:
            raise ShardError(f"{given}: input not found")
    sources: list[Source] = []
    reals: set[str] = set()
    by_name: dict[str, str] = {}
    by_tag: dict[str, str] = {}
    for path, name in files:
        real = os.path.realpath(path)
        if real in reals:
            continue  # the same file reached twice (a file and its folder): read it once
        tag = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        other = by_name.get(name) or by_tag.get(tag)
        if other is not None:
            raise ShardError(f"{path}: has the same name {name!r} (or key hash) as {other}; keys "
                             "are derived from it, so rename one or pass their parent folders")
        reals.add(real)
        by_name[name] = by_tag[tag] = path
        sources.append(_file_source(path, name, lang, pair))
    if not sources:
        raise ShardError(f"no .txt/.jsonl/.tsv file in {' '.join(inputs)}")
    if pair is not None and not any(s.fmt == "tsv" for s in sources):
        raise ShardError("--pair applies to .tsv inputs, but there is none")
    return sources


# --------------------------------------------------------------------------- validation split
def val_hash(seed: int, key: str) -> int:
    """64-bit hash of (seed, key) that places a sample in the validation split."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass
class _SplitStats:
    """Per language: what the first pass learns to fix the validation threshold."""

    n: int = 0
    below: int = 0
    smallest: list[int] = field(default_factory=list)  # max-heap (negated) of the lowest hashes
    largest: int = -1

    def add(self, h: int, cut: int, keep: int) -> None:
        self.n += 1
        self.below += h < cut
        self.largest = max(self.largest, h)
        if keep:
            heapq.heappush(self.smallest, -h)
            if len(self.smallest) > keep:
                heapq.heappop(self.smallest)

    def threshold(self, cut: int, min_val: int) -> int:
        """A sample goes to val iff its hash < the returned value.

        Normally the cut is ``val_fraction * 2**64``; with too few hashes below it, the ``min_val``
        lowest hashes are taken instead; and train always keeps at least one sample.
        """
        if self.n < 2:
            return 0
        target = min(max(self.below, min_val), self.n - 1)
        if target == self.below:
            return cut
        if target > self.below:
            return sorted(-h for h in self.smallest)[target - 1] + 1
        return self.largest  # every hash was below the cut: keep the largest for train


# --------------------------------------------------------------------------- orchestration
def _scan(sources: list[Source], opts: ShardOptions,
          log: TextIO) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], int]]:
    """First pass: skip counters per file and the val threshold per (kind, language)."""
    cut = int(opts.val_fraction * 2**64)
    stats: dict[tuple[str, str], _SplitStats] = {}
    skipped: dict[str, dict[str, int]] = {}
    for src in sources:
        counts = skipped[src.path] = new_counts()
        for sample in iter_samples(src, opts, counts):
            h = val_hash(opts.seed, sample.key)
            stats.setdefault((sample.kind, sample.lang), _SplitStats()).add(h, cut, opts.min_val)
        bad = ", ".join(f"{k}={v}" for k, v in counts.items() if v)
        if bad:
            print(f"{PROG}: warning: {src.path}: skipped {bad}", file=log)
    if not stats:
        raise ShardError(f"no valid sample in {len(sources)} input file(s) "
                         "(every line or document was skipped; see the warnings above)")
    thresholds = {k: s.threshold(cut, opts.min_val) for k, s in sorted(stats.items())}
    return skipped, thresholds


def _write(sources: list[Source], out: str, opts: ShardOptions,
           thresholds: dict[tuple[str, str], int]) -> list[ShardInfo]:
    """Second pass: write every sample into its (kind, language, split) shards."""
    writers: dict[tuple[str, str, str], ShardWriter] = {}
    try:
        for src in sources:
            for sample in iter_samples(src, opts, new_counts()):
                lang_key = (sample.kind, sample.lang)
                split = "val" if val_hash(opts.seed, sample.key) < thresholds[lang_key] else "train"
                writer = writers.get((*lang_key, split))
                if writer is None:
                    writer = writers[(*lang_key, split)] = ShardWriter(
                        out, sample.kind, sample.lang, split, opts.max_samples, opts.max_bytes)
                writer.add(sample)
        return [info for key in sorted(writers) for info in writers[key].close()]
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise


_OWNED = {MANIFEST_NAME, "mono", "parallel"}


def _check_out(out: str, overwrite: bool) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise ShardError(f"--out {out}: exists and is not a folder")
    entries = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if entries and not overwrite:
        raise ShardError(f"--out {out}: folder exists and is not empty (pass --overwrite to replace "
                         "the shards in it)")
    foreign = [e for e in entries if e not in _OWNED and not e.endswith(".tmp")]
    if foreign:
        raise ShardError(f"--out {out}: refusing to overwrite, it holds files polytrain did not "
                         f"write ({', '.join(foreign[:3])})")


def _prepare_out(out: str) -> None:
    """Empty the output folder of a previous (possibly crashed) run, manifest first."""
    os.makedirs(out, exist_ok=True)
    manifest = os.path.join(out, MANIFEST_NAME)
    if os.path.exists(manifest):
        # Removed before any shard, so no moment exists where it lists missing or new shards.
        os.remove(manifest)
    for entry in sorted(os.listdir(out)):
        path = os.path.join(out, entry)
        if entry in _OWNED and os.path.isdir(path):
            shutil.rmtree(path)
        elif entry.endswith(".tmp"):
            os.remove(path)


def shard_corpus(inputs: list[str], out: str, options: ShardOptions | None = None,
                 lang: str | None = None, pair: str | None = None, overwrite: bool = False,
                 log: TextIO | None = None) -> Manifest:
    """Shard ``inputs`` into ``out`` and write ``out/manifest.json``; see the module docstring.

    Args:
        inputs: files and folders (searched recursively for .txt, .jsonl and .tsv files).
        out: output folder; must be empty or absent unless ``overwrite``.
        options: shard sizes, validation split and line limits.
        lang: language of every .txt/.jsonl input (a jsonl line's own "lang" still wins).
        pair: language pair ``src-tgt`` of every .tsv input.
        overwrite: replace the shards of a previous run in ``out``.
        log: where warnings go (default stderr).

    Raises:
        ShardError: a user error; nothing has been written to ``out`` when it is raised.
    """
    opts = options or ShardOptions()
    log = log or sys.stderr
    sources = discover_sources(inputs, lang, pair, log)
    _check_out(out, overwrite)
    skipped, thresholds = _scan(sources, opts, log)
    _prepare_out(out)
    shards = _write(sources, out, opts, thresholds)
    manifest = Manifest.build(shards, skipped, {**asdict(opts), "lang": lang, "pair": pair})
    manifest.save(os.path.join(out, MANIFEST_NAME))
    manifest.location = os.path.join(out, MANIFEST_NAME)
    return manifest


# --------------------------------------------------------------------------- command line
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the usage block and exit; the CLI promises one line and code 2.
        raise ShardError(message)


def build_parser() -> argparse.ArgumentParser:
    """The ``polytrain data shard`` argument parser."""
    d = ShardOptions()
    p = _Parser(prog=PROG, description="Raw multilingual text (.txt, .jsonl, .tsv) -> WebDataset "
                "tar shards + manifest.json. Format: docs/data-format.md.")
    p.add_argument("--input", nargs="+", required=True, metavar="PATH",
                   help="files or folders (searched recursively for .txt/.jsonl/.tsv)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--lang", help="language of .txt/.jsonl inputs (default: the file name, de.txt)")
    p.add_argument("--pair", metavar="SRC-TGT", help="pair of .tsv inputs (default: de-en.tsv)")
    for name, typ, text in (
            ("max_samples", int, "samples per shard"), ("max_bytes", int, "bytes per shard"),
            ("val_fraction", float, "fraction of documents per language for validation"),
            ("min_val", int, "minimum validation samples per language (if it has >= 2)"),
            ("max_line_chars", int, "skip longer sentences"),
            ("max_doc_chars", int, "cut longer documents at sentence boundaries"),
            ("seed", int, "seed of the validation split")):
        p.add_argument(f"--{name.replace('_', '-')}", type=typ, default=getattr(d, name),
                       help=f"{text} (default {getattr(d, name)})")
    p.add_argument("--overwrite", action="store_true", help="replace shards in a non-empty --out")
    return p


def format_summary(manifest: Manifest) -> str:
    """The per-language table printed after sharding."""
    header = ("kind", "lang", "train_docs", "val_docs", "sentences", "chars", "train_shards",
              "val_shards")
    rows: list[tuple[str | int, ...]] = [header]
    for kind, langs in manifest.totals.items():
        for lang, split in langs.items():
            tr, va = split["train"], split["val"]
            rows.append((kind, lang, tr["samples"], va["samples"], tr["sentences"] + va["sentences"],
                         tr["chars"] + va["chars"], tr["shards"], va["shards"]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    total_bytes = sum(s.bytes for s in manifest.entries)
    lines.append(f"{len(manifest.entries)} shards, {total_bytes} bytes -> {manifest.location}")
    skipped = sum(sum(c.values()) for c in manifest.skipped.values())
    files = sum(1 for c in manifest.skipped.values() if any(c.values()))
    if skipped:
        lines.append(f"skipped {skipped} lines/documents in {files} of {len(manifest.skipped)} "
                     "input files (per file and reason in the manifest's 'skipped')")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``polytrain data shard``; returns the exit code (0 ok, 2 user error, 1 I/O error)."""
    try:
        args = build_parser().parse_args(argv)
        opts = ShardOptions(max_samples=args.max_samples, max_bytes=args.max_bytes,
                            val_fraction=args.val_fraction, min_val=args.min_val,
                            max_line_chars=args.max_line_chars, max_doc_chars=args.max_doc_chars,
                            seed=args.seed)
        manifest = shard_corpus(args.input, args.out, opts, lang=args.lang, pair=args.pair,
                                overwrite=args.overwrite)
    except ShardError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"{PROG}: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 1
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    print(format_summary(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
