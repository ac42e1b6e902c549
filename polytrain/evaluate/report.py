"""``polytrain report RUN_DIR``: PNG plots and a markdown summary of a training run and its evaluations.

Reads what a run folder (``trainer.default_root_dir``) holds: the CSV logger's
``<name>/version_*/metrics.csv`` (all versions, so a resumed run is one curve; a later version wins
a step both logged), its saved ``config.yaml``, and the ``eval/*.json`` results of ``polytrain
evaluate``. Writes into ``RUN_DIR/report/`` (``--out``):

- ``loss.png``: per-language training and validation loss against the step, one panel per objective;
- ``tokens.png``: input tokens seen per language against the step;
- ``mixture.png``: each language's share of the samples drawn and its effective epochs, at the
  last validation (``mixture/<lang>/*``);
- ``retrieval.png``: retrieval accuracy by layer from ``eval/retrieval-*.json`` (mean of both
  directions, cosine and margin), and the training-time probe's mean against the step;
- ``summary.md``: the same as tables, plus classification and translation results, to paste into
  a paper or an issue.

matplotlib is an optional extra (``pip install 'polytrain[eval]'``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from polytrain.errors import ConfigError, EvalError

PROG = "polytrain report"
Series = dict[str, dict[int, float]]
"""Metric name -> {step: value}."""


# ----------------------------------------------------------------------------- reading
def read_metrics(run_dir: Path) -> Series:
    """Every ``metrics.csv`` under ``run_dir`` (CSVLogger versions, oldest first), merged by step."""
    files = sorted(run_dir.glob("**/version_*/metrics.csv"), key=lambda p: (str(p.parent.parent), _version(p)))
    if not files:
        raise EvalError(f"{run_dir}: no <logger>/version_*/metrics.csv (was the run logged with CSVLogger, as "
                        "configs/base.yaml does?)")
    series: Series = defaultdict(dict)
    for path in files:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                step = int(float(row.get("step") or 0))
                for key, value in row.items():
                    if key not in ("step", "epoch") and value not in ("", None):
                        series[key][step] = float(value)
    return dict(series)


def _version(path: Path) -> int:
    match = re.search(r"version_(\d+)", str(path))
    return int(match.group(1)) if match else -1


def read_evaluations(run_dir: Path) -> list[dict[str, Any]]:
    """The JSON results of ``polytrain evaluate`` in ``run_dir/eval``, by file name."""
    results = []
    for path in sorted((run_dir / "eval").glob("*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise EvalError(f"{path}: not JSON ({err})") from None
        if isinstance(result, dict) and "task" in result:
            results.append({**result, "file": path.name})
    return results


def last(series: Series, key: str) -> float | None:
    """The value of ``key`` at its last logged step, or ``None``."""
    values = series.get(key)
    return values[max(values)] if values else None


def groups(series: Series, pattern: str) -> list[tuple[str, ...]]:
    """The captured groups of every metric name that fully matches ``pattern``, sorted."""
    return sorted({m.groups() for key in series if (m := re.fullmatch(pattern, key))})


# ----------------------------------------------------------------------------- plots
def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise EvalError("polytrain report needs matplotlib: pip install 'polytrain[eval]'") from None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def plot_loss(series: Series, out: Path) -> Path | None:
    """Per-language train (dashed) and validation (solid) loss, one panel per objective."""
    curves = groups(series, r"(train|val)/([^/]+)/([^/]+)/loss")
    objectives = sorted({objective for _, objective, _ in curves})
    if not objectives:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(objectives), figsize=(6 * len(objectives), 4.5), squeeze=False)
    for ax, objective in zip(axes[0], objectives, strict=True):
        for stage, obj, group in curves:
            if obj == objective:
                points = sorted(series[f"{stage}/{obj}/{group}/loss"].items())
                ax.plot(*zip(*points), "--" if stage == "train" else "-", label=f"{group} {stage}", linewidth=1)
        ax.set(title=f"{objective}: loss per language", xlabel="step", ylabel="cross-entropy (nats)")
        ax.legend(fontsize=6, ncol=2)
    return _save(fig, out / "loss.png")


def plot_tokens(series: Series, out: Path) -> Path | None:
    """Input tokens seen per language against the step."""
    langs = [g for (g,) in groups(series, r"tokens/([^/]+)")]
    if not langs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for lang in langs:
        ax.plot(*zip(*sorted(series[f"tokens/{lang}"].items())), label=lang, linewidth=1)
    ax.set(title="tokens seen per language", xlabel="step", ylabel="input tokens")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out / "tokens.png")


def plot_mixture(series: Series, out: Path) -> Path | None:
    """Share of samples drawn and effective epochs per language, at the last validation."""
    langs = [g for (g,) in groups(series, r"mixture/([^/]+)/share")]
    if not langs:
        return None
    plt = _pyplot()
    fig, (share, epochs) = plt.subplots(1, 2, figsize=(11, 4))
    share.bar(langs, [last(series, f"mixture/{lang}/share") or 0.0 for lang in langs])
    share.set(title="mixture as drawn: share of samples (per data kind)", ylabel="share")
    epochs.bar(langs, [last(series, f"mixture/{lang}/epochs") or 0.0 for lang in langs])
    epochs.set(title="effective epochs (documents read / documents)", ylabel="epochs")
    for ax in (share, epochs):
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    return _save(fig, out / "mixture.png")


def retrieval_by_layer(evaluations: list[dict[str, Any]]) -> list[tuple[str, str, int, float, float]]:
    """(file, pair, layer, cosine, margin) rows, each the mean of both directions."""
    rows = []
    for result in evaluations:
        if result["task"] != "retrieval":
            continue
        for pair in result["results"]:
            for layer in pair["layers"]:
                cosine, margin = (sum(layer[k].values()) / len(layer[k]) for k in ("cosine", "margin"))
                rows.append((result["file"], pair["pair"], layer["layer"], cosine, margin))
    return rows


def plot_retrieval(series: Series, evaluations: list[dict[str, Any]], out: Path) -> Path | None:
    """Accuracy by layer (evaluations) and the training probe's mean against the step."""
    rows = retrieval_by_layer(evaluations)
    probe = series.get("val/retrieval/mean")
    if not rows and not probe:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    lines: dict[tuple[str, str], list[tuple[int, float, float]]] = defaultdict(list)
    for file, pair, layer, cosine, margin in rows:
        lines[(file, pair)].append((layer, cosine, margin))
    for (file, pair), points in sorted(lines.items()):
        layers, cosine, margin = zip(*sorted(points))
        axes[0].plot(layers, cosine, "-o", label=f"{pair} cosine ({file})", markersize=3)
        axes[0].plot(layers, margin, "--o", label=f"{pair} margin ({file})", markersize=3)
    axes[0].set(title="retrieval accuracy by layer (mean of both directions)", xlabel="layer (0 = embeddings)",
                ylabel="top-1 accuracy")
    if lines:
        axes[0].legend(fontsize=6)
    if probe:
        axes[1].plot(*zip(*sorted(probe.items())), "-o", markersize=3)
    axes[1].set(title="training probe: val/retrieval/mean", xlabel="step", ylabel="top-1 accuracy")
    return _save(fig, out / "retrieval.png")


