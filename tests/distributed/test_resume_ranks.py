"""Exactly resumable training streams per rank: the data module's state gathers every rank's entry
over a real torch.distributed process group, and (opt-in, ``-m slow``) two DDP ranks resume with
their own batches and dropout (one process: tests/integration/test_resume_lightning.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from test_resume_lightning import KeyRecorder
from test_resume_stream import consume, corpus, datamodule, mixed  # noqa: F401 (corpus is a fixture)

from polytrain.callbacks.rng_state import GlobalRngState
from polytrain.objectives.base import Objective
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.stream.state import from_saved
from polytrain.types import Vocab


def _ddp_rank(rank: int, root: str, tok: str, init: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        dm = PretrainDataModule(shards=root, tokenizer=tok, max_length=16, batch_size=4, num_workers=0,
                                shuffle_buffer=8)
        dm.connect(mixed())
        dm.rank, dm.world_size = rank, 2
        consume(dm, 3 + rank)  # unequal on purpose: each rank's own entry must come back
        state = dm.state_dict()  # the collective
        if rank == 0:
            torch.save(state, out)
    finally:
        dist.destroy_process_group()


def test_state_dict_gathers_every_rank_with_torch_distributed(corpus: tuple[str, str, Vocab], tmp_path: Path) -> None:
    out = str(tmp_path / "state.pt")
    mp.start_processes(_ddp_rank, args=(corpus[0], corpus[1], f"file://{tmp_path / 'rdv'}", out), nprocs=2,
                       start_method="fork")
    saved = from_saved(torch.load(out, weights_only=True))
    assert [r["consumed"] for r in saved["ranks"]] == [3, 4]
    assert [r["slots"][0]["rank"] for r in saved["ranks"]] == [0, 1]


class _RankRecorder(KeyRecorder):
    """Writes what each rank trained on to ``{out}.{rank}`` (ddp_spawn runs the module in children)."""

    def __init__(self, objectives: list[Objective], vocab_size: int, out: str) -> None:
        super().__init__(objectives, vocab_size)
        self.out = out

    def on_train_end(self) -> None:
        with open(f"{self.out}.{self.global_rank}", "wb") as f:
            pickle.dump((self.seen, self.losses), f)


def _ddp_fit(corpus: tuple[str, str, Vocab], folder: Path, max_steps: int, checkpoint: bool = False,
             ckpt_path: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    module = _RankRecorder(mixed(), corpus[2].size, str(folder / "seen"))
    callbacks: list[pl.Callback] = [GlobalRngState()]
    if checkpoint:
        callbacks.append(pl.callbacks.ModelCheckpoint(dirpath=str(folder), every_n_train_steps=3, save_last=True))
    trainer = pl.Trainer(max_steps=max_steps, limit_val_batches=0, num_sanity_val_steps=0, logger=False,
                         enable_checkpointing=checkpoint, callbacks=callbacks, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=2, strategy="ddp_spawn",
                         default_root_dir=str(folder))
    trainer.fit(module, datamodule=datamodule(corpus, module.objectives, num_workers=1), ckpt_path=ckpt_path)


@pytest.mark.slow  # three 2-process DDP runs: minutes on 2 cores
def test_two_ddp_ranks_resume_with_their_own_batches_and_dropout(corpus: tuple[str, str, Vocab], tmp_path: Path) -> None:
    _ddp_fit(corpus, tmp_path / "straight", 8)
    _ddp_fit(corpus, tmp_path / "first", 4, checkpoint=True)  # checkpoint at step 3, stops at 4
    saved = torch.load(tmp_path / "first" / "epoch=0-step=3.ckpt", weights_only=True)
    assert len(saved["PretrainDataModule"]["ranks"]) == 2 and len(saved["callbacks"]["GlobalRngState"]["ranks"]) == 2
    _ddp_fit(corpus, tmp_path / "resumed", 8, ckpt_path=str(tmp_path / "first" / "epoch=0-step=3.ckpt"))
    for rank in range(2):
        seen, losses = pickle.loads((tmp_path / "straight" / f"seen.{rank}").read_bytes())
        again, again_losses = pickle.loads((tmp_path / "resumed" / f"seen.{rank}").read_bytes())
        assert again == seen[3:] and again_losses == losses[3:], f"rank {rank}"
    first = pickle.loads((tmp_path / "straight" / "seen.0").read_bytes())[0]
    other = pickle.loads((tmp_path / "straight" / "seen.1").read_bytes())[0]
    assert [b[1] for b in first] != [b[1] for b in other]  # the ranks read different data
