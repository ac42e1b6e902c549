"""polytrain.callbacks.faults on tiny Lightning runs: NaN/Inf steps skipped and counted, a stop
with a checkpoint after K in a row, the stall watchdog naming rank and phase, data counters."""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, Dataset, TensorDataset

from polytrain.callbacks.faults import (
    DATA_WAIT,
    FORWARD_BACKWARD,
    OPTIMIZER,
    VALIDATION,
    DataCounters,
    NonFiniteGuard,
    StallWatchdog,
    TrainingAborted,
)
from polytrain.checkpoint.io import load_checkpoint

pytestmark = pytest.mark.timeout(120)


class Toy(LightningModule):
    """A linear model whose loss (``bad``: step -> "nan" | "inf" | "grad") goes wrong at chosen steps."""

    def __init__(self, bad: dict[int, str] | None = None, sleep: dict[tuple[str, int], float] | None = None) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.bad = bad or {}
        self.sleep = sleep or {}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x = batch.x if isinstance(batch, Counted) else batch[0] if isinstance(batch, list) else batch
        loss = self.layer(x).pow(2).mean()
        kind = self.bad.get(self.global_step)
        if kind == "nan":
            loss = loss * float("nan")
        elif kind == "inf":
            loss = loss + float("inf")
        elif kind == "grad":  # a finite loss whose gradient is NaN: d sqrt(u)/du at u = 0 is inf, times 0
            loss = loss + 0 * torch.sqrt(self.layer.weight.sum() * 0)
        time.sleep(self.sleep.get((FORWARD_BACKWARD, self.global_step), 0))
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        time.sleep(self.sleep.get((VALIDATION, batch_idx), 0))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        optimizer = torch.optim.AdamW(self.parameters(), lr=0.1, weight_decay=0.1)
        delay = {step: s for (phase, step), s in self.sleep.items() if phase == OPTIMIZER}
        if delay:  # after the update, still in the optimizer phase (before on_train_batch_end)
            optimizer.register_step_post_hook(lambda *_: time.sleep(delay.get(self.global_step, 0)))
        return optimizer


class Snapshots(Callback):
    """The weights after every optimizer step, by the step that produced them."""

    def __init__(self) -> None:
        self.after: dict[int, torch.Tensor] = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.after[trainer.global_step - 1] = torch.cat([p.detach().flatten().clone() for p in pl_module.parameters()])

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        self.after[trainer.global_step - 1] = torch.cat([p.detach().flatten().clone() for p in pl_module.parameters()])


def loader(n: int = 64, slow_at: int | None = None, sleep: float = 0.0) -> DataLoader:
    return DataLoader(SlowData(n, slow_at, sleep), batch_size=4)


class SlowData(Dataset):
    def __init__(self, n: int, slow_at: int | None, sleep: float) -> None:
        self.x = torch.randn(n, 4, generator=torch.Generator().manual_seed(0))
        self.slow_at, self.sleep = slow_at, sleep

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> torch.Tensor:
        if i == self.slow_at:
            time.sleep(self.sleep)
        return self.x[i]


def trainer(tmp_path: Path, callbacks: list[Callback], max_steps: int, **kwargs: Any) -> Trainer:
    return Trainer(max_steps=max_steps, accelerator="cpu", logger=kwargs.pop("logger", False),
                   enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                   num_sanity_val_steps=0, callbacks=callbacks, **kwargs)


# ------------------------------------------------------------------------------ NaN / Inf


def test_nonfinite_steps_are_skipped_counted_and_leave_the_weights_alone(tmp_path: Path) -> None:
    guard, snaps = NonFiniteGuard(max_consecutive_nonfinite=3), Snapshots()
    model = Toy(bad={2: "nan", 5: "inf", 6: "grad"})
    t = trainer(tmp_path, [guard, snaps], max_steps=9, enable_checkpointing=False)
    t.fit(model, loader())
    assert t.global_step == 9 and guard.skipped == 3 and list(guard.skipped_steps) == [2, 5, 6]
    for step in range(9):
        unchanged = torch.equal(snaps.after[step], snaps.after[step - 1])
        assert unchanged == (step in (2, 5, 6)), step
    # The optimizer's own state did not advance either (AdamW counts its steps per parameter).
    state = t.optimizers[0].state[model.layer.weight]
    assert int(state["step"]) == 6
    assert torch.isfinite(model.layer.weight).all()
    assert float(t.callback_metrics["train/nonfinite_skipped"]) == 3


