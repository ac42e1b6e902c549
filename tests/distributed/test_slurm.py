"""polytrain's SLURM path against a real local SLURM controller (two emulated nodes, see slurm_cluster.py).

Every job runs on CPU with gloo (2 nodes x 1 task, one 2 x 2), so each takes seconds to a minute;
every wait has a timeout.
"""

from __future__ import annotations

import csv
import os
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
VAL_EVERY = 3  # smoke.yaml's val_check_interval


def _fit_args(demo_data: object, max_steps: int, *extra: str) -> list[str]:
    """``polytrain fit`` arguments: CPU, gloo, the tiny model on demo shards, no ``trainer.devices``
    (smoke.yaml's ``devices: 1`` is reset to Lightning's default, so ``polytrain slurm`` derives it)."""
    configs = [f"configs/{c}.yaml" for c in ("base", "model/tiny", "objective/mlm", "data/demo", "trainer/smoke",
                                             "trainer/slurm")]
    return [arg for c in configs for arg in ("-c", str(ROOT / c))] + [
        f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",  # type: ignore[attr-defined]
        "--data.num_workers=0", "--data.batch_size=8", "--data.max_length=64", f"--trainer.max_steps={max_steps}",
        "--trainer.devices=auto", *extra,
    ]


def _job_args(name: str, tasks: int = 1, master_addr: bool = True) -> list[str]:
    """``polytrain slurm`` options: 2 nodes x ``tasks``; the log, the command and ``trainer.devices`` are
    the defaults (the log under ``trainer.default_root_dir``, this Python with ``-m polytrain``)."""
    # Emulated node names do not resolve: every rank meets on this host.
    env = ["--env", "MASTER_ADDR=127.0.0.1"] if master_addr else []
    return ["--nodes", "2", "--tasks-per-node", str(tasks), "--time", "00:15:00", "--job-name", name, *env,
            "--env", f"MASTER_PORT={_free_port()}", "--env", "OMP_NUM_THREADS=1", "--env", "PYTHONUNBUFFERED=1"]


def _ckpt_step(path: Path) -> int:
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def _submit(slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            args: list[str]) -> tuple[str, str]:
    """``polytrain slurm --submit`` from this process (the job inherits its environment): (job id, stderr)."""
    from polytrain.distributed.slurm import main as slurm_main

    monkeypatch.setenv("SLURM_CONF", slurm_cluster.env["SLURM_CONF"])
    assert slurm_main(["--submit", *args]) == 0
    captured = capsys.readouterr()
    return captured.out.strip(), captured.err


