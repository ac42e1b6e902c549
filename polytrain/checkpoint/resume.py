"""Which checkpoint a run resumes from: the newest complete one (``--ckpt_path auto``), checked first.

- :func:`resolve_resume` picks the newest complete checkpoint of a folder that the run's strategy can
  load, says which and why it skipped others, and refuses to start from step 0 when checkpoints
  exist but none is usable.
- :func:`check_before_loading` hands a checkpoint's ``"polytrain"`` record to the module before
  any weight is loaded (another architecture or tokenizer is refused in one line).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.strategies import FSDPStrategy, ModelParallelStrategy, Strategy
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_only

from polytrain.checkpoint.io import (
    CKPT_SUFFIX,
    PARTIAL_MARK,
    REPLACED_SUFFIX,
    SHARDED_META,
    CheckpointError,
    dcp_metadata_problem,
    is_local,
    local_path,
    load_checkpoint,
    read_header,
)
from polytrain.types import PathLike

log = logging.getLogger(__name__)

AUTO = "auto"
"""``--ckpt_path auto``: resume from the newest complete checkpoint, or start fresh if there is none."""
_RESUME_KEYS = ("state_dict", "global_step", "optimizer_states", "loops")
"""What a checkpoint needs for training to continue (a weights-only save lacks the last two)."""
_SHARDED_STATE = ("state_dict", "optimizer_states")
"""What Lightning's ``ModelParallelStrategy`` writes into the DCP shards instead of ``meta.pt``."""


@dataclass(frozen=True)
class Candidate:
    """A checkpoint found in a folder, and whether resume can use it.

    Args:
        path: the file, or the folder of a sharded checkpoint.
        step: its ``global_step``; ``None`` if it could not be read.
        mtime: modification time (breaks ties between equal steps: newer first).
        problem: why it cannot be used; ``None`` if it can.
    """

    path: str
    step: int | None
    mtime: float
    problem: str | None = None


def sharded_folder_problem(path: str) -> str | None:
    """Why the folder ``path`` is not a finished sharded (DCP) checkpoint that is safe to read, or
    ``None``: ``meta.pt`` is written last, after ``.metadata`` and the ``*.distcp`` shards, and the
    ``.metadata`` that DCP unpickles must pass :func:`polytrain.checkpoint.io.dcp_metadata_problem`."""
    shards = [name for name in os.listdir(path) if name.endswith(".distcp")]
    if not (os.path.isfile(os.path.join(path, SHARDED_META)) and os.path.isfile(os.path.join(path, ".metadata"))
            and shards):
        return f"sharded folder without {SHARDED_META}, .metadata and *.distcp shards (unfinished save)"
    return dcp_metadata_problem(path)


def loads_sharded(strategy: Strategy | None) -> bool:
    """Whether ``strategy`` can resume from a sharded checkpoint folder (every strategy loads files)."""
    return strategy is None or isinstance(strategy, (ModelParallelStrategy, FSDPStrategy))


