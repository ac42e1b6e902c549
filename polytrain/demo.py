"""``polytrain demo``: shard the bundled corpus, train a tokenizer, and train a tiny MLM on CPU.

Each stage is the public command a user would run by hand; this only chains them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from polytrain.config_files import config_root

CORPUS = Path(__file__).resolve().parent / "demo_corpus"
CONFIGS = config_root()  # the shipped fragments: the demo also runs from a pip install


def data_stages(out: Path, vocab_size: int) -> int:
    """Shard the demo corpus into ``out/shards`` and train ``out/tokenizer.json``; 0 on success."""
    from polytrain.prepare import shard, tokenizer

    print(f"== polytrain data shard --input {CORPUS}/mono {CORPUS}/parallel --out {out / 'shards'}", flush=True)
    inputs = [str(CORPUS / "mono"), str(CORPUS / "parallel")]  # not the generator and templates beside them
    code = shard.main(["--input", *inputs, "--out", str(out / "shards"), "--max-samples", "200", "--overwrite"])
    if code:
        return code
    print(f"\n== polytrain tokenizer train --shards {out / 'shards'} --out {out / 'tokenizer.json'}", flush=True)
    return tokenizer.main(
        ["--shards", str(out / "shards"), "--out", str(out / "tokenizer.json"), "--vocab-size", str(vocab_size)]
    )


def fit_args(out: Path, steps: int) -> list[str]:
    """The ``polytrain fit`` arguments of the demo run."""
    fragments = ["base.yaml", "model/tiny.yaml", "objective/mlm.yaml", "data/demo.yaml", "trainer/cpu-demo.yaml"]
    args = ["fit"] + [a for f in fragments for a in ("-c", str(CONFIGS / f))]
    return args + [
        f"--data.shards={out / 'shards' / 'manifest.json'}",
        f"--data.tokenizer={out / 'tokenizer.json'}",
        f"--trainer.max_steps={steps}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="polytrain demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("work/demo"),
                        help="where the shards and the tokenizer go (the run writes to ./runs, as base.yaml says)")
    parser.add_argument("--steps", type=int, default=300, help="training steps (about 4 minutes on 2 CPU cores)")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--data-only", action="store_true", help="stop after sharding and the tokenizer")
    args = parser.parse_args(argv)
    code = data_stages(args.out, args.vocab_size)
    if code or args.data_only:
        return code
    from polytrain.cli import main as cli

    fit = fit_args(args.out, args.steps)
    print(f"\n== polytrain {' '.join(fit)}", flush=True)
    sys.argv = [sys.argv[0], *fit]  # as if typed: LightningCLI reads (and records) sys.argv
    return cli()


if __name__ == "__main__":
    sys.exit(main())
