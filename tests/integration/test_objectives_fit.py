"""Every shipped objective config trains through `polytrain fit` and its loss falls on the demo corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from polytrain.cli import cli_main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
RUNS = {
    "mlm": ("model/tiny.yaml", "objective/mlm.yaml"),
    "tlm": ("model/tiny.yaml", "objective/tlm.yaml"),
    "mlm-tlm": ("model/tiny.yaml", "objective/mlm-tlm.yaml"),
    "denoise-mbart": ("model/tiny-seq2seq.yaml", "objective/denoise-mbart.yaml"),
    "denoise-bart": ("model/tiny-seq2seq.yaml", "objective/denoise-bart.yaml"),
}
STEPS = 30


def train(demo_data, tmp_path: Path, fragments: tuple[str, ...]) -> list[dict[str, str]]:
    """Fit in-process (the current directory is ``tmp_path``) and return the CSV logger's rows."""
    args = ["fit", "-c", str(CONFIGS / "base.yaml")]
    for fragment in (*fragments, "data/demo.yaml", "trainer/smoke.yaml"):
        args += ["-c", str(CONFIGS / fragment)]
    args += [
        f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",
        "--data.num_workers=0", "--data.batch_size=8", "--data.max_length=64",
        f"--trainer.max_steps={STEPS}", f"--trainer.val_check_interval={STEPS}", "--trainer.log_every_n_steps=1",
        "--model.optimizer.lr=2e-3", "--model.optimizer.warmup_steps=5",
        "--model.architecture.dropout=0.0",
    ]
    cli_main(args)
    files = sorted(tmp_path.glob("runs/polytrain/version_*/metrics.csv"))
    assert files, "no metrics.csv written"
    with files[-1].open() as f:
        return list(csv.DictReader(f))


def check_objective_counts(rows: list[dict[str, str]], objectives: tuple[str, ...]) -> None:
    """Each logged step (log_every_n_steps=1) counts the one objective it drew, and only that objective's
    loss is written at that step: no value carried over from an earlier step (docs/training.md)."""
    steps = [r for r in rows if r.get(f"train/{objectives[0]}/batches")]
    assert len(steps) == STEPS
    drawn = {o: 0 for o in objectives}
    for row in steps:
        counts = {o: float(row[f"train/{o}/batches"]) for o in objectives}
        assert sorted(counts.values()) == [0.0] * (len(objectives) - 1) + [1.0], counts
        for o in objectives:
            assert bool(row.get(f"train/{o}/loss")) == (counts[o] == 1.0)
            assert (float(row[f"train/{o}/tokens"]) > 0) == (counts[o] == 1.0)
            drawn[o] += int(counts[o])
    assert all(n >= 5 for n in drawn.values()), drawn  # a 50/50 mixture over 30 steps


@pytest.mark.parametrize("name", RUNS)
def test_objective_trains_and_loss_falls(name, demo_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkpoints go to ./runs/checkpoints
    rows = train(demo_data, tmp_path, RUNS[name])
    losses = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    assert len(losses) >= 6, losses
    first, last = sum(losses[:3]) / 3, sum(losses[-5:]) / 5
    assert last < first - 0.5, f"{name}: train loss did not fall: {losses}"
    columns = set(rows[0])
    objectives = {"mlm-tlm": ("mlm", "tlm")}.get(name, (name.split("-")[0] if "denoise" not in name else "denoise",))
    for objective in objectives:  # per-objective and per-language metrics, train and validation
        assert f"val/{objective}/loss" in columns, sorted(columns)
        assert any(c.startswith(f"train/{objective}/") and c.endswith("/loss") for c in columns)
    if "denoise" in name:
        assert "val/denoise/bleu" in columns and "val/denoise/chrf" in columns
    if len(objectives) > 1:
        check_objective_counts(rows, objectives)
    assert (tmp_path / "runs" / "checkpoints" / "last.ckpt").exists()
