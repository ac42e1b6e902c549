"""polytrain's SLURM path against a real local SLURM controller (two emulated nodes, see slurm_cluster.py).

Every job runs 2 nodes x 1 task on CPU with gloo, so each takes seconds; every wait has a timeout.
"""

from __future__ import annotations

import re
import socket
import sys
import time
from pathlib import Path

import pytest
from slurm_cluster import SlurmCluster

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
JOB_TIMEOUT = 180.0  # seconds; a job here takes ~10-40 s on 2 cores


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "<no output file>"


def test_lightning_ddp_job_spans_two_nodes(slurm_cluster: SlurmCluster, tmp_path: Path) -> None:
    """sbatch --nodes=2 --ntasks-per-node=1 + srun: Lightning detects SLURM and forms a world of 2."""
    log = tmp_path / "probe.log"
    script = tmp_path / "probe.sbatch"
    script.write_text(f"""#!/bin/bash
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=1
#SBATCH --time=00:05:00
#SBATCH --output={log}
# The emulated node names (n1, n2) do not resolve; every rank is on this host.
export MASTER_ADDR=127.0.0.1 MASTER_PORT={_free_port()} OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
exec srun {sys.executable} {HERE / "ddp_probe.py"}
""")
    job = slurm_cluster.sbatch(script, cwd=tmp_path)
    state = slurm_cluster.wait(job, JOB_TIMEOUT)
    out = _read(log)
    assert state == "COMPLETED", f"job {job} ended {state}:\n{out}"
    probes = sorted(re.findall(r"probe rank=(\d) world=(\d) env=(\w+) allreduce=(\d)", out))
    assert probes == [("0", "2", "SLURMEnvironment", "2"), ("1", "2", "SLURMEnvironment", "2")], out


# ------------------------------------------------------------------------- polytrain fit on SLURM

FIT_STEPS = 9  # a multiple of smoke.yaml's val_check_interval: ModelCheckpoint writes last.ckpt after validation
REQUEUE_STEPS = 24  # ~20 steps for the USR1 to land after the first checkpoint (step 3)


def _fit_job_args(tmp_path: Path, demo_data: object, max_steps: int, name: str) -> list[str]:
    """``polytrain slurm`` options: 2 nodes x 1 task, CPU, gloo, the tiny model on demo shards."""
    configs = [f"configs/{c}.yaml" for c in ("base", "model/tiny", "objective/mlm", "data/demo", "trainer/smoke",
                                             "trainer/slurm")]
    fit_args = [arg for c in configs for arg in ("-c", str(ROOT / c))] + [
        f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",  # type: ignore[attr-defined]
        "--data.num_workers=1", "--data.batch_size=8", "--data.max_length=64", f"--trainer.max_steps={max_steps}",
    ]
    return ["--nodes", "2", "--tasks-per-node", "1", "--time", "00:15:00", "--job-name", name,
            "--output", str(tmp_path / f"{name}-%j.out"), "--command", f"{sys.executable} -m polytrain.cli",
            # Emulated node names do not resolve: every rank meets on this host.
            "--env", "MASTER_ADDR=127.0.0.1", "--env", f"MASTER_PORT={_free_port()}",
            "--env", "OMP_NUM_THREADS=1", "--env", "PYTHONUNBUFFERED=1", "--env", "PYTHONWARNINGS=ignore",
            "--", *fit_args]


def _ckpt_step(path: Path) -> int:
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def test_polytrain_fit_runs_on_two_nodes(slurm_cluster: SlurmCluster, demo_data: object, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`polytrain slurm --submit` renders and submits: DDP over 2 nodes, world size 2, all steps done."""
    from polytrain.distributed.slurm import main as slurm_main

    monkeypatch.chdir(tmp_path)  # the job runs where it is submitted, like a user's sbatch
    monkeypatch.setenv("SLURM_CONF", slurm_cluster.env["SLURM_CONF"])
    assert slurm_main(["--submit", *_fit_job_args(tmp_path, demo_data, FIT_STEPS, "fit")]) == 0
    job = capsys.readouterr().out.strip()
    assert job.isdigit() and (tmp_path / "runs" / "slurm" / "fit.sbatch").exists()
    state = slurm_cluster.wait(job, JOB_TIMEOUT)
    out = _read(tmp_path / f"fit-{job}.out")
    assert state == "COMPLETED", f"job {job} ended {state}:\n{out[-5000:]}"
    assert "Starting with 2 processes" in out, out[-5000:]
    assert {"GLOBAL_RANK: 0, MEMBER: 1/2", "GLOBAL_RANK: 1, MEMBER: 2/2"} <= set(re.findall(r"GLOBAL_RANK: \d, MEMBER: \d/\d", out))
    assert _ckpt_step(tmp_path / "runs" / "checkpoints" / "last.ckpt") == FIT_STEPS


def test_usr1_checkpoints_requeues_and_resumes(slurm_cluster: SlurmCluster, demo_data: object, tmp_path: Path) -> None:
    """USR1 mid-run: save at an agreed step, scontrol requeue, rerun resumes there and finishes."""
    from polytrain.distributed.slurm import main as slurm_main

    script = tmp_path / "requeue.sbatch"
    assert slurm_main(["--out", str(script), *_fit_job_args(tmp_path, demo_data, REQUEUE_STEPS, "requeue")]) == 0
    job = slurm_cluster.sbatch(script, cwd=tmp_path)
    log = tmp_path / f"requeue-{job}.out"
    # Training is under way once the first validation's checkpoint exists (step 3, smoke.yaml).
    deadline = time.monotonic() + JOB_TIMEOUT
    while not list((tmp_path / "runs" / "checkpoints").glob("step*.ckpt")):
        assert slurm_cluster.state(job) in ("PENDING", "RUNNING", "CONFIGURING"), _read(log)[-5000:]
        assert time.monotonic() < deadline, f"no checkpoint after {JOB_TIMEOUT:.0f} s:\n{_read(log)[-5000:]}"
        time.sleep(0.2)
    slurm_cluster.scancel_signal(job, "USR1")
    state = slurm_cluster.wait(job, 2 * JOB_TIMEOUT)
    out = _read(log)
    assert state == "COMPLETED", f"job {job} ended {state}:\n{out[-5000:]}"
    saved = re.findall(r"SlurmRequeue: SIGUSR1 received; saved (\S+) at step (\d+)", out)
    assert len(saved) == 1, out[-5000:]  # one save (the agreement across ranks: test_requeue.py)
    step = int(saved[0][1])
    assert 3 <= step < REQUEUE_STEPS
    assert f"requeued SLURM job {job}" in out and "DUE TO JOB REQUEUE" in out
    starts = re.findall(r"training from step (\d+), SLURM_RESTART_COUNT=(\d+)", out)
    assert starts == [("0", "0"), (str(step), "1")], out[-5000:]
    # --ckpt_path auto: the first run found nothing and started fresh; the restart took the saved one.
    assert "resume: no checkpoint" in out and re.search(rf"resume: from \S+last\.ckpt \(step {step}\)", out)
    assert re.search(rf"polytrain: job {job} restart 1 ", out)
    assert _ckpt_step(tmp_path / "runs" / "checkpoints" / "last.ckpt") == REQUEUE_STEPS
