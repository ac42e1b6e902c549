"""polytrain.checkpoint with a real Lightning Trainer: safe loading of a checkpoint a fit saved,
``--ckpt_path auto`` resolved in the Trainer's checkpoint folder, and the data guard across resumes
(hand-made checkpoint files and the pieces without a Trainer: tests/unit/test_checkpoint.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from lightning.pytorch import LightningDataModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from payloads import malicious
from test_checkpoint import Tiny, complete
from torch.utils.data import DataLoader, TensorDataset

from polytrain.callbacks.checkpoint import ResumeGuard
from polytrain.checkpoint.io import AtomicCheckpointIO, CheckpointError, load_checkpoint, safe_load_from_checkpoint
from polytrain.checkpoint.resume import AUTO, apply_auto_resume

pytestmark = pytest.mark.timeout(120)


# ------------------------------------------------------------------------------ safe loading


def test_safe_load_from_checkpoint_round_trips_and_refuses_payloads(tmp_path: Path, served: tuple[str, Path]) -> None:
    base, root = served
    trainer = Trainer(max_steps=2, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False, default_root_dir=tmp_path)
    model = Tiny(width=3)
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(8, 3)), batch_size=4))
    trainer.save_checkpoint(root / "tiny.ckpt")
    for location in (root / "tiny.ckpt", f"{base}/tiny.ckpt"):
        loaded = safe_load_from_checkpoint(Tiny, location)
        assert isinstance(loaded, Tiny) and loaded.hparams.width == 3
        assert torch.equal(loaded.layer.weight, model.layer.weight)
    marker = tmp_path / "marker"
    malicious(root / "evil.ckpt", marker)
    for location in (root / "evil.ckpt", f"{base}/evil.ckpt"):
        with pytest.raises(CheckpointError, match="not plain data"):
            safe_load_from_checkpoint(Tiny, location)
    with pytest.raises(CheckpointError, match="weights_only=False"):
        safe_load_from_checkpoint(Tiny, root / "tiny.ckpt", weights_only=False)
    assert not marker.exists()


# ------------------------------------------------------------------------------ resume resolution


def test_auto_is_resolved_in_the_checkpoint_folder_of_the_trainer(tmp_path: Path) -> None:
    (tmp_path / "ckpts").mkdir()
    chosen = complete(tmp_path / "ckpts" / "last.ckpt", 4)
    trainer = Trainer(logger=False, enable_progress_bar=False, default_root_dir=tmp_path,
                      callbacks=[ModelCheckpoint(dirpath=tmp_path / "ckpts")])
    cli = SimpleNamespace(subcommand="fit", trainer=trainer, config_init={"fit": {"ckpt_path": AUTO}})
    apply_auto_resume(cli)
    assert cli.config_init["fit"]["ckpt_path"] == str(chosen)
    cli.config_init["fit"]["ckpt_path"] = "last"
    apply_auto_resume(cli)  # anything but "auto" is Lightning's business
    assert cli.config_init["fit"]["ckpt_path"] == "last"


# ------------------------------------------------------------------------------ data guard


class Data(LightningDataModule):
    """A data module with a manifest-like fingerprint, as PretrainDataModule has."""

    def __init__(self, sha: str, shards: int, langs: tuple[str, ...]) -> None:
        super().__init__()
        entries = [SimpleNamespace(samples=10, lang=langs[i % len(langs)]) for i in range(shards)]
        self.manifest = SimpleNamespace(sha256=sha, location="/data/manifest.json", entries=entries)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.randn(16, 4)), batch_size=4)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.randn(8, 4)), batch_size=4)


def fit(tmp_path: Path, data: Data, guard: ResumeGuard, steps: int, ckpt_path: str | None = None) -> Trainer:
    trainer = Trainer(max_steps=steps, logger=False, enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=tmp_path, plugins=[AtomicCheckpointIO()],
                      callbacks=[guard, ModelCheckpoint(dirpath=tmp_path / "ckpts", save_last=True)])
    trainer.fit(Tiny(), datamodule=data, ckpt_path=ckpt_path)
    return trainer


def test_resume_on_other_data_is_refused_naming_the_difference(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    fit(tmp_path, Data("a" * 64, 4, ("de", "en")), ResumeGuard(), steps=2)
    last = tmp_path / "ckpts" / "last.ckpt"
    saved = load_checkpoint(last)["callbacks"]["ResumeGuard"]
    assert saved["manifest_sha256"] == "a" * 64 and saved["shards"] == 4
    assert fit(tmp_path, Data("a" * 64, 4, ("de", "en")), ResumeGuard(), 4, str(last)).global_step == 4
    with pytest.raises(CheckpointError) as err:
        fit(tmp_path, Data("b" * 64, 5, ("de", "en", "sw")), ResumeGuard(), 6, str(last))
    assert "refusing to resume on different data: manifest sha256 aaaaaaaaaaaa -> bbbbbbbbbbbb" in str(err.value)
    assert "shards 4 -> 5" in str(err.value) and "languages +sw" in str(err.value)
    assert "allow_data_change=true" in str(err.value)
    with caplog.at_level(logging.WARNING, logger="polytrain.checkpoint.resume"):
        trainer = fit(tmp_path, Data("b" * 64, 5, ("de", "en", "sw")), ResumeGuard(allow_data_change=True), 6,
                      str(last))
    assert trainer.global_step == 6 and "data changed since the checkpoint" in caplog.text
    # Evaluating a checkpoint on other data is not resuming: allowed.
    validator = Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                        plugins=[AtomicCheckpointIO()], callbacks=[ResumeGuard()])
    validator.validate(Tiny(), datamodule=Data("c" * 64, 2, ("de",)), ckpt_path=str(last))
