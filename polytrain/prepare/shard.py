"""``polytrain data shard``: raw multilingual text -> WebDataset tar shards + ``manifest.json``.

Inputs are ``.txt`` (one sentence per line, documents separated by blank lines), ``.jsonl``
(``{"text", "lang"?, "id"?}``, sentences separated by ``"\\n"``) and ``.tsv`` (one sentence pair
per line). The output layout, sample format and manifest are specified in ``docs/data-format.md``.

The writer reads the input several times. The first pass validates and counts every line (skips
are counted per file and reason) and collects what the validation split needs; with parallel
input, the next passes collect the sentences of the validation split, so that pairs sharing a
sentence with a validation document or pair go to validation too (``Split``); the last pass writes
the shards, many documents per tar sample. Between passes only counters and the hashes of the
validation sentences are kept, so memory grows with the validation split, not the corpus.
Every shard is written to ``NAME.tar.tmp`` and renamed when complete; ``manifest.json`` is written
last, so a crash never leaves a manifest that lists a partial shard.

Reading and validating the inputs is in ``polytrain.prepare.inputs``, writing the tar files in
``polytrain.prepare.tarwriter``; this module picks the validation split and runs the passes.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TextIO

from polytrain.shards.manifest import MANIFEST_NAME, Manifest, ShardInfo
from polytrain.prepare.inputs import (
    PROG,
    ShardError,
    ShardOptions,
    Source,
    blank_line_report,
    discover_sources,
    iter_samples,
    new_counts,
)
from polytrain.prepare.tarwriter import Sample, ShardWriter
from polytrain.progress import Progress, add_progress_option


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
class _Tracker:
    """Where a pass over the input files is, for the progress line (files, bytes, samples)."""

    def __init__(self, sources: list[Source], what: str, progress: Progress | None) -> None:
        self.sizes = [os.path.getsize(src.path) for src in sources]
        self.what, self.progress = what, progress
        self.file = self.done_bytes = self.samples = 0

    def sample(self) -> None:
        self.samples += 1
        if self.progress is not None:
            self.progress.update(self.describe)

    def next_file(self) -> None:
        self.done_bytes += self.sizes[self.file]
        self.file += 1

    def describe(self) -> str:
        total = sum(self.sizes)
        return (f"{self.what}: file {min(self.file + 1, len(self.sizes))}/{len(self.sizes)}, "
                f"{self.done_bytes / 1e6:,.1f} of {total / 1e6:,.1f} MB done "
                f"({self.done_bytes / max(total, 1):.0%}), {self.samples:,} documents and pairs")


def _scan(sources: list[Source], opts: ShardOptions, log: TextIO,
          progress: Progress | None = None) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], int]]:
    """First pass: skip counters per file and the val threshold per (kind, language)."""
    cut = int(opts.val_fraction * 2**64)
    stats: dict[tuple[str, str], _SplitStats] = {}
    skipped: dict[str, dict[str, int]] = {}
    where = _Tracker(sources, "checking the input", progress)
    for src in sources:
        counts = skipped[src.path] = new_counts()
        for sample in iter_samples(src, opts, counts):
            h = val_hash(opts.seed, sample.key)
            stats.setdefault((sample.kind, sample.lang), _SplitStats()).add(h, cut, opts.min_val)
            where.sample()
        where.next_file()
        bad = ", ".join(f"{k}={v}" for k, v in counts.items() if v)
        if bad:
            print(f"{PROG}: warning: {src.path}: skipped {bad}", file=log)
        _warn_one_document(src, opts, log)
    if not stats:
        raise ShardError(f"no valid sample in {len(sources)} input file(s) "
                         "(every line or document was skipped; see the warnings above)")
    thresholds = {k: s.threshold(cut, opts.min_val) for k, s in sorted(stats.items())}
    return skipped, thresholds


def _warn_one_document(src: Source, opts: ShardOptions, log: TextIO) -> None:
    lines = blank_line_report(src, opts) if src.fmt == "txt" else None
    if lines is not None:
        print(f"{PROG}: warning: {src.path}: no blank line, so its {lines} lines are one document (cut every "
              f"--max-doc-chars {opts.max_doc_chars} characters); separate documents with blank lines, or "
              "write one document per line as .jsonl", file=log)


# --------------------------------------------------------------------------- val sentences
def sentence_hashes(sample: Sample) -> list[int]:
    """64-bit hashes of (language, sentence) for every sentence of a document or both sides of a pair."""
    if sample.kind == "parallel":
        langs = sample.lang.split("-")
        pairs = [(langs[0], sample.texts["src.txt"]), (langs[1], sample.texts["tgt.txt"])]
    else:
        pairs = [(sample.lang, s) for s in sample.texts["txt"].split("\n")]
    return [int.from_bytes(hashlib.blake2b(f"{lang}\t{text}".encode("utf-8"), digest_size=8).digest(), "big")
            for lang, text in pairs]


class Split:
    """Which split each sample goes to: mono documents by their key's hash; pairs drawn together with them.

    A pair goes to validation when its key's hash says so, and also when either side occurs (same
    language, same text) in any validation document or validation pair, which may pull in more
    pairs, until nothing changes. So no sentence of the validation split appears in a training
    pair (docs/data-format.md). ``val`` holds the hashes of every validation sentence.
    """

    def __init__(self, seed: int, thresholds: dict[tuple[str, str], int]) -> None:
        self.seed, self.thresholds = seed, thresholds
        self.val: set[int] = set()
        self.pulled: dict[str, int] = {}
        """Pairs per language pair moved to validation by a shared sentence (filled by ``write``)."""

    def by_hash(self, sample: Sample) -> bool:
        return val_hash(self.seed, sample.key) < self.thresholds[(sample.kind, sample.lang)]

    def is_val(self, sample: Sample) -> bool:
        """The split of ``sample`` (after :meth:`collect`)."""
        if sample.kind == "mono":
            return self.by_hash(sample)
        return any(h in self.val for h in sentence_hashes(sample))

    def collect(self, sources: list[Source], opts: ShardOptions, progress: Progress | None = None) -> None:
        """Gather the validation sentences: every source once, then the pair files until stable."""
        pair_sources = [src for src in sources if src.fmt == "tsv"]
        if not pair_sources:
            return  # mono documents are split by their keys alone
        self._add(sources, opts, first=True, where=_Tracker(sources, "validation sentences", progress))
        while self._add(pair_sources, opts, first=False,
                        where=_Tracker(pair_sources, "validation sentences, pairs again", progress)):
            pass

    def _add(self, sources: list[Source], opts: ShardOptions, first: bool, where: _Tracker) -> int:
        """One pass: add the sentences of validation samples; return how many samples added any."""
        added = 0
        for src in sources:
            for sample in iter_samples(src, opts, new_counts()):
                where.sample()
                by_key = first and self.by_hash(sample)
                if sample.kind == "mono" and not by_key:
                    continue  # a training document: only validation documents give sentences
                hashes = sentence_hashes(sample)
                val = by_key or any(h in self.val for h in hashes)
                if val and not self.val.issuperset(hashes):
                    self.val.update(hashes)
                    added += 1
            where.next_file()
        return added


def _write(sources: list[Source], out: str, opts: ShardOptions, split: Split,
           progress: Progress | None = None) -> tuple[list[ShardInfo], int]:
    """Last pass: write every sample into its (kind, language, split) shards. Also returns how many
    mono training documents hold a validation sentence (mono documents are never moved)."""
    writers: dict[tuple[str, str, str], ShardWriter] = {}
    overlap = 0
    where = _Tracker(sources, "writing shards", progress)
    try:
        for src in sources:
            for sample in iter_samples(src, opts, new_counts()):
                where.sample()
                val = split.is_val(sample)
                if sample.kind == "parallel" and val and not split.by_hash(sample):
                    split.pulled[sample.lang] = split.pulled.get(sample.lang, 0) + 1
                elif sample.kind == "mono" and not val and split.val:
                    overlap += any(h in split.val for h in sentence_hashes(sample))
                key = (sample.kind, sample.lang, "val" if val else "train")
                writer = writers.get(key)
                if writer is None:
                    writer = writers[key] = ShardWriter(out, *key, opts.max_samples, opts.max_bytes, opts.member_bytes)
                writer.add(sample)
            where.next_file()
        return [info for key in sorted(writers) for info in writers[key].close()], overlap
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise


_OWNED = {MANIFEST_NAME, "mono", "parallel"}


def check_out(out: str, overwrite: bool) -> None:
    """Refuse an output folder that is a file, or not empty without ``overwrite``, or holds foreign files."""
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


def prepare_out(out: str) -> None:
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
                 log: TextIO | None = None, progress: Progress | None = None) -> Manifest:
    """Shard ``inputs`` into ``out`` and write ``out/manifest.json``; see the module docstring.

    Args:
        inputs: files and folders (searched recursively for .txt, .jsonl and .tsv files).
        out: output folder; must be empty or absent unless ``overwrite``.
        options: shard sizes, validation split and line limits.
        lang: language of every .txt/.jsonl input (a jsonl line's own "lang" still wins).
        pair: language pair ``src-tgt`` of every .tsv input.
        overwrite: replace the shards of a previous run in ``out``.
        log: where warnings go (default stderr).
        progress: where the passes report how far they are (``polytrain.progress``); none if ``None``.

    Raises:
        ShardError: a user error; nothing has been written to ``out`` when it is raised.
    """
    opts = options or ShardOptions()
    log = log or sys.stderr
    sources = discover_sources(inputs, lang, pair, log)
    check_out(out, overwrite)
    skipped, thresholds = _scan(sources, opts, log, progress)
    split = Split(opts.seed, thresholds)
    split.collect(sources, opts, progress)
    prepare_out(out)
    shards, overlap = _write(sources, out, opts, split, progress)
    if progress is not None:
        progress.done(f"wrote {len(shards)} shards")
    _note_split(split, overlap, log)
    manifest = Manifest.build(shards, skipped, {**asdict(opts), "lang": lang, "pair": pair})
    manifest.save(os.path.join(out, MANIFEST_NAME))
    manifest.location = os.path.join(out, MANIFEST_NAME)
    return manifest


def _note_split(split: Split, overlap: int, log: TextIO) -> None:
    if split.pulled:
        moved = ", ".join(f"{n} {pair}" for pair, n in sorted(split.pulled.items()))
        print(f"{PROG}: note: moved {moved} pair(s) to validation: they share a sentence with a validation "
              "document or pair", file=log)
    if overlap:
        print(f"{PROG}: note: {overlap} mono training document(s) hold a sentence of a validation pair or "
              "document (documents are split by their keys and never moved)", file=log)


# --------------------------------------------------------------------------- command line
class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are raised (``ShardError``), for the ``polytrain data`` commands."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the usage block and exit; the CLI promises one line and code 2.
        raise ShardError(message)


def build_parser() -> argparse.ArgumentParser:
    """The ``polytrain data shard`` argument parser."""
    d = ShardOptions()
    p = OneLineParser(prog=PROG, description="Raw multilingual text (.txt, .jsonl, .tsv) -> WebDataset "
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
            ("member_bytes", int, "bytes of text per tar sample (many documents each)"),
            ("seed", int, "seed of the validation split")):
        p.add_argument(f"--{name.replace('_', '-')}", type=typ, default=getattr(d, name),
                       help=f"{text} (default {getattr(d, name)})")
    p.add_argument("--overwrite", action="store_true", help="replace shards in a non-empty --out")
    add_progress_option(p)
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


def run_command(prog: str, work: Callable[[], str], user_errors: tuple[type[Exception], ...] = (ShardError,)) -> int:
    """Run a ``polytrain data`` command: print what ``work`` returns and exit 0, or one error line
    ``{prog}: error: ...`` and exit 2 for a user error, 1 for an I/O error."""
    try:
        summary = work()
    except user_errors as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"{prog}: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 1
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    print(summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``polytrain data shard``; returns the exit code (0 ok, 2 user error, 1 I/O error)."""

    def work() -> str:
        args = build_parser().parse_args(argv)
        opts = ShardOptions(max_samples=args.max_samples, max_bytes=args.max_bytes,
                            val_fraction=args.val_fraction, min_val=args.min_val,
                            max_line_chars=args.max_line_chars, max_doc_chars=args.max_doc_chars,
                            member_bytes=args.member_bytes, seed=args.seed)
        return format_summary(shard_corpus(args.input, args.out, opts, lang=args.lang, pair=args.pair,
                                           overwrite=args.overwrite, progress=Progress(PROG, args.progress_every)))
    return run_command(PROG, work)


if __name__ == "__main__":
    sys.exit(main())
