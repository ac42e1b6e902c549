"""Kill -9 a `polytrain fit` run, resume it, and compare with a run that was never interrupted.

The uninterrupted run reads the demo's text shards; the killed and resumed run reads the same
shards as token shards (``polytrain data tokenize``). Both encodings give the same batches, so one
comparison checks that, and that a resume on token shards is exact.

Composer's ``test_resumption`` and torchtitan's ``loss_compare --assert-equal`` style: the resumed
run must log the same loss at every step after the checkpoint, bit for bit, and end with the same
weights and optimizer state. That only holds if the data continues exactly (same sample keys, same
masks): a resumed stream that replayed or skipped a single batch changes every later loss.

Dropout is on (model/tiny.yaml): ``polytrain.callbacks.rng_state.GlobalRngState`` restores torch's global
generator, which Lightning does not. Everything is the real thing: LightningCLI, real shards, a
real DataLoader worker process carrying the stream state, a SIGKILL of the whole process group in
the middle of a step (the probe holds the run at a random step after a checkpoint until the kill).
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from test_fit import CONFIGS, fit_command

HERE = Path(__file__).resolve().parent
MAX_STEPS = 12  # checkpoints (last.ckpt) after the validations at steps 3, 6 and 9 (smoke.yaml)
# After at least one checkpoint, before the end. At a multiple of 3 the probe runs after that step's
# validation saved last.ckpt, so the resume starts at the kill step itself.
KILL_STEPS = range(4, MAX_STEPS)


class PauseAtStep(Callback):
    """Test probe: at ``step`` (batch fetched, not trained yet), write ``marker`` and wait to be killed."""

    def __init__(self, step: int, marker: str) -> None:
        self.step, self.marker = step, marker

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        if trainer.global_step == self.step:
            Path(self.marker).write_text(str(self.step))
            time.sleep(300)


def command(demo_data: Any, *extra: str) -> list[str]:
    # Lightning does not restore torch's generator; GlobalRngState does, so dropout (0.1 in
    # model/tiny.yaml) draws the same masks after the resume. Added here unless the config has it.
    rng = () if "GlobalRngState" in (CONFIGS / "base.yaml").read_text() else (
        "--trainer.callbacks+=polytrain.callbacks.rng_state.GlobalRngState",)
    return fit_command(demo_data, "model/tiny.yaml", "objective/mlm.yaml", extra=(
        f"--trainer.max_steps={MAX_STEPS}", "--trainer.log_every_n_steps=1", *rng, *extra))


def env() -> dict[str, str]:
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}


def fit(args: list[str], cwd: Path) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=240, env=env(), check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def fit_and_kill(args: list[str], cwd: Path, marker: Path) -> int:
    """Start ``args`` in its own process group; SIGKILL the group (trainer and DataLoader workers)
    once the probe says it reached its step. Returns the process's exit status."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env(), start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while not marker.exists():
            assert proc.poll() is None, f"run ended before the kill step:\n{proc.stderr.read()[-3000:]}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "timed out waiting for the kill step"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def losses(run_dir: Path, version: int) -> dict[int, str]:
    """``step -> train/loss`` as written to ``runs/polytrain/version_<version>/metrics.csv`` (strings:
    compared exactly)."""
    with (run_dir / "runs" / "polytrain" / f"version_{version}" / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    return {int(r["step"]): r["train/loss"] for r in rows if r.get("train/loss")}


def test_kill_9_then_resume_matches_an_uninterrupted_run(demo_data: Any, demo_tokens: Path, tmp_path: Path) -> None:
    seed = int(os.environ.get("POLYTRAIN_KILL_SEED", time.time_ns() % 10**6))
    kill_step = random.Random(seed).choice(list(KILL_STEPS))
    where = f"(kill at step {kill_step}; rerun with POLYTRAIN_KILL_SEED={seed})"
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    straight.mkdir()
    broken.mkdir()

    fit(command(demo_data), straight)
    marker = tmp_path / "reached"
    probe = f'{{"class_path": "test_resume_exact.PauseAtStep", "init_args": {{"step": {kill_step}, "marker": "{marker}"}}}}'
    tokens = f"--data.shards={demo_tokens}"
    status = fit_and_kill(command(demo_data, tokens, f"--trainer.callbacks+={probe}"), broken, marker)
    assert status == -signal.SIGKILL, where
    last = broken / "runs" / "checkpoints" / "last.ckpt"
    resumed_from = torch.load(last, map_location="cpu", weights_only=True)["global_step"]
    assert 3 <= resumed_from <= kill_step and resumed_from % 3 == 0, where
    fit(command(demo_data, tokens, "--ckpt_path=last"), broken)

    # The resumed run continues version_0 (docs/training.md): what the killed run flushed before its
    # checkpoint, then every step from the checkpoint on.
    assert not (broken / "runs" / "polytrain" / "version_1").exists(), where
    expected, got = losses(straight, 0), losses(broken, 0)
    assert [s for s in sorted(got) if s >= resumed_from] == [s for s in sorted(expected) if s >= resumed_from], where
    assert got == {s: expected[s] for s in got}, where  # bit-identical losses after the resume

    a = torch.load(straight / "runs" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    b = torch.load(last, map_location="cpu", weights_only=True)
    assert a["global_step"] == b["global_step"] == MAX_STEPS
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for name, tensor in a["state_dict"].items():
        assert torch.equal(tensor, b["state_dict"][name]), f"{name} differs {where}"
    for x, y in zip(_tensors(a["optimizer_states"]), _tensors(b["optimizer_states"]), strict=True):
        assert torch.equal(x, y), f"optimizer state differs {where}"
    # The data position in both final checkpoints is the same too.
    assert _tensors(a["PretrainDataModule"]["ranks"]) and all(
        torch.equal(x, y) for x, y in zip(_tensors(a["PretrainDataModule"]["ranks"]),
                                          _tensors(b["PretrainDataModule"]["ranks"]), strict=True))


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for k in sorted(value, key=str) for t in _tensors(value[k])]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


if __name__ == "__main__":  # pragma: no cover - the probe is imported by the subprocess
    sys.exit("run with pytest")
