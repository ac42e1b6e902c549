"""``polytrain evaluate TASK``: judge a trained model; prints a table and writes a JSON result.

Tasks: ``loss`` (per-language loss of the model's objectives, optionally pseudo-perplexity),
``retrieval`` (Tatoeba-style retrieval on parallel TSVs, every layer, cosine and ratio margin),
``classify`` (zero-shot cross-lingual transfer of a fine-tuned classifier), ``translate``
(fine-tune an encoder-decoder, sacreBLEU BLEU and chrF). docs/evaluate.md has the protocol.

``--model`` takes a training checkpoint (file or sharded folder) or a folder written by
``polytrain export hf``. The JSON goes to ``--out``, by default ``<run>/eval/<task>-<name>.json``
beside the run's ``checkpoints/`` folder, where ``polytrain report`` finds it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from polytrain.errors import ConfigError, EvalError

if TYPE_CHECKING:  # torch and Lightning load when a model does, not for --help
    from polytrain.evaluate.loading import LoadedModel

PROG = "polytrain evaluate"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True,
                   help="a checkpoint (.ckpt file or URL, or a sharded checkpoint folder) or a folder written by "
                        "polytrain export hf")
    p.add_argument("--tokenizer", default=None, help="the training tokenizer.json, if it moved since training")
    p.add_argument("--out", type=Path, default=None,
                   help="the JSON result (default: <run>/eval/<task>-<model name>.json)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per forward pass")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the model runs (auto: a GPU if there is one); fine-tuning uses Lightning's choice")
    p.add_argument("--max-length", type=int, default=None,
                   help="longest input in tokens (default: the checkpoint's data.max_length; an export's "
                        "max_positions); longer sentences are cut and counted")


def _fine_tune_options(p: argparse.ArgumentParser, lr: float, epochs: int) -> None:
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training file")
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate of the pretrained weights")
    p.add_argument("--seed", type=int, default=0, help="seeds new parameters, dropout and shuffling")


def parser() -> argparse.ArgumentParser:
    """The ``polytrain evaluate`` parser: one subcommand per task."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    tasks = p.add_subparsers(dest="task", required=True, metavar="TASK")
    loss = tasks.add_parser("loss", help="per-language loss of the model's objectives (and pseudo-perplexity)")
    _common(loss)
    loss.add_argument("--data", nargs="+", required=True,
                      help="shards (manifest.json or its folder) or .txt/.jsonl/.tsv files and folders, as "
                           "polytrain data shard reads them")
    loss.add_argument("--split", choices=("val", "train"), default="val", help="which shards of a manifest")
    loss.add_argument("--seed", type=int, default=0, help="the masking/noise seed (validation uses the run's seed)")
    loss.add_argument("--pseudo-perplexity", type=int, default=0, metavar="N",
                      help="also the pseudo-perplexity of the first N sentences per language (encoders)")
    ret = tasks.add_parser("retrieval", help="Tatoeba-style retrieval on parallel TSVs, every layer")
    _common(ret)
    ret.add_argument("--pairs", nargs="+", required=True,
                     help="parallel TSVs (source<TAB>target), named like de-en.tsv or given as de-en=PATH")
    ret.add_argument("--layers", default="all", help="'all', or comma-separated hidden-state indices (0 = "
                                                     "embeddings, -1 = last layer)")
    ret.add_argument("--max-pairs", type=int, default=1000, help="first N distinct pairs per file (XTREME: 1000)")
    ret.add_argument("--k", type=int, default=4, help="neighbours in the ratio margin (Artetxe & Schwenk: 4)")
    cls = tasks.add_parser("classify", help="zero-shot cross-lingual transfer of a fine-tuned classifier")
    _common(cls)
    cls.add_argument("--train", required=True, help="label<TAB>text TSV of one language (en.train.tsv or en=PATH)")
    cls.add_argument("--test", nargs="+", required=True, help="label<TAB>text TSVs, one per language")
    _fine_tune_options(cls, lr=2e-5, epochs=3)
    cls.add_argument("--head-lr", type=float, default=None, help="peak learning rate of the new head (default --lr)")
    tr = tasks.add_parser("translate", help="fine-tune an encoder-decoder on a parallel TSV; BLEU and chrF")
    _common(tr)
    tr.add_argument("--train", required=True, help="parallel TSV (source<TAB>target), de-en.tsv or de-en=PATH")
    tr.add_argument("--test", default=None, help="parallel TSV of the same pair")
    tr.add_argument("--holdout", type=int, default=0, help="without --test: the last N pairs of --train")
    tr.add_argument("--reverse", action="store_true", help="translate the second column into the first")
    tr.add_argument("--label-smoothing", type=float, default=0.2, help="mBART fine-tuning: 0.2")
    _fine_tune_options(tr, lr=3e-5, epochs=3)
    return p


# ----------------------------------------------------------------------------- tasks
def run_retrieval(args: argparse.Namespace, loaded: LoadedModel) -> dict:
    """The ``retrieval`` task's JSON result for the parsed ``args``."""
    from polytrain.evaluate.inputs import named_file
    from polytrain.evaluate.retrieval import evaluate_pairs, layer_indices

    if args.max_pairs < 2 or args.k < 1:
        raise EvalError(f"--max-pairs must be >= 2 and --k >= 1, got {args.max_pairs} and {args.k}")
    layers = layer_indices(args.layers, loaded.architecture.n_layers)
    results = [evaluate_pairs(loaded, named_file(spec, pair=True), layers, args.max_pairs, args.batch_size, args.k)
               for spec in args.pairs]
    return {"task": "retrieval", "model": loaded.source, "k": args.k, "results": results}