def test_gradient_accumulation_skips_the_whole_update(tmp_path: Path) -> None:
    guard, snaps = NonFiniteGuard(), Snapshots()
    model = Toy()
    model.bad = {}
    t = trainer(tmp_path, [guard, snaps], max_steps=4, accumulate_grad_batches=2, enable_checkpointing=False)

    class OneBadMicroBatch(Callback):
        def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, i: int) -> None:
            pl_module.bad = {1: "nan"} if i == 2 else {}  # the first micro-batch of step 1

    t.callbacks.append(OneBadMicroBatch())
    t.fit(model, loader())
    assert guard.skipped == 1 and list(guard.skipped_steps) == [1]
    assert torch.equal(snaps.after[1], snaps.after[0]) and not torch.equal(snaps.after[2], snaps.after[1])


def test_k_nonfinite_steps_in_a_row_save_and_stop(tmp_path: Path) -> None:
    guard, snaps = NonFiniteGuard(max_consecutive_nonfinite=3), Snapshots()
    model = Toy(bad={1: "nan", 3: "nan", 4: "nan", 5: "inf", 6: "nan"})  # step 1 alone does not count towards K
    t = trainer(tmp_path, [guard, snaps, ModelCheckpoint(dirpath=tmp_path / "ckpts", save_top_k=0)], max_steps=20)
    with pytest.raises(TrainingAborted) as err:
        t.fit(model, loader())
    last = tmp_path / "ckpts" / "last.ckpt"
    assert f"3 optimizer steps in a row had a non-finite loss or gradient (steps 3-5); saved {last}" in str(err.value)
    saved = load_checkpoint(last)
    assert saved["global_step"] == 6  # stopped at the step boundary after the third bad step
    assert torch.equal(saved["state_dict"]["layer.weight"].flatten(), snaps.after[2][:4])  # weights from before step 3
    assert saved["callbacks"]["NonFiniteGuard"]["skipped_steps"] == [1, 3, 4, 5]


def test_guard_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_consecutive_nonfinite must be >= 1"):
        NonFiniteGuard(max_consecutive_nonfinite=0)


# ------------------------------------------------------------------------------ watchdog


@pytest.mark.parametrize(("phase", "where"), [
    (FORWARD_BACKWARD, "training_step"),
    (DATA_WAIT, "__getitem__"),
    (OPTIMIZER, "<lambda>"),
    (VALIDATION, "validation_step"),
])
def test_watchdog_names_rank_phase_and_step_with_stacks(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         phase: str, where: str) -> None:
    stall = 1.5  # against a limit of max(0.3 s, 3 x the median step of a few ms)
    model = Toy(sleep={(phase, 6): stall} if phase in (FORWARD_BACKWARD, OPTIMIZER) else
                {(VALIDATION, 1): stall} if phase == VALIDATION else {})
    watchdog = StallWatchdog(factor=3, min_seconds=0.3, poll_seconds=0.02, warmup_steps=3)
    data = loader(slow_at=4 * 6 if phase == DATA_WAIT else None, sleep=stall)  # the first sample of batch 6
    t = trainer(tmp_path, [watchdog], max_steps=8, enable_checkpointing=False, val_check_interval=7,
                limit_val_batches=3)
    with caplog.at_level(logging.WARNING, logger="polytrain.callbacks.faults"):
        t.fit(model, data, DataLoader(TensorDataset(torch.randn(12, 4)), batch_size=4))
    assert t.state.finished and t.global_step == 8  # warned, never stopped
    step = 7 if phase == VALIDATION else 6
    expected = f"watchdog: rank 0 has been in phase '{phase}' for"
    mine = [w for w in watchdog.warnings if w.startswith(expected)]
    assert mine and all(f"at step {step} " in w for w in mine), watchdog.warnings
    record = next(r for r in caplog.records if r.getMessage().startswith(expected))
    assert "Thread" in record.getMessage() and f'in {where}' in record.getMessage()  # faulthandler's stack dump


