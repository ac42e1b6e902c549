"""ScaleConfig and FSDP2Strategy in real runs: activation checkpointing recomputes without changing
the math, the scale fragments reach the module through LightningCLI, and accumulation over mixed
objectives averages their gradients (the pieces that need no Trainer: tests/unit/test_scale.py).

Activation checkpointing must not change the math (style.md rule 12): the same losses and weights
with and without it, while each layer's forward really runs twice per step.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Trainer
from module_fixtures import TINY, synthetic_batches
from torch.utils.data import DataLoader

from polytrain.distributed.strategy import FSDP2Strategy, ScaleConfig
from polytrain.models import EncoderLayer
from polytrain.module import PretrainModule
from polytrain.objectives.mlm import MaskedLM
from polytrain.optim import OptimizerConfig


def _fit(tokenizer: str, scale: ScaleConfig, steps: int = 3) -> tuple[PretrainModule, list[float], int]:
    torch.manual_seed(0)
    module = PretrainModule([MaskedLM()], tokenizer, architecture=TINY, optimizer=OptimizerConfig(warmup_steps=0),
                            scale=scale)
    losses: list[float] = []
    calls = {"n": 0}
    original = module.training_step

    def training_step(batch, batch_idx):  # type: ignore[no-untyped-def]
        loss = original(batch, batch_idx)
        losses.append(float(loss))
        return loss

    module.training_step = training_step  # type: ignore[method-assign]
    trainer = Trainer(accelerator="cpu", devices=1, max_steps=steps, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)
    loader = DataLoader(synthetic_batches(module, steps), batch_size=None, collate_fn=lambda b: b)
    module.configure_model()
    layer = next(m for m in module.model.modules() if isinstance(m, EncoderLayer))
    # On a child: the recomputation calls the wrapped layer's forward without the layer's own hooks.
    layer.ffn.register_forward_hook(lambda *args: calls.__setitem__("n", calls["n"] + 1))
    trainer.fit(module, train_dataloaders=loader)
    return module, losses, calls["n"]


def test_activation_checkpointing_recomputes_without_changing_the_math(demo_data):
    plain, plain_losses, plain_calls = _fit(str(demo_data.tokenizer), ScaleConfig())
    ckpt, ckpt_losses, ckpt_calls = _fit(str(demo_data.tokenizer), ScaleConfig(activation_checkpointing=True))
    assert plain_calls == 3 and ckpt_calls == 6  # forward, then again in backward, per step
    assert ckpt_losses == pytest.approx(plain_losses, rel=1e-6)
    plain_state, ckpt_state = plain.model.state_dict(), ckpt.model.state_dict()
    assert list(ckpt_state) == list(plain_state)  # the wrapper's prefix never reaches checkpoints
    for key, value in plain_state.items():
        torch.testing.assert_close(ckpt_state[key], value, rtol=1e-5, atol=1e-6)


def test_scale_fragments_set_the_module_options(demo_data):
    from polytrain.cli import cli_main

    configs = Path(__file__).resolve().parents[2] / "configs"
    args = []
    for fragment in ("base.yaml", "model/tiny.yaml", "objective/mlm.yaml", "data/demo.yaml",
                     "trainer/compile.yaml", "trainer/activation-checkpointing.yaml", "trainer/fsdp.yaml",
                     "trainer/bf16-mixed.yaml"):
        args += ["-c", str(configs / fragment)]
    args += [f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    cli = cli_main(args, run=False)
    assert cli.model.scale == ScaleConfig(activation_checkpointing=True, compile=True)
    assert isinstance(cli.trainer.strategy, FSDP2Strategy) and cli.trainer.strategy.sharding == "full"
    assert cli.trainer.precision == "bf16-mixed"


def test_accumulation_over_mixed_objectives_averages_their_gradients(demo_data):
    """With accumulate_grad_batches=2 and an MLM then a TLM micro-batch, the step's gradient is the
    mean of the two objectives' gradients, each computed on its own (no cross-talk, no re-weighting)."""
    from lightning.pytorch import Callback

    from polytrain.objectives.tlm import TranslationLM

    torch.manual_seed(0)
    module = PretrainModule([MaskedLM(), TranslationLM()], str(demo_data.tokenizer), architecture=TINY)
    mlm, tlm = module.objectives
    batches = synthetic_batches(module, 2)
    batches[1].objective = tlm.name
    pair = f"{module.vocab.languages[0]}-{module.vocab.languages[1]}"
    batches[1].lang = [pair] * len(batches[1].keys)
    module.configure_model()
    reference = {}
    for batch, objective in zip(batches, (mlm, tlm), strict=True):
        module.zero_grad()
        objective.loss(module(batch), batch)[0].backward()
        for name, param in module.named_parameters():
            reference[name] = reference.get(name, 0) + param.grad.clone() / 2
    module.zero_grad()

    captured: dict[str, torch.Tensor] = {}

    class Capture(Callback):
        def on_before_optimizer_step(self, trainer, pl_module, optimizer):  # type: ignore[no-untyped-def]
            captured.update({n: p.grad.clone() for n, p in pl_module.named_parameters()})

    trainer = Trainer(accelerator="cpu", devices=1, max_steps=1, accumulate_grad_batches=2, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      callbacks=[Capture()])
    trainer.fit(module, DataLoader(batches, batch_size=None, collate_fn=lambda b: b))
    assert captured.keys() == reference.keys()
    for name, grad in reference.items():
        torch.testing.assert_close(captured[name], grad, rtol=1e-5, atol=1e-7, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.slow
def test_compiled_layers_compute_the_same_loss(demo_data):
    """Inductor on CPU needs a C++ compiler and ~1 min for the first step."""
    _, plain_losses, _ = _fit(str(demo_data.tokenizer), ScaleConfig(), steps=2)
    _, compiled_losses, _ = _fit(str(demo_data.tokenizer), ScaleConfig(compile=True, activation_checkpointing=True),
                                 steps=2)
    assert compiled_losses == pytest.approx(plain_losses, rel=1e-4)
