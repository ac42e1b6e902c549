"""Checkpoints that are safe to load and safe to resume from (the full story: docs/reliability.md).

- :class:`AtomicCheckpointIO` writes a checkpoint to a temporary name in its folder, fsyncs it and
  publishes it with ``os.replace``: a crash leaves either the previous file or the complete new
  one, never a partial file under a checkpoint's name. Loading always uses ``weights_only=True``.
- :func:`load_checkpoint` reads a checkpoint from a path or an fsspec URL (``file://``,
  ``http(s)://``, ``s3://`` ...) without ever unpickling code; Lightning's own loader uses
  ``weights_only=False`` for ``http(s)`` URLs.
- :func:`resolve_resume` picks the newest complete checkpoint of a folder (``--ckpt_path auto``),
  says which and why it skipped others, and refuses to start from step 0 when checkpoints exist
  but none is usable.
- :class:`Checkpoint` is Lightning's ``ModelCheckpoint`` that also writes ``last.ckpt`` when
  training stops between two validations, so the final steps of a run are never lost.
- :class:`ResumeGuard` stores the data manifest's sha256 in every checkpoint and refuses to resume
  on other data unless told to.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fsspec
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.fabric.utilities.types import _PATH
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_only

from polytrain.errors import ConfigError

log = logging.getLogger(__name__)

CKPT_SUFFIX = ".ckpt"
PARTIAL_MARK = ".partial-"
"""Infix of the temporary file a save writes before publishing: ``.<name>.partial-<pid>``."""
REPLACED_SUFFIX = ".replaced"
"""A complete sharded checkpoint moved aside while its successor takes its name (FSDP2Strategy)."""
SHARDED_META = "meta.pt"
"""Rank 0's file of a sharded (torch.distributed.checkpoint) checkpoint folder."""
AUTO = "auto"
"""``--ckpt_path auto``: resume from the newest complete checkpoint, or start fresh if there is none."""
_RESUME_KEYS = ("state_dict", "global_step", "optimizer_states", "loops")
"""What a checkpoint needs for training to continue (a weights-only save lacks the last two)."""
_SHARDED_STATE = ("state_dict", "optimizer_states")
"""What Lightning's ``ModelParallelStrategy`` writes into the DCP shards instead of ``meta.pt``."""
_ALLOW_LIST_HINT = (
    "polytrain loads checkpoints only with torch.load(weights_only=True). If you trust this file and the "
    "type is harmless data, allow-list that type with torch.serialization.add_safe_globals([...]); "
    "never load it with weights_only=False"
)


class CheckpointError(ConfigError):
    """A checkpoint cannot be used: unsafe, incomplete, or made for other data; one line naming it."""


# ------------------------------------------------------------------------------------ loading


def _is_local(path: _PATH) -> bool:
    return "://" not in str(path) or str(path).startswith("file://")


def _local_path(path: _PATH) -> str:
    return str(path).removeprefix("file://")


def load_checkpoint(path: _PATH, map_location: Any = "cpu", mmap: bool = False) -> dict[str, Any]:
    """Load a checkpoint from a local path or fsspec URL with ``torch.load(weights_only=True)``.

    ``weights_only=True`` is passed explicitly, so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn
    it off. ``http(s)`` URLs are read into memory (Lightning would use ``torch.hub``, which caches
    the file and defaults to ``weights_only=False``).

    Args:
        path: the checkpoint file (a sharded checkpoint folder is loaded by its strategy).
        map_location: passed to ``torch.load``.
        mmap: map a local file's tensors instead of reading them (for quick inspection).

    Raises:
        CheckpointError: the file holds pickled objects that are not plain data (it could run
            code), or is not a complete checkpoint (truncated, corrupt, not a torch file).
        FileNotFoundError: nothing at ``path``.
    """
    try:
        if _is_local(path):
            local = _local_path(path)
            if not os.path.exists(local):
                raise FileNotFoundError(f"checkpoint not found: {path}")
            return torch.load(local, map_location=map_location, weights_only=True, mmap=mmap)
        with fsspec.open(str(path), "rb") as f:
            data = f.read()  # a seekable copy: torch.load needs random access to the zip
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise checkpoint_refusal(err, path) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        first = " ".join(str(err).split(".")[0].split()) or type(err).__name__
        raise CheckpointError(f"{path} is not a complete checkpoint (truncated or corrupt: {first})") from None


