"""Faults injected into real `polytrain fit` runs: SIGUSR1/SIGTERM, SIGKILL during a checkpoint
write, NaN losses; and `--ckpt_path auto` picking up where a run stopped.

The runs use a 1-layer, 32-wide encoder so that each takes seconds on 2 CPU cores. The fault
callbacks are added through a copy of configs/base.yaml (so the tests hold whether or not base.yaml
already lists them), and a small launcher wires `--ckpt_path auto` when the CLI does not yet.
(The kill -9 exact-resume comparison is tests/integration/test_resume_exact.py.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_fit import small_fit_args

from polytrain.checkpoint.io import load_checkpoint
from polytrain.checkpoint.resume import resolve_resume

pytestmark = pytest.mark.timeout(300)

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
OURS = ("polytrain.checkpoint.", "polytrain.callbacks.checkpoint.", "polytrain.callbacks.faults.",
        "polytrain.callbacks.requeue.", "polytrain.callbacks.signals.")
KEPT = ("polytrain.callbacks.checkpoint.Checkpoint",)  # base.yaml's ModelCheckpoint: where last.ckpt goes

# Test-only callbacks, importable by class path from the runs (written next to the run).
HELPERS = '''
import os
import time
from lightning.pytorch import Callback


class StepBeacon(Callback):
    """Appends "<global_step> <batch_idx>" after every training batch: what the test waits on."""

    def __init__(self, path: str, sleep: float = 0.0) -> None:
        self.path, self.sleep = path, sleep

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        with open(self.path, "a") as f:
            f.write(f"{trainer.global_step} {batch_idx}\\n")
        time.sleep(self.sleep)


class NaNFrom(Callback):
    """From optimizer step `step` on, the embedding output (hence the loss and gradients) is NaN."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_start(self, trainer, pl_module) -> None:
        embedding = next(m for m in pl_module.model.modules() if m.__class__.__name__ == "Embedding")
        embedding.register_forward_hook(
            lambda module, args, out: out * float("nan") if trainer.global_step >= self.step else out)
'''

# Runs `polytrain fit` with `--ckpt_path auto` wired in (until cli.py has its before_fit hook) and,
# if POLYTRAIN_TEST_SLOW_SAVE_FROM=N, a checkpoint writer that hangs half-way from its N-th file.
LAUNCHER = '''
import io
import os
import sys
import time

import torch

from polytrain import cli
from polytrain.checkpoint import resume

if "before_fit" not in vars(cli.PolytrainCLI):
    cli.PolytrainCLI.before_fit = resume.apply_auto_resume

slow_from = int(os.environ.get("POLYTRAIN_TEST_SLOW_SAVE_FROM", "0"))
if slow_from:
    real_save, calls = torch.save, [0]

    def slow_save(obj, f, *args, **kwargs):
        if ".partial-" not in str(getattr(f, "name", "")):
            return real_save(obj, f, *args, **kwargs)
        calls[0] += 1
        if calls[0] < slow_from:
            return real_save(obj, f, *args, **kwargs)
        buffer = io.BytesIO()
        real_save(obj, buffer)
        f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        f.flush()
        open(os.environ["POLYTRAIN_TEST_SAVING"], "w").close()
        time.sleep(600)  # SIGKILLed here

    torch.save = slow_save

