"""A resumed run continues the logs of the run it resumes: the same ``version_N`` folders.

Each checkpoint records the version of every logger (``PretrainModule.on_save_checkpoint``,
``"log_versions"``). Before ``fit`` resumes, :func:`continue_logs` points the run's loggers back at
those versions, for the ``CSVLogger`` and ``TensorBoardLogger`` whose version the config leaves
open and whose folder of that version exists (a checkpoint of another run folder starts a new
version there): ``metrics.csv`` keeps its rows of the steps before the checkpoint (the ones after
it, written before the run stopped, are dropped: the resumed run writes them again), and
TensorBoard hides the events from the resumed step on (``purge_step``). Other loggers (W&B) start a
new run as before.
"""

from __future__ import annotations

import csv
import os
import warnings
from typing import Any

from lightning.pytorch import Trainer
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_info

from polytrain.checkpoint.io import is_local, local_path, read_header
from polytrain.checkpoint.resume import last_checkpoint_path
from polytrain.compat import continue_logger, keep_csv_rows
from polytrain.types import PathLike


def logger_versions(trainer: Trainer) -> list[int | str | None]:
    """The version of each of ``trainer.loggers`` (``None`` for a logger without one), for checkpoints."""
    versions: list[int | str | None] = []
    for logger in trainer.loggers:
        version = logger.version
        versions.append(version if isinstance(version, (int, str)) else None)
    return versions


def _record(ckpt_path: PathLike, trainer: Trainer) -> tuple[int, list[Any]] | None:
    """``(global_step, log_versions)`` of a local checkpoint, or ``None`` (a URL, missing, no record)."""
    if not is_local(ckpt_path):
        return None
    path = last_checkpoint_path(trainer) if ckpt_path == "last" else local_path(ckpt_path)
    state = read_header(path)
    if state is None:
        return None
    versions = state.get("polytrain", {}).get("log_versions")
    return (state["global_step"], versions) if isinstance(versions, list) else None


def continue_logs(ckpt_path: PathLike | None, trainer: Trainer) -> None:
    """Before ``fit`` resumes from ``ckpt_path``: each CSV/TensorBoard logger writes to the version
    the checkpoint's run used (see the module docstring)."""
    record = _record(ckpt_path, trainer) if ckpt_path is not None else None
    if record is None:
        return
    step, versions = record
    for logger, version in zip(trainer.loggers, versions):
        if version is None or not _has_version(logger, version) or not continue_logger(logger, version, step):
            continue
        if isinstance(logger, CSVLogger) and trainer.is_global_zero:
            _continue_csv(logger, step)
        rank_zero_info(f"resume: {type(logger).__name__} continues {logger.log_dir}")


def _has_version(logger: Any, version: int | str) -> bool:
    """Whether ``version``'s folder exists under the logger's root: a checkpoint of another run
    folder (another ``trainer.default_root_dir``) starts a new version there instead."""
    root = getattr(logger, "root_dir", None)
    folder = version if isinstance(version, str) else f"version_{version}"
    return isinstance(root, str) and os.path.isdir(os.path.join(root, folder))


def _continue_csv(logger: CSVLogger, step: int) -> None:
    """Keep the rows of ``metrics.csv`` before ``step``; rewrite the file at once, so a run that stops
    before its first flush does not lose them (Lightning's writer deletes the file it finds)."""
    path = os.path.join(logger.log_dir, "metrics.csv")
    if not os.path.isfile(path):
        return
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [row for row in reader if row.get("step") and int(float(row["step"])) < step]
        keys = list(reader.fieldnames or [])
    with warnings.catch_warnings():  # "Previous log files in this directory will be deleted": they are kept
        warnings.filterwarnings("ignore", message=".*exists and is not empty")
        writer = logger.experiment
    keep_csv_rows(writer, rows, keys)
    writer.save()
