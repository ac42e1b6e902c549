"""Data pipeline throughput: tokens/s from tar shards to packed, masked ``Batch``es.

Measures the whole training input path of ``PretrainDataModule`` (tar reading, allow-list
decoding, shuffle buffer, tokenization, packing, language mixture, ``MaskedLM.make_example``,
collate) through a real ``torch.utils.data.DataLoader`` with 0 (in-process reference), 1 and 2
workers. Results are quoted in docs/benchmarks.md ("Data pipeline").

Usage::

    python benchmarks/data_pipeline.py                                  # builds shards + tokenizer
    python benchmarks/data_pipeline.py --shards DIR --tokenizer tok.json --workers 0 1 2 4

Without ``--shards``/``--tokenizer`` it shards ``polytrain/demo_corpus`` with ``polytrain data shard`` and
trains a tokenizer with ``polytrain tokenizer train`` into a temporary folder; if the demo corpus
is missing it writes a synthetic multilingual corpus first (random syllable words; the speed of
the pipeline, not the text, is measured).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np
import torch

from polytrain.prepare import shard, tokenizer
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.objectives.mlm import MaskedLM

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "polytrain" / "demo_corpus"  # the corpus `polytrain demo` uses


def synthetic_corpus(out: Path, langs: tuple[str, ...] = ("de", "en", "fr", "sw"), docs: int = 3000) -> Path:
    """Write ``{lang}.txt`` files of random-syllable documents (blank line between documents)."""
    out.mkdir(parents=True, exist_ok=True)
    for k, lang in enumerate(langs):
        rng = np.random.default_rng(k)
        syllables = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]
        words = ["".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(5000)]
        lines = []
        for _ in range(docs // (k + 1)):  # unequal sizes, like real languages
            for _ in range(int(rng.integers(2, 8))):
                lines.append(" ".join(rng.choice(words, size=int(rng.integers(5, 25)))).capitalize() + ".")
            lines.append("")
        (out / f"{lang}.txt").write_text("\n".join(lines), encoding="utf-8")
    return out


def build_inputs(work: Path, max_samples: int) -> tuple[str, str]:
    """Shard the demo (or a synthetic) corpus and train a tokenizer; return (shards, tokenizer)."""
    corpus = [str(p) for p in (DEMO / "mono", DEMO / "parallel") if p.is_dir() and any(p.iterdir())]
    if not corpus:
        corpus = [str(synthetic_corpus(work / "corpus"))]
    shards, tok = work / "shards", work / "tokenizer.json"
    if shard.main(["--input", *corpus, "--out", str(shards), "--max-samples", str(max_samples)]) != 0:
        sys.exit("benchmark: sharding failed")
    if tokenizer.main(["--shards", str(shards), "--out", str(tok), "--vocab-size", "8000"]) != 0:
        sys.exit("benchmark: tokenizer training failed")
    return str(shards), str(tok)


def measure(args: argparse.Namespace, shards: str, tok: str, workers: int) -> dict[str, float]:
    """Warm up, then time ``args.batches`` batches; tokens are real (non-pad) input tokens."""
    dm = PretrainDataModule(shards=shards, tokenizer=tok, max_length=args.max_length, batch_size=args.batch_size,
                            num_workers=workers, shuffle_buffer=args.shuffle_buffer, seed=0)
    dm.connect([MaskedLM()])
    dm.setup("fit")
    batches = iter(dm.train_dataloader())
    for _ in islice(batches, args.warmup):
        pass
    start, tokens = time.perf_counter(), 0
    for batch in islice(batches, args.batches):
        tokens += batch.num_tokens
    seconds = time.perf_counter() - start
    del batches  # stops the workers
    return {"workers": workers, "batches": args.batches, "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds, "batches_per_s": args.batches / seconds}


def table(rows: list[dict[str, float]]) -> str:
    lines = ["| workers | batches | tokens | seconds | tokens/s | batches/s |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['batches']} | {r['tokens']:,} | {r['seconds']:.2f} | "
                     f"{r['tokens_per_s']:,.0f} | {r['batches_per_s']:.1f} |")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shards", help="shard folder or manifest.json (default: build from polytrain/demo_corpus)")
    p.add_argument("--tokenizer", help="tokenizer.json (required with --shards)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--batches", type=int, default=200, help="timed batches per setting")
    p.add_argument("--warmup", type=int, default=20, help="untimed batches first (fills shuffle buffers)")
    p.add_argument("--shuffle-buffer", type=int, default=1000)
    p.add_argument("--max-samples", type=int, default=200, help="samples per shard when building shards")
    args = p.parse_args(argv)
    if bool(args.shards) != bool(args.tokenizer):
        p.error("give both --shards and --tokenizer, or neither")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(1)  # the training process would own the other cores
    with tempfile.TemporaryDirectory(prefix="polytrain-bench-") as tmp:
        shards, tok = (args.shards, args.tokenizer) if args.shards else build_inputs(Path(tmp), args.max_samples)
        rows = [measure(args, shards, tok, w) for w in args.workers]
    print(f"# python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPU cores, "
          f"max_length {args.max_length}, batch_size {args.batch_size}, MaskedLM")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
