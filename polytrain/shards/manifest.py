"""The shard manifest: what a folder of WebDataset shards holds, read and written in one place.

``polytrain data shard`` writes ``manifest.json`` next to the shards; the stream, the language
mixture and the tokenizer trainer read it through :class:`Manifest`. The format is documented in
``docs/data-format.md``. Shard ``path``s are relative to the manifest's folder, so a shard folder
can be moved or served over http as a whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from dataclasses import dataclass, field
from typing import Any, Literal

from polytrain import __version__
from polytrain.errors import ConfigError

FORMAT = "polytrain-shards"
"""Value of the manifest's ``"format"`` field."""
VERSION = 2
"""Manifest format version this code writes: 2 adds ``encoding`` and ``tokenizer`` (token shards) and
many documents per text sample, which polytrain 0.1 (version 1) cannot read."""
READS: tuple[int, ...] = (1, 2)
"""Versions this code reads; version 1 is text with one document per sample."""
ENCODINGS: tuple[str, ...] = ("text", "tokens")
MANIFEST_NAME = "manifest.json"
KINDS: tuple[str, ...] = ("mono", "parallel")
SPLITS: tuple[str, ...] = ("train", "val")
Split = Literal["train", "val"]
UNITS: tuple[str, ...] = ("samples", "chars", "sentences", "bytes", "tokens")
"""Per-shard counts that :meth:`Manifest.sizes` can sum."""


class ManifestError(ConfigError):
    """A manifest is missing or invalid; the message is one line naming the file."""


