"""Callbacks that write checkpoints and tie a run to its data (docs/reliability.md).

- :class:`Checkpoint` is Lightning's ``ModelCheckpoint`` that also writes ``last.ckpt`` when
  training stops between two validations, so the final steps of a run are never lost, and keeps a
  copy of the tokenizer next to the checkpoints (:func:`tokenizer_for` finds it when the original
  has moved).
- :func:`save_last` saves the full training state to ``last.ckpt`` now (every rank calls it).
- :class:`ResumeGuard` stores the data manifest's sha256 in every checkpoint and refuses to resume
  on other data unless told to.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import fsspec
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.rank_zero import rank_zero_info

from polytrain.checkpoint.io import CheckpointError, is_local, local_path, read_header
from polytrain.checkpoint.resume import last_checkpoint_path, warn_rank_zero
from polytrain.compat import mark_checkpoint_saved
from polytrain.shards.vocab import file_sha256
from polytrain.types import PathLike

log = logging.getLogger(__name__)


class Checkpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose ``save_last`` also covers the end of training.

    Lightning's ``ModelCheckpoint`` monitoring a validation metric saves (top-k and ``last.ckpt``)
    only after a validation, and at the end of training only when no ``last.ckpt`` was saved at
    all. A run whose ``max_steps`` is not a multiple of ``val_check_interval`` would lose its final
    steps: resuming it, or exporting "the last checkpoint", would silently use an older state.
    """

    saved_step: int = -1
    """The step of the newest full checkpoint this trainer wrote (any callback, ``save_last``)."""

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        source = getattr(pl_module, "tokenizer_path", None)
        vocab = getattr(pl_module, "vocab", None)
        if (stage == "fit" and trainer.is_global_zero and source and vocab is not None and self.dirpath
                and is_local(self.dirpath)):
            keep_tokenizer_copy(str(source), local_path(self.dirpath), vocab.sha256)

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        # Lightning calls this for every full (resumable) save, from whichever callback it comes.
        super().on_save_checkpoint(trainer, pl_module, checkpoint)
        self.saved_step = trainer.global_step

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        if self.save_last and not trainer.fast_dev_run and self.saved_step != trainer.global_step:
            save_last(trainer, self.dirpath)


def save_last(trainer: Trainer, dirpath: PathLike | None = None, mark_saved: bool = True) -> str:
    """Save the full training state (resume, not just weights) to :func:`last_checkpoint_path`
    now; every rank calls it. Returns the path.

    The run's ``ModelCheckpoint`` is told before the save: ``last_model_path`` is part of its saved
    state, and a resumed run whose state named another file would version its next save
    (``last-v1.ckpt``) instead of replacing ``last.ckpt``. With ``mark_saved`` its saved-step marker
    (``compat.mark_checkpoint_saved``) keeps it from saving the same step again (also its top-k
    checkpoint of a validation at this step: leave it off for a save in the middle of training).
    """
    path = last_checkpoint_path(trainer, dirpath)
    if trainer.is_global_zero and os.path.islink(path):
        os.unlink(path)  # ModelCheckpoint(save_last="link"): never write through into a top-k file
    callback = trainer.checkpoint_callback
    if isinstance(callback, ModelCheckpoint) and path == last_checkpoint_path(trainer):
        callback.last_model_path = path
        if mark_saved:
            mark_checkpoint_saved(callback, trainer.global_step)
    trainer.save_checkpoint(path, weights_only=False)
    return path


TOKENIZER_COPY = "tokenizer.json"
"""The copy of the run's tokenizer in its checkpoint folder."""


def keep_tokenizer_copy(source: str, dirpath: str, sha256: str) -> str:
    """Copy the tokenizer file (path or URL) whose bytes hash to ``sha256`` (the run's
    ``Vocab.sha256``) to ``<dirpath>/tokenizer.json``, unless that copy is there already (every
    resume and requeue: the source is not read again); written to a temporary name and renamed.
    Returns the copy's path."""
    copy = os.path.join(dirpath, TOKENIZER_COPY)
    if os.path.isfile(copy) and file_sha256(copy) == sha256:
        return copy
    with fsspec.open(source, "rb") as f:
        data = f.read()
    os.makedirs(dirpath, exist_ok=True)
    tmp = f"{copy}.partial-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, copy)
    return copy


def tokenizer_for(checkpoint_path: Any) -> str | None:
    """The run's copy of the tokenizer when the path a checkpoint recorded no longer exists, else None.

    Checkpoints record the tokenizer's absolute path (``PretrainModule``); a run folder moved to
    another place or machine loses it, and :class:`Checkpoint` keeps ``tokenizer.json`` next to the
    checkpoint files for that case. ``None`` also for URLs and for a recorded path that exists.
    """
    if not is_local(checkpoint_path):
        return None
    path = local_path(checkpoint_path)
    header = read_header(path)
    stored = None if header is None else header.get("hyper_parameters", {}).get("tokenizer")
    if not isinstance(stored, str) or not is_local(stored) or os.path.exists(local_path(stored)):
        return None
    copy = os.path.join(os.path.dirname(os.path.abspath(path)), TOKENIZER_COPY)
    if not os.path.isfile(copy):
        return None
    warn_rank_zero(f"the checkpoint's tokenizer {stored} does not exist: using the run's copy {copy}")
    return copy


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
            warn_rank_zero("resume: the checkpoint records no data manifest hash (saved without ResumeGuard): data not checked")
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
        warn_rank_zero(f"resume: data changed since the checkpoint ({change}); continuing because allow_data_change=true")
