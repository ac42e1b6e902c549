"""Exactly resumable training streams through a real Lightning Trainer: a crashed run resumed from its
last checkpoint trains on the batches (and, with GlobalRngState, the dropout masks) it would have
trained on; without the callback only the data is exact. The stream and the data module on their own
are unit tests: tests/unit/data/test_resume_stream.py (docs/resume.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from test_resume_stream import corpus, datamodule, fingerprint, mixed  # noqa: F401 (corpus is a fixture)

from polytrain.callbacks.rng_state import GlobalRngState
from polytrain.objectives.base import Objective
from polytrain.types import Batch, Vocab


class KeyRecorder(pl.LightningModule):
    """Records what every training step receives, and its loss (which goes through dropout)."""

    def __init__(self, objectives: list[Objective], vocab_size: int, crash_at: int | None = None) -> None:
        super().__init__()
        torch.manual_seed(0)  # as seed_everything does before the model is built
        self.objectives, self.crash_at = objectives, crash_at
        self.embed = torch.nn.Embedding(vocab_size, 2)
        self.dropout = torch.nn.Dropout(0.5)
        self.seen: list[tuple[Any, ...]] = []
        self.losses: list[float] = []

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        if self.global_step == self.crash_at:
            raise RuntimeError("simulated crash")
        assert batch.state is None
        self.seen.append(fingerprint([batch])[0])
        loss = self.dropout(self.embed(batch.input_ids)).pow(2).mean()
        self.losses.append(loss.item())
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _trainer(tmp_path: Path, max_steps: int, checkpoint: bool = False, rng: bool = True) -> pl.Trainer:
    callbacks: list[pl.Callback] = [GlobalRngState()] if rng else []
    if checkpoint:
        callbacks.append(pl.callbacks.ModelCheckpoint(dirpath=str(tmp_path), every_n_train_steps=3, save_last=True))
    return pl.Trainer(max_steps=max_steps, limit_val_batches=0, num_sanity_val_steps=0, logger=False,
                      enable_checkpointing=checkpoint, callbacks=callbacks, enable_progress_bar=False,
                      enable_model_summary=False, accelerator="cpu", devices=1, default_root_dir=str(tmp_path))


def test_a_crashed_lightning_run_resumes_with_the_batches_it_would_have_trained_on(
        corpus: tuple[str, str, Vocab], tmp_path: Path) -> None:
    vocab = corpus[2]
    straight = KeyRecorder(mixed(), vocab.size)
    _trainer(tmp_path / "a", 10).fit(straight, datamodule=datamodule(corpus, straight.objectives, num_workers=2))
    crashed = KeyRecorder(mixed(), vocab.size, crash_at=5)  # last checkpoint: step 3
    with pytest.raises(RuntimeError, match="simulated crash"):
        _trainer(tmp_path / "b", 10, checkpoint=True).fit(
            crashed, datamodule=datamodule(corpus, crashed.objectives, num_workers=2))
    last = tmp_path / "b" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    assert saved["global_step"] == 3 and len(saved["PretrainDataModule"]["ranks"][0]["slots"]) == 2
    assert saved["PretrainDataModule"]["ranks"][0]["next_slot"] == 1  # batch 3 is worker 1's
    resumed = KeyRecorder(mixed(), vocab.size)
    _trainer(tmp_path / "b", 10).fit(resumed, datamodule=datamodule(corpus, resumed.objectives, num_workers=2),
                                     ckpt_path=str(last))
    assert len(straight.seen) == 10 and crashed.seen == straight.seen[:5]
    assert resumed.seen == straight.seen[3:]
    # GlobalRngState restored torch's generator: the same dropout masks, the same losses.
    assert resumed.losses == straight.losses[3:]


def test_without_the_rng_callback_dropout_differs_after_a_resume(corpus: tuple[str, str, Vocab], tmp_path: Path) -> None:
    """The control for the test above: the data alone is exact, dropout is not."""
    vocab = corpus[2]
    straight = KeyRecorder(mixed(), vocab.size)
    _trainer(tmp_path / "a", 6, rng=False).fit(straight, datamodule=datamodule(corpus, straight.objectives))
    first = KeyRecorder(mixed(), vocab.size)
    _trainer(tmp_path / "b", 3, checkpoint=True, rng=False).fit(first, datamodule=datamodule(corpus, first.objectives))
    resumed = KeyRecorder(mixed(), vocab.size)
    _trainer(tmp_path / "b", 6, rng=False).fit(resumed, datamodule=datamodule(corpus, resumed.objectives),
                                               ckpt_path=str(tmp_path / "b" / "last.ckpt"))
    assert resumed.seen == straight.seen[3:]
    assert resumed.losses != straight.losses[3:]