@dataclass(frozen=True)
class ShardInfo:
    """One tar shard listed in a manifest.

    Args:
        path: location relative to the manifest's folder, posix separators
            (``mono/de/train-000000.tar``).
        kind: ``"mono"`` or ``"parallel"``.
        lang: the language (``"de"``) or, for parallel shards, the pair (``"de-en"``).
        split: ``"train"`` or ``"val"``.
        samples: number of samples (documents or sentence pairs).
        chars: characters in the text members (both sides for parallel shards).
        bytes: size of the tar file.
        sha256: hex digest of the tar file.
        sentences: sentences in the shard (pairs count once); ``None`` if unknown.
        tokens: tokens in the shard when pre-tokenized, else ``None``.
        src_lang: parallel shards only: language of the ``src.txt`` members.
        tgt_lang: parallel shards only: language of the ``tgt.txt`` members.
    """

    path: str
    kind: str
    lang: str
    split: str
    samples: int
    chars: int
    bytes: int
    sha256: str
    sentences: int | None = None
    tokens: int | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None

    @property
    def text_languages(self) -> tuple[str, ...]:
        """The languages of the text it holds: ``(lang,)``, or a parallel shard's two sides."""
        if self.kind == "parallel":
            return tuple(x for x in (self.src_lang, self.tgt_lang) if x)
        return (self.lang,)

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry; ``src_lang``/``tgt_lang`` only appear on parallel shards."""
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "lang": self.lang}
        if self.kind == "parallel":
            out["src_lang"] = self.src_lang
            out["tgt_lang"] = self.tgt_lang
        out.update(split=self.split, samples=self.samples, chars=self.chars,
                   sentences=self.sentences, bytes=self.bytes, sha256=self.sha256,
                   tokens=self.tokens)
        return out

    @classmethod
    def from_dict(cls, entry: object, where: str) -> ShardInfo:
        """Parse and validate one manifest entry; ``where`` names it in errors (``file: shards[3]``)."""
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: expected an object, got {type(entry).__name__}")
        for key, typ in (("path", str), ("kind", str), ("lang", str), ("split", str),
                         ("samples", int), ("chars", int), ("bytes", int), ("sha256", str)):
            _require(entry, key, typ, where)
        for key in ("sentences", "tokens"):
            _require(entry, key, int, where, optional=True)
        if entry["kind"] not in KINDS:
            raise ManifestError(f"{where}: kind {entry['kind']!r} is not one of {list(KINDS)}")
        if entry["split"] not in SPLITS:
            raise ManifestError(f"{where}: split {entry['split']!r} is not one of {list(SPLITS)}")
        if entry["kind"] == "parallel":
            _require(entry, "src_lang", str, where)
            _require(entry, "tgt_lang", str, where)
        _check_relative_path(entry["path"], where)
        return cls(path=entry["path"], kind=entry["kind"], lang=entry["lang"], split=entry["split"],
                   samples=entry["samples"], chars=entry["chars"], bytes=entry["bytes"],
                   sha256=entry["sha256"], sentences=entry.get("sentences"),
                   tokens=entry.get("tokens"), src_lang=entry.get("src_lang"),
                   tgt_lang=entry.get("tgt_lang"))


def _require(entry: dict[str, Any], key: str, typ: type, where: str, optional: bool = False) -> None:
    if key not in entry:
        if optional:
            return
        raise ManifestError(f"{where}: missing key {key!r}")
    value = entry[key]
    if value is None and optional:
        return
    # bool is an int subclass; a count of True is a corrupt manifest, not 1.
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ManifestError(f"{where}: {key!r} must be {typ.__name__}, got {value!r}")
    if isinstance(value, int) and value < 0:
        raise ManifestError(f"{where}: {key!r} must be >= 0, got {value}")


def _check_relative_path(path: str, where: str) -> None:
    """Refuse shard paths that could leave the manifest's folder or name a scheme.

    WebDataset opens ``pipe:...`` URLs by running a shell command, so a manifest must never be able
    to smuggle one in; absolute paths and ``..`` would read outside the shard folder.
    """
    parts = path.split("/")
    bad = (not path or ":" in path or "\\" in path or path.startswith("/")
           or any(p in ("", ".", "..") for p in parts) or not path.endswith(".tar"))
    if bad:
        raise ManifestError(f"{where}: shard path {path!r} must be a relative posix path to a "
                            "'.tar' file inside the manifest's folder (no '..', ':' or '\\')")


def _empty_counts() -> dict[str, int]:
    return {"samples": 0, "chars": 0, "sentences": 0, "bytes": 0, "shards": 0}


def compute_totals(shards: list[ShardInfo]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """Sum shards into ``totals[kind][lang][split] = {samples, chars, sentences, bytes, shards}``.

    Every kind appears (possibly empty); every listed language has both splits (possibly zeros).
    """
    totals: dict[str, dict[str, dict[str, dict[str, int]]]] = {kind: {} for kind in KINDS}
    for shard in sorted(shards, key=lambda s: (s.kind, s.lang)):
        per_lang = totals[shard.kind].setdefault(shard.lang, {s: _empty_counts() for s in SPLITS})
        counts = per_lang[shard.split]
        counts["samples"] += shard.samples
        counts["chars"] += shard.chars
        counts["sentences"] += shard.sentences or 0
        counts["bytes"] += shard.bytes
        counts["shards"] += 1
    return totals


@dataclass
class Manifest:
    """The contents of ``manifest.json``.

    Args:
        entries: every shard, in a stable order (kind, language, split, index); query them with
            :meth:`shards` (a method, so the list has its own name).
        totals: per kind, language and split sums (see :func:`compute_totals`).
        skipped: per input file (as given on the command line), skip counters by reason.
        options: the writer's options (``val_fraction``, ``max_samples``, ``seed``, ...).
        created_by: the program and version that wrote the shards.
        encoding: ``"text"`` or ``"tokens"`` (``polytrain data tokenize``).
        tokenizer: token shards only: ``{"sha256", "vocab_size", "dtype", "source"}`` of the
            tokenizer that made them (training with another one is refused).
        location: the file or URL this manifest was loaded from; ``None`` if built in memory.
    """

    entries: list[ShardInfo]
    totals: dict[str, dict[str, dict[str, dict[str, int]]]]
    skipped: dict[str, dict[str, int]]
    options: dict[str, Any]
    created_by: str = f"polytrain {__version__}"
    encoding: str = "text"
    tokenizer: dict[str, Any] | None = None
    location: str | None = field(default=None, compare=False)
    _loaded_sha256: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, shards: list[ShardInfo], skipped: dict[str, dict[str, int]], options: dict[str, Any],
              encoding: str = "text", tokenizer: dict[str, Any] | None = None) -> Manifest:
        """A manifest whose ``totals`` are computed from ``shards``."""
        return cls(entries=list(shards), totals=compute_totals(shards), skipped=skipped,
                   options=options, encoding=encoding, tokenizer=tokenizer)

    # ----------------------------------------------------------------- reading and writing
    @classmethod
    def load(cls, url_or_path: str) -> Manifest:
        """Read and validate a manifest from a local path or an fsspec URL (``http://...``).

        A folder (or a URL not ending in ``.json``) means the ``manifest.json`` inside it.

        Raises:
            ManifestError: one line naming the file, if it is missing, not JSON or not a valid
                polytrain manifest.
        """
        location = _manifest_location(url_or_path)
        raw = _read_bytes(location)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ManifestError(f"{location}: not a JSON manifest ({err})") from None
        manifest = cls.from_dict(data, location)
        manifest.location = location
        manifest._loaded_sha256 = hashlib.sha256(raw).hexdigest()
        return manifest

    @classmethod
    def from_dict(cls, data: object, where: str = "manifest") -> Manifest:
        """Validate a parsed manifest; errors name ``where`` and the offending field."""
        if not isinstance(data, dict):
            raise ManifestError(f"{where}: a manifest is a JSON object, got {type(data).__name__}")
        if data.get("format") != FORMAT:
            raise ManifestError(f"{where}: 'format' is {data.get('format')!r}, expected {FORMAT!r} "
                                "(is this a polytrain shard manifest?)")
        if data.get("version") not in READS:
            raise ManifestError(f"{where}: manifest version {data.get('version')!r} is not "
                                f"supported (this polytrain reads versions {', '.join(map(str, READS))})")
        for key, typ in (("shards", list), ("totals", dict), ("skipped", dict), ("options", dict)):
            if key not in data:
                raise ManifestError(f"{where}: missing key {key!r}")
            if not isinstance(data[key], typ):
                raise ManifestError(f"{where}: {key!r} must be a JSON {typ.__name__}")
        shards = [ShardInfo.from_dict(e, f"{where}: shards[{i}]") for i, e in enumerate(data["shards"])]
        paths = [s.path for s in shards]
        if len(set(paths)) != len(paths):
            dup = next(p for p in paths if paths.count(p) > 1)
            raise ManifestError(f"{where}: shard {dup!r} is listed twice")
        encoding, tokenizer = _encoding(data, where)
        return cls(entries=shards, totals=data["totals"], skipped=data["skipped"],
                   options=data["options"], created_by=str(data.get("created_by", "")),
                   encoding=encoding, tokenizer=tokenizer)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object that :meth:`save` writes."""
        return {"format": FORMAT, "version": VERSION, "created_by": self.created_by,
                "encoding": self.encoding, "tokenizer": self.tokenizer,
                "shards": [s.to_dict() for s in self.entries], "totals": self.totals,
                "skipped": self.skipped, "options": self.options}

    def to_bytes(self) -> bytes:
        """The exact file content :meth:`save` writes (UTF-8 JSON, indent 2, trailing newline)."""
        return (json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def save(self, path: str) -> None:
        """Write atomically: a temporary file in the same folder, fsync, then ``os.replace``.

        A reader (or a crash) therefore sees either the previous manifest or the complete new one.
        """
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as f:
            f.write(self.to_bytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @property
    def sha256(self) -> str:
        """Hex sha256 of the manifest file (as loaded, or as :meth:`save` would write it).

        Equals ``sha256sum manifest.json``; stored in checkpoints to tie a run to its data.
        """
        if self._loaded_sha256 is not None:
            return self._loaded_sha256
        return hashlib.sha256(self.to_bytes()).hexdigest()

    # ----------------------------------------------------------------- queries
    def shard_url(self, shard: ShardInfo) -> str:
        """Absolute path or URL of ``shard``, resolved against the manifest's location.

        Raises:
            ManifestError: if this manifest was not loaded from a file (no location to resolve
                against).
        """
        if self.location is None:
            raise ManifestError("manifest: built in memory, so shard paths cannot be resolved; "
                                "save and load it first")
        if _is_url(self.location):
            return posixpath.join(self.location.rsplit("/", 1)[0], shard.path)
        base = os.path.dirname(os.path.abspath(self.location))
        return os.path.join(base, *shard.path.split("/"))

    def languages(self, kind: str) -> list[str]:
        """Sorted languages (``kind="mono"``) or pairs (``kind="parallel"``) with any shard."""
        _check_choice("kind", kind, KINDS)
        return sorted({s.lang for s in self.entries if s.kind == kind})

    def tokenizer_mismatch(self, digest: str) -> str | None:
        """``None`` if ids of the tokenizer with sha256 ``digest`` can read these shards (text shards,
        or token shards made with it); else what made them, for a one-line refusal."""
        made_by = self.tokenizer
        if self.encoding != "tokens" or made_by is None or made_by["sha256"] == digest:
            return None
        return (f"{self.location}: token shards made with tokenizer sha256 {made_by['sha256'][:12]} "
                f"({made_by.get('source', '?')})")

    def text_languages(self, kind: str | None = None) -> list[str]:
        """Sorted languages of the text in any shard (of ``kind``): mono languages and both sides of
        the pairs, what a tokenizer for these shards must cover."""
        return sorted({lang for s in self.shards(kind) for lang in s.text_languages})

    def shards(self, kind: str | None = None, split: str | None = None,
               lang: str | None = None) -> list[ShardInfo]:
        """Shards filtered by kind, split and language (or pair), in manifest order.

        ``shards()`` with no argument is every shard (the same list as ``entries``).
        """
        if kind is not None:
            _check_choice("kind", kind, KINDS)
        if split is not None:
            _check_choice("split", split, SPLITS)
        return [s for s in self.entries
                if (kind is None or s.kind == kind) and (split is None or s.split == split)
                and (lang is None or s.lang == lang)]

    def sizes(self, kind: str, split: str = "train", unit: str = "chars") -> dict[str, int]:
        """Per language (or pair) sum of ``unit`` over its shards, e.g. for alpha sampling.

        Args:
            kind: ``"mono"`` or ``"parallel"``.
            split: ``"train"`` or ``"val"``.
            unit: one of ``samples``, ``chars``, ``sentences``, ``bytes``, ``tokens``.

        Returns:
            ``{lang: total}`` sorted by language; a language with no shard of ``split`` is absent.

        Raises:
            ManifestError: if a shard lacks the count (e.g. ``tokens`` on text shards).
        """
        _check_choice("unit", unit, UNITS)
        out: dict[str, int] = {}
        for shard in self.shards(kind, split):
            value = getattr(shard, unit)
            if value is None:
                raise ManifestError(f"{self.location or 'manifest'}: shard {shard.path!r} has no "
                                    f"{unit!r} count (tokens are only known for pre-tokenized shards)")
            out[shard.lang] = out.get(shard.lang, 0) + value
        return dict(sorted(out.items()))


def _encoding(data: dict[str, Any], where: str) -> tuple[str, dict[str, Any] | None]:
    """``(encoding, tokenizer)`` of a parsed manifest; version 1 is text."""
    if data["version"] == 1:
        return "text", None
    encoding, tokenizer = data.get("encoding"), data.get("tokenizer")
    if encoding not in ENCODINGS:
        raise ManifestError(f"{where}: 'encoding' is {encoding!r}, expected one of {list(ENCODINGS)}")
    if encoding == "text":
        return "text", None
    ok = (isinstance(tokenizer, dict) and isinstance(tokenizer.get("sha256"), str)
          and isinstance(tokenizer.get("vocab_size"), int) and tokenizer.get("dtype") in ("uint16", "uint32"))
    if not ok:
        raise ManifestError(f"{where}: token shards need 'tokenizer' with 'sha256', 'vocab_size' and 'dtype' "
                            f"(uint16 or uint32), got {tokenizer!r}")
    return "tokens", tokenizer


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _is_url(location: str) -> bool:
    return "://" in location


def _manifest_location(url_or_path: str) -> str:
    if _is_url(url_or_path):
        if url_or_path.endswith(".json"):
            return url_or_path
        return url_or_path.rstrip("/") + "/" + MANIFEST_NAME
    if os.path.isdir(url_or_path):
        return os.path.join(url_or_path, MANIFEST_NAME)
    return url_or_path


def _read_bytes(location: str) -> bytes:
    try:
        if _is_url(location):
            import fsspec  # imported lazily: only remote manifests need it

            with fsspec.open(location, "rb") as f:
                return f.read()
        with open(location, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ManifestError(f"{location}: manifest not found (write one with "
                            "`polytrain data shard --input ... --out DIR`)") from None
    except OSError as err:
        raise ManifestError(f"{location}: cannot read manifest ({err})") from None
