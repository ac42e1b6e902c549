"""A tiny Lightning run with ``SaveOnSignal`` and ``SlurmRequeue`` that signals itself mid-training (test_requeue.py).

Run directly (one process) or under torchrun (DDP over gloo). The chosen rank sends the signal to
itself from inside ``training_step`` at ``--signal-step``; every rank prints one line at the end:
``probe rank=R steps_run=N global_step=S status=finished saved=PATH``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable

import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from polytrain.callbacks.requeue import SlurmRequeue
from polytrain.callbacks.signals import SaveOnSignal
from polytrain.stream.workers import worker_ignore_signals


class SelfSignalling(LightningModule):
    """A linear model whose ``training_step`` signals this process at one chosen step on one rank.

    Like SLURM's ``scancel --signal`` and ``--signal=USR1@N``, which signal every process of the
    job step, the signal also goes to this process's DataLoader workers.
    """

    def __init__(self, signal_rank: int, signal_step: int, signum: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.signal_rank, self.signal_step, self.signum = signal_rank, signal_step, signum
        self.steps_run = 0
        self.validations = 0  # after the sanity check

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        self.steps_run += 1
        if self.global_rank == self.signal_rank and self.global_step == self.signal_step:
            for child in multiprocessing.active_children():  # the DataLoader workers (train and val)
                os.kill(child.pid, self.signum)
            os.kill(os.getpid(), self.signum)
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", self.layer(batch[0]).pow(2).mean())

    def on_validation_end(self) -> None:
        self.validations += 0 if self.trainer.sanity_checking else 1

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


def loader(size: int, worker_init_fn: Callable[[int], None] | None = None) -> DataLoader:
    """Random inputs through one persistent worker process (forked where the platform does)."""
    return DataLoader(TensorDataset(torch.randn(size, 4)), batch_size=4, num_workers=1, persistent_workers=True,
                      worker_init_fn=worker_init_fn)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt-dir", required=True)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--signal-rank", type=int, default=0)
    parser.add_argument("--signal-step", type=int, default=3)
    parser.add_argument("--signal", default="SIGUSR1")
    parser.add_argument("--requeue-command", nargs="+", default=["scontrol", "requeue"])
    parser.add_argument("--devices", type=int, default=1)
    args = parser.parse_args(argv)
    model = SelfSignalling(args.signal_rank, args.signal_step, int(signal.Signals[args.signal]))
    saver = SaveOnSignal()
    trainer = Trainer(
        accelerator="cpu", devices=args.devices, strategy="ddp" if args.devices > 1 else "auto",
        max_steps=args.max_steps, logger=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[ModelCheckpoint(dirpath=args.ckpt_dir, save_top_k=0, save_last=False), saver,
                   SlurmRequeue(requeue_command=args.requeue_command)],
        default_root_dir=args.ckpt_dir,
    )
    trainer.fit(model, loader(256, worker_ignore_signals), loader(8, worker_ignore_signals))
    print(f"probe rank={trainer.global_rank} steps_run={model.steps_run} global_step={trainer.global_step} "
          f"status={trainer.state.status.value} validations={model.validations} saved={saver.saved_path}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