# ----------------------------------------------------------------------------- markdown
def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def language_table(series: Series) -> list[str]:
    """Per objective and language: tokens seen, last train and validation loss, accuracy, perplexity."""
    rows = groups(series, r"(?:train|val)/([^/]+)/([^/]+)/loss")
    if not rows:
        return []
    lines = ["| objective | language | tokens seen | train loss | val loss | val accuracy | val ppl |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for objective, group in rows:
        val = last(series, f"val/{objective}/{group}/loss")
        tokens = last(series, f"tokens/{group}")
        lines.append(f"| {objective} | {group} | {'-' if tokens is None else f'{int(tokens):,}'} | "
                     f"{_cell(last(series, f'train/{objective}/{group}/loss'))} | {_cell(val)} | "
                     f"{_cell(last(series, f'val/{objective}/{group}/accuracy'))} | "
                     f"{_cell(math.exp(val) if val is not None and val < 50 else None, 1)} |")
    return lines


def mixture_table(series: Series) -> list[str]:
    langs = [g for (g,) in groups(series, r"mixture/([^/]+)/share")]
    if not langs:
        return []
    lines = ["| language | share of samples drawn | effective epochs |", "|---|---:|---:|"]
    lines += [f"| {lang} | {_cell(last(series, f'mixture/{lang}/share'))} | "
              f"{_cell(last(series, f'mixture/{lang}/epochs'), 2)} |" for lang in langs]
    return lines


def evaluation_tables(evaluations: list[dict[str, Any]]) -> list[str]:
    """Retrieval by layer, classification and translation results as markdown sections."""
    lines: list[str] = []
    retrieval = retrieval_by_layer(evaluations)
    if retrieval:
        lines += ["", "## Retrieval by layer", "",
                  "Top-1 accuracy, mean of both directions (XTREME Tatoeba protocol; margin: Artetxe & Schwenk "
                  "2019, k = 4).", "", "| result | pair | layer | cosine | margin |", "|---|---|---:|---:|---:|"]
        lines += [f"| {f} | {p} | {layer} | {c:.3f} | {m:.3f} |" for f, p, layer, c, m in retrieval]
    for result in evaluations:
        if result["task"] == "classify":
            train = result["train"]
            lines += ["", f"## Zero-shot classification ({result['file']})", "",
                      f"Fine-tuned on {train['lang']} ({train['examples']} examples, labels "
                      f"{', '.join(train['labels'])}).", "",
                      "| language | test examples | accuracy | majority class | gap to training language |",
                      "|---|---:|---:|---:|---:|"]
            lines += [f"| {lang} | {r['examples']} | {r['accuracy']:.3f} | {r['majority']:.3f} | {_cell(r['gap'])} |"
                      for lang, r in result["results"].items()]
        elif result["task"] == "translate":
            lines += ["", f"## Translation ({result['file']})", "",
                      f"{result['pair']}: BLEU {result['bleu']:.2f}, chrF {result['chrf']:.2f} on "
                      f"{result['test']['pairs']} test pairs after fine-tuning on {result['train']['pairs']}; "
                      f"test cross-entropy {result['test_loss_before']:.3f} -> {result['test_loss_after']:.3f}.",
                      "", f"`{result['bleu_signature']}`, `{result['chrf_signature']}`"]
    return lines


def summary(run_dir: Path, series: Series, evaluations: list[dict[str, Any]], images: list[Path]) -> str:
    """The markdown summary (module docstring)."""
    steps = max((max(v) for v in series.values() if v), default=0)
    tokens = sum(last(series, f"tokens/{g}") or 0.0 for (g,) in groups(series, r"tokens/([^/-]+)"))
    lines = [f"# Run report: {run_dir.name}", "",
             f"Last logged step {steps:,}; {int(tokens):,} monolingual input tokens seen"
             + (f"; final val/loss {_cell(last(series, 'val/loss'))}." if "val/loss" in series else ".")]
    table = language_table(series)
    if table:
        lines += ["", "## Per language (last logged values)", "", *table]
    mix = mixture_table(series)
    if mix:
        lines += ["", "## Language mixture as drawn (last validation)", "", *mix]
    lines += evaluation_tables(evaluations)
    if images:
        lines += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in images]
    return "\n".join(lines) + "\n"


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the plots and ``summary.md`` of ``run_dir`` into ``out`` (default ``run_dir/report``); returns it."""
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no such run folder")
    series = read_metrics(run_dir)
    evaluations = read_evaluations(run_dir)
    out = out or run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    images = [p for p in (plot_loss(series, out), plot_tokens(series, out), plot_mixture(series, out),
                          plot_retrieval(series, evaluations, out)) if p is not None]
    (out / "summary.md").write_text(summary(run_dir, series, evaluations, images), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """``polytrain report RUN_DIR``: 0 on success, 2 with one error line on bad input."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path, help="the run's folder (trainer.default_root_dir)")
    p.add_argument("--out", type=Path, default=None, help="where to write (default RUN_DIR/report)")
    args = p.parse_args(argv)
    try:
        out = write_report(args.run_dir, args.out)
    except (ConfigError, FileNotFoundError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {out / 'summary.md'} and {len(list(out.glob('*.png')))} plot(s) in {out}")
    return 0
