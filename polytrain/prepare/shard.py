"""``polytrain data shard``: raw multilingual text -> WebDataset tar shards + ``manifest.json``.

Inputs are ``.txt`` (one sentence per line, documents separated by blank lines), ``.jsonl``
(``{"text", "lang"?, "id"?}``, sentences separated by ``"\\n"``) and ``.tsv`` (one sentence pair
per line). The output layout, sample format and manifest are specified in ``docs/data-format.md``.

The writer makes two passes over the input. The first validates and counts every line (skips are
counted per file and reason) and collects what the validation split needs; the second writes the
shards. Keeping nothing but counters between the passes bounds memory for any corpus size.
Every shard is written to ``NAME.tar.tmp`` and renamed when complete; ``manifest.json`` is written
last, so a crash never leaves a manifest that lists a partial shard.

Reading and validating the inputs is in ``polytrain.prepare.inputs``, writing the tar files in
``polytrain.prepare.tarwriter``; this module picks the validation split and runs the two passes.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from typing import TextIO

from polytrain.shards.manifest import MANIFEST_NAME, Manifest, ShardInfo
from polytrain.prepare.inputs import (
    PROG,
    ShardError,
    ShardOptions,
    Source,
    discover_sources,
    iter_samples,
    new_counts,
)
from polytrain.prepare.tarwriter import ShardWriter
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
    where = _Tracker(sources, "pass 1/2, checking the input", progress)
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
    if not stats:
        raise ShardError(f"no valid sample in {len(sources)} input file(s) "
                         "(every line or document was skipped; see the warnings above)")
    thresholds = {k: s.threshold(cut, opts.min_val) for k, s in sorted(stats.items())}
    return skipped, thresholds


def _write(sources: list[Source], out: str, opts: ShardOptions, thresholds: dict[tuple[str, str], int],
           progress: Progress | None = None) -> list[ShardInfo]:
    """Second pass: write every sample into its (kind, language, split) shards."""
    writers: dict[tuple[str, str, str], ShardWriter] = {}
    where = _Tracker(sources, "pass 2/2, writing shards", progress)
    try:
        for src in sources:
            for sample in iter_samples(src, opts, new_counts()):
                where.sample()
                lang_key = (sample.kind, sample.lang)
                split = "val" if val_hash(opts.seed, sample.key) < thresholds[lang_key] else "train"
                writer = writers.get((*lang_key, split))
                if writer is None:
                    writer = writers[(*lang_key, split)] = ShardWriter(
                        out, sample.kind, sample.lang, split, opts.max_samples, opts.max_bytes)
                writer.add(sample)
            where.next_file()
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
    _check_out(out, overwrite)
    skipped, thresholds = _scan(sources, opts, log, progress)
    _prepare_out(out)
    shards = _write(sources, out, opts, thresholds, progress)
    if progress is not None:
        progress.done(f"wrote {len(shards)} shards")
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


def main(argv: list[str] | None = None) -> int:
    """Run ``polytrain data shard``; returns the exit code (0 ok, 2 user error, 1 I/O error)."""
    try:
        args = build_parser().parse_args(argv)
        opts = ShardOptions(max_samples=args.max_samples, max_bytes=args.max_bytes,
                            val_fraction=args.val_fraction, min_val=args.min_val,
                            max_line_chars=args.max_line_chars, max_doc_chars=args.max_doc_chars,
                            seed=args.seed)
        manifest = shard_corpus(args.input, args.out, opts, lang=args.lang, pair=args.pair,
                                overwrite=args.overwrite, progress=Progress(PROG, args.progress_every))
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
