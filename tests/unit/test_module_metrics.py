"""PretrainModule's cumulative counts across a resume (its metric windows under gradient accumulation,
in a real fit: tests/integration/test_logged_metrics.py)."""

from __future__ import annotations

import pytest
import torch
from module_fixtures import TINY

from polytrain.module import PretrainModule
from polytrain.objectives.mlm import MaskedLM


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
