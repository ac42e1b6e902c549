"""What a real fit logs: PretrainModule's metric windows under gradient accumulation, and the
ThroughputMonitor's rates and MFU (the formulas and the restored counts are unit tests:
tests/unit/test_flops.py, tests/unit/test_module_metrics.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import CSVLogger
from module_fixtures import TINY, synthetic_batches
from torch.utils.data import DataLoader

from polytrain.callbacks.throughput import ThroughputMonitor
from polytrain.module import PretrainModule
from polytrain.objectives.mlm import MaskedLM
from polytrain.optim import OptimizerConfig
from polytrain.types import IGNORE_INDEX


def test_train_windows_cover_every_micro_batch_of_their_steps(demo_data, monkeypatch):
    """With accumulation 4 and a log every 2 steps, the per-language window is logged once per
    logging step, after its last micro-batch, and holds the targets of all 8 micro-batches of its
    2 steps (not only the last one, as when every micro-batch of a logging step logged and reset)."""
    module = PretrainModule([MaskedLM()], str(demo_data.tokenizer), architecture=TINY,
                            optimizer=OptimizerConfig(lr=1e-4, warmup_steps=0))
    batches = synthetic_batches(module, 16)
    logged: list[tuple[int, int]] = []
    log_groups = PretrainModule._log_groups

    def spy(self: PretrainModule, stage: str, stats: torch.nn.ModuleDict) -> torch.Tensor:
        if stage == "train":
            logged.append((self.global_step, int(sum(m.count.sum() for m in stats.values()))))
        return log_groups(self, stage, stats)

    monkeypatch.setattr(PretrainModule, "_log_groups", spy)
    trainer = Trainer(accelerator="cpu", max_steps=4, accumulate_grad_batches=4, log_every_n_steps=2, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, train_dataloaders=DataLoader(batches, batch_size=None, collate_fn=lambda b: b))
    targets = [int(b.labels.ne(IGNORE_INDEX).sum()) for b in batches]
    assert logged == [(1, sum(targets[:8])), (3, sum(targets[8:]))]


def test_monitor_logs_in_a_real_fit(demo_data, tmp_path):
    module = PretrainModule([MaskedLM()], str(demo_data.tokenizer), architecture=TINY)
    trainer = Trainer(accelerator="cpu", devices=1, max_steps=5, log_every_n_steps=1, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, logger=CSVLogger(tmp_path, name="t"),
                      callbacks=[ThroughputMonitor(window=1, peak_flops=1e11)])
    trainer.fit(module, DataLoader(synthetic_batches(module, 5), batch_size=None, collate_fn=lambda b: b))
    rows = list(csv.DictReader(next(Path(tmp_path).glob("t/version_*/metrics.csv")).open()))
    logged = [r for r in rows if r.get("throughput/mfu")]
    assert len(logged) >= 3
    for row in logged:
        tflops, mfu = float(row["throughput/tflops_per_s"]), float(row["throughput/mfu"])
        assert mfu > 0 and mfu == pytest.approx(tflops * 1e12 / 1e11, rel=1e-5)
        # every synthetic batch has 4 x 32 real tokens: tokens/s = samples/s * 32
        assert float(row["throughput/tokens_per_s"]) == pytest.approx(32 * float(row["throughput/samples_per_s"]))