def inspect_checkpoint(path: str, sharded_ok: bool = True) -> Candidate:
    """Check that ``path`` is a complete checkpoint training can resume from (header only).

    A file must load with ``torch.load(weights_only=True, mmap=True)`` (the zip directory at its end
    is intact, so it was written to the end) and hold the state training needs. A sharded folder
    must hold ``meta.pt`` (written last) and a ``.metadata`` that is safe to unpickle, and the
    strategy must load folders (``sharded_ok``). Flipped bits inside tensor data are not detected:
    torch does not check the zip CRCs on load.
    """
    mtime = os.path.getmtime(path) if os.path.exists(path) else 0.0
    if os.path.isdir(path) and not sharded_ok:
        return Candidate(path, None, mtime, "a sharded checkpoint folder, which this run's strategy cannot load "
                                            "(it loads single-file checkpoints; resume it with the FSDP strategy "
                                            "that wrote it)")
    if os.path.isdir(path):
        problem = sharded_folder_problem(path)
        if problem is not None:
            return Candidate(path, None, mtime, problem)
        target = os.path.join(path, SHARDED_META)
    elif not os.path.exists(path):
        return Candidate(path, None, mtime, "dangling link")
    else:
        target = path
    try:
        state = load_checkpoint(target, mmap=not os.path.isdir(path))
    except CheckpointError as err:
        return Candidate(path, None, mtime, str(err).replace(f"{target} ", "").replace(f"{target}", "it"))
    if not isinstance(state, dict) or not isinstance(state.get("global_step"), int):
        return Candidate(path, None, mtime, "not a Lightning checkpoint (no global_step)")
    # A sharded folder keeps the model and optimizer states in its DCP shards, the rest in meta.pt.
    in_shards = _SHARDED_STATE if os.path.isdir(path) else ()
    missing = [k for k in _RESUME_KEYS if k not in state and k not in in_shards]
    if missing:
        return Candidate(path, state["global_step"], mtime,
                         f"lacks {', '.join(missing)} (saved with save_weights_only?): cannot resume training")
    return Candidate(path, state["global_step"], mtime)


def find_checkpoints(ckpt_dir: str) -> tuple[list[str], list[str]]:
    """``(candidates, leftovers)`` in ``ckpt_dir``: ``*.ckpt`` files and folders (and sharded
    checkpoints moved aside as ``*.ckpt.replaced``); leftovers are temporary files of interrupted saves."""
    candidates, leftovers = [], []
    for name in sorted(os.listdir(ckpt_dir)):
        full = os.path.join(ckpt_dir, name)
        if PARTIAL_MARK in name or name.endswith((".partial", ".tmp")):
            leftovers.append(full)
        elif name.endswith((CKPT_SUFFIX, CKPT_SUFFIX + REPLACED_SUFFIX)):
            candidates.append(full)
    return candidates, leftovers


def resolve_resume(ckpt_dir: PathLike, sharded_ok: bool = True) -> str | None:
    """The newest complete checkpoint in ``ckpt_dir``, or ``None`` when there is none (fresh start).

    "Newest" is the highest ``global_step``, newer files first among equals, among the candidates
    this run can load: with ``sharded_ok=False`` (a strategy that loads only files, e.g. DDP) a
    sharded folder is skipped, however high its step. Every candidate that is skipped is named with
    the reason, and so are leftovers of interrupted saves.

    Raises:
        CheckpointError: checkpoints exist but none is usable. Starting again from step 0 would
            silently throw away the run (NVIDIA NeMo PR #10228 is the cautionary tale); delete or
            move them to start fresh.
    """
    directory = local_path(ckpt_dir)
    if not os.path.isdir(directory):
        rank_zero_info(f"resume: no checkpoint folder {directory}: starting a fresh run")
        return None
    paths, leftovers = find_checkpoints(directory)
    for leftover in leftovers:
        warn_rank_zero(f"resume: ignoring {leftover}: left by an interrupted save, never a complete checkpoint (safe to delete)")
    if not paths:
        rank_zero_info(f"resume: no checkpoint in {directory}: starting a fresh run")
        return None
    found = [inspect_checkpoint(p, sharded_ok) for p in paths]
    usable = sorted((c for c in found if c.problem is None), key=lambda c: (c.step, c.mtime), reverse=True)
    for bad in (c for c in found if c.problem is not None):
        warn_rank_zero(f"resume: skipping {bad.path}: {bad.problem}")
    if not usable:
        reasons = "; ".join(f"{os.path.basename(c.path)}: {c.problem}" for c in found)
        raise CheckpointError(f"{directory} holds {len(found)} checkpoint(s) but none can be resumed from ({reasons}); "
                              "refusing to start again from step 0: remove or move them to start a fresh run")
    chosen = usable[0]
    others = ", ".join(f"{os.path.basename(c.path)} (step {c.step})" for c in usable[1:])
    rank_zero_info(f"resume: from {chosen.path} (step {chosen.step}), the newest complete checkpoint"
                   + (f"; older: {others}" if others else ""))
    return chosen.path


