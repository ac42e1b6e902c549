"""PretrainDataModule driven by Lightning and by a process's exit: a real Trainer trains and validates
on both data kinds, and a script that leaves worker loaders open still exits (the data module's own
checks and loaders are unit tests: tests/unit/data/test_datamodule.py)."""

from __future__ import annotations

import os
from pathlib import Path

import lightning.pytorch as pl
import torch
from stream_fixtures import EchoObjective, PairEchoObjective, make_vocab
from test_datamodule import corpus, datamodule  # noqa: F401 (corpus is a module-scoped fixture)

from polytrain.objectives.base import Objective
from polytrain.types import Batch


class _TinyModule(pl.LightningModule):
    """Enough of a model to drive the data module through a real Trainer."""

    def __init__(self, objectives: list[Objective], vocab_size: int) -> None:
        super().__init__()
        self.objectives = objectives
        self.embed = torch.nn.Embedding(vocab_size, 4)
        self.seen: list[tuple[str, str]] = []

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        self.seen.append(("train", batch.objective))
        return self.embed(batch.input_ids).pow(2).mean()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.seen.append(("val", batch.objective))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_fits_with_a_lightning_trainer(corpus: tuple[str, str], tmp_path: Path) -> None:
    dm = datamodule(corpus)
    module = _TinyModule([EchoObjective(), PairEchoObjective()], make_vocab(corpus[1]).size)
    trainer = pl.Trainer(max_steps=6, val_check_interval=3, check_val_every_n_epoch=None, num_sanity_val_steps=0,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1, default_root_dir=str(tmp_path))
    trainer.fit(module, datamodule=dm)
    train = [o for stage, o in module.seen if stage == "train"]
    assert len(train) == 6 and trainer.global_step == 6
    val = [o for stage, o in module.seen if stage == "val"]
    assert val and set(val) == {"echoobjective", "pairechoobjective"}
    assert len(val) == 2 * len(list(dm.val_dataloader()))  # two full validation passes


def test_a_script_that_leaves_worker_loaders_open_still_exits(corpus: tuple[str, str], tmp_path: Path) -> None:
    """Workers ignore SIGTERM (worker_ignore_signals), which multiprocessing's exit hook relies on to
    end them: without polytrain's own hook a script that iterated a loader and never closed it hangs
    at exit (seen in benchmarks/mlm_throughput.py)."""
    import subprocess
    import sys

    script = tmp_path / "peek.py"
    script.write_text(
        "import sys\n"
        "from polytrain.stream.datamodule import PretrainDataModule\n"
        "from polytrain.objectives.mlm import MaskedLM\n"
        "dm = PretrainDataModule(shards=sys.argv[1], tokenizer=sys.argv[2], max_length=16, batch_size=4,\n"
        "                        num_workers=2, shuffle_buffer=4)\n"
        "dm.connect([MaskedLM()])\n"
        "loaders = [dm.train_dataloader(), dm.train_dataloader()]\n"
        "batches = [iter(loader) for loader in loaders]\n"
        "print(len(next(batches[0]).keys), len(next(batches[1]).keys))\n"  # workers now alive; never closed
    )
    result = subprocess.run([sys.executable, str(script), *corpus], capture_output=True, text=True, timeout=120,
                            check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["4", "4"]
