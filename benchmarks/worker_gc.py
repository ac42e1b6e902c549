"""What Python's garbage collector costs a DataLoader worker, and what ``tune_collector`` saves.

The text stream of ``data_pipeline.py`` (demo corpus, MaskedLM, one core, ``num_workers=0``) runs
for ``--batches`` batches after its warm-up in a fresh child process per setting, with
``gc.callbacks`` timing every collection (CPU time):

- ``default``: the collector as Python sets it (threshold 700, nothing frozen);
- ``frozen``: ``gc.freeze()`` first (what the worker inherits is never scanned);
- ``tuned``: ``polytrain.stream.workers.tune_collector`` (frozen, young threshold 5,000), what
  polytrain's workers run.

Reported per setting: the share of the stream's CPU time spent in collections of each generation,
their counts, and tokens per CPU-second. Quoted in docs/benchmarks.md ("Garbage collection")::

    python benchmarks/worker_gc.py --batches 2000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SETTINGS = ("default", "frozen", "tuned")


def child(shards: str, tok: str, setting: str, batches: int) -> dict[str, object]:
    """Run the text stream under ``setting`` and time its collections."""
    import torch

    from data_pipeline import parse, warm_stream
    from polytrain.stream.workers import tune_collector

    torch.set_num_threads(1)
    spent, counts, started = [0.0, 0.0, 0.0], [0, 0, 0], [0.0]

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            spent[info["generation"]] += time.process_time() - started[0]
            counts[info["generation"]] += 1

    if setting == "frozen":
        gc.freeze()
    elif setting == "tuned":
        tune_collector()
    stream = warm_stream(shards, tok, parse([]))
    gc.callbacks.append(timer)
    start = time.process_time()
    tokens = sum(batch.num_tokens for batch in islice(stream, batches))
    cpu = time.process_time() - start
    return {"setting": setting, "tokens_per_cpu_s": tokens / cpu, "gc_share": [s / cpu for s in spent],
            "collections": counts}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, default=2000)
    p.add_argument("--child", nargs=3, metavar=("SHARDS", "TOKENIZER", "SETTING"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.child:
        print(json.dumps(child(*args.child, args.batches)))
        return 0
    from data_pipeline import build_inputs, parse

    with tempfile.TemporaryDirectory(prefix="polytrain-gc-") as tmp:
        inputs = build_inputs(Path(tmp), parse([]))
        print("| collector | share of CPU time in collections (gen 0 / 1 / 2) | collections (gen 0 / 1 / 2) "
              "| tokens per CPU-second |\n|---|---|---|---|")
        for setting in SETTINGS:
            out = subprocess.run([sys.executable, __file__, "--batches", str(args.batches), "--child", inputs["text"],
                                  inputs["tokenizer"], setting], capture_output=True, text=True, check=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            shares = " / ".join(f"{s:.1%}" for s in got["gc_share"])
            print(f"| {setting} | {sum(got['gc_share']):.1%} ({shares}) | "
                  f"{' / '.join(map(str, got['collections']))} | {got['tokens_per_cpu_s']:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
