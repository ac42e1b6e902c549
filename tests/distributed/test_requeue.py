"""SaveOnSignal's signal plumbing and SlurmRequeue's requeue, without SLURM: flag-only handler, agreed
step-boundary save without a validation after it, a second Ctrl-C, the time cadence, requeue asked for
once from rank 0 with the right (array) job id, DataLoader workers unaffected, conflicts detected.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.trainer.connectors.signal_connector import _HandlersCompose, _SignalConnector
from requeue_probe import SelfSignalling, loader
from signal_dataset import SignalsItself
from torch.utils.data import DataLoader

from polytrain.callbacks.requeue import SlurmRequeue, slurm_job_id
from polytrain.callbacks.signals import SaveOnSignal
from polytrain.stream.workers import worker_ignore_signals

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.fixture(autouse=True)
def _restore_signals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test leaves SIGUSR1/SIGTERM as it found them, and runs as if outside SLURM."""
    for name in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(name)
    saved = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def _wait_flag(callback: SaveOnSignal) -> None:
    for _ in range(200):  # Python runs handlers between bytecodes; this loop only bounds the wait
        if callback.received:
            return
        time.sleep(0.01)


def _recorder(log: Path) -> list[str]:
    """A fake ``scontrol requeue``: an executable that appends its arguments to ``log``."""
    script = log.with_suffix(".sh")
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    script.chmod(0o755)
    return [str(script)]


def _load(path: str) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def _fit(tmp_path: Path, callbacks: list[Callback], signal_step: int, max_steps: int = 20, accumulate: int = 1,
         signum: signal.Signals = signal.SIGUSR1, checkpoint: ModelCheckpoint | None = None,
         val_check_interval: int | None = None) -> tuple[Trainer, SelfSignalling]:
    model = SelfSignalling(signal_rank=0, signal_step=signal_step, signum=int(signum))
    trainer = Trainer(
        accelerator="cpu", devices=1, max_steps=max_steps, logger=False, enable_progress_bar=False,
        enable_model_summary=False, accumulate_grad_batches=accumulate, default_root_dir=tmp_path,
        callbacks=[checkpoint or ModelCheckpoint(dirpath=tmp_path / "ckpt", save_top_k=0), *callbacks],
        val_check_interval=val_check_interval,
    )
    # Workers survive SIGUSR1 by inheriting the handler; SIGTERM and SIGINT need worker_ignore_signals.
    init = worker_ignore_signals if signum in (signal.SIGTERM, signal.SIGINT) else None
    trainer.fit(model, loader(256, init), loader(8, init))
    return trainer, model


# --------------------------------------------------------------------------------------- handler


def test_handler_only_sets_a_flag(tmp_path: Path) -> None:
    callback = SaveOnSignal(dirpath=str(tmp_path))
    callback.install()
    os.kill(os.getpid(), signal.SIGUSR1)
    _wait_flag(callback)
    assert callback.received > 0
    assert callback.saved_path is None and not list(tmp_path.iterdir())  # nothing saved in the handler
    callback.restore()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own, put back


def test_a_second_ctrl_c_stops_at_once() -> None:
    callback = SaveOnSignal()
    callback.install()
    os.kill(os.getpid(), signal.SIGINT)  # the first one only asks for a save at the next step
    _wait_flag(callback)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1.0)  # the handler raises in this thread between bytecodes
    callback.restore()


def test_existing_handler_is_refused_or_replaced_with_a_warning() -> None:
    def submitit_like(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGUSR1, submitit_like)
    with pytest.raises(RuntimeError, match=r"SIGUSR1 already has a handler \(.*submitit_like\)"):
        SaveOnSignal().install()
    assert signal.getsignal(signal.SIGUSR1) is submitit_like
    callback = SaveOnSignal(on_conflict="warn")
    with pytest.warns(UserWarning, match="already has a handler"):
        callback.install()
    assert signal.getsignal(signal.SIGUSR1) == callback.handle


def test_handler_left_by_an_earlier_fit_is_replaced() -> None:
    stale = SaveOnSignal()
    stale.install()  # e.g. a fit in this process that raised before its teardown
    fresh = SaveOnSignal()
    fresh.install()
    assert signal.getsignal(signal.SIGUSR1) == fresh.handle


def test_lightning_auto_requeue_handler_is_replaced_with_a_warning() -> None:
    connector = _SignalConnector(trainer=None)  # type: ignore[arg-type]
    signal.signal(signal.SIGUSR1, _HandlersCompose([connector._slurm_sigusr_handler_fn]))
    callback = SaveOnSignal()
    with pytest.warns(UserWarning, match="auto_requeue=false"):
        callback.install()
    assert signal.getsignal(signal.SIGUSR1) == callback.handle
    callback.restore()  # never puts Lightning's handler (which references a trainer) back
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


