"""End to end: ``polytrain fit`` trains polytrain's encoder-decoder with the plugin's objective.

Real shards, a real tokenizer and real LightningCLI parsing of the plugin's config fragment, on a
corpus written here (so the test needs no demo run). A few CPU steps.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FRAGMENT = REPO / "plugins" / "polytrain-t5span" / "configs" / "t5span.yaml"

# Skip only while the training stack itself is missing (it lives in polytrain, not in this plugin).
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("polytrain.module", "polytrain.stream.datamodule")),
    reason="polytrain.module / polytrain.stream.datamodule not importable",
)

SYLLABLES = {"en": "ba be bo ka ke ko ra re ro sa se so ta te to".split(),
             "de": "bä bü dö gä gü kö lä lü mö nä nü pö rä rü tö".split()}


def _write_corpus(folder: Path) -> None:
    """Two languages of made-up words (enough distinct pieces for a vocabulary of a few hundred),
    60 documents each of 3-6 sentences: one sentence per line, a blank line between documents."""
    folder.mkdir()
    for lang, syllables in SYLLABLES.items():
        words = [a + b + c for a in syllables for b in syllables for c in syllables[:4]]  # 900 words
        docs = []
        for d in range(60):
            sentences = [" ".join(words[(d * 37 + s * 11 + k * 7) % len(words)] for k in range(5 + (d + s) % 6)) + "."
                         for s in range(3 + d % 4)]
            docs.append("\n".join(sentences))
        (folder / f"{lang}.txt").write_text("\n\n".join(docs) + "\n", encoding="utf-8")


def _prepare(tmp_path: Path) -> tuple[Path, Path]:
    from polytrain.prepare import shard, tokenizer

    _write_corpus(tmp_path / "corpus")
    shards, tok = tmp_path / "shards", tmp_path / "tok.json"
    assert shard.main(["--input", str(tmp_path / "corpus"), "--out", str(shards), "--val-fraction", "0.1"]) == 0
    # 7 specials, 537 learned pieces, 256 byte tokens; the 100 sentinels are the last learned
    # pieces, which this corpus barely uses (the trainer keeps many more pieces than it needs).
    assert tokenizer.main(["--shards", str(shards), "--out", str(tok), "--vocab-size", "800"]) == 0
    return shards / "manifest.json", tok


def test_fit_runs_a_few_steps_with_the_plugin_fragment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from polytrain.cli import cli_main

    manifest, tok = _prepare(tmp_path)
    monkeypatch.chdir(tmp_path)  # runs/ and checkpoints land in tmp_path
    monkeypatch.setattr(sys, "argv", ["polytrain"])  # LightningCLI also looks at sys.argv
    args = [
        "fit",
        "-c", str(REPO / "configs" / "base.yaml"),
        "-c", str(FRAGMENT),
        "--model.architecture.d_model", "32", "--model.architecture.n_layers", "1",
        "--model.architecture.n_heads", "2", "--model.architecture.d_ff", "64",
        "--model.architecture.max_positions", "64",
        "--data.shards", str(manifest), "--data.tokenizer", str(tok),
        "--data.max_length", "64", "--data.batch_size", "4", "--data.num_workers", "0",
        "--data.shuffle_buffer", "10",
        "--trainer.accelerator", "cpu", "--trainer.devices", "1", "--trainer.max_steps", "4",
        "--trainer.val_check_interval", "2", "--trainer.limit_val_batches", "1",
        "--trainer.log_every_n_steps", "1", "--trainer.enable_progress_bar", "false",
        "--model.optimizer.warmup_steps", "1",
    ]
    cli = cli_main(args)
    module = cli.model
    assert cli.trainer.global_step == 4
    assert [o.name for o in module.objectives] == ["t5span"]
    assert type(module.objectives[0]).__module__ == "polytrain_t5span.objective"
    metrics = list(Path(tmp_path).rglob("metrics.csv"))
    assert metrics, "CSVLogger wrote no metrics.csv"
    with metrics[0].open(newline="") as f:
        rows = list(csv.DictReader(f))
    logged = {key for row in rows for key, value in row.items() if value}  # metric keys carry the entry-point name
    assert {"train/t5span/accuracy", "train/t5span/loss", "train/t5span/batches", "val/t5span/loss",
            "val/loss"} <= logged, sorted(logged)
    losses = [float(row["train/loss"]) for row in rows if row.get("train/loss")]
    assert losses and all(loss == loss and loss < 20 for loss in losses)  # finite (no NaN), sane
    assert os.path.exists(tmp_path / "runs" / "checkpoints" / "last.ckpt")
