"""The input side of ``polytrain data shard``: find the input files and read them into ``Sample``s.

Each input is ``.txt`` (one sentence per line, documents separated by blank lines), ``.jsonl``
(``{"text", "lang"?, "id"?}``, sentences separated by ``"\\n"``) or ``.tsv`` (one sentence pair per
line). Reading validates every line: what cannot be used is skipped and counted per file and reason
(``SKIP_REASONS``), never dropped silently. Also here: the options and the user error shared by the
whole command. The formats are specified in ``docs/data-format.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from polytrain.prepare.tarwriter import BLOCK, Sample

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
    member_bytes: int = 1_000_000
    """A tar sample holds documents until their text reaches this many bytes: one tar header per
    sample instead of two per document keeps shards of short documents near their text's size."""
    seed: int = 0
    """Seed of the validation split hash."""

    def __post_init__(self) -> None:
        checks = [("max_samples", self.max_samples >= 1, ">= 1"),
                  ("max_bytes", self.max_bytes >= 4 * BLOCK, f">= {4 * BLOCK}"),
                  ("val_fraction", 0.0 <= self.val_fraction < 1.0, "in [0, 1)"),
                  ("min_val", self.min_val >= 0, ">= 0"),
                  ("max_line_chars", self.max_line_chars >= 1, ">= 1"),
                  ("max_doc_chars", self.max_doc_chars >= self.max_line_chars, ">= max_line_chars"),
                  ("member_bytes", self.member_bytes >= 1, ">= 1"),
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


# --------------------------------------------------------------------------- reading inputs
MAX_LINE_BYTES_PER_CHAR = 4
"""UTF-8 takes at most 4 bytes per character: a .txt line of more than ``4 * max_line_chars`` bytes
(a .tsv line: twice that) is overlong whatever it holds, and is skipped without being held whole."""


def _raw_lines(path: str, max_bytes: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(1-based line number, line bytes without the line ending and a leading UTF-8 BOM).

    A line longer than ``max_bytes`` gives ``None``: it is read in 1 MiB chunks and dropped, so a
    file without newlines (a binary or minified dump) costs bounded memory.
    """
    with open(path, "rb") as f:
        lineno = 0
        while raw := (f.readline() if max_bytes is None else f.readline(max_bytes + 3)):  # + BOM, \r\n slack
            lineno += 1
            if max_bytes is not None and len(raw) > max_bytes and not raw.endswith(b"\n"):
                while (chunk := f.readline(1 << 20)) and not chunk.endswith(b"\n"):
                    pass
                yield lineno, None
                continue
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            yield lineno, raw[:-1] if raw.endswith(b"\r") else raw


def _decode(raw: bytes | None, counts: dict[str, int]) -> str | None:
    if raw is None:  # longer than any allowed line: never decoded
        counts["overlong_line"] += 1
        return None
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
    max_bytes = MAX_LINE_BYTES_PER_CHAR * opts.max_line_chars
    lines = (_decode(raw, counts) for _, raw in _raw_lines(src.path, max_bytes))
    for blank, run in itertools.groupby(lines, key=lambda line: line is not None and not line.strip()):
        if not blank:
            cleaned = (None if line is None else _clean(line, opts, counts) for line in run)
            yield from _cut((s for s in cleaned if s), opts.max_doc_chars)


def blank_line_report(src: Source, opts: ShardOptions) -> int | None:
    """For a .txt input without any blank line (so one document, cut every ``max_doc_chars``):
    its number of lines (at least 2); ``None`` otherwise. Stops at the first blank line."""
    lines = 0
    for _, raw in _raw_lines(src.path, MAX_LINE_BYTES_PER_CHAR * opts.max_line_chars):
        if raw is not None and not raw.strip():
            return None
        lines += 1
    return lines if lines >= 2 else None


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
    for lineno, raw in _raw_lines(src.path, 2 * MAX_LINE_BYTES_PER_CHAR * opts.max_line_chars + 1):
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
