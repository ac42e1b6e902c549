"""Test helpers for DDP/FSDP runs: a callback that records what each rank did, and the single-process
reference run that sees the same micro-batches as a 2-rank run.

``RankProbe`` is added to a ``polytrain fit`` subprocess by class path (``scale_probe.RankProbe``,
with this folder on ``PYTHONPATH``) and writes ``rank<R>.json`` (+ ``rank0_final.pt``) to ``out_dir``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import nn

from polytrain.types import Batch


def full_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with every DTensor gathered (a collective: call it on every rank, same order)."""
    from torch.distributed.tensor import DTensor

    out = {}
    for key, value in module.state_dict().items():
        if isinstance(value, DTensor):
            value = value.full_tensor()
        out[key] = value.detach().cpu().clone()
    return out


def state_hash(state: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].float().numpy().tobytes())
    return digest.hexdigest()


def optimizer_hash(optimizer: torch.optim.Optimizer) -> str:
    """Hash of the Adam moments, gathered (a collective under FSDP: call on every rank)."""
    from torch.distributed.tensor import DTensor

    digest = hashlib.sha256()
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            for key in ("exp_avg", "exp_avg_sq"):
                if key in state:
                    value = state[key]
                    value = value.full_tensor() if isinstance(value, DTensor) else value
                    digest.update(value.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def _local(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.to_local() if hasattr(tensor, "to_local") else tensor


def tokens_seen(pl_module: LightningModule) -> float:
    """All ranks' input tokens counted so far (``PretrainModule.tokens_seen``; a collective)."""
    from polytrain.metrics import compute_quietly

    return float(compute_quietly(pl_module.tokens_seen)["tokens"].sum())


class RankProbe(Callback):
    """Records per rank: steps, batch keys, losses, dtypes seen in the first step, weight hashes.

    Args:
        out_dir: where ``rank<R>.json`` is written at the end of training.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.record: dict[str, Any] = {"keys": [], "losses": [], "objectives": [], "dtypes": {}}
        self._hooks: list[Any] = []

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        model = pl_module.model
        self.record["start_hash"] = state_hash(full_state(model))
        self.record["optim_start_hash"] = optimizer_hash(trainer.optimizers[0])
        self.record["world_size"] = trainer.world_size
        self.record["rank"] = trainer.global_rank
        self.record["strategy"] = type(trainer.strategy).__name__
        self.record["start_step"] = trainer.global_step
        self.record["tokens_seen_start"] = tokens_seen(pl_module)
        linear = next(m for m in model.modules() if isinstance(m, nn.Linear))
        self._hooks = [linear.register_forward_pre_hook(self._pre), linear.register_forward_hook(self._post)]
        sharded = type(linear.weight).__name__
        self.record["dtypes"]["param_class_at_rest"] = sharded
        self.record["dtypes"]["master_param"] = str(_local(linear.weight).dtype)

    def _pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        self.record["dtypes"]["weight_in_forward"] = str(module.weight.dtype)
        self.record["dtypes"]["weight_class_in_forward"] = type(module.weight).__name__

    def _post(self, module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> None:
        self.record["dtypes"]["linear_output"] = str(output.dtype)
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Batch,
                           batch_idx: int) -> None:
        loss = outputs["loss"] * trainer.accumulate_grad_batches  # Lightning hands over loss / accumulation
        self.record["losses"].append(float(loss))
        self.record["keys"].append(list(batch.keys))
        self.record["objectives"].append(batch.objective)
        if "exp_avg" not in self.record["dtypes"] and trainer.optimizers:
            for state in trainer.optimizers[0].state.values():
                if "exp_avg" in state:
                    self.record["dtypes"]["exp_avg"] = str(_local(state["exp_avg"]).dtype)
                    break

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        state = full_state(pl_module.model)
        self.record["final_hash"] = state_hash(state)
        self.record["optim_final_hash"] = optimizer_hash(trainer.optimizers[0])
        self.record["final_step"] = trainer.global_step
        self.record["tokens_seen_final"] = tokens_seen(pl_module)
        self.record["drawn"] = trainer.datamodule.drawn()  # this rank's, up to the last batch trained on
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if trainer.global_rank == 0:
            torch.save(state, self.out_dir / "rank0_final.pt")
        (self.out_dir / f"rank{trainer.global_rank}.json").write_text(json.dumps(self.record))


class Interleaved:
    """Batches of ranks 0..world-1 in turn: one process then sees, per ``world`` micro-batches, what
    each rank of a ``world``-rank run sees in one step (use ``accumulate_grad_batches=world``)."""

    def __init__(self, loaders: list[Any]) -> None:
        self.loaders = loaders

    def __iter__(self) -> Iterator[Batch]:
        for batches in zip(*self.loaders, strict=True):  # infinite streams
            yield from batches


def interleave_ranks(datamodule: Any, world: int) -> None:
    """Make ``datamodule.train_dataloader()`` return ``Interleaved`` streams of ranks 0..world-1."""
    def loader() -> Interleaved:
        loaders = []
        for rank in range(world):
            datamodule.rank, datamodule.world_size = rank, world
            loaders.append(datamodule._loader("train", datamodule.batch_size))
        datamodule.rank, datamodule.world_size = 0, 1
        return Interleaved(loaders)

    datamodule.train_dataloader = loader


def read_ranks(out_dir: Path, world: int) -> list[dict[str, Any]]:
    return [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(world)]


# ---------------------------------------------------------------------------------------- runs
REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
NO_DROPOUT = ("--model.architecture.dropout=0", "--model.architecture.attention_dropout=0")


def fit_args(manifest: Path, tokenizer: Path, *fragments: str, probe_dir: Path | None = None,
             extra: tuple[str, ...] = ()) -> list[str]:
    """``polytrain fit`` arguments: base + tiny MLM + ``fragments`` + demo data + smoke (6 CPU steps)."""
    args = ["fit"]
    for fragment in ("base.yaml", "model/tiny.yaml", "objective/mlm.yaml", *fragments, "data/demo.yaml",
                     "trainer/smoke.yaml"):
        args += ["-c", str(CONFIGS / fragment)]
    if probe_dir is not None:
        probe = probe_dir / "probe.yaml"
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_text("trainer:\n  callbacks+:\n    - class_path: scale_probe.RankProbe\n"
                         f"      init_args: {{out_dir: {json.dumps(str(probe_dir))}}}\n")
        args += ["-c", str(probe)]
    return args + [f"--data.shards={manifest}", f"--data.tokenizer={tokenizer}", "--data.batch_size=8",
                   "--data.max_length=64", *extra]


def check_one_process_matches(demo_data: Any, ranks: list[dict[str, Any]], final_state: Path,
                              out_dir: Path) -> int:
    """Train one process over the micro-batches the 2 ranks saw, interleaved and accumulated 2 at a
    time; its losses must equal the ranks' interleaved losses and its final weights ``final_state``
    (rank 0's file). Returns the steps it trained."""
    import pytest

    from polytrain.cli import cli_main

    args = fit_args(demo_data.manifest, demo_data.tokenizer,
                    extra=("--data.num_workers=0", "--trainer.accumulate_grad_batches=2", *NO_DROPOUT))
    cli = cli_main(args[1:], run=False)
    interleave_ranks(cli.datamodule, world=2)
    cli.trainer.callbacks.append(RankProbe(str(out_dir)))
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)

    losses = read_ranks(out_dir, 1)[0]["losses"]
    expected = [loss for step in zip(ranks[0]["losses"], ranks[1]["losses"], strict=True) for loss in step]
    assert losses == pytest.approx(expected, rel=1e-4, abs=1e-5)
    reference = torch.load(final_state, weights_only=True)
    single = cli.model.model.state_dict()
    assert reference.keys() == single.keys()
    for key, value in reference.items():
        torch.testing.assert_close(single[key], value, rtol=1e-3, atol=1e-5, msg=lambda m, k=key: f"{k}: {m}")
    return cli.trainer.global_step


def run_fit(args: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    """Run ``python -m polytrain.cli`` in its own process group; on timeout kill the whole group
    (Lightning's launcher starts rank 1 as a child, which a hang would otherwise leave behind)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "polytrain.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        message = f"polytrain fit did not finish in {timeout} s (hang?); stderr tail:\n{err[-3000:]}"
        raise AssertionError(message) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# ------------------------------------------------------------- sharding layouts, raw torch.distributed
def _mlm_loss(model: nn.Module, seed: int, vocab: int = 64) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (2, 12), generator=gen)
    targets = torch.rand(2, 12, generator=gen) < 0.3
    targets[:, 0] = True
    out = model(ids, torch.ones(2, 12, dtype=torch.bool), torch.arange(12).expand(2, 12), torch.zeros_like(ids),
                targets)
    return torch.nn.functional.cross_entropy(out.logits, ids[targets])


def layout_worker(rank: int, world: int, port: int, out_dir: str) -> None:
    """Shard a tiny encoder with ``shard`` on a full (1-D) and a hybrid (2 x 2) mesh; compare each
    parameter's gathered gradient with the mean gradient of all ranks' batches, computed locally."""
    import copy
    from types import SimpleNamespace

    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh

    from polytrain.distributed.strategy import shard
    from polytrain.models import build_model
    from polytrain.models.config import ModelConfig

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    arch = ModelConfig(d_model=16, n_layers=2, n_heads=2, d_ff=32, dropout=0.0, attention_dropout=0.0)
    report: dict[str, Any] = {}
    # Lightning's mesh dims are ("data_parallel", "tensor_parallel"); FSDP2Strategy reads them as
    # (shard) for full and (replicate, shard) for hybrid. HSDP needs named dims.
    for layout, shape, names in (("full", (world,), ("data_parallel",)),
                                 ("hybrid", (2, world // 2), ("data_parallel", "tensor_parallel"))):
        torch.manual_seed(0)
        model = build_model(arch, 64, 1, pad_id=1)
        reference = copy.deepcopy(model)
        mesh = init_device_mesh("cpu", shape, mesh_dim_names=names)
        strategy = SimpleNamespace(shard_mesh=mesh, low_precision_gather=True, reshard_after_forward=True,
                                   fsdp_modules=[])
        shard(model, [], strategy, "32-true")  # type: ignore[arg-type]
        _mlm_loss(model, seed=rank).backward()
        (sum(_mlm_loss(reference, seed=r) for r in range(world)) / world).backward()
        worst = 0.0
        for param, ref in zip(model.parameters(), reference.parameters(), strict=True):
            worst = max(worst, (param.grad.full_tensor() - ref.grad).abs().max().item())
        weight = model.layers[0].ffn.fc1.weight
        report[layout] = {"placements": [repr(p) for p in weight.placements], "local_rows": weight.to_local().shape[0],
                          "max_grad_error": worst, "groups": len(strategy.fsdp_modules)}
    (Path(out_dir) / f"layout{rank}.json").write_text(json.dumps(report))
    dist.destroy_process_group()
