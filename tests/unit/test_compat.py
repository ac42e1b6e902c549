"""polytrain.compat: the Lightning internals polytrain touches still exist in the installed versions,
and those versions are the ones they were checked against (an upgrade fails here, loudly, first)."""

from __future__ import annotations

import inspect
import signal

import jsonargparse
import lightning
import pytest
import torch
import torchmetrics
from lightning.pytorch import LightningModule
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.strategies import ModelParallelStrategy

from polytrain import compat
from polytrain.metrics import GroupTokenStats

INSTALLED = {"lightning": lightning.__version__, "torchmetrics": torchmetrics.__version__,
             "jsonargparse": jsonargparse.__version__}


@pytest.mark.parametrize("package", sorted(compat.CHECKED))
def test_installed_versions_are_the_checked_ones(package: str) -> None:
    assert INSTALLED[package].startswith(compat.CHECKED[package]), (
        f"{package} {INSTALLED[package]} is not among the versions polytrain.compat was checked against "
        f"{compat.CHECKED[package]}: re-check every touchpoint listed in polytrain/compat.py, then add the version")


def test_the_cli_still_merges_checkpoint_hparams_through_the_method_we_turn_off() -> None:
    assert "self._parse_ckpt_path()" in inspect.getsource(LightningCLI.parse_arguments) or \
        "self._parse_ckpt_path()" in inspect.getsource(LightningCLI.__init__)
    assert "self.config" in inspect.getsource(LightningCLI.instantiate_classes)


def test_model_checkpoint_keeps_its_saved_step_where_we_set_it() -> None:
    callback = ModelCheckpoint()
    compat.mark_checkpoint_saved(callback, 7)
    assert callback._last_global_step_saved == 7
    assert "_last_global_step_saved == trainer.global_step" in inspect.getsource(ModelCheckpoint.on_validation_end)


def test_an_unattached_module_has_no_trainer_and_an_attached_one_has() -> None:
    module = LightningModule()
    assert compat.attached_trainer(module) is None
    trainer = object()  # a stand-in: the unit tier builds no Trainer
    module.trainer = trainer  # type: ignore[assignment]
    assert compat.attached_trainer(module) is trainer


def test_lightning_signal_handlers_are_recognised_and_a_third_party_one_is_not() -> None:
    from lightning.pytorch.trainer.connectors.signal_connector import _HandlersCompose, _SignalConnector

    connector = _SignalConnector(object())  # type: ignore[arg-type]  # only its bound methods are used
    ours = object()
    assert compat.is_lightning_signal_handler(_HandlersCompose([connector._slurm_sigusr_handler_fn]))
    assert compat.is_lightning_signal_handler(_HandlersCompose([connector._slurm_sigusr_handler_fn, ours]), ours)
    assert not compat.is_lightning_signal_handler(_HandlersCompose([print]))
    assert not compat.is_lightning_signal_handler(signal.SIG_DFL)


def test_model_parallel_strategy_keeps_the_sizes_and_sharding_flag_we_set() -> None:
    strategy = ModelParallelStrategy(save_distributed_checkpoint=False)
    compat.set_mesh_sizes(strategy, 4, 2)
    assert (strategy._data_parallel_size, strategy._tensor_parallel_size) == (4, 2)
    assert compat.saves_sharded(strategy) is False
    assert "_data_parallel_size" in inspect.getsource(ModelParallelStrategy.setup_environment)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_group_stats_stay_float64_when_the_module_is_cast(dtype: torch.dtype) -> None:
    stats = GroupTokenStats(3).to(dtype)
    stats.update(torch.tensor([0, 0]), torch.tensor([1.0, 2.0]), torch.tensor([True, False]), torch.zeros(3))
    assert stats.loss_sum.dtype == torch.float64 and stats.loss_sum[0].item() == 3.0
    assert torchmetrics.Metric._apply.__code__.co_varnames[:3] == ("self", "fn", "exclude_state")


def test_loggers_keep_the_version_and_writer_fields_we_set(tmp_path) -> None:
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
    from lightning.pytorch.loggers.csv_logs import ExperimentWriter

    csv_logger, board = CSVLogger(tmp_path), TensorBoardLogger(tmp_path)
    assert csv_logger._version is None and board._version is None and isinstance(board._kwargs, dict)
    assert compat.continue_logger(board, 3, 7) and board.version == 3 and board._kwargs["purge_step"] == 7
    assert "**self._kwargs" in inspect.getsource(TensorBoardLogger.experiment.fget)
    writer = ExperimentWriter(str(tmp_path / "w"))
    compat.keep_csv_rows(writer, [{"step": "0", "b": "1.5"}], ["step", "b"])
    writer.log_metrics({"b": 2.5}, 1)
    writer.save()
    assert (tmp_path / "w" / "metrics.csv").read_text().splitlines() == ["b,step", "1.5,0", "2.5,1"]
    assert "exists and is not empty" in inspect.getsource(ExperimentWriter.__mro__[1]._check_log_dir_exists)


# Private attributes read outside compat.py on something other than self/cls, each with its reason.
# Anything else (a trainer's, a strategy's, a logger's private) belongs in polytrain/compat.py.
ALLOWED_PRIVATE = {
    "os._exit": "the standard exit of a forked worker without running the parent's cleanup",
    "torch._foreach_norm": "torch's fused norm, one kernel for all gradients (torch, not Lightning)",
    "manifest._loaded_sha256": "polytrain's own Manifest, set by its own loader",
}
PRIVATE_MODULES = ("lightning", "pytorch_lightning", "torchmetrics", "jsonargparse")


def test_no_private_of_lightning_torchmetrics_or_jsonargparse_is_touched_outside_compat() -> None:
    import ast
    from pathlib import Path

    root = Path(compat.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    if ast.unparse(node) not in ALLOWED_PRIVATE:
                        found.append(f"{where} {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PRIVATE_MODULES:
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private or any(part.startswith("_") for part in node.module.split(".")):
                    found.append(f"{where} from {node.module} import {', '.join(a.name for a in node.names)}")
    assert not found, "private attributes outside polytrain/compat.py (move them there, with a check here):\n" + \
        "\n".join(found)