# ------------------------------------------------------------------------------------- job ids


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLURM_JOB_ID": "1234"}, "1234"),
        ({"SLURM_JOB_ID": "80", "SLURM_ARRAY_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "3"}, "77_3"),
        ({}, None),
    ],
)
def test_job_id(env: dict[str, str], expected: str | None) -> None:
    assert slurm_job_id(env) == expected


def test_malformed_job_id_is_refused() -> None:
    with pytest.raises(ValueError, match="not a SLURM job id"):
        slurm_job_id({"SLURM_JOB_ID": "12; rm -rf /"})


def test_requeue_command_gets_the_array_job_id(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    callback = SlurmRequeue(requeue_command=_recorder(log))
    env = {"SLURM_JOB_ID": "80", "SLURM_ARRAY_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "3"}
    assert callback.run_requeue("last.ckpt", env) is True
    assert log.read_text() == "77_3\n"
    assert callback.run_requeue("last.ckpt", {}) is False  # not under SLURM: nothing to requeue
    assert log.read_text() == "77_3\n"
    callback.request_requeue(tmp_path / "request", "last.ckpt", env)  # what the rendered script reads
    assert (tmp_path / "request").read_text() == "77_3\n"


def test_missing_scontrol_warns_and_names_the_checkpoint() -> None:
    callback = SlurmRequeue(requeue_command=["/nonexistent/scontrol", "requeue"])
    with pytest.warns(UserWarning, match="last.ckpt is saved: resubmit job 5"):
        assert callback.run_requeue("runs/checkpoints/last.ckpt", {"SLURM_JOB_ID": "5"}) is False


def test_requeue_needs_a_save_on_signal_callback(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SlurmRequeue needs polytrain.callbacks.signals.SaveOnSignal handling SIGUSR1"):
        _fit(tmp_path, [SlurmRequeue()], signal_step=1)


# --------------------------------------------------------------------------------- DataLoaders


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_dataloader_workers_ignore_the_signal(context: str) -> None:
    callback = SaveOnSignal()
    callback.install()
    # Forked workers inherit the handler, which does nothing outside the training process; spawned
    # workers start with the default action (terminate) unless worker_ignore_signals runs first.
    loader = DataLoader(SignalsItself(), num_workers=1, multiprocessing_context=multiprocessing.get_context(context),
                        worker_init_fn=worker_ignore_signals if context == "spawn" else None)
    assert sorted(int(x) for x in loader) == [0, 1, 2, 3]
    assert callback.received == 0  # the workers' signals did not reach the training process's flag


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.isdigit() and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(180)
def test_workers_die_with_a_killed_training_process(demo_data, tmp_path: Path) -> None:
    """``kill -9`` of ``polytrain fit`` (train and validation workers alive): every DataLoader worker
    ends with it. torch's watchdog alone left the later-forked pair blocked on a pipe forever."""
    repo = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-m", "polytrain.cli", "fit"]
    for fragment in ("base.yaml", "model/tiny.yaml", "objective/mlm.yaml", "data/demo.yaml", "trainer/smoke.yaml"):
        args += ["-c", str(repo / "configs" / fragment)]
    args += [f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",
             "--data.num_workers=2", "--trainer.max_steps=100000", "--trainer.val_check_interval=2"]
    fit = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 4:  # 2 train + 2 validation workers (persistent)
            assert fit.poll() is None and time.monotonic() < deadline, f"workers seen: {workers}"
            time.sleep(0.5)
            workers = _children(fit.pid)
        time.sleep(2.0)  # let them fill their queues
    finally:
        fit.kill()
        fit.wait()
    deadline = time.monotonic() + 5.0
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers still alive 5 s after the training process was killed: {left}"


def test_unprotected_worker_dies() -> None:
    """Control for the test above: without the handler, the signal kills the worker."""
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    loader = DataLoader(SignalsItself(), num_workers=1, multiprocessing_context=multiprocessing.get_context("fork"))
    with pytest.raises(RuntimeError, match="killed by signal|exited unexpectedly"):
        list(loader)


# ------------------------------------------------------------------------- saves at a step boundary


def test_saves_at_the_next_step_and_stops_without_validating(tmp_path: Path) -> None:
    saver = SaveOnSignal()
    trainer, model = _fit(tmp_path, [saver, SlurmRequeue(requeue_command=_recorder(tmp_path / "calls"))], signal_step=3)
    # Signalled (with its train and validation DataLoader workers, which survive) during the 4th
    # training_step; the save follows that step's optimizer update.
    assert model.steps_run == 4 and trainer.global_step == 4
    assert trainer.state.status.value == "finished" and not trainer.interrupted
    assert saver.saved_path == str(tmp_path / "ckpt" / "last.ckpt") and saver.stopped_by == signal.SIGUSR1
    assert _load(saver.saved_path)["global_step"] == 4
    assert model.validations == 0  # Lightning validates when should_stop is set: not after a stop signal
    assert trainer.limit_val_batches == 1.0  # ... and the trainer validates again afterwards
    assert not (tmp_path / "calls").exists()  # no SLURM_JOB_ID here: saved and stopped, not requeued
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # handlers restored after fit


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_ctrl_c_save_and_stop_without_requeue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          signum: signal.Signals) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "99")
    requeue = SlurmRequeue(requeue_command=_recorder(tmp_path / "calls"))
    trainer, model = _fit(tmp_path, [SaveOnSignal(), requeue], signal_step=2, signum=signum)
    # Lightning's own SIGTERM handler would raise SIGTERMException, and SIGINT a KeyboardInterrupt.
    assert model.steps_run == 3 and trainer.global_step == 3 and trainer.state.status.value == "finished"
    assert _load(str(tmp_path / "ckpt" / "last.ckpt"))["global_step"] == 3
    assert not (tmp_path / "calls").exists()  # SIGTERM: the scheduler decides about requeueing


def test_requeue_runs_after_fit_under_slurm_or_is_left_to_the_batch_script(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "1234")
    calls = tmp_path / "calls"
    _fit(tmp_path, [SaveOnSignal(), SlurmRequeue(requeue_command=_recorder(calls))], signal_step=1)
    assert calls.read_text() == "1234\n"  # a hand-written script: rank 0 requeues after a barrier
    calls.unlink()
    monkeypatch.setenv("POLYTRAIN_REQUEUE_FILE", str(tmp_path / "request"))  # `polytrain slurm`'s script
    _fit(tmp_path, [SaveOnSignal(), SlurmRequeue(requeue_command=_recorder(calls))], signal_step=1)
    assert (tmp_path / "request").read_text() == "1234\n" and not calls.exists()


def test_check_every_defers_the_save_to_the_agreed_step(tmp_path: Path) -> None:
    trainer, model = _fit(tmp_path, [SaveOnSignal(check_every=3)], signal_step=3)
    assert trainer.global_step == 6 and model.steps_run == 6
    assert _load(str(tmp_path / "ckpt" / "last.ckpt"))["global_step"] == 6


def test_no_save_in_the_middle_of_gradient_accumulation(tmp_path: Path) -> None:
    # global_step counts optimizer steps: signalled in batch 3 (step 1 of 2 batches each).
    trainer, model = _fit(tmp_path, [SaveOnSignal()], signal_step=1, accumulate=2)
    assert model.steps_run == 4 and trainer.global_step == 2
    assert _load(str(tmp_path / "ckpt" / "last.ckpt"))["global_step"] == 2


class _SavedSteps(Callback):
    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_save_checkpoint(self, trainer: Trainer, pl_module: object, checkpoint: dict) -> None:
        self.steps.append(trainer.global_step)


def test_time_cadence_saves_last_and_keeps_the_validation_checkpoints(tmp_path: Path) -> None:
    """A cadence shorter than a step saves last.ckpt after every step; the validation at step 4 still
    writes its top-k checkpoint (a timed save of the same step must not count as ModelCheckpoint's)."""
    saved = _SavedSteps()
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=1, save_last=True)
    trainer, _ = _fit(tmp_path, [SaveOnSignal(every_minutes=1e-9), saved], signal_step=-1, max_steps=6,
                      checkpoint=checkpoint, val_check_interval=4)
    assert sorted(set(saved.steps)) == [1, 2, 3, 4, 5, 6]
    assert _load(str(tmp_path / "ckpt" / "last.ckpt"))["global_step"] == 6
    assert (tmp_path / "ckpt" / "epoch=0-step=4.ckpt").exists()
    quiet = _SavedSteps()
    _fit(tmp_path / "quiet", [SaveOnSignal(every_minutes=60), quiet], signal_step=-1, max_steps=6)
    assert quiet.steps == []  # every hour: nothing within six steps