def checkpoint_refusal(err: pickle.UnpicklingError, path: _PATH = "--ckpt_path") -> CheckpointError:
    """The one-line error for a ``torch.load(weights_only=True)`` refusal, also one raised outside
    polytrain's loaders (LightningCLI reads a local ``--ckpt_path``'s hyperparameters itself)."""
    if not _names_a_global(err):  # garbage, not a refused type: e.g. a text file named .ckpt
        return CheckpointError(f"{path} is not a complete checkpoint (not a torch file)")
    return CheckpointError(f"refused to load {path}: it holds a pickled object that is not plain data "
                           f"({_unpickling_detail(err)}); loading it could run code. {_ALLOW_LIST_HINT}")


def safe_load_from_checkpoint(cls: type[LightningModule], checkpoint_path: _PATH, **kwargs: Any) -> LightningModule:
    """``cls.load_from_checkpoint`` that never unpickles code, whatever the location.

    Lightning's ``load_from_checkpoint`` loads ``http(s)`` URLs through ``torch.hub`` with
    ``weights_only=False``; here the file is fetched first and handed to Lightning as bytes.

    Args:
        cls: the LightningModule class.
        checkpoint_path: path or fsspec URL.
        **kwargs: ``map_location``, ``hparams_file``, ``strict`` and constructor overrides, as for
            ``load_from_checkpoint``; ``weights_only`` may only be ``True``.
    """
    _refuse_unsafe(kwargs.pop("weights_only", True), checkpoint_path)
    source: Any = checkpoint_path
    if not _is_local(checkpoint_path):
        with fsspec.open(str(checkpoint_path), "rb") as f:
            source = io.BytesIO(f.read())
    else:
        source = _local_path(checkpoint_path)
        if not os.path.exists(source):
            raise FileNotFoundError(f"checkpoint not found: {checkpoint_path}")
        if not zipfile.is_zipfile(source):  # torch.save writes a zip; a cut file lacks its directory
            raise CheckpointError(f"{checkpoint_path} is not a complete checkpoint "
                                  "(truncated, corrupt or not a torch file: no zip directory)")
    # Lightning's implementation itself, also when ``cls`` overrides load_from_checkpoint with a call to this.
    lightning_loader = LightningModule.load_from_checkpoint.__func__  # type: ignore[attr-defined]
    try:
        return lightning_loader(cls, source, weights_only=True, **kwargs)
    except pickle.UnpicklingError as err:
        raise checkpoint_refusal(err, checkpoint_path) from None


def _names_a_global(err: Exception) -> bool:
    return any("global" in line.lower() for line in str(err).splitlines()[1:])


def _unpickling_detail(err: Exception) -> str:
    """The line of torch's weights-only error that names the refused global (not its advice to
    retry with ``weights_only=False``)."""
    lines = [line.strip().rstrip(".") for line in str(err).splitlines()[1:]]
    return next((line for line in lines if "global" in line.lower()), "an object of an unsupported type")


def _refuse_unsafe(weights_only: bool | None, path: _PATH) -> None:
    if weights_only is False:
        raise CheckpointError(f"refused to load {path} with weights_only=False: it would run any code the file "
                              f"holds. {_ALLOW_LIST_HINT}")


# ------------------------------------------------------------------------------------ saving


