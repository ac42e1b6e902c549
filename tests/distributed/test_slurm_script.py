"""``polytrain slurm`` without a cluster: the rendered sbatch script, its validation, and ``main``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from polytrain.distributed.slurm import (
    SlurmConfigError,
    SlurmJob,
    check_against_config,
    default_command,
    main,
    read_fit_config,
    render_sbatch,
)
from polytrain.distributed.slurm_checks import check_master_address, check_slurm_launch
from polytrain.errors import LaunchError

ROOT = Path(__file__).resolve().parents[2]


def _sbatch_lines(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith("#SBATCH")]


def test_render_has_every_line_in_order() -> None:
    job = SlurmJob(nodes=2, tasks_per_node=8, gpus_per_node=8, cpus_per_task=9, time="24:00:00",
                   partition="gpu", account="proj", env={"NCCL_DEBUG": "WARN"})
    script = render_sbatch(job, ["-c", "configs/base.yaml"])
    assert script.startswith("#!/bin/bash\n")
    assert _sbatch_lines(script) == [
        "#SBATCH --job-name=polytrain",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=8",
        "#SBATCH --gpus-per-node=8",
        "#SBATCH --cpus-per-task=9",
        "#SBATCH --time=24:00:00",
        "#SBATCH --signal=USR1@120",
        "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        "#SBATCH --output=runs/slurm/%x-%j.out",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=proj",
    ]
    assert "export NCCL_DEBUG=WARN" in script
    # This Python, not a bare `polytrain` that srun would look up (and find a polytrain/ folder).
    assert default_command() == [str(Path(sys.executable).parent / "polytrain")]  # the venv's console script
    assert f"\nsrun --kill-on-bad-exit=1 {shlex.join(default_command())} fit -c configs/base.yaml " \
           "--ckpt_path auto &\n" in script
    assert "--signal=B:" not in "\n".join(_sbatch_lines(script))  # the signal must reach the srun tasks
    # The requeue rank 0 asks for runs after srun has returned: every rank has exited by then.
    tail = script.split(" --ckpt_path auto &\n", 1)[1]
    assert 'if [ "$status" -eq 0 ] && [ -s "$POLYTRAIN_REQUEUE_FILE" ]; then' in tail and 'scontrol requeue "$job"' in tail
    assert 'export POLYTRAIN_REQUEUE_FILE="$PWD"/runs/slurm/.requeue-${SLURM_JOB_ID}' in script
    assert "exec " not in script and subprocess.run(["bash", "-n"], check=False, input=script, text=True).returncode == 0


def test_cpu_job_omits_gpus_and_quotes_values() -> None:
    job = SlurmJob(env={"MASTER_ADDR": "127.0.0.1", "NOTE": "a b'c"}, extra_sbatch=["--qos=high", "#SBATCH --exclusive"],
                   command=["/opt/py env/bin/python", "-m", "polytrain.cli"], requeue_signal_seconds=0)
    script = render_sbatch(job, ["--data.shards=/data/my shards/manifest.json"])
    lines = _sbatch_lines(script)
    assert not any("--gpus-per-node" in line or "--signal" in line for line in lines)
    assert lines[-2:] == ["#SBATCH --qos=high", "#SBATCH --exclusive"]
    assert "export MASTER_ADDR=127.0.0.1" in script and "export NOTE='a b'\"'\"'c'" in script
    assert "srun --kill-on-bad-exit=1 '/opt/py env/bin/python' -m polytrain.cli fit " \
           "'--data.shards=/data/my shards/manifest.json' --ckpt_path auto &" in script
    assert subprocess.run(["bash", "-n"], check=False, input=script, text=True).returncode == 0  # valid shell


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (SlurmJob(tasks_per_node=4, gpus_per_node=8), "tasks_per_node=4 but gpus_per_node=8"),
        (SlurmJob(time="25h"), "time='25h' is not HH:MM:SS"),
        (SlurmJob(nodes=0), "nodes=0 must be at least 1"),
        (SlurmJob(env={"BAD-NAME": "x"}), "invalid variable name"),
    ],
)
def test_invalid_job_is_refused(job: SlurmJob, message: str) -> None:
    with pytest.raises(SlurmConfigError, match=message):
        render_sbatch(job, ["-c", "x.yaml"])


def test_ckpt_path_is_reserved() -> None:
    with pytest.raises(SlurmConfigError, match="remove --ckpt_path"):
        render_sbatch(SlurmJob(), ["--ckpt_path=best"])


def test_read_fit_config_merges_files_and_overrides_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("trainer: {devices: 2, max_steps: 5}\ndata: {num_workers: 3}\n")
    (tmp_path / "b.yaml").write_text("trainer: {devices: 4}\n")
    config = read_fit_config(["-c", str(tmp_path / "a.yaml"), "--config", str(tmp_path / "b.yaml"),
                              "--data.num_workers=7", "--trainer.num_nodes", "2"])
    assert config == {"trainer": {"devices": 4, "max_steps": 5, "num_nodes": 2}, "data": {"num_workers": 7}}
    with pytest.raises(SlurmConfigError, match="missing.yaml: no such file"):
        read_fit_config(["-c", str(tmp_path / "missing.yaml")])


@pytest.mark.parametrize(
    ("job", "config", "message"),
    [
        (SlurmJob(tasks_per_node=8, cpus_per_task=4), {"trainer": {"devices": 4}},
         "--tasks-per-node 8 but trainer.devices=4"),
        (SlurmJob(cpus_per_task=2), {"data": {"num_workers": 4}}, "--cpus-per-task 2 is fewer than data.num_workers \\+ 1 = 5"),
        (SlurmJob(nodes=2), {"trainer": {"num_nodes": 4}}, "--nodes 2 but trainer.num_nodes=4"),
    ],
)
def test_job_must_agree_with_the_fit_config(job: SlurmJob, config: dict, message: str) -> None:
    with pytest.raises(SlurmConfigError, match=message):
        check_against_config(job, config)


def test_num_nodes_and_devices_are_added_when_the_config_leaves_them_out() -> None:
    assert check_against_config(SlurmJob(nodes=4), {"trainer": {"devices": 1}}) == ["--trainer.num_nodes", "4"]
    assert check_against_config(SlurmJob(nodes=4), {"trainer": {"num_nodes": 4, "devices": 1}}) == []
    # Lightning's default devices on CPU is 1, which it refuses against --ntasks-per-node=2.
    for devices in ({}, {"devices": "auto"}, {"devices": -1}):
        assert check_against_config(SlurmJob(nodes=2, tasks_per_node=2), {"trainer": devices}) == [
            "--trainer.num_nodes", "2", "--trainer.devices", "2"]
    assert check_against_config(SlurmJob(tasks_per_node=2), {"trainer": {"devices": "2"}}) == []


def test_main_renders_the_repo_configs_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    configs = ["-c", str(ROOT / "configs/base.yaml"), "-c", str(ROOT / "configs/data/demo.yaml")]
    assert main(["--nodes", "2", "--gpus-per-node", "8", "--time", "12:00:00", "--", *configs]) == 0
    captured = capsys.readouterr()
    script = captured.out
    # data/demo.yaml has num_workers: 2, so 3 CPUs per task; num_nodes comes from --nodes, devices from the tasks.
    assert "#SBATCH --cpus-per-task=3\n" in script and "#SBATCH --ntasks-per-node=8\n" in script
    assert f"fit {' '.join(configs)} --trainer.num_nodes 2 --trainer.devices 8 --ckpt_path auto" in script
    assert "#SBATCH --output=runs/slurm/%x-%j.out\n" in script  # under base.yaml's default_root_dir
    assert "warning: no polytrain.callbacks.requeue.SlurmRequeue" in captured.err
    with_requeue = [*configs, "-c", str(ROOT / "configs/trainer/slurm.yaml")]
    assert main(["--nodes", "2", "--gpus-per-node", "8", "--", *with_requeue]) == 0
    assert "warning" not in capsys.readouterr().err


def test_main_reports_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--gpus-per-node", "8", "--", "-c", str(ROOT / "configs/base.yaml"), "--trainer.devices=4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("polytrain slurm: error: --tasks-per-node 8 but trainer.devices=4: SLURM starts one task per "
                   "device, so they must be equal")
    assert main(["--nodes", "2"]) == 2
    assert "no fit arguments" in capsys.readouterr().err


def test_main_submit_writes_the_script_and_prints_the_job_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "bin" / "sbatch"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "sbatch-args"}\necho "4711;cluster"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("trainer: {devices: 1, default_root_dir: exp}\n")
    assert main(["--submit", "--job-name", "mlm", "--", "-c", "c.yaml"]) == 0
    assert capsys.readouterr().out.strip() == "4711"
    # The script and the job's log go under the run's folder (trainer.default_root_dir).
    script = tmp_path / "exp" / "slurm" / "mlm.sbatch"
    assert (tmp_path / "sbatch-args").read_text().split() == ["--parsable", str(Path("exp/slurm/mlm.sbatch"))]
    assert "#SBATCH --output=exp/slurm/%x-%j.out\n" in script.read_text()
    assert f"srun --kill-on-bad-exit=1 {shlex.join(default_command())} fit -c c.yaml --ckpt_path auto &" \
        in script.read_text()
    assert (tmp_path / "exp" / "slurm").is_dir()  # the --output directory, which sbatch would not create


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2"}, True),  # batch shell of a 2-task job: no srun
        ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2", "SLURM_STEP_ID": "0"}, False),  # an srun task
        ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1"}, False),  # one task: nothing to wait for
        ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2", "SLURM_JOB_NAME": "interactive"}, False),
        ({}, False),
    ],
)
def test_multi_task_job_without_srun_is_refused(env: dict[str, str], refused: bool) -> None:
    if refused:
        with pytest.raises(LaunchError, match="not started by srun"):
            check_slurm_launch(env)
    else:
        check_slurm_launch(env)


def test_an_unresolvable_rank_0_address_is_refused() -> None:
    job = {"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2", "SLURM_NODELIST": "node-does-not-exist.invalid[1-2]"}
    with pytest.raises(LaunchError, match=r"rank 0's address node-does-not-exist.invalid1 \(the first node of "
                                               r"SLURM_NODELIST node-does-not-exist.invalid\[1-2\]\) does not resolve"):
        check_master_address(job)
    with pytest.raises(LaunchError, match=r"address nowhere.invalid \(MASTER_ADDR\) does not resolve"):
        check_master_address({**job, "MASTER_ADDR": "nowhere.invalid"})
    check_master_address({**job, "MASTER_ADDR": "127.0.0.1"})
    check_master_address({**job, "SLURM_NTASKS": "1"})  # one task: nobody to meet


def test_the_slurm_fragment_names_the_resume_the_script_uses() -> None:
    comments = [line for line in (ROOT / "configs/trainer/slurm.yaml").read_text().splitlines()
                if line.lstrip().startswith("#")]
    assert any("--ckpt_path auto" in line for line in comments)
    assert not any("--ckpt_path last" in line for line in comments)


def test_hand_template_matches_what_polytrain_slurm_renders(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """configs/slurm/fit.sbatch stays in step with the renderer: same #SBATCH lines, same srun line."""
    monkeypatch.chdir(ROOT)  # the template names configs relative to the repository
    template = (ROOT / "configs/slurm/fit.sbatch").read_text()
    srun = " ".join(template.split("\nsrun ", 1)[1].split(" &\n", 1)[0].replace("\\\n", " ").split())
    command, fit_args = srun.removeprefix("--kill-on-bad-exit=1 ").split(" fit ", 1)
    fit_args = fit_args.removesuffix(" --ckpt_path auto").split()
    assert main(["--nodes", "2", "--gpus-per-node", "8", "--cpus-per-task", "5", "--command", command, "--",
                 *fit_args]) == 0
    rendered = capsys.readouterr().out
    assert _sbatch_lines(template) == _sbatch_lines(rendered)
    assert f"\nsrun {srun} &\n" in rendered
    after = [line for line in rendered.split(" &\n", 1)[1].splitlines() if line]
    assert all(line in template for line in after)  # the same requeue after srun
    assert subprocess.run(["bash", "-n", str(ROOT / "configs/slurm/fit.sbatch")], check=False).returncode == 0
