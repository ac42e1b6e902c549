"""A two-step Lightning DDP run that prints what each rank sees; launched by srun in test_slurm.py.

Prints one line per rank: ``probe rank=R world=W env=ClusterEnvironmentClass restart=N``.
"""

from __future__ import annotations

import os

import torch
from lightning.pytorch import LightningModule, Trainer
from torch.utils.data import DataLoader, TensorDataset


class Probe(LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def main() -> None:
    trainer = Trainer(accelerator="cpu", devices=1, num_nodes=int(os.environ["SLURM_NNODES"]), strategy="ddp",
                      max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False)
    data = DataLoader(TensorDataset(torch.randn(16, 4)), batch_size=4)
    trainer.fit(Probe(), data)
    env = trainer.strategy.cluster_environment
    # The all_reduce proves the ranks really formed one process group (not two world-size-1 runs).
    total = trainer.strategy.reduce(torch.ones(()), reduce_op="sum")
    print(f"probe rank={trainer.global_rank} world={trainer.world_size} env={type(env).__name__} "
          f"allreduce={int(total)} restart={os.environ.get('SLURM_RESTART_COUNT', '-')}", flush=True)


if __name__ == "__main__":
    main()
