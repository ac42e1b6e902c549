"""polytrain.checkpoint: atomic saves, weights-only loads from every location and resume resolution,
on hand-made checkpoint files (with a real Trainer: tests/integration/test_checkpoint_fit.py)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch import LightningModule
from payloads import Payload, malicious

from polytrain.checkpoint import io as ckpt
from polytrain.checkpoint.io import AtomicCheckpointIO, CheckpointError, load_checkpoint, safe_load_from_checkpoint
from polytrain.checkpoint.resume import resolve_resume

pytestmark = pytest.mark.timeout(120)


def complete(path: Path, step: int, mtime: float | None = None) -> Path:
    """A checkpoint with everything training needs to resume."""
    torch.save({"state_dict": {"w": torch.zeros(3)}, "global_step": step, "optimizer_states": [{}], "loops": {}}, path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


# ------------------------------------------------------------------------------ safe loading


def test_malicious_payload_is_refused_from_path_file_url_and_http(tmp_path: Path, served: tuple[str, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "marker"
    base, root = served
    evil = malicious(root / "evil.ckpt", marker)
    # An environment that asks torch to unpickle anything must not matter: weights_only is explicit.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    for location in (str(evil), f"file://{evil}", f"{base}/evil.ckpt"):
        with pytest.raises(CheckpointError, match="refused to load .*not plain data.*add_safe_globals"):
            load_checkpoint(location)
        with pytest.raises(CheckpointError, match="could run code"):
            AtomicCheckpointIO().load_checkpoint(location)
    assert not marker.exists()


def test_explicit_weights_only_false_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = malicious(tmp_path / "evil.ckpt", marker)
    with pytest.raises(CheckpointError, match="weights_only=False"):
        AtomicCheckpointIO().load_checkpoint(evil, weights_only=False)
    assert not marker.exists()


def test_lightning_default_loader_runs_the_payload_over_http(tmp_path: Path, served: tuple[str, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Why AtomicCheckpointIO exists: Lightning 2.6 loads http(s) checkpoints with weights_only=False.
    If this starts failing, Lightning became safe by default (AtomicCheckpointIO stays correct)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # torch.hub caches the download there
    marker = tmp_path / "marker"
    base, root = served
    malicious(root / "evil.ckpt", marker)
    TorchCheckpointIO().load_checkpoint(f"{base}/evil.ckpt")
    assert marker.exists()


def test_truncated_or_foreign_files_are_named_as_incomplete(tmp_path: Path) -> None:
    good = complete(tmp_path / "good.ckpt", 3)
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.ckpt").write_text("not a checkpoint")
    for name in ("cut.ckpt", "text.ckpt"):
        with pytest.raises(CheckpointError, match=f"{name} is not a complete checkpoint"):
            load_checkpoint(tmp_path / name)
        with pytest.raises(CheckpointError, match=f"{name} is not a complete checkpoint"):  # export's loader
            safe_load_from_checkpoint(Tiny, tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.ckpt")
    assert load_checkpoint(good)["global_step"] == 3


def test_checkpoint_errors_keep_their_first_sentence_whole(tmp_path: Path) -> None:
    """Not cut at the first "." (which named ``data`` for ``data.pkl``); torch's advice paragraph is left out."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "nodata.ckpt", "w") as archive:  # a zip, but not a torch checkpoint
        archive.writestr("archive/version", "3\n")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "nodata.ckpt")
    assert str(err.value) == (f"{tmp_path / 'nodata.ckpt'} is not a complete checkpoint (truncated or corrupt: "
                              "PytorchStreamReader failed locating file data.pkl: file not found)")


def test_a_full_disk_during_a_save_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """The temporary file of the save is made to point at /dev/full, where every write fails with ENOSPC."""
    from polytrain.errors import SaveError

    target = complete(tmp_path / "last.ckpt", 3)
    (tmp_path / f".last.ckpt.partial-{os.getpid()}").symlink_to("/dev/full")
    with pytest.raises(SaveError) as err:
        AtomicCheckpointIO().save_checkpoint({"state_dict": {"w": torch.zeros(1000)}, "global_step": 4}, target)
    message = str(err.value)
    assert message.startswith(f"No space left on device: could not write checkpoint {target} (") and "\n" not in message
    assert f"MiB left on {tmp_path})" in message
    assert load_checkpoint(target)["global_step"] == 3 and os.listdir(tmp_path) == ["last.ckpt"]


