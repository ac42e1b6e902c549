"""PretrainModule's metric windows and cumulative counts: gradient accumulation and resume."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch import Trainer
from test_precision import TINY, synthetic_batches
from torch.utils.data import DataLoader

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


@pytest.mark.parametrize("rank", [0, 1])
def test_tokens_seen_is_saved_in_the_record_and_restored_on_rank_zero_only(demo_data, monkeypatch, rank):
    """Lightning saves rank 0's state dict and loads it on every rank: a per-rank count there would
    be counted once per rank after a resume. The count is in the polytrain record instead (summed
    over ranks when saving: tests/distributed/test_fsdp.py checks the 2-rank total across a resume);
    rank 0 continues it and the others start at zero. A checkpoint that still has the count in its
    state dict (older polytrain) loads too."""
    def module() -> PretrainModule:
        return PretrainModule([MaskedLM()], str(demo_data.tokenizer), architecture=TINY)

    before = module()
    tokens = torch.arange(len(before.groups), dtype=torch.float32) + 10
    before.tokens_seen.update(torch.zeros(0, dtype=torch.long), torch.zeros(0), torch.zeros(0, dtype=torch.bool), tokens)
    checkpoint: dict = {"state_dict": before.state_dict()}
    before.on_save_checkpoint(checkpoint)
    assert not any(k.startswith("tokens_seen.") for k in checkpoint["state_dict"])
    assert checkpoint["polytrain"]["tokens_seen"] == dict(zip(before.groups, tokens.tolist()))

    monkeypatch.setattr(PretrainModule, "global_rank", property(lambda self: rank))
    legacy = {**checkpoint, "polytrain": {k: v for k, v in checkpoint["polytrain"].items() if k != "tokens_seen"},
              "state_dict": {**checkpoint["state_dict"], "tokens_seen.tokens": tokens.double()}}
    for saved in (checkpoint, legacy):
        after = module()
        after.on_load_checkpoint(saved)
        assert not any(k.startswith("tokens_seen.") for k in saved["state_dict"])  # strict loading passes
        after.load_state_dict(saved["state_dict"])
        restored = after.tokens_seen.tokens.float()
        assert torch.equal(restored, tokens if rank == 0 else torch.zeros_like(tokens))
