"""Progress for logs: ``ProgressLog`` (fit), ``polytrain.progress.Progress`` (data commands), the
start-of-training size line and the warmup warning. No Trainer: the hooks get the attributes they read."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from polytrain.callbacks import progress as fit_progress
from polytrain.callbacks.progress import ProgressLog, model_size_line
from polytrain.distributed.flops import flops_per_token, training_flops
from polytrain.models.config import ModelConfig
from polytrain.optim import OptimizerConfig, warmup_problem
from polytrain.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def fake_trainer(**kw: object) -> SimpleNamespace:
    base = dict(is_global_zero=True, progress_bar_callback=None, global_step=0, max_steps=10,
                accumulate_grad_batches=1, callback_metrics={}, sanity_checking=False,
                optimizers=[SimpleNamespace(param_groups=[{"lr": 2.5e-4}])])
    return SimpleNamespace(**{**base, **kw})


def run_steps(callback: ProgressLog, trainer: SimpleNamespace, clock: Clock, losses: list[float]) -> None:
    for loss in losses:
        clock.t += 10.0
        trainer.global_step += 1
        callback.on_train_batch_end(trainer, None, {"loss": torch.tensor(loss)}, None, 0)


def test_lines_give_the_mean_loss_since_the_last_line_and_an_eta(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(fit_progress, "time", SimpleNamespace(monotonic=clock))
    callback, trainer = ProgressLog(every_seconds=1000, every_n_steps=2), fake_trainer()
    callback.on_train_start(trainer, SimpleNamespace())
    trainer.callback_metrics["throughput/tokens_per_s"] = torch.tensor(1234.4)
    run_steps(callback, trainer, clock, [2.0, 4.0, 6.0, math.nan, 8.0])
    callback.on_train_end(trainer, None)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[:2] for line in lines] == [
        ["step 1/10 (10%)", "loss 2"],  # the first step, so a log shows training started
        ["step 2/10 (20%)", "loss 4"],
        ["step 4/10 (40%)", "loss 6"],  # the NaN step is left out of the mean and counted
        ["step 5/10 (50%)", "loss 8"],  # the end of training
    ]
    assert "(1 non-finite)" in lines[2] and "tok/s/device 1,234" in lines[1] and "lr 2.50e-04" in lines[1]
    assert lines[1].endswith("elapsed 0:00:20  eta 0:01:20")  # 10 s per step, 8 steps to go


def test_gradient_accumulation_lines_are_per_optimizer_step_with_the_unscaled_loss(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(fit_progress, "time", SimpleNamespace(monotonic=clock))
    callback, trainer = ProgressLog(every_seconds=1000), fake_trainer(accumulate_grad_batches=2)
    callback.on_train_start(trainer, SimpleNamespace())
    for step_loss in (3.0, 5.0):  # Lightning hands each micro-batch's loss divided by 2
        callback.on_train_batch_end(trainer, None, torch.tensor(step_loss / 2), None, 0)
    trainer.global_step = 1
    callback.on_train_batch_end(trainer, None, torch.tensor(7.0 / 2), None, 1)
    assert capsys.readouterr().out.split("  ")[1] == "loss 5"  # mean of 3, 5 and 7


def test_by_time_and_after_validation(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(fit_progress, "time", SimpleNamespace(monotonic=clock))
    callback, trainer = ProgressLog(every_seconds=25), fake_trainer(max_steps=-1)
    callback.on_train_start(trainer, SimpleNamespace())
    run_steps(callback, trainer, clock, [1.0, 1.0, 1.0, 1.0])  # 10 s each: lines at step 1 and 30 s later
    callback.on_validation_start(trainer, None)
    clock.t += 12
    trainer.callback_metrics["val/loss"] = torch.tensor(3.25)
    callback.on_validation_end(trainer, None)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines[:2]] == ["step 1", "step 4"]  # no max_steps: no % and no eta
    assert "eta" not in lines[1]
    assert lines[2] == "step 4 validation: val/loss 3.25 (0:00:12)"


@pytest.mark.parametrize(("when", "terminal", "bar", "prints"), [
    ("auto", True, True, False),   # the bar is seen: no lines
    ("auto", True, False, True),   # enable_progress_bar: false
    ("auto", False, True, True),   # a log file
    ("never", False, False, False),
    ("always", True, True, True),
])
def test_when(monkeypatch, capsys, when, terminal, bar, prints):
    monkeypatch.setattr(fit_progress, "sys", SimpleNamespace(stdout=SimpleNamespace(isatty=lambda: terminal)))
    callback, trainer = ProgressLog(when=when), fake_trainer(progress_bar_callback=object() if bar else None)
    callback.on_train_start(trainer, SimpleNamespace())
    run_steps(callback, trainer, Clock(), [1.0])
    assert bool(capsys.readouterr().out) == prints
    other_rank = fake_trainer(is_global_zero=False)
    callback.on_train_start(other_rank, SimpleNamespace())
    run_steps(callback, other_rank, Clock(), [1.0])
    assert capsys.readouterr().out == ""


def test_the_size_line_counts_parameters_and_flops_per_token():
    arch = ModelConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_positions=64)

    class Module(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.architecture, self.vocab = arch, SimpleNamespace(size=100)
            self.hparams = {"max_length": 64}
            self.embed = nn.Embedding(100, 32)
            self.proj = nn.Linear(32, 32)

    line = model_size_line(Module())
    expected = flops_per_token(arch, arch.padded_vocab_size(100), 64, 0.15)
    assert line is not None and line.startswith("model: 4,256 parameters (3,200 in embeddings); ")
    assert f"{expected:.3g} training FLOPs per token" in line and "64-token inputs, 15% of positions" in line


def test_flops_per_token_of_an_encoder_decoder_is_a_whole_denoising_step_per_input_token():
    arch = ModelConfig(kind="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=1, n_heads=2, d_ff=64)
    step = training_flops(arch, 500, tokens=128, length=128, targets=128, decoder_tokens=128, decoder_length=128)
    assert flops_per_token(arch, 500, 128, 1.0) == pytest.approx(step.total / 128)


def test_warmup_longer_than_the_run_is_named_with_the_rate_it_reaches():
    problem = warmup_problem(OptimizerConfig(lr=5e-4, warmup_steps=1000), 50)
    assert problem is not None and "warmup_steps=1000 >= trainer.max_steps=50" in problem
    assert "the whole run is warmup, the learning rate reaches 5.0% of lr=0.0005" in problem
    assert warmup_problem(OptimizerConfig(warmup_steps=10), 50) is None


def test_data_command_progress_is_a_line_per_interval_in_a_log_and_one_line_on_a_terminal():
    clock, log = Clock(), io.StringIO()
    progress = Progress("polytrain data shard", every_seconds=30, stream=log, interactive=False, now=clock)
    for _ in range(100):  # one update per second for 100 s: lines at 30, 60, 90 s
        clock.t += 1
        progress.update(lambda: "pass 1/2")
    progress.done("wrote 3 shards")
    assert log.getvalue().splitlines() == ["polytrain data shard: pass 1/2 (0:00:30)",
                                           "polytrain data shard: pass 1/2 (0:01:00)",
                                           "polytrain data shard: pass 1/2 (0:01:30)",
                                           "polytrain data shard: wrote 3 shards (0:01:40)"]
    clock, screen = Clock(), io.StringIO()
    progress = Progress("polytrain data shard", stream=screen, interactive=True, now=clock)
    for text in ("a longer status", "short"):
        clock.t += 1
        progress.update(lambda text=text: text)
    progress.done("done")
    assert screen.getvalue().count("\n") == 1 and screen.getvalue().endswith("\n")
    assert "\rpolytrain data shard: short (0:00:02)    " in screen.getvalue()  # padded over the longer line


def test_heartbeat_prints_while_silent_work_runs():
    log = io.StringIO()
    progress = Progress("polytrain tokenizer train", every_seconds=0.01, stream=log, interactive=False)
    with progress.heartbeat("training the unigram model"):
        import time

        time.sleep(0.1)
    beats = log.getvalue().splitlines()
    assert beats and all(b.startswith("polytrain tokenizer train: training the unigram model, 0:00:00 so far")
                         for b in beats)
    with Progress("x", stream=log, interactive=True).heartbeat("quiet on a terminal"):
        pass
    assert "quiet" not in log.getvalue()
