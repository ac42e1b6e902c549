"""What each precision preset really does, read from a real Trainer run, not assumed.

For every preset a tiny PretrainModule trains two steps; a probe reads the dtype of the parameters
at rest (the master copy the optimizer updates), of the weight a Linear sees inside its forward, of
that Linear's output (the activations), and of Adam's first moment. A learning rate of 1e-6 then
shows the practical difference: bf16 master weights cannot represent such small updates (bf16 has
8 significant bits: near 0.02 its spacing is ~1e-4), so most of them are lost, while fp32 master
weights take all of them. GPU variants (16-mixed with GradScaler) run with ``-m gpu``.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from module_fixtures import TINY, synthetic_batches
from torch import nn
from torch.utils.data import DataLoader

from polytrain.distributed.strategy import FSDP2Strategy
from polytrain.module import PretrainModule
from polytrain.objectives.mlm import MaskedLM
from polytrain.optim import OptimizerConfig
from polytrain.types import Batch


class DtypeProbe(Callback):
    """Reads dtypes in the first step and how much of one weight matrix the steps changed."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}
        self._hooks: list[Any] = []

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.linear = pl_module.model.layers[0].self_attn.q_proj
        self.before = self.linear.weight.detach().clone()
        self.seen["master"] = self.linear.weight.dtype
        self._hooks = [self.linear.register_forward_pre_hook(self._pre), self.linear.register_forward_hook(self._post)]

    def _pre(self, module: nn.Module, args: tuple) -> None:
        self.seen["input"] = args[0].dtype

    def _post(self, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        self.seen["activation"] = output.dtype
        for hook in self._hooks:
            hook.remove()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Batch,
                           batch_idx: int) -> None:
        self.seen.setdefault("loss", outputs["loss"].dtype)
        state = trainer.optimizers[0].state[self.linear.weight]
        self.seen["exp_avg"] = state["exp_avg"].dtype
        self.seen["fused"] = trainer.optimizers[0].defaults["fused"]
        # The gradients the update used (clipped); Lightning zeroes them only in the next step.
        grads = [p.grad.float() for p in pl_module.parameters() if p.grad is not None]
        self.seen.setdefault("grad_norms", []).append(float(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(g) for g in grads]))))
        stats = next(iter(pl_module.train_stats.values()))
        self.seen["metric_state"] = stats.count.dtype

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.seen["changed"] = self.linear.weight.detach().ne(self.before).float().mean().item()
        self.seen["master_after"] = self.linear.weight.dtype


def run_precision(tokenizer: str, precision: str, accelerator: str = "cpu", lr: float = 1e-6,
                  clip: float = 1.0) -> tuple[Trainer, dict]:
    module = PretrainModule([MaskedLM()], tokenizer, architecture=TINY,
                            optimizer=OptimizerConfig(lr=lr, warmup_steps=0, weight_decay=0.0))
    probe = DtypeProbe()
    trainer = Trainer(accelerator=accelerator, devices=1, precision=precision, max_steps=2, logger=False,
                      gradient_clip_val=clip,  # 1.0 as configs/base.yaml: decides whether AdamW is fused
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      callbacks=[probe])
    loader = DataLoader(synthetic_batches(module, 2), batch_size=None, collate_fn=lambda b: b)
    trainer.fit(module, train_dataloaders=loader)
    assert trainer.global_step == 2
    return trainer, probe.seen


F32, BF16, F16 = torch.float32, torch.bfloat16, torch.float16

# precision -> (master weights, activations, Adam state): what the docs promise.
CONTRACT = {
    "32-true": (F32, F32, F32),
    "bf16-mixed": (F32, BF16, F32),
    "bf16-true": (BF16, BF16, BF16),
}


# bf16-true casts the whole LightningModule, torchmetrics states included: GroupTokenStats keeps
# its sums in float64 (a bf16 count stops at 256), checked below.
PRESETS = sorted(CONTRACT)


@pytest.mark.parametrize("precision", PRESETS)
def test_precision_dtypes_on_cpu(demo_data, precision):
    _, seen = run_precision(str(demo_data.tokenizer), precision)
    master, activation, optimizer_state = CONTRACT[precision]
    assert (seen["master"], seen["master_after"]) == (master, master), seen
    assert seen["activation"] == activation, seen
    assert seen["exp_avg"] == optimizer_state, seen
    assert seen["metric_state"] == torch.float64, seen  # bf16-true casts the module, not the metric sums
    assert seen["fused"] is True, seen  # fused AdamW by default, clipping or not (16-mixed aside: GPU test)
    if precision == "bf16-mixed":
        assert seen["input"] == F32  # autocast casts inside the matmul, the module's input stays fp32
    if master == F32:
        assert seen["changed"] > 0.95, seen  # every 1e-6 update lands in the fp32 master copy
    else:
        assert seen["changed"] < 0.2, seen  # bf16 master weights lose most of them


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_fused_adamw_gradients_are_clipped(demo_data, precision):
    """Under bf16-mixed Lightning would refuse to clip for fused AdamW (a GradScaler guard); polytrain
    clips there as under fp32. The optimizer sees the clipped norm, far below the raw one."""
    _, raw = run_precision(str(demo_data.tokenizer), precision, clip=0.0)
    _, clipped = run_precision(str(demo_data.tokenizer), precision, clip=1e-3)
    assert clipped["fused"] is True and raw["fused"] is True
    assert min(raw["grad_norms"]) > 0.1, raw  # so a 1e-3 clip must act
    assert clipped["grad_norms"] == pytest.approx([1e-3] * 2, rel=1e-3), clipped


def test_16_mixed_on_cpu_becomes_bf16_mixed():
    """Lightning does not refuse fp16 AMP on CPU: it warns and runs bf16-mixed (docs/distributed.md)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = Trainer(accelerator="cpu", devices=1, precision="16-mixed", logger=False)
    assert trainer.precision == "bf16-mixed"
    assert any("16-mixed" in str(w.message) for w in caught)


def test_fsdp2_refuses_16_mixed():
    with pytest.raises(ValueError, match="16-mixed"):
        Trainer(accelerator="cpu", devices=2, strategy=FSDP2Strategy(), precision="16-mixed", logger=False)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("precision", ["16-mixed", *PRESETS])
def test_precision_dtypes_on_gpu(demo_data, precision):
    trainer, seen = run_precision(str(demo_data.tokenizer), precision, accelerator="cuda")
    contract = {**CONTRACT, "16-mixed": (F32, F16, F32)}
    master, activation, optimizer_state = contract[precision]
    assert (seen["master"], seen["activation"], seen["exp_avg"]) == (master, activation, optimizer_state), seen
    assert seen["fused"] is (precision != "16-mixed"), seen  # Lightning refuses to clip fused AdamW under GradScaler
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    if precision == "16-mixed":
        assert isinstance(scaler, torch.amp.GradScaler) and scaler.get_scale() > 1.0  # dynamic loss scaling
    else:
        assert scaler is None