def _fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` to ``<dir>/.<name>.partial-<pid>``, fsync, ``os.replace`` onto ``path``, fsync the folder.

    The temporary file is in the same folder (a rename across filesystems is a copy, not atomic)
    and its name does not end in ``.ckpt``, so nothing ever selects it. On failure it is removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}{PARTIAL_MARK}{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning ``CheckpointIO``: atomic local saves, and loads that never unpickle code.

    Lightning 2.6's ``TorchCheckpointIO`` saves through an fsspec transaction whose local temporary
    file is created by ``tempfile.mkstemp`` in the system temp folder and moved with ``shutil.move``:
    when that folder is on another filesystem the move is a copy straight into the checkpoint's
    name (a crash leaves a partial file there), and nothing is fsynced. Its loader passes
    ``weights_only=None``, which becomes ``False`` for ``http(s)`` URLs.

    Use it as a trainer plugin (``trainer.plugins: [{class_path: polytrain.checkpoint.AtomicCheckpointIO}]``).
    Remote (non-local) saves keep Lightning's transaction: object stores publish an object whole.
    Sharded checkpoints (FSDP) are written by their strategy, not by this class.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: _PATH, storage_options: Any | None = None) -> None:
        if not _is_local(path):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__}.save_checkpoint does not take storage_options")
        atomic_torch_save(checkpoint, _local_path(path))

    def load_checkpoint(self, path: _PATH, map_location: Callable | Any = None,
                        weights_only: bool | None = None) -> dict[str, Any]:
        """Load with ``weights_only=True`` from any location; ``weights_only=False`` is refused."""
        _refuse_unsafe(weights_only, path)
        return load_checkpoint(path, map_location="cpu" if map_location is None else map_location)


class Checkpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose ``save_last`` also covers the end of training.

    Lightning's ``ModelCheckpoint`` monitoring a validation metric saves (top-k and ``last.ckpt``)
    only after a validation, and at the end of training only when no ``last.ckpt`` was saved at
    all. A run whose ``max_steps`` is not a multiple of ``val_check_interval`` would lose its final
    steps: resuming it, or exporting "the last checkpoint", would silently use an older state.
    """

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        if self.save_last and not trainer.fast_dev_run and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


def last_checkpoint_path(trainer: Trainer, dirpath: _PATH | None = None) -> str:
    """``<dirpath>/last.ckpt``; by default in :func:`checkpoint_dir`, where ``--ckpt_path last`` looks."""
    name = ModelCheckpoint.CHECKPOINT_NAME_LAST + ModelCheckpoint.FILE_EXTENSION
    return os.path.join(str(dirpath) if dirpath is not None else checkpoint_dir(trainer), name)


def save_last(trainer: Trainer, dirpath: _PATH | None = None) -> str:
    """Save the full training state (resume, not just weights) to :func:`last_checkpoint_path`
    now; every rank calls it. Returns the path.

    The run's ``ModelCheckpoint`` is told before the save: ``last_model_path`` is part of its saved
    state, and a resumed run whose state named another file would version its next save
    (``last-v1.ckpt``) instead of replacing ``last.ckpt``; its saved-step marker keeps
    :class:`Checkpoint` from saving the same step again at the end of training.
    """
    path = last_checkpoint_path(trainer, dirpath)
    if trainer.is_global_zero and os.path.islink(path):
        os.unlink(path)  # ModelCheckpoint(save_last="link"): never write through into a top-k file
    callback = trainer.checkpoint_callback
    if isinstance(callback, ModelCheckpoint) and path == last_checkpoint_path(trainer):
        callback.last_model_path = path
        callback._last_global_step_saved = trainer.global_step  # Lightning's own "saved at this step"
    trainer.save_checkpoint(path, weights_only=False)
    return path


# ------------------------------------------------------------------------------------ resume


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
    """Why the folder ``path`` is not a finished sharded (DCP) checkpoint, or ``None`` if it is:
    ``meta.pt`` is written last, after ``.metadata`` and the ``*.distcp`` shards."""
    shards = [name for name in os.listdir(path) if name.endswith(".distcp")]
    if os.path.isfile(os.path.join(path, SHARDED_META)) and os.path.isfile(os.path.join(path, ".metadata")) and shards:
        return None
    return f"sharded folder without {SHARDED_META}, .metadata and *.distcp shards (unfinished save)"


def inspect_checkpoint(path: str) -> Candidate:
    """Check that ``path`` is a complete checkpoint training can resume from (header only).

    A file must load with ``torch.load(weights_only=True, mmap=True)`` (the zip directory at its end
    is intact, so it was written to the end) and hold the state training needs. A sharded folder
    must hold ``meta.pt`` (written last) and ``.metadata``. Flipped bits inside tensor data are not
    detected: torch does not check the zip CRCs on load.
    """
    mtime = os.path.getmtime(path) if os.path.exists(path) else 0.0
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


def resolve_resume(ckpt_dir: _PATH) -> str | None:
    """The newest complete checkpoint in ``ckpt_dir``, or ``None`` when there is none (fresh start).

    "Newest" is the highest ``global_step``, newer files first among equals. Every candidate that
    is skipped is named with the reason, and so are leftovers of interrupted saves.

    Raises:
        CheckpointError: checkpoints exist but none is usable. Starting again from step 0 would
            silently throw away the run (NVIDIA NeMo PR #10228 is the cautionary tale); delete or
            move them to start fresh.
    """
    directory = _local_path(ckpt_dir)
    if not os.path.isdir(directory):
        rank_zero_info(f"resume: no checkpoint folder {directory}: starting a fresh run")
        return None
    paths, leftovers = find_checkpoints(directory)
    for leftover in leftovers:
        _warn(f"resume: ignoring {leftover}: left by an interrupted save, never a complete checkpoint (safe to delete)")
    if not paths:
        rank_zero_info(f"resume: no checkpoint in {directory}: starting a fresh run")
        return None
    found = [inspect_checkpoint(p) for p in paths]
    usable = sorted((c for c in found if c.problem is None), key=lambda c: (c.step, c.mtime), reverse=True)
    for bad in (c for c in found if c.problem is not None):
        _warn(f"resume: skipping {bad.path}: {bad.problem}")
    if not usable:
        reasons = "; ".join(f"{os.path.basename(c.path)}: {c.problem}" for c in found)
        raise CheckpointError(f"{directory} holds {len(found)} checkpoint(s) but none can be resumed from ({reasons}); "
                              "refusing to start again from step 0: remove or move them to start a fresh run")
    chosen = usable[0]
    others = ", ".join(f"{os.path.basename(c.path)} (step {c.step})" for c in usable[1:])
    rank_zero_info(f"resume: from {chosen.path} (step {chosen.step}), the newest complete checkpoint"
                   + (f"; older: {others}" if others else ""))
    return chosen.path


def _warn(message: str) -> None:
    if getattr(rank_zero_only, "rank", 0) == 0:
        log.warning(message)


def checkpoint_dir(trainer: Trainer) -> str:
    """Where the run's checkpoints go: the first ModelCheckpoint's ``dirpath``, else
    ``<default_root_dir>/checkpoints``."""
    callback = trainer.checkpoint_callback
    dirpath = getattr(callback, "dirpath", None)
    return str(dirpath) if dirpath else os.path.join(str(trainer.default_root_dir), "checkpoints")


def resolve_ckpt_path(ckpt_path: _PATH | None, trainer: Trainer) -> _PATH | None:
    """``"auto"`` -> :func:`resolve_resume` of the trainer's checkpoint folder; anything else unchanged."""
    if ckpt_path != AUTO:
        return ckpt_path
    return resolve_resume(checkpoint_dir(trainer))


def apply_auto_resume(cli: Any) -> None:
    """``LightningCLI.before_fit`` body: replace ``--ckpt_path auto`` by the checkpoint to resume from,
    then let the module refuse it (:func:`check_before_loading`)."""
    config = cli.config_init[cli.subcommand]
    if config.get("ckpt_path") == AUTO:
        config["ckpt_path"] = resolve_ckpt_path(AUTO, cli.trainer)
    check_before_loading(config.get("ckpt_path"), cli.trainer, getattr(cli, "model", None))


def check_before_loading(ckpt_path: _PATH | None, trainer: Trainer, module: LightningModule | None) -> None:
    """Hand a local checkpoint's ``"polytrain"`` record to ``module.check_checkpoint`` before any weight
    is loaded. ``on_load_checkpoint`` runs too late for sharded checkpoints: the strategy loads
    their shards into the model first, and a size mismatch there is a traceback, not one line.

    ``last`` is looked up where Lightning looks (the checkpoint folder); URLs and paths that do not
    exist are left to Lightning (which names them).
    """
    if ckpt_path is None or not hasattr(module, "check_checkpoint"):
        return
    if not _is_local(ckpt_path):
        _resumes_instead_of_init_from(module, str(ckpt_path))
        return
    path = last_checkpoint_path(trainer) if ckpt_path == "last" else _local_path(ckpt_path)
    target = os.path.join(path, SHARDED_META) if os.path.isdir(path) else path
    if os.path.isfile(target):
        module.check_checkpoint(load_checkpoint(target, mmap=not os.path.isdir(path)).get("polytrain", {}))
        _resumes_instead_of_init_from(module, path)


def _resumes_instead_of_init_from(module: Any, path: str) -> None:
    """A resumed run takes its weights from the checkpoint: ``model.init_from`` is not read (the same
    command warm-starts the first time and resumes after a restart)."""
    if getattr(module, "init_from", None) is not None:
        module.skip_init_from = True
        rank_zero_info(f"resume: from {path}; model.init_from {module.init_from} is not read (the checkpoint has the weights)")


# ------------------------------------------------------------------------------------ data guard


def _data_fingerprint(trainer: Trainer) -> dict[str, Any] | None:
    manifest = getattr(trainer.datamodule, "manifest", None) if trainer.datamodule is not None else None
    if manifest is None:
        return None
    entries = list(getattr(manifest, "entries", []))
    return {
        "manifest_sha256": manifest.sha256,
        "manifest": str(manifest.location),
        "shards": len(entries),
        "samples": sum(s.samples for s in entries),
        "languages": sorted({s.lang for s in entries}),
    }


def describe_data_change(saved: dict[str, Any], current: dict[str, Any]) -> str:
    """One phrase naming how two data fingerprints differ."""
    parts = [f"manifest sha256 {str(saved.get('manifest_sha256'))[:12]} -> {current['manifest_sha256'][:12]}"]
    if saved.get("manifest") != current["manifest"]:
        parts.append(f"manifest {saved.get('manifest')} -> {current['manifest']}")
    for key in ("shards", "samples"):
        if saved.get(key) != current[key]:
            parts.append(f"{key} {saved.get(key)} -> {current[key]}")
    added = sorted(set(current["languages"]) - set(saved.get("languages", [])))
    removed = sorted(set(saved.get("languages", [])) - set(current["languages"]))
    if added or removed:
        parts.append("languages " + " ".join([f"+{x}" for x in added] + [f"-{x}" for x in removed]))
    return ", ".join(parts)


class ResumeGuard(Callback):
    """Ties a run to its data: stores the manifest's sha256 in every checkpoint, checks it on resume.

    The tokenizer's sha256 is stored and checked by ``PretrainModule`` itself; this callback only
    relays ``allow_tokenizer_change`` to it.

    Args:
        allow_data_change: resume even though the manifest differs from the checkpoint's (e.g. more
            shards were added on purpose); the difference is still logged.
        allow_tokenizer_change: let ``PretrainModule`` load weights trained with another tokenizer
            (its ids would then mean other pieces: only for deliberate vocabulary surgery).
    """

    def __init__(self, allow_data_change: bool = False, allow_tokenizer_change: bool = False) -> None:
        self.allow_data_change = allow_data_change
        self.allow_tokenizer_change = allow_tokenizer_change
        self.current: dict[str, Any] | None = None

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self.current = _data_fingerprint(trainer)
        if hasattr(pl_module, "allow_tokenizer_change"):  # PretrainModule: its own tokenizer check obeys it
            setattr(pl_module, "allow_tokenizer_change", self.allow_tokenizer_change)  # noqa: B010

    def state_dict(self) -> dict[str, Any]:
        """What is saved in checkpoints: the fingerprint of the data this run reads."""
        return dict(self.current or {})

    def on_load_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get("callbacks", {}).get(self.state_key) or {}
        current = self.current or _data_fingerprint(trainer)
        if current is None:
            return  # no PretrainDataModule: nothing to compare
        if not saved.get("manifest_sha256"):
            _warn("resume: the checkpoint records no data manifest hash (saved without ResumeGuard): data not checked")
            return
        if saved["manifest_sha256"] == current["manifest_sha256"]:
            return
        change = describe_data_change(saved, current)
        if trainer.state.fn != "fit":  # validating or testing a checkpoint on other data is legitimate
            rank_zero_info(f"checkpoint trained on other data: {change}")
            return
        if not self.allow_data_change:
            raise CheckpointError(f"refusing to resume on different data: {change}. Resume with the same manifest, "
                                  "or allow it explicitly with ResumeGuard(allow_data_change=true)")
        _warn(f"resume: data changed since the checkpoint ({change}); continuing because allow_data_change=true")