def warn_rank_zero(message: str) -> None:
    """Log ``message`` as a warning on global rank 0 only."""
    if getattr(rank_zero_only, "rank", 0) == 0:
        log.warning(message)


def checkpoint_dir(trainer: Trainer) -> str:
    """Where the run's checkpoints go: the first ModelCheckpoint's ``dirpath``, else
    ``<default_root_dir>/checkpoints``."""
    callback = trainer.checkpoint_callback
    dirpath = getattr(callback, "dirpath", None)
    return str(dirpath) if dirpath else os.path.join(str(trainer.default_root_dir), "checkpoints")


def last_checkpoint_path(trainer: Trainer, dirpath: PathLike | None = None) -> str:
    """``<dirpath>/last.ckpt``; by default in :func:`checkpoint_dir`, where ``--ckpt_path last`` looks."""
    name = ModelCheckpoint.CHECKPOINT_NAME_LAST + ModelCheckpoint.FILE_EXTENSION
    return os.path.join(str(dirpath) if dirpath is not None else checkpoint_dir(trainer), name)


def resolve_ckpt_path(ckpt_path: PathLike | None, trainer: Trainer) -> PathLike | None:
    """``"auto"`` -> :func:`resolve_resume` of the trainer's checkpoint folder; anything else unchanged."""
    if ckpt_path != AUTO:
        return ckpt_path
    return resolve_resume(checkpoint_dir(trainer), loads_sharded(trainer.strategy))


def apply_auto_resume(cli: Any) -> None:
    """``LightningCLI.before_fit`` body: replace ``--ckpt_path auto`` by the checkpoint to resume from,
    then let the module refuse it (:func:`check_before_loading`)."""
    config = cli.config_init[cli.subcommand]
    if config.get("ckpt_path") == AUTO:
        config["ckpt_path"] = resolve_ckpt_path(AUTO, cli.trainer)
    check_before_loading(config.get("ckpt_path"), cli.trainer, getattr(cli, "model", None))


def check_before_loading(ckpt_path: PathLike | None, trainer: Trainer, module: LightningModule | None) -> None:
    """Hand a local checkpoint's ``"polytrain"`` record to ``module.check_checkpoint`` before any weight
    is loaded. ``on_load_checkpoint`` runs too late for sharded checkpoints: the strategy loads
    their shards into the model first, and a size mismatch there is a traceback, not one line.

    A sharded folder is refused in one line when the strategy cannot load folders, and when it is
    unfinished or its ``.metadata`` is not safe to unpickle (the strategy would hand it to DCP's
    ``pickle.load``). ``last`` is looked up where Lightning looks (the checkpoint folder); URLs and
    paths that do not exist are left to Lightning (which names them).
    """
    if ckpt_path is None:
        return
    if not is_local(ckpt_path):
        _resumes_instead_of_init_from(module, str(ckpt_path))
        return
    path = last_checkpoint_path(trainer) if ckpt_path == "last" else local_path(ckpt_path)
    if os.path.isdir(path):
        problem = sharded_folder_problem(path) if loads_sharded(trainer.strategy) else inspect_checkpoint(
            path, sharded_ok=False).problem
        if problem is not None:
            raise CheckpointError(f"{path}: {problem}")
    if not hasattr(module, "check_checkpoint"):
        return
    header = read_header(path)
    if header is not None:
        module.check_checkpoint(header.get("polytrain", {}))
        _resumes_instead_of_init_from(module, path)


def _resumes_instead_of_init_from(module: Any, path: str) -> None:
    """A resumed run takes its weights from the checkpoint: ``model.init_from`` is not read (the same
    command warm-starts the first time and resumes after a restart)."""
    if getattr(module, "init_from", None) is not None:
        module.skip_init_from = True
        rank_zero_info(f"resume: from {path}; model.init_from {module.init_from} is not read (the checkpoint has the weights)")