def _probe(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]), "OMP_NUM_THREADS": "1",
                **(env or {})}
    for key in [k for k in full_env if k.startswith("SLURM_") and (env is None or k not in env)]:
        del full_env[key]
    return subprocess.run([*args, "--ckpt-dir", str(tmp_path / "ckpt")], check=False, capture_output=True, text=True,
                          env=full_env, timeout=240, cwd=tmp_path)


def test_two_ranks_agree_and_only_rank_zero_requeues(tmp_path: Path) -> None:
    """Only rank 1 is signalled; both ranks save at the same step, stop, and exit 0; one requeue call."""
    calls = tmp_path / "calls"
    proc = _probe(
        tmp_path, sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        str(HERE / "requeue_probe.py"), "--devices", "2", "--signal-rank", "1", "--signal-step", "5",
        "--requeue-command", *_recorder(calls),
        env={"SLURM_JOB_ID": "4242"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = sorted(re.findall(r"probe rank=(\d) steps_run=(\d+) global_step=(\d+) status=(\w+) validations=(\d+)",
                              proc.stdout))
    assert lines == [("0", "6", "6", "finished", "0"), ("1", "6", "6", "finished", "0")], proc.stdout
    assert calls.read_text() == "4242\n"
    assert _load(str(tmp_path / "ckpt" / "last.ckpt"))["global_step"] == 6
