"""Instructions the training stream executes per batch, counted by valgrind's callgrind: a measure that
does not move with the neighbours of a shared machine (two runs agree to 0.03 %), for comparing two
versions of the stream's code, and for how much of the text stream is the tokenizer's.

First build the inputs (the demo corpus, as ``data_pipeline.py`` does) in ``--work``; then count, with
collection switched on only for ``--batches`` batches after the warm-up (``callgrind_control``)::

    python benchmarks/stream_instructions.py --work /tmp/pt-ir --build
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/pt-ir/text.out \\
        python benchmarks/stream_instructions.py --work /tmp/pt-ir --shards text
    callgrind_annotate --inclusive=yes /tmp/pt-ir/text.out | grep -E "PROGRAM TOTALS|__pymethod_encode_batch_fast__"

``PYTHONPATH=<a git archive of another commit>`` counts that commit's code on the same inputs. The
total is the stream's; ``__pymethod_encode_batch_fast__`` is the tokenizer's part of it. Quoted in
docs/benchmarks.md ("Data pipeline").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from itertools import islice
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def collect(on: bool) -> None:
    """Switch callgrind's collection on or off for this process (nothing outside valgrind)."""
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], capture_output=True, check=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", required=True, help="where the inputs are (or are built with --build)")
    p.add_argument("--build", action="store_true", help="build the inputs and stop")
    p.add_argument("--shards", choices=("text", "tokens"), default="text")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batches", type=int, default=100)
    args = p.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from data_pipeline import build_inputs, parse, warm_stream

    work = Path(args.work)
    if args.build:
        work.mkdir(parents=True, exist_ok=True)
        (work / "inputs.json").write_text(json.dumps(build_inputs(work, parse([]))), encoding="utf-8")
        return 0
    import torch

    torch.set_num_threads(1)
    inputs = json.loads((work / "inputs.json").read_text(encoding="utf-8"))
    batches = warm_stream(inputs[args.shards], inputs["tokenizer"], parse(["--max-length", str(args.max_length)]))
    collect(True)
    tokens = sum(batch.num_tokens for batch in islice(batches, args.batches))
    collect(False)
    print(f"{args.batches} batches, {tokens} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
