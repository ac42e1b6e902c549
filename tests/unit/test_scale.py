"""ScaleConfig (activation checkpointing, compile) and FSDP2Strategy's pieces that need no processes
and no Trainer (in real runs: tests/integration/test_scale_fit.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from lightning.pytorch.strategies import ModelParallelStrategy
from module_fixtures import TINY

from polytrain.distributed.strategy import (
    FSDP2Strategy,
    ScaleConfig,
    checkpoint_layers,
    compile_layers,
    parallelize,
    replace_path,
    transformer_layers,
)
from polytrain.models import build_model
from polytrain.models.config import ModelConfig


def test_checkpoint_and_compile_wrap_every_layer_once():
    arch = ModelConfig(kind="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=3, n_heads=4, d_ff=64)
    model = build_model(arch, 50, 1, pad_id=1)
    keys = list(model.state_dict())
    assert checkpoint_layers(model) == 5
    assert checkpoint_layers(model) == 0  # idempotent: wrapped layers are not wrapped again
    assert len(list(transformer_layers(model))) == 5
    assert compile_layers(model) == 5
    assert all(getattr(layer, "_compiled_call_impl", None) is not None for _, _, layer in transformer_layers(model))
    assert list(model.state_dict()) == keys


def test_plain_model_parallel_strategy_is_refused():
    model = build_model(TINY, 50, 1, pad_id=1)
    trainer = SimpleNamespace(strategy=ModelParallelStrategy(), precision="32-true")
    with pytest.raises(TypeError, match="FSDP2Strategy"):
        parallelize(model, [], ScaleConfig(), trainer)  # type: ignore[arg-type]


@pytest.mark.parametrize(("sharding", "mesh"), [("full", (8, 1)), ("hybrid", (2, 4))])
def test_fsdp2_mesh_shapes(monkeypatch, sharding, mesh):
    monkeypatch.setattr(ModelParallelStrategy, "setup_environment", lambda self: None)
    strategy = FSDP2Strategy(sharding=sharding)
    strategy.num_nodes = 2
    strategy.parallel_devices = [torch.device("cpu")] * 4
    strategy.setup_environment()
    assert (strategy._data_parallel_size, strategy._tensor_parallel_size) == mesh


def test_fsdp2_options_are_checked():
    with pytest.raises(ValueError, match="sharding"):
        FSDP2Strategy(sharding="zero3")  # type: ignore[arg-type]


def test_replace_path_never_leaves_the_target_missing_or_mixed(tmp_path: Path):
    target = tmp_path / "last.ckpt"
    target.mkdir()
    (target / "stale.distcp").write_text("old")
    new = tmp_path / "last.ckpt.partial"
    new.mkdir()
    (new / "meta.pt").write_text("new")
    replace_path(new, target)
    assert sorted(p.name for p in target.iterdir()) == ["meta.pt"]  # nothing of the old save survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]
    file_ckpt = tmp_path / "full.ckpt"
    file_ckpt.write_text("single file")
    other = tmp_path / "full.ckpt.partial"
    other.mkdir()
    replace_path(other, file_ckpt)
    assert file_ckpt.is_dir()