class Tiny(LightningModule):
    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(width, 1)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", self.layer(batch[0]).pow(2).mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


# ------------------------------------------------------------------------------ atomic saves


def test_save_is_published_whole_with_fsync_from_a_temporary_file_in_the_same_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    replaced: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(ckpt.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(ckpt.os, "replace", lambda a, b: (replaced.append((a, b)), real_replace(a, b))[1])
    target = tmp_path / "ckpts" / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"global_step": 1, "w": torch.ones(2)}, target)
    assert load_checkpoint(target)["global_step"] == 1
    assert len(replaced) == 1 and Path(replaced[0][0]).parent == target.parent and replaced[0][1] == str(target)
    assert ".partial-" in Path(replaced[0][0]).name and not replaced[0][0].endswith(".ckpt")
    assert len(synced) == 2  # the file, then the folder (so the rename survives a power cut)
    assert os.listdir(target.parent) == ["last.ckpt"]


def test_crash_during_save_keeps_the_previous_file_and_leaves_nothing_selectable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = complete(tmp_path / "last.ckpt", 3)
    before = target.read_bytes()

    def dies_half_way(obj: Any, f: Any) -> None:
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # e.g. SIGINT in the middle of torch.save

    monkeypatch.setattr(ckpt.torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        AtomicCheckpointIO().save_checkpoint({"global_step": 6}, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["last.ckpt"]
    assert resolve_resume(tmp_path) == str(target)


def test_lightning_default_save_stages_outside_the_folder_without_fsync(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning 2.6's local save: an fsspec transaction whose temporary file comes from
    tempfile.mkstemp() in the system temp folder, moved with shutil.move (a copy, not a rename, when
    that folder is on another filesystem) and never fsynced. What AtomicCheckpointIO replaces."""
    staged: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        staged.append(name)
        return fd, name

    synced: list[int] = []
    monkeypatch.setattr(tempfile, "mkstemp", spy)
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    TorchCheckpointIO().save_checkpoint({"global_step": 1}, tmp_path / "ckpts" / "last.ckpt")
    assert staged and all(Path(s).parent == tmp_path / "elsewhere" for s in staged)
    assert synced == []


# ------------------------------------------------------------------------------ resume resolution


def test_fresh_start_when_there_is_no_checkpoint(tmp_path: Path) -> None:
    assert resolve_resume(tmp_path / "missing") is None
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a checkpoint")
    assert resolve_resume(tmp_path / "empty") is None


def test_newest_complete_checkpoint_wins_and_skips_are_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    complete(tmp_path / "step000003.ckpt", 3, mtime=1000)
    complete(tmp_path / "step000006.ckpt", 6, mtime=2000)
    newest = complete(tmp_path / "last.ckpt", 9, mtime=3000)
    cut = tmp_path / "step000012.ckpt"  # a higher step, but cut short
    cut.write_bytes(newest.read_bytes()[:100])
    (tmp_path / ".step000015.ckpt.partial-4242").write_bytes(b"PK half")  # an interrupted AtomicCheckpointIO save
    weights = tmp_path / "weights.ckpt"
    torch.save({"state_dict": {}, "global_step": 20}, weights)  # save_weights_only: cannot resume
    os.symlink(tmp_path / "gone.ckpt", tmp_path / "dangling.ckpt")
    with caplog.at_level(logging.WARNING, logger="polytrain.checkpoint.resume"):
        assert resolve_resume(tmp_path) == str(newest)
    text = caplog.text
    assert "step000012.ckpt: is not a complete checkpoint" in text
    assert "weights.ckpt: lacks optimizer_states, loops" in text
    assert "dangling.ckpt: dangling link" in text
    assert ".step000015.ckpt.partial-4242: left by an interrupted save" in text
    # The newest one breaks: the previous complete one is chosen.
    newest.write_bytes(b"")
    assert resolve_resume(tmp_path) == str(tmp_path / "step000006.ckpt")


def test_equal_steps_prefer_the_newer_file(tmp_path: Path) -> None:
    complete(tmp_path / "step000006.ckpt", 6, mtime=1000)
    complete(tmp_path / "last.ckpt", 6, mtime=2000)
    assert resolve_resume(tmp_path) == str(tmp_path / "last.ckpt")


def test_checkpoints_that_all_fail_stop_the_run_instead_of_a_silent_fresh_start(tmp_path: Path) -> None:
    (tmp_path / "last.ckpt").write_bytes(b"")
    torch.save({"state_dict": {}, "global_step": 4}, tmp_path / "weights.ckpt")
    with pytest.raises(CheckpointError) as err:
        resolve_resume(tmp_path)
    message = str(err.value)
    assert "2 checkpoint(s) but none can be resumed from" in message
    assert "refusing to start again from step 0" in message
    assert "last.ckpt: is not a complete checkpoint" in message and "weights.ckpt: lacks" in message


def sharded(path: Path, step: int, resumable: bool = True) -> Path:
    """A sharded checkpoint folder as Lightning's ModelParallelStrategy writes it: the model and optimizer
    states in DCP shards (with DCP's real ``.metadata``), everything else in ``meta.pt``, written last."""
    import torch.distributed.checkpoint as dcp

    with pytest.warns(UserWarning, match="single process"):  # no process group: DCP saves as one rank
        dcp.save({"state_dict": {"w": torch.zeros(3)}}, checkpoint_id=path)
    torch.save({"global_step": step, **({"loops": {}, "lr_schedulers": []} if resumable else {})}, path / "meta.pt")
    return path


def test_sharded_checkpoint_folders_count_only_when_finished(tmp_path: Path) -> None:
    unfinished = tmp_path / "step000009.ckpt"  # rank files written, meta.pt not yet
    unfinished.mkdir()
    (unfinished / "__0_0.distcp").write_bytes(b"shard")
    # FSDP2Strategy moves the old one aside while replacing it.
    done = sharded(tmp_path / "step000006.ckpt.replaced", 6)
    sharded(tmp_path / "step000008.ckpt", 8, resumable=False)  # newer, but weights only: cannot resume training
    (tmp_path / "step000012.ckpt.partial").mkdir()  # FSDP2Strategy's staging folder
    assert resolve_resume(tmp_path) == str(done)


def test_auto_picks_what_the_strategy_can_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A sharded folder with a higher step must not beat an intact file that a DDP run can load."""
    folder = sharded(tmp_path / "step000009.ckpt", 9)
    single = complete(tmp_path / "last.ckpt", 6)
    assert resolve_resume(tmp_path, sharded_ok=True) == str(folder)  # FSDP2 (ModelParallelStrategy) loads both
    with caplog.at_level(logging.WARNING, logger="polytrain.checkpoint.resume"):
        assert resolve_resume(tmp_path, sharded_ok=False) == str(single)
    assert "step000009.ckpt: a sharded checkpoint folder, which this run's strategy cannot load" in caplog.text
    single.unlink()
    with pytest.raises(CheckpointError, match="none can be resumed from .*step000009.ckpt: a sharded checkpoint"):
        resolve_resume(tmp_path, sharded_ok=False)


def test_a_dcp_metadata_that_would_run_code_is_refused_before_dcp_reads_it(tmp_path: Path) -> None:
    """DCP reads ``.metadata`` with plain ``pickle.load``; polytrain reads it first with an allow-list."""
    import pickle

    from polytrain.checkpoint.io import dcp_metadata_problem

    folder = sharded(tmp_path / "step000009.ckpt", 9)
    assert dcp_metadata_problem(folder) is None  # DCP's own metadata passes
    marker = tmp_path / "ran"
    (folder / ".metadata").write_bytes(pickle.dumps(Payload(marker)))
    problem = dcp_metadata_problem(folder)
    assert problem == ".metadata refused: global io.open is not part of torch.distributed.checkpoint " \
                      "metadata (loading it could run code)"
    (folder / ".metadata").write_bytes(pickle.dumps({"not": "metadata"}))
    assert dcp_metadata_problem(folder) == ".metadata holds a dict, not torch.distributed.checkpoint metadata"
    (folder / ".metadata").write_bytes(pickle.dumps(Payload(marker)))
    complete(tmp_path / "step000003.ckpt", 3)
    assert resolve_resume(tmp_path) == str(tmp_path / "step000003.ckpt")  # the folder is skipped, named
    assert not marker.exists()