def test_polytrain_fit_runs_on_two_nodes(slurm_cluster: SlurmCluster, demo_data: object, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`polytrain slurm --submit` with the defaults: 2 nodes x 2 tasks, DDP with a world of 4, all steps done.

    Submitted from a folder that holds a ``polytrain/`` folder, without the venv on PATH: the default
    command must not be a bare ``polytrain`` (srun would run the folder). ``trainer.devices`` comes from
    ``--tasks-per-node``; the log goes under ``trainer.default_root_dir``; no ``sync_dist`` advice.
    """
    monkeypatch.chdir(tmp_path)  # the job runs where it is submitted, like a user's sbatch
    (tmp_path / "polytrain").mkdir()
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin))
    job, _ = _submit(slurm_cluster, monkeypatch, capsys,
                     [*_job_args("fit", tasks=2), "--", *_fit_args(demo_data, FIT_STEPS, "--trainer.default_root_dir=exp")])
    assert job.isdigit() and (tmp_path / "exp" / "slurm" / "fit.sbatch").exists()
    state = slurm_cluster.wait(job, JOB_TIMEOUT)
    out = _read(tmp_path / "exp" / "slurm" / f"fit-{job}.out")
    assert state == "COMPLETED", f"job {job} ended {state}:\n{out[-5000:]}"
    assert "Starting with 4 processes" in out, out[-5000:]
    assert {f"GLOBAL_RANK: {r}, MEMBER: {r + 1}/4" for r in range(4)} <= set(re.findall(r"GLOBAL_RANK: \d, MEMBER: \d/\d", out))
    assert _ckpt_step(tmp_path / "exp" / "checkpoints" / "last.ckpt") == FIT_STEPS
    assert "sync_dist" not in out, out[-5000:]


def test_job_start_checks(slurm_cluster: SlurmCluster, demo_data: object, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A job that can never start is named at render and after submission; a rank 0 address that does
    not resolve fails the job at once, in one line per rank, instead of hanging until the time limit."""
    monkeypatch.chdir(tmp_path)
    fit = _fit_args(demo_data, FIT_STEPS)
    # 2 tasks x 2 CPUs per node, on nodes of 2 CPUs: sbatch accepts it, SLURM never starts it.
    job, err = _submit(slurm_cluster, monkeypatch, capsys, [*_job_args("big", tasks=2), "--cpus-per-task", "2", "--", *fit])
    slurm_cluster.run(["scancel", job])
    assert "= 4 CPUs per node, but the largest node of this cluster has 2: the job would never start" in err, err
    assert f"job {job} is PENDING (PartitionConfig): it will not start as submitted" in err, err
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    job, _ = _submit(slurm_cluster, monkeypatch, capsys, [*_job_args("noaddr", master_addr=False), "--", *fit])
    state = slurm_cluster.wait(job, JOB_TIMEOUT)
    out = _read(tmp_path / "runs" / "slurm" / f"noaddr-{job}.out")
    assert state == "FAILED", f"job {job} ended {state}:\n{out[-5000:]}"
    errors = re.findall(r"^polytrain fit: error: (.*)$", out, flags=re.MULTILINE)
    assert errors and errors[0] == ("rank 0's address n1 (the first node of SLURM_NODELIST n[1-2]) does not resolve "
                                    f"on {socket.gethostname()} ([Errno -2] Name or service not known): the ranks "
                                    "could not meet and the job would hang; set MASTER_ADDR to an address every node "
                                    "reaches (polytrain slurm --env MASTER_ADDR=...)"), out[-3000:]
    assert "Traceback" not in out, out[-3000:]


def _validations_up_to(run_dir: Path, step: int) -> int:
    """Validations logged at global steps <= ``step`` in every metrics.csv of the run (a validation at
    step N is logged with ``step`` N - 1)."""
    count = 0
    for path in run_dir.glob("polytrain/version_*/metrics.csv"):
        with path.open() as f:
            count += sum(1 for row in csv.DictReader(f) if row.get("val/loss") and int(row["step"]) + 1 <= step)
    return count


def test_usr1_checkpoints_requeues_and_resumes(slurm_cluster: SlurmCluster, demo_data: object, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """USR1 mid-run: save at an agreed step without validating, exit every rank, then the batch script
    requeues; the rerun resumes there and finishes. Nothing in the log looks like a crash."""
    from polytrain.distributed.slurm import main as slurm_main

    monkeypatch.chdir(tmp_path)  # polytrain slurm creates the log folder, relative to where the job runs
    script = tmp_path / "requeue.sbatch"
    assert slurm_main(["--out", str(script), *_job_args("requeue"), "--", *_fit_args(demo_data, REQUEUE_STEPS)]) == 0
    job = slurm_cluster.sbatch(script, cwd=tmp_path)
    log = tmp_path / "runs" / "slurm" / f"requeue-{job}.out"
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
    saved = re.findall(r"SaveOnSignal: SIGUSR1 received; saved (\S+) at step (\d+) and stopping", out)
    assert len(saved) == 1, out[-5000:]  # one save (the agreement across ranks: test_requeue.py)
    step = int(saved[0][1])
    assert 3 <= step < REQUEUE_STEPS
    # Requeued by the batch script after srun returned: no step was cancelled under a live rank.
    # (SLURM's own "*** JOB ... CANCELLED ... DUE TO JOB REQUEUE ***" may follow, when the batch shell
    # has not exited yet: it is the only process left.)
    assert f"polytrain: every rank has exited; scontrol requeue {job} at" in out
    assert not re.search(r"STEP \S+ ON \S+ CANCELLED|srun: error|Traceback|Connection closed", out), out[-5000:]
    # No validation after the save: only the scheduled ones before it (every 3 steps).
    assert _validations_up_to(tmp_path / "runs", step) == (step - 1) // VAL_EVERY
    starts = re.findall(r"training from step (\d+), SLURM_RESTART_COUNT=(\d+)", out)
    assert starts == [("0", "0"), (str(step), "1")], out[-5000:]
    # --ckpt_path auto: the first run found nothing and started fresh; the restart took the saved one.
    assert "resume: no checkpoint" in out and re.search(rf"resume: from \S+last\.ckpt \(step {step}\)", out)
    assert re.search(rf"polytrain: job {job} restart 1 ", out)
    assert _ckpt_step(tmp_path / "runs" / "checkpoints" / "last.ckpt") == REQUEUE_STEPS