def test_watchdog_limit_follows_the_running_median() -> None:
    watchdog = StallWatchdog(factor=10, min_seconds=1, startup_seconds=100, warmup_steps=3)
    assert watchdog.threshold() == 100
    watchdog.durations.extend([0.5, 0.2, 0.3])
    assert watchdog.threshold() == pytest.approx(3.0)
    watchdog.durations.extend([0.01] * 10)
    assert watchdog.threshold() == 1  # never below min_seconds
    with pytest.raises(ValueError, match="factor > 1"):
        StallWatchdog(factor=1)


# ------------------------------------------------------------------------------ data counters


@dataclass
class Counted:
    """A batch with the stream's counters, as ``polytrain.types.Batch`` carries them."""

    x: torch.Tensor
    stats: dict[str, int] = field(default_factory=dict)


class CountedData(Dataset):
    """Sample i of batch b carries the counters of ``per_batch[b]`` (on its first sample only)."""

    def __init__(self, per_batch: dict[int, dict[str, int]], n: int = 48) -> None:
        self.per_batch, self.x = per_batch, torch.randn(n, 4)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict[str, int]]:
        return self.x[i], self.per_batch.get(i // 4, {}) if i % 4 == 0 else {}


def collate(items: list[tuple[torch.Tensor, dict[str, int]]]) -> Counted:
    stats: dict[str, int] = {}
    for _, s in items:
        for k, v in s.items():
            stats[k] = stats.get(k, 0) + v
    return Counted(torch.stack([x for x, _ in items]), stats)


def test_data_counters_are_logged_cumulatively_and_survive_resume(tmp_path: Path) -> None:
    per_batch = {1: {"invalid_utf8": 2, "invalid_utf8:a.tar": 2}, 2: {"corrupt_shard": 1, "corrupt_shard:b.tar": 1},
                 5: {"invalid_utf8": 1, "invalid_utf8:a.tar": 1}, 7: {"refused_member": 3}}
    data = DataLoader(CountedData(per_batch), batch_size=4, collate_fn=collate)
    counters = DataCounters()
    t = trainer(tmp_path, [counters, ModelCheckpoint(dirpath=tmp_path / "ckpts", save_last=True,
                                                     every_n_train_steps=4)],
                max_steps=4, logger=CSVLogger(tmp_path, name="csv"), log_every_n_steps=2)
    t.fit(Toy(), data)
    with open(next((tmp_path / "csv").glob("version_*/metrics.csv"))) as f:
        rows = [r for r in csv.DictReader(f) if r.get("data/invalid_utf8")]
    by_step = {int(r["step"]): r for r in rows}
    assert float(by_step[1]["data/invalid_utf8"]) == 2 and float(by_step[1]["data/corrupt_shard"]) == 0
    assert float(by_step[3]["data/corrupt_shard"]) == 1 and float(by_step[3]["data/refused_member"]) == 0
    saved = load_checkpoint(tmp_path / "ckpts" / "last.ckpt")["callbacks"]["DataCounters"]
    assert saved["invalid_utf8"] == 2 and saved["corrupt_shard"] == 1

    resumed = DataCounters()
    t = trainer(tmp_path, [resumed], max_steps=8, log_every_n_steps=2, enable_checkpointing=False)
    t.fit(Toy(), data, ckpt_path=str(tmp_path / "ckpts" / "last.ckpt"))
    # The epoch restarts at batch 0 after a mid-epoch resume of a non-resumable loader: batches
    # 0-3 again (+2 invalid_utf8, +1 corrupt_shard) on top of the saved totals.
    assert resumed.totals["invalid_utf8"] == 4 and resumed.totals["corrupt_shard"] == 2
    assert resumed.totals["refused_member"] == 0
