"""Adapting a pretrained MLM to a language it never saw: which start is best at equal steps?

Everything runs on the bundled demo corpus at tiny scale on the CPU (docs/benchmarks.md):

1. shard the eight demo languages other than Swahili ("old") and Swahili alone ("new", 20 % val);
2. train a tokenizer on the old shards and pretrain a small MLM on them (``--pretrain-steps``);
3. extend the tokenizer with Swahili pieces (``polytrain tokenizer extend --langs sw --add N``; the
   old languages' text is protected, so their segmentation is unchanged);
4. continue MLM on Swahili alone for ``--steps`` steps, four ways:
   (a) extended tokenizer, new rows = mean of their pieces' rows (``init_new_rows: mean``),
   (b) extended tokenizer, new rows random (``init_new_rows: random``, Glot500's choice),
   (c) from scratch (extended tokenizer, no ``init_from``),
   (d) no extension: the old pieces only (``--add 0`` gives the tokenizer just the ``<lang:sw>`` tag,
       which MLM never feeds the model), ``init_from`` the pretrained model;
5. report the Swahili validation loss per masked token before (``polytrain validate``) and after the
   steps, and the tokens per Swahili word of both tokenizers.

(a), (b) and (c) share one tokenizer, so their losses are comparable as they are; (d) predicts
other, shorter tokens (more of them per word), so its per-token loss is not on the same scale: the
table also gives loss per word (= loss per token x tokens per word) for all four.

    python benchmarks/vocab_adaptation.py                 # the documented run (~10 min on 2 cores)
    python benchmarks/vocab_adaptation.py --steps 300 --seeds 0 1 2 --out adaptation.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_info

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "polytrain" / "demo_corpus" / "mono"
NEW = "sw"
CONFIGS = REPO / "configs"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pretrain-steps", type=int, default=600)
    p.add_argument("--steps", type=int, default=150, help="adaptation steps of each variant")
    p.add_argument("--eval-every", type=int, default=25, help="validate the adaptation runs every N steps")
    p.add_argument("--add", type=int, default=200, help="Swahili pieces to add")
    p.add_argument("--vocab-size", type=int, default=4000, help="size of the old tokenizer")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="adaptation seeds (the pretraining uses 0)")
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    p.add_argument("--work", type=Path, default=None, help="keep the runs in this folder (default: a temp folder)")
    return p.parse_args(argv)


def _call(args: list[str]) -> None:
    from polytrain.cli import main

    if main(args) != 0:
        raise SystemExit(f"failed: polytrain {' '.join(args)}")


def _model_args(a: argparse.Namespace) -> list[str]:
    return [f"--model.architecture.d_model={a.d_model}", f"--model.architecture.n_layers={a.layers}",
            "--model.architecture.n_heads=4", f"--model.architecture.d_ff={4 * a.d_model}",
            f"--model.architecture.max_positions={a.max_length}", "--model.architecture.dropout=0.1",
            f"--data.batch_size={a.batch_size}", f"--data.max_length={a.max_length}", "--data.num_workers=0",
            "--data.shuffle_buffer=200", "--trainer.enable_progress_bar=false", "--trainer.limit_val_batches=1.0"]


def _run_args(a: argparse.Namespace, shards: Path, tokenizer: Path, root: Path, steps: int, seed: int,
              lr: float, warmup: int, every: int | None = None) -> list[str]:
    fragments = ["base.yaml", "model/tiny.yaml", "objective/mlm.yaml", "data/demo.yaml"]
    return [arg for f in fragments for arg in ("-c", str(CONFIGS / f))] + _model_args(a) + [
        f"--data.shards={shards / 'manifest.json'}", f"--data.tokenizer={tokenizer}",
        f"--trainer.default_root_dir={root}", f"--trainer.max_steps={steps}", f"--trainer.val_check_interval={every or steps}",
        f"--seed_everything={seed}", f"--model.optimizer.lr={lr}", f"--model.optimizer.warmup_steps={warmup}"]


def _val_loss(args: list[str], command: str) -> float:
    """``polytrain fit|validate`` in this process; the last ``val/loss`` (Swahili only here)."""
    from polytrain.cli import cli_main

    cli = cli_main([command, *args])
    return float(cli.trainer.callback_metrics["val/loss"])


def _curve(root: Path) -> dict[int, float]:
    """``{step: val/loss}`` of the last run logged under ``root`` (the CSV logger's newest version)."""
    import csv

    newest = max(root.glob("polytrain/version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1]))
    with newest.open() as f:
        return {int(row["step"]) + 1: float(row["val/loss"]) for row in csv.DictReader(f) if row.get("val/loss")}


def _prepare(a: argparse.Namespace, work: Path) -> dict[str, Path]:
    old_langs = sorted(p.stem for p in CORPUS.glob("*.txt") if p.stem != NEW)
    _call(["data", "shard", "--input", *(str(CORPUS / f"{lang}.txt") for lang in old_langs), "--out",
           str(work / "old"), "--max-samples", "200"])
    _call(["data", "shard", "--input", str(CORPUS / f"{NEW}.txt"), "--out", str(work / "new"),
           "--max-samples", "200", "--val-fraction", "0.2"])
    _call(["tokenizer", "train", "--shards", str(work / "old"), "--out", str(work / "tok.json"),
           "--vocab-size", str(a.vocab_size)])
    # Pieces are learned on the Swahili shards; the old shards' text is what must keep its segmentation.
    _call(["tokenizer", "extend", "--base", str(work / "tok.json"), "--shards", str(work / "new"),
           "--langs", NEW, "--protect", str(work / "old"), "--add", str(a.add), "--out", str(work / "tok-sw.json")])
    _call(["tokenizer", "extend", "--base", str(work / "tok.json"), "--shards", str(work / "new"),
           "--langs", NEW, "--protect", str(work / "old"), "--add", "0", "--out", str(work / "tok-tag.json")])
    return {"old": work / "old", "new": work / "new", "tok": work / "tok.json", "tok_sw": work / "tok-sw.json",
            "tok_tag": work / "tok-tag.json"}


def _fertility(tokenizer: Path, sentences: list[str]) -> float:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    tokens = sum(len(e.ids) for e in tok.encode_batch(sentences, add_special_tokens=False))
    return tokens / sum(len(s.split()) for s in sentences)


def _swahili_val(shards: Path) -> list[str]:
    from polytrain.prepare.tokenizer_text import iter_shard_texts

    return [s for _, s in iter_shard_texts(str(shards / "manifest.json"), "val")]


VARIANTS = {
    "a: extended, mean of pieces": ("tok_sw", "mean", True),
    "b: extended, random rows": ("tok_sw", "random", True),
    "c: from scratch": ("tok_sw", "mean", False),
    "d: no extension": ("tok_tag", "mean", True),
}


def _adapt(a: argparse.Namespace, paths: dict[str, Path], pretrained: Path, work: Path, seed: int) -> dict:
    results = {}
    for name, (tok, rows, warm) in VARIANTS.items():
        root = work / f"adapt-{name[0]}-seed{seed}"
        args = _run_args(a, paths["new"], paths[tok], root, a.steps, seed, lr=5e-4, warmup=10, every=a.eval_every)
        args += [f"--model.init_from={pretrained}", f"--model.init_new_rows={rows}"] if warm else []
        before = _val_loss(args, "validate")
        start = time.perf_counter()
        after = _val_loss(args, "fit")
        results[name] = {"loss_before": before, "loss_after": after, "curve": _curve(root),
                         "seconds": time.perf_counter() - start}
        print(f"seed {seed} {name}: Swahili val loss {before:.3f} -> {after:.3f}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    a = _parse(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    machine = machine_info(threads=__import__("torch").get_num_threads())
    with tempfile.TemporaryDirectory() as scratch:
        work = a.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        paths = _prepare(a, work)
        root = work / "pretrain"
        _call(["fit", *_run_args(a, paths["old"], paths["tok"], root, a.pretrain_steps, 0, lr=1e-3, warmup=50)])
        pretrained = root / "checkpoints" / "last.ckpt"
        sentences = _swahili_val(paths["new"])
        fertility = {"old tokenizer": _fertility(paths["tok"], sentences),
                     "extended": _fertility(paths["tok_sw"], sentences)}
        runs = {seed: _adapt(a, paths, pretrained, work, seed) for seed in a.seeds}
    result = {"args": {k: str(v) for k, v in vars(a).items()}, "machine": machine, "fertility": fertility,
              "runs": runs, "load_average_at_end": list(os.getloadavg())}
    _print(result)
    if a.out:
        a.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _print(result: dict) -> None:
    fert = result["fertility"]
    print(f"\nSwahili tokens per word: old tokenizer {fert['old tokenizer']:.2f}, extended {fert['extended']:.2f}")
    steps = sorted(next(iter(next(iter(result["runs"].values())).values()))["curve"])
    print(f"{'variant':<30} {'seed':>4} {'step 0':>7} " + " ".join(f"{s:>7}" for s in steps) + f" {'per word':>9}")
    for seed, runs in result["runs"].items():
        for name, r in runs.items():
            per_word = r["loss_after"] * (fert["old tokenizer"] if name.startswith("d") else fert["extended"])
            curve = " ".join(f"{r['curve'][s]:>7.3f}" for s in steps)
            print(f"{name:<30} {seed:>4} {r['loss_before']:>7.3f} {curve} {per_word:>9.2f}")


if __name__ == "__main__":
    sys.exit(main())
