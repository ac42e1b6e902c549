"""``make_example`` throughput with spans in words against spans in tokens, side by side in one process.

The mBART preset counts its masking budget and span lengths in whole words (``Denoising(span_unit=
"word")``); the BART preset counts tokens. This measures what the word units cost in the DataLoader
workers, next to whole-word MLM against token MLM, on the same blocks of real text: the bundled
demo corpus, tokenized by a small tokenizer trained in memory and packed as the stream packs it
(``polytrain.testing``). Rounds alternate between the variants; the median of each is reported.
Results are quoted in docs/benchmarks.md ("Span units").

Usage::

    python benchmarks/objective_units.py [--rounds 5] [--max-length 512]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from polytrain.objectives import Objective, TextBlock, make_rng
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.testing import text_blocks, train_tokenizer

CORPUS = Path(__file__).resolve().parent.parent / "polytrain" / "demo_corpus" / "mono"


def documents(lang: str) -> list[str]:
    """The demo corpus's documents of ``lang`` (blank-line separated, one sentence per line)."""
    return [d for d in (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").split("\n\n") if d.strip()]


def examples_per_second(objective: Objective, blocks: list[TextBlock]) -> float:
    rng = make_rng(0, "bench")
    start = time.perf_counter()
    for block in blocks:
        objective.make_example(block, rng)
    return len(blocks) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=512)
    args = parser.parse_args()
    langs = sorted(p.stem for p in CORPUS.glob("*.txt"))
    texts = {lang: [s for d in documents(lang) for s in d.splitlines()] for lang in langs}
    tokenizer, vocab = train_tokenizer(texts, vocab_size=8000)
    variants = {"mlm tokens": MaskedLM(), "mlm whole words": MaskedLM(whole_word_mask=True),
                "denoise tokens": Denoising(span_unit="token"), "denoise words": Denoising(span_unit="word")}
    blocks: dict[str, list[TextBlock]] = {}
    for name, objective in variants.items():
        objective.setup(vocab, args.max_length)
        blocks[name] = [b for lang in langs for b in text_blocks(objective, tokenizer, documents(lang), lang)]
    speeds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, objective in variants.items():
            speeds[name].append(examples_per_second(objective, blocks[name]))
    print(f"{platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'variant':<18} {'blocks':>6} {'tokens/block':>12} {'examples/s':>11}")
    median = {name: statistics.median(values) for name, values in speeds.items()}
    for name in variants:
        tokens = np.mean([len(b.ids) for b in blocks[name]])
        print(f"{name:<18} {len(blocks[name]):>6} {tokens:>12.1f} {median[name]:>11.0f}")
    print(f"ratio words/tokens: mlm {median['mlm whole words'] / median['mlm tokens']:.2f}, "
          f"denoise {median['denoise words'] / median['denoise tokens']:.2f}")


if __name__ == "__main__":
    main()