sys.exit(cli.main())
'''


def write_base(tmp_path: Path, callbacks: list[dict[str, Any]], keep_ours: bool = False) -> Path:
    """configs/base.yaml with AtomicCheckpointIO and ``callbacks`` instead of (or, ``keep_ours``, after)
    polytrain's fault pieces."""
    config = yaml.safe_load((CONFIGS / "base.yaml").read_text())
    trainer = config["trainer"]
    trainer["callbacks"] = [c for c in trainer.get("callbacks", []) if keep_ours
                            or c.get("class_path") in KEPT or not str(c.get("class_path")).startswith(OURS)]
    trainer["callbacks"] += callbacks
    plugins = [p for p in trainer.get("plugins") or [] if not str(p.get("class_path")).startswith(OURS)]
    trainer["plugins"] = plugins + [{"class_path": "polytrain.checkpoint.io.AtomicCheckpointIO"}]
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp_path / "fault_helpers.py").write_text(HELPERS)
    (tmp_path / "launch.py").write_text(LAUNCHER)
    return path


def fit_args(demo_data: Any, base: Path, *extra: str) -> list[str]:
    return small_fit_args(demo_data.manifest, demo_data.tokenizer, base, *extra)


def launch(tmp_path: Path, args: list[str], **env: str) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
                   "PYTHONWARNINGS": "ignore", **env}
    return subprocess.Popen([sys.executable, str(tmp_path / "launch.py"), *args], cwd=tmp_path, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition: Any, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended first (exit {proc.returncode}): {proc.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("timed out waiting for the run")
        time.sleep(0.05)


def steps(beacon: Path) -> list[int]:
    return [int(line.split()[0]) for line in beacon.read_text().splitlines()] if beacon.exists() else []


def beacon_callback(beacon: Path, sleep: float = 0.0) -> dict[str, Any]:
    return {"class_path": "fault_helpers.StepBeacon", "init_args": {"path": str(beacon), "sleep": sleep}}


# ------------------------------------------------------------------------------ signals


@pytest.mark.parametrize("signum", [signal.SIGUSR1, signal.SIGTERM], ids=["SIGUSR1", "SIGTERM"])
def test_signal_saves_at_a_step_boundary_exits_0_and_auto_resumes(demo_data: Any, tmp_path: Path,
                                                                  signum: signal.Signals) -> None:
    """A plain `polytrain fit` with base.yaml (no SLURM fragment): the signal saves and the run exits 0."""
    beacon = tmp_path / "steps.txt"
    base = write_base(tmp_path, [beacon_callback(beacon, sleep=0.05)], keep_ours=True)
    # Gradient accumulation makes "a step boundary" mean something: never half a step saved.
    proc = launch(tmp_path, fit_args(demo_data, base, "--trainer.max_steps=1000", "--trainer.val_check_interval=1000",
                                     "--trainer.accumulate_grad_batches=2"))
    wait_for(lambda: max(steps(beacon), default=0) >= 2, proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-3000:]
    last = tmp_path / "runs" / "checkpoints" / "last.ckpt"
    saved = load_checkpoint(last)
    stopped = steps(beacon)[-1]
    assert saved["global_step"] == stopped and 2 < stopped < 1000
    progress = saved["loops"]["fit_loop"]["epoch_loop.batch_progress"]["total"]
    assert progress["processed"] == 2 * stopped  # both micro-batches of every saved step, nothing more
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGUSR1"
    assert f"SaveOnSignal: {name} received; saved {last} at step {stopped} and stopping (no validation)" in err
    if signum != signal.SIGUSR1:
        return
    # The same command with --ckpt_path auto continues from that checkpoint.
    beacon.unlink()
    resumed = launch(tmp_path, fit_args(demo_data, base, f"--trainer.max_steps={stopped + 2}",
                                        "--trainer.val_check_interval=1000", "--trainer.accumulate_grad_batches=2",
                                        "--ckpt_path=auto"))
    _, err = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, err[-3000:]
    assert re.search(rf"resume: from {re.escape(str(last.parent))}/\S+\.ckpt \(step {stopped}\)", err), err[-3000:]
    assert steps(beacon) == [stopped, stopped + 1, stopped + 1, stopped + 2]  # (step, after each micro-batch)


# ------------------------------------------------------------------------------ kill -9 while saving


def test_sigkill_during_a_checkpoint_write_leaves_the_previous_checkpoint_to_resume(
        demo_data: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    saving = tmp_path / "saving"
    base = write_base(tmp_path, [])
    # Validation (and ModelCheckpoint) at steps 2 and 4: the top-k file and last.ckpt each time.
    # The third file written, step 4's top-k checkpoint, hangs half-written until the kill.
    proc = launch(tmp_path, fit_args(demo_data, base, "--trainer.val_check_interval=2"),
                  POLYTRAIN_TEST_SLOW_SAVE_FROM="3", POLYTRAIN_TEST_SAVING=str(saving))
    wait_for(saving.exists, proc)
    proc.kill()
    proc.communicate(timeout=60)
    folder = tmp_path / "runs" / "checkpoints"
    names = sorted(os.listdir(folder))
    partial = [n for n in names if ".partial-" in n]
    assert len(partial) == 1 and partial[0].startswith(".step000004")
    assert (folder / partial[0]).stat().st_size > 0  # the kill really interrupted a write
    assert all(load_checkpoint(folder / n)["global_step"] == 2 for n in names if n.endswith(".ckpt"))
    with caplog.at_level("WARNING", logger="polytrain.checkpoint.resume"):
        chosen = resolve_resume(folder)
    assert chosen == str(folder / "last.ckpt") and load_checkpoint(chosen)["global_step"] == 2
    assert f"ignoring {folder / partial[0]}: left by an interrupted save" in caplog.text


# ------------------------------------------------------------------------------ NaN through fit


def test_nan_losses_in_a_real_run_are_skipped_then_stop_it_with_a_checkpoint(
        demo_data: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from polytrain.callbacks.faults import TrainingAborted
    from polytrain.cli import main

    base = write_base(tmp_path, [
        {"class_path": "polytrain.callbacks.faults.NonFiniteGuard", "init_args": {"max_consecutive_nonfinite": 2}},
        {"class_path": "fault_helpers.NaNFrom", "init_args": {"step": 3}},
    ])
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        code = main(fit_args(demo_data, base, "--trainer.max_steps=20", "--trainer.val_check_interval=2"))
        message = capsys.readouterr().err
        assert code == 1 and "polytrain fit: error: 2 optimizer steps in a row had a non-finite" in message
    except TrainingAborted as err:  # a CLI without its one-line report of TrainingAborted
        message = str(err)
    folder = tmp_path / "runs" / "checkpoints"
    assert f"(steps 3-4); saved {folder / 'last.ckpt'} with the weights from before step 3" in message
    saved = load_checkpoint(folder / "last.ckpt")
    assert saved["global_step"] == 5 and saved["callbacks"]["NonFiniteGuard"]["skipped_steps"] == [3, 4]
    # Validation after 4 steps saved the state after steps 0-2 and the skipped step 3: the
    # weights and the optimizer state must not have moved since.
    at_4 = load_checkpoint(next(folder.glob("step000004-*.ckpt")))
    assert at_4["global_step"] == 4
    weights = [k for k in saved["state_dict"] if k.startswith(("model.", "heads."))]
    assert weights
    for key in weights:  # (token counters in the state dict keep counting: the batches were read)
        value = saved["state_dict"][key]
        assert value.isfinite().all() and value.equal(at_4["state_dict"][key]), key
    moments = [s["exp_avg"] for s in saved["optimizer_states"][0]["state"].values()]
    assert all(a.equal(b["exp_avg"]) for a, b in zip(moments, at_4["optimizer_states"][0]["state"].values()))