def run_loss(args: argparse.Namespace, loaded: LoadedModel) -> dict:
    """The ``loss`` task's JSON result for the parsed ``args``."""
    from polytrain.evaluate.loss import DataSource, evaluate_loss

    return evaluate_loss(loaded, DataSource(list(args.data), args.split), args.batch_size, args.seed,
                         args.pseudo_perplexity)


def run_classify(args: argparse.Namespace, loaded: LoadedModel) -> dict:
    """The ``classify`` task's JSON result for the parsed ``args``."""
    from polytrain.evaluate.classify import evaluate_classify
    from polytrain.evaluate.finetune import FineTuneConfig
    from polytrain.evaluate.inputs import named_file

    config = FineTuneConfig(args.epochs, args.batch_size, args.lr, args.head_lr, args.seed)
    return evaluate_classify(loaded, named_file(args.train, pair=False),
                             [named_file(t, pair=False) for t in args.test], config)


def run_translate(args: argparse.Namespace, loaded: LoadedModel) -> dict:
    """The ``translate`` task's JSON result for the parsed ``args``."""
    from polytrain.evaluate.finetune import FineTuneConfig
    from polytrain.evaluate.inputs import named_file
    from polytrain.evaluate.translate import evaluate_translate

    config = FineTuneConfig(args.epochs, args.batch_size, args.lr, None, args.seed)
    test = named_file(args.test, pair=True) if args.test else None
    return evaluate_translate(loaded, named_file(args.train, pair=True), test, config, args.reverse,
                              args.label_smoothing, args.holdout)


# ----------------------------------------------------------------------------- tables
def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def table(result: dict) -> str:
    """The terminal table of a task's JSON result."""
    task = result["task"]
    if task == "loss":
        lines = [f"{'objective':<10} {'lang':<8} {'tokens':>9} {'targets':>8} {'loss':>7} {'acc':>6} {'ppl':>9}"]
        for name, langs in result["objectives"].items():
            lines += [f"{name:<10} {lang:<8} {r['tokens']:>9} {r['targets']:>8} {_num(r['loss']):>7} "
                      f"{_num(r['accuracy']):>6} {_num(r['ppl'], 1):>9}" for lang, r in langs.items()]
        for lang, r in result.get("pseudo_perplexity", {}).items():
            lines.append(f"{'pppl':<10} {lang:<8} {r['tokens']:>9} {r['sentences']:>8} {'':>7} {'':>6} "
                         f"{_num(r['pppl'], 1):>9}")
        return "\n".join(lines)
    if task == "retrieval":
        lines = [f"{'pair':<7} {'N':>5} {'layer':>5}  {'cosine ->':>9} {'cosine <-':>9} {'margin ->':>9} {'margin <-':>9}"]
        for r in result["results"]:
            for row in r["layers"]:
                cos, mar = list(row["cosine"].values()), list(row["margin"].values())
                lines.append(f"{r['pair']:<7} {r['pairs']:>5} {row['layer']:>5}  {cos[0]:>9.3f} {cos[1]:>9.3f} "
                             f"{mar[0]:>9.3f} {mar[1]:>9.3f}")
        return "\n".join(lines) + f"\n(-> = {result['results'][0]['pair'].replace('-', ' to ')}; chance = 1/N)"
    if task == "classify":
        lines = [f"{'lang':<6} {'examples':>8} {'accuracy':>9} {'majority':>9} {'gap':>7}"]
        lines += [f"{lang:<6} {r['examples']:>8} {r['accuracy']:>9.3f} {r['majority']:>9.3f} {_num(r['gap']):>7}"
                  for lang, r in result["results"].items()]
        return "\n".join(lines) + f"\n(fine-tuned on {result['train']['lang']}: {result['train']['examples']} examples)"
    return (f"{result['pair']}: BLEU {result['bleu']:.2f}  chrF {result['chrf']:.2f}  on {result['test']['pairs']} "
            f"pairs; test loss {result['test_loss_before']:.3f} -> {result['test_loss_after']:.3f}\n"
            f"{result['bleu_signature']}\n{result['chrf_signature']}")


def default_out(model: str, task: str) -> Path:
    """``<run>/eval/<task>-<name>.json``: beside ``checkpoints/`` for a checkpoint in one, else in
    the model's folder (sharded checkpoint, export), else under ``./eval``."""
    path = Path(model.rstrip("/"))
    name = path.stem if path.suffix == ".ckpt" else path.name
    if path.parent.name == "checkpoints":
        return path.parent.parent / "eval" / f"{task}-{name}.json"
    if "://" not in model and path.is_dir():
        return path / "eval" / f"{task}-{name}.json"
    return Path("eval") / f"{task}-{name}.json"


TASKS: dict[str, Callable[[argparse.Namespace, LoadedModel], dict]] = {
    "loss": run_loss, "retrieval": run_retrieval, "classify": run_classify, "translate": run_translate,
}


def main(argv: list[str] | None = None) -> int:
    """``polytrain evaluate``: 0 on success, 2 with one error line on bad input."""
    args = parser().parse_args(argv)
    import torch

    from polytrain.evaluate.loading import load_model

    try:
        if args.batch_size < 1:
            raise EvalError(f"--batch-size must be >= 1, got {args.batch_size}")
        loaded = load_model(args.model, args.tokenizer, args.max_length)
        if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
            loaded.to("cuda")
        result = TASKS[args.task](args, loaded)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        print(f"{PROG} {args.task}: error: {str(err).strip(chr(39))}", file=sys.stderr)
        return 2
    out = args.out or default_out(args.model, args.task)
    os.makedirs(out.parent, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"{PROG} {args.task}: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
