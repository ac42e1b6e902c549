"""Every place polytrain relies on internals of Lightning (and torchmetrics, jsonargparse), in one module.

polytrain uses Lightning's public hooks wherever they exist. The touchpoints below have no public
equivalent in the versions named in ``CHECKED``; each function says what it does, why, and what to
look for when Lightning changes. ``tests/unit/test_compat.py`` pins the checked versions and
checks that every touchpoint still exists, so an upgrade fails loudly there instead of silently
somewhere in a run.

| touchpoint | used by | why there is no public way |
|---|---|---|
| ``LightningModule._trainer`` | ``attached_trainer`` | ``.trainer`` raises when unattached |
| ``ModelCheckpoint._last_global_step_saved`` | ``mark_checkpoint_saved`` | no setter for "this step is saved" |
| ``LightningCLI._parse_ckpt_path`` | ``KeepConfigOnCkptPath`` | the ``adapt_checkpoint_hparams`` hook (Lightning PR #21408) is unreleased |
| ``LightningCLI.config`` during ``instantiate_classes`` | ``instantiating`` | no argument for the config to build from |
| ``_SignalConnector`` / ``_HandlersCompose`` | ``is_lightning_signal_handler`` | Lightning's handlers are not marked publicly |
| ``ModelParallelStrategy._data_parallel_size`` etc. | ``set_mesh_sizes``, ``saves_sharded`` | the sizes are known only in ``setup_environment`` |
| ``CSVLogger``/``TensorBoardLogger._version``, ``TensorBoardLogger._kwargs`` | ``continue_logger`` | a version can only be given to the constructor, which runs before the checkpoint to resume is known |
| CSV ``ExperimentWriter.metrics``, ``.metrics_keys`` | ``keep_csv_rows`` | the writer deletes an existing ``metrics.csv`` and has no way to continue one |
| torchmetrics ``Metric._apply(fn, exclude_state)`` | ``Float64States`` | torchmetrics' documented way to keep states out of a cast |
| jsonargparse global settings | ``configure_parsing`` | parser-level options do not reach the docstring parser and loaders |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torchmetrics import Metric

if TYPE_CHECKING:
    from lightning.pytorch import LightningModule, Trainer
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.strategies import ModelParallelStrategy

CHECKED: dict[str, tuple[str, ...]] = {"lightning": ("2.6.",), "torchmetrics": ("1.",), "jsonargparse": ("4.",)}
"""Version prefixes these touchpoints were checked against (``tests/unit/test_compat.py``)."""


def attached_trainer(module: LightningModule) -> Trainer | None:
    """The trainer ``module`` is attached to, or ``None`` (``module.trainer`` raises instead)."""
    return module._trainer


def mark_checkpoint_saved(callback: ModelCheckpoint, step: int) -> None:
    """Tell ``callback`` that a full checkpoint of ``step`` exists, so it does not write the same
    step again (e.g. at a validation that runs after a stop signal's save)."""
    callback._last_global_step_saved = step


class KeepConfigOnCkptPath:
    """LightningCLI mixin: ``--ckpt_path`` never replaces ``model.*`` with the checkpoint's hyper-parameters.

    LightningCLI 2.6 merges a ``--ckpt_path`` file's saved hyper-parameters into the config
    (``_parse_ckpt_path``), silently dropping the user's overrides, and only for a file path (not
    ``auto``, ``last`` or a sharded folder). polytrain builds the model from the config in every
    case and checks the checkpoint against it before loading (``checkpoint.resume.check_before_loading``).
    """

    def _parse_ckpt_path(self) -> None:
        return None


@contextmanager
def instantiating(cli: Any, config: Any) -> Iterator[None]:
    """Let ``cli.instantiate_classes()`` build from ``config`` while ``cli.config`` keeps the
    config as given (what ``SaveConfigCallback`` writes): LightningCLI reads ``self.config``."""
    original = cli.config
    cli.config = config
    try:
        yield
    finally:
        cli.config = original


def is_lightning_signal_handler(handler: Any, ours: Any = None) -> bool:
    """True for the handler Lightning's signal connector installs, holding only its own functions
    (and ``ours``): one polytrain may replace without losing a third party's handler."""
    from lightning.pytorch.trainer.connectors.signal_connector import _HandlersCompose, _SignalConnector

    if not isinstance(handler, _HandlersCompose):
        return False
    return all(isinstance(getattr(h, "__self__", None), _SignalConnector) or (ours is not None and h == ours)
               for h in handler.signal_handlers)


def continue_logger(logger: Any, version: int | str, step: int) -> bool:
    """Make a ``CSVLogger`` or ``TensorBoardLogger`` write to ``version`` (whose run resumes at
    ``step``) instead of a new one; TensorBoard then hides that version's events from ``step`` on
    (``SummaryWriter(purge_step=step)``). False (nothing changed) for a logger whose version the
    config fixed, one that already chose its version, or another kind of logger."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    if not isinstance(logger, (CSVLogger, TensorBoardLogger)) or logger._version is not None:
        return False
    logger._version = version
    if isinstance(logger, TensorBoardLogger):
        logger._kwargs["purge_step"] = step
    return True


def keep_csv_rows(writer: Any, rows: list[dict[str, str]], keys: list[str]) -> None:
    """Give a fresh CSV ``ExperimentWriter`` the ``rows`` (and columns ``keys``) of the file it
    replaces; its next ``save()`` writes them before its own."""
    writer.metrics = list(rows)
    writer.metrics_keys = sorted(keys)


def set_mesh_sizes(strategy: ModelParallelStrategy, data_parallel: int, tensor_parallel: int) -> None:
    """The device mesh ``ModelParallelStrategy.setup_environment`` builds: (data, tensor) sizes."""
    strategy._data_parallel_size, strategy._tensor_parallel_size = data_parallel, tensor_parallel


def saves_sharded(strategy: ModelParallelStrategy) -> bool:
    """Whether the strategy writes sharded (DCP) checkpoint folders (``save_distributed_checkpoint``)."""
    return bool(strategy._save_distributed_checkpoint)


class Float64States(Metric):
    """A torchmetrics ``Metric`` whose states stay float64 whatever the module is cast to.

    ``bf16-true`` and ``16-true`` cast the whole LightningModule with ``.to(dtype)``, which
    torchmetrics applies to states too, and a 16-bit sum stops counting at a few hundred tokens
    (bf16 has an 8-bit mantissa). ``_apply`` is where torchmetrics moves states with the module.
    """

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], exclude_state: Any = "") -> Float64States:
        this = super()._apply(fn, exclude_state)
        for key, default in this._defaults.items():
            this._defaults[key] = default.double()
            setattr(this, key, getattr(this, key).double())
        return this


def configure_parsing(loader_name: str, loader: Callable[[str], Any], exceptions: tuple[type[Exception], ...]) -> None:
    """jsonargparse's process-wide settings polytrain needs: field docstrings become ``--help``
    text, and ``loader_name`` parses YAML (objectives by entry-point name, moved class paths)."""
    from jsonargparse import set_loader, set_parsing_settings

    set_parsing_settings(docstring_parse_attribute_docstrings=True)
    set_loader(loader_name, loader, exceptions=exceptions)
