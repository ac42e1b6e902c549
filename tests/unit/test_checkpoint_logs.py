"""A resumed run's loggers continue the resumed run's version folder (polytrain.checkpoint.logs):
the CSV keeps the rows before the checkpoint, TensorBoard hides the events after it."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import torch

from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from polytrain.checkpoint.logs import _continue_csv, continue_logs
from polytrain.compat import continue_logger


def log_steps(logger: CSVLogger | TensorBoardLogger, steps: range, value: float) -> None:
    for step in steps:
        logger.log_metrics({"train/loss": value + step, **({"val/loss": 1.0} if step % 4 == 3 else {})}, step)
    logger.finalize("success")


def test_csv_keeps_the_rows_before_the_resumed_step_and_appends(tmp_path: Path) -> None:
    first = CSVLogger(tmp_path, name="run")
    log_steps(first, range(10), 0.0)  # the run got to step 9, its checkpoint is of step 6
    resumed = CSVLogger(tmp_path, name="run")
    assert continue_logger(resumed, first.version, 6)
    _continue_csv(resumed, 6)
    rows = list(csv.DictReader((Path(first.log_dir) / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3, 4, 5]  # on disk at once, before any new row
    log_steps(resumed, range(6, 12), 100.0)
    rows = list(csv.DictReader((Path(first.log_dir) / "metrics.csv").open()))
    assert [(int(r["step"]), float(r["train/loss"])) for r in rows] == [
        *[(s, float(s)) for s in range(6)], *[(s, 100.0 + s) for s in range(6, 12)]]
    assert [int(r["step"]) for r in rows if r["val/loss"]] == [3, 7, 11]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["version_0"]


def test_tensorboard_hides_the_events_after_the_resumed_step(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    first = TensorBoardLogger(tmp_path, name="run")
    log_steps(first, range(10), 0.0)
    resumed = TensorBoardLogger(tmp_path, name="run")
    assert continue_logger(resumed, first.version, 6)
    log_steps(resumed, range(6, 12), 100.0)
    events = EventAccumulator(first.log_dir)
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("train/loss")] == [
        *[(s, float(s)) for s in range(6)], *[(s, 100.0 + s) for s in range(6, 12)]]


def test_a_version_the_config_gives_is_kept(tmp_path: Path) -> None:
    fixed = CSVLogger(tmp_path, name="run", version="mine")
    assert not continue_logger(fixed, 0, 6) and fixed.version == "mine"


def test_a_checkpoint_names_the_versions_to_continue_where_they_exist(tmp_path: Path) -> None:
    """``continue_logs`` reads the checkpoint's ``log_versions``; a logger of another run folder,
    where that version does not exist, starts its next version as usual."""
    for _ in range(3):  # version_0, 1 and 2 of the run folder; the checkpoint is of version_2's run
        log_steps(CSVLogger(tmp_path / "run", name="csv"), range(5), 0.0)
    ckpt = tmp_path / "step3.ckpt"
    torch.save({"global_step": 3, "polytrain": {"log_versions": [2]}}, ckpt)
    here = CSVLogger(tmp_path / "run", name="csv")
    continue_logs(str(ckpt), SimpleNamespace(loggers=[here], is_global_zero=True))
    assert here.version == 2
    assert [int(r["step"]) for r in csv.DictReader((Path(here.log_dir) / "metrics.csv").open())] == [0, 1, 2]
    log_steps(CSVLogger(tmp_path / "other", name="csv"), range(1), 0.0)  # another folder: only version_0
    elsewhere = CSVLogger(tmp_path / "other", name="csv")
    continue_logs(str(ckpt), SimpleNamespace(loggers=[elsewhere], is_global_zero=True))
    assert elsewhere.version == 1
