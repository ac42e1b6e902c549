"""SLURM batch scripts for ``polytrain fit``: ``polytrain slurm [options] -- <fit arguments>``.

The script asks SLURM for one task per device (Lightning's ``SLURMEnvironment`` maps each task to a
rank), sends ``SIGUSR1`` to the tasks ``requeue_signal_seconds`` before the time limit, and runs
``srun <this installation's polytrain> fit ... --ckpt_path auto`` so that a requeued run resumes from the
newest complete checkpoint (and a first run, which has none, starts fresh). Saving and stopping on the
signal is ``polytrain.callbacks.signals.SaveOnSignal`` (every run); ``SlurmRequeue``
(``configs/trainer/slurm.yaml``) asks for the requeue, which the script runs once ``srun`` has
returned, i.e. after every rank has exited. docs/slurm.md walks through every line of the rendered script.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REQUEUE_FILE_VARIABLE = "POLYTRAIN_REQUEUE_FILE"
"""Set by the rendered script: the file in which rank 0 asks for a requeue that the script runs after ``srun``."""
NEVER_STARTS = frozenset({"PartitionConfig", "BadConstraints", "PartitionNodeLimit", "PartitionTimeLimit",
                          "ReqNodeNotAvail", "InvalidAccount", "InvalidQOS", "QOSMaxCpuPerJobLimit"})
"""``squeue`` pending reasons of a job that will not start as submitted."""
_TIME = re.compile(r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SlurmConfigError(ValueError):
    """A job description that would fail or misbehave on the cluster; the message is one line."""


def default_command() -> list[str]:
    """The ``polytrain`` console script next to this Python (absolute), else ``<this python> -m polytrain``.

    The script is preferred: ``python -m`` puts the working directory first on ``sys.path``, where a
    ``polytrain/`` folder that is not the installed package would shadow it.
    """
    script = Path(sys.executable).parent / "polytrain"
    return [str(script)] if os.access(script, os.X_OK) else [sys.executable, "-m", "polytrain"]


@dataclass
class SlurmJob:
    """What to ask SLURM for; ``render_sbatch`` turns it into a batch script.

    Args:
        nodes: number of nodes (``--nodes``); Lightning's ``trainer.num_nodes`` must match.
        tasks_per_node: processes per node (``--ntasks-per-node``); must equal ``trainer.devices``,
            since Lightning runs one rank per SLURM task and one task per device.
        gpus_per_node: GPUs per node (``--gpus-per-node``); 0 omits the line (CPU jobs).
        cpus_per_task: cores per task (``--cpus-per-task``): one for the training process plus one per
            DataLoader worker, so at least ``data.num_workers + 1``.
        time: wall-clock limit, ``HH:MM:SS`` or ``D-HH:MM:SS`` (``--time``).
        partition: ``--partition``, omitted when None.
        account: ``--account``, omitted when None.
        job_name: ``--job-name``; also the ``%x`` in ``output``.
        requeue_signal_seconds: SIGUSR1 is sent to every task this many seconds before the time
            limit (``--signal=USR1@N``); enough time to finish a step and write a checkpoint.
            0 omits ``--signal`` (the job then saves only when signalled by hand).
        output: log file (``--output``); ``%x`` is the job name, ``%j`` the job id, which a requeued
            run keeps, so with ``--open-mode=append`` every restart appends to the same file.
            sbatch does not create its directory: ``polytrain slurm`` does when it writes or submits.
        extra_sbatch: more sbatch options, one per item, with or without the ``#SBATCH`` prefix
            (e.g. ``"--qos=high"``, ``"--exclusive"``).
        env: variables exported before ``srun`` (e.g. ``NCCL_SOCKET_IFNAME``; ``MASTER_ADDR`` for
            the CPU test cluster whose node names do not resolve).
        setup: shell lines run before ``srun`` (``module load ...``, ``source .venv/bin/activate``).
        command: how to start polytrain on the nodes; default: :func:`default_command`, an absolute
            path that works without an activated environment (a bare ``polytrain`` is looked up by
            ``srun``, which runs a ``polytrain/`` folder of the working directory instead).
        srun_args: options for ``srun``; ``--kill-on-bad-exit=1`` ends every rank when one dies
            instead of leaving the others blocked in a collective until the time limit.
    """

    nodes: int = 1
    tasks_per_node: int = 1
    gpus_per_node: int = 0
    cpus_per_task: int = 1
    time: str = "24:00:00"
    partition: str | None = None
    account: str | None = None
    job_name: str = "polytrain"
    requeue_signal_seconds: int = 120
    output: str = "runs/slurm/%x-%j.out"  # polytrain slurm: <trainer.default_root_dir>/slurm/%x-%j.out
    extra_sbatch: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=lambda: default_command())
    srun_args: list[str] = field(default_factory=lambda: ["--kill-on-bad-exit=1"])

    def validate(self) -> None:
        """Raise ``SlurmConfigError`` naming the first field that SLURM or Lightning would reject."""
        for name in ("nodes", "tasks_per_node", "cpus_per_task"):
            if getattr(self, name) < 1:
                raise SlurmConfigError(f"{name}={getattr(self, name)} must be at least 1")
        if self.gpus_per_node < 0 or self.requeue_signal_seconds < 0:
            raise SlurmConfigError("gpus_per_node and requeue_signal_seconds must not be negative")
        if self.gpus_per_node and self.tasks_per_node != self.gpus_per_node:
            raise SlurmConfigError(
                f"tasks_per_node={self.tasks_per_node} but gpus_per_node={self.gpus_per_node}: "
                "Lightning runs one task per GPU, so they must be equal"
            )
        if not _TIME.match(self.time):
            raise SlurmConfigError(f"time={self.time!r} is not HH:MM:SS or D-HH:MM:SS")
        bad = [k for k in self.env if not _ENV_NAME.match(k)]
        if bad:
            raise SlurmConfigError(f"env has invalid variable name(s): {', '.join(bad)}")
        if not self.command:
            raise SlurmConfigError("command is empty: give the program that runs polytrain (e.g. polytrain)")


def render_sbatch(job: SlurmJob, fit_args: Sequence[str]) -> str:
    """The batch script that runs ``polytrain fit <fit_args> --ckpt_path auto`` as ``job``.

    Args:
        job: resources and environment (validated here).
        fit_args: arguments after ``fit`` (``-c configs/base.yaml ...``); must not contain
            ``--ckpt_path``, which the script sets to ``auto`` so that requeued runs resume.

    Returns:
        The script text, ready for ``sbatch``.

    Raises:
        SlurmConfigError: invalid job, or ``--ckpt_path`` given in ``fit_args``.
    """
    job.validate()
    if any(a == "--ckpt_path" or a.startswith("--ckpt_path=") for a in fit_args):
        raise SlurmConfigError("remove --ckpt_path: the script passes --ckpt_path auto so a requeued job resumes")
    lines = [
        "#!/bin/bash",
        "# Rendered by `polytrain slurm`; docs/slurm.md explains every line.",
        f"#SBATCH --job-name={job.job_name}",
        f"#SBATCH --nodes={job.nodes}",
        f"#SBATCH --ntasks-per-node={job.tasks_per_node}",
    ]
    if job.gpus_per_node:
        lines.append(f"#SBATCH --gpus-per-node={job.gpus_per_node}")
    lines += [f"#SBATCH --cpus-per-task={job.cpus_per_task}", f"#SBATCH --time={job.time}"]
    if job.requeue_signal_seconds:
        # No "B:": the signal must reach the srun tasks (the Python ranks), not only the batch shell.
        lines.append(f"#SBATCH --signal=USR1@{job.requeue_signal_seconds}")
    lines += ["#SBATCH --requeue", "#SBATCH --open-mode=append", f"#SBATCH --output={job.output}"]
    if job.partition:
        lines.append(f"#SBATCH --partition={job.partition}")
    if job.account:
        lines.append(f"#SBATCH --account={job.account}")
    lines += [extra if extra.startswith("#SBATCH") else f"#SBATCH {extra}" for extra in job.extra_sbatch]
    lines += [
        "",
        "set -eo pipefail",
        'echo "polytrain: job ${SLURM_JOB_ID} restart ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST} at $(date -Is)"',
    ]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in job.env.items()]
    lines += list(job.setup)
    argv = [*job.command, "fit", *fit_args, "--ckpt_path", "auto"]
    return "\n".join([*lines, "", *_run_then_requeue(job, shlex.join([*job.srun_args, *argv])), ""])


def _run_then_requeue(job: SlurmJob, srun_args: str) -> list[str]:
    """``srun`` in the background (this shell passes a ``--signal=B:USR1`` on to it), then the
    requeue that rank 0 asked for, once every rank has exited (``SlurmRequeue``)."""
    folder = str(Path(job.output).parent) if "%" not in str(Path(job.output).parent) else "."
    where = shlex.quote(folder) if Path(folder).is_absolute() else f'"$PWD"/{shlex.quote(folder)}'
    return [
        "# Rank 0 asks for a requeue in this file; it runs below, after srun has returned (every rank has exited).",
        f"export {REQUEUE_FILE_VARIABLE}={where}/.requeue-${{SLURM_JOB_ID}}",
        f'rm -f "${REQUEUE_FILE_VARIABLE}"',
        f"srun {srun_args} &",
        "srun_pid=$!",
        "trap 'kill -USR1 \"$srun_pid\" 2>/dev/null' USR1  # a --signal=B:USR1 reaches only this shell: pass it on",
        'status=0; wait "$srun_pid" || status=$?',
        'while kill -0 "$srun_pid" 2>/dev/null; do status=0; wait "$srun_pid" || status=$?; done  # after a trap',
        f'if [ "$status" -eq 0 ] && [ -s "${REQUEUE_FILE_VARIABLE}" ]; then',
        f'  job=$(cat "${REQUEUE_FILE_VARIABLE}"); rm -f "${REQUEUE_FILE_VARIABLE}"',
        '  echo "polytrain: every rank has exited; scontrol requeue $job at $(date -Is)"',
        '  scontrol requeue "$job"',
        "fi",
        'exit "$status"',
    ]


# ------------------------------------------------------------------------------- reading configs


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _option(args: Sequence[str], i: int) -> tuple[str, str | None]:
    """``(key, value)`` of ``args[i]``: ``--key=value``, or ``--key value`` / ``-c value``; value None for flags."""
    arg = args[i]
    if arg.startswith("--") and "=" in arg:
        key, value = arg.split("=", 1)
        return key, value
    if arg.startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-"):
        return arg, args[i + 1]
    return arg, None


def _load_mapping(path: str) -> dict[str, Any]:
    from polytrain.config_files import resolve
    from polytrain.errors import ConfigError

    try:
        path = resolve(path)  # -c base: a shipped config
    except ConfigError as err:
        raise SlurmConfigError(str(err)) from None
    if not Path(path).is_file():  # inline YAML or a URL: not for the script's checks
        raise SlurmConfigError(f"config file {path} not found (relative paths are read from {Path.cwd()})")
    loaded = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(loaded, dict):
        raise SlurmConfigError(f"config file {path} is not a YAML mapping")
    return loaded


def read_fit_config(fit_args: Sequence[str]) -> dict[str, Any]:
    """Merge the ``-c``/``--config`` files and ``--a.b value`` overrides in ``fit_args``, in order.

    A cheap approximation of LightningCLI's parsing (plain YAML merge, no class resolution), enough
    to read ``trainer.devices``, ``trainer.num_nodes`` and ``data.num_workers`` before submitting.

    Raises:
        SlurmConfigError: a config file is missing or is not a YAML mapping.
    """
    merged: dict[str, Any] = {}
    args = list(fit_args)
    i = 0
    while i < len(args):
        key, value = _option(args, i)
        i += 1 if value is None or "=" in args[i] else 2
        if value is None:
            continue
        if key in ("-c", "--config"):
            _deep_merge(merged, _load_mapping(value))
        elif key.startswith("--") and "." in key:
            node: dict[str, Any] = {}
            *parents, leaf = key[2:].split(".")
            cursor = node
            for part in parents:
                cursor = cursor.setdefault(part, {})
            cursor[leaf] = yaml.safe_load(value)
            _deep_merge(merged, node)
    return merged


def check_against_config(job: SlurmJob, config: dict[str, Any]) -> list[str]:
    """Compare the job with the fit config; raise on a mismatch, return fit arguments to append.

    Returns:
        ``["--trainer.num_nodes", N]`` when the config does not set ``num_nodes`` and ``N > 1``, and
        ``["--trainer.devices", T]`` (tasks per node) when it leaves ``devices`` to Lightning
        (unset, ``auto`` or ``-1``): on CPU that would be 1 device, which Lightning refuses against
        ``--ntasks-per-node`` > 1.

    Raises:
        SlurmConfigError: tasks per node differ from ``trainer.devices``, nodes from
            ``trainer.num_nodes``, or there are fewer CPUs per task than DataLoader workers + 1.
    """
    trainer = config.get("trainer") or {}
    devices = trainer.get("devices")
    if isinstance(devices, str) and devices.strip().isdigit():
        devices = int(devices)
    if isinstance(devices, int) and devices > 0 and devices != job.tasks_per_node:
        raise SlurmConfigError(
            f"--tasks-per-node {job.tasks_per_node} but trainer.devices={devices}: SLURM starts one task per "
            "device, so they must be equal"
        )
    if isinstance(devices, list) and len(devices) != job.tasks_per_node:
        raise SlurmConfigError(f"--tasks-per-node {job.tasks_per_node} but trainer.devices lists {len(devices)}")
    workers = (config.get("data") or {}).get("num_workers")
    if isinstance(workers, int) and job.cpus_per_task < workers + 1:
        raise SlurmConfigError(
            f"--cpus-per-task {job.cpus_per_task} is fewer than data.num_workers + 1 = {workers + 1} "
            "(one core for each DataLoader worker and one for the training process)"
        )
    num_nodes = trainer.get("num_nodes")
    if num_nodes is not None and num_nodes != job.nodes:
        raise SlurmConfigError(f"--nodes {job.nodes} but trainer.num_nodes={num_nodes}: they must be equal")
    extra = ["--trainer.num_nodes", str(job.nodes)] if num_nodes is None and job.nodes > 1 else []
    if devices in (None, "auto", -1, "-1"):
        extra += ["--trainer.devices", str(job.tasks_per_node)]
    return extra


# ------------------------------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polytrain slurm",
        description="Render (and with --submit, submit) an sbatch script that runs `polytrain fit` with requeue.",
        epilog="example: polytrain slurm --nodes 2 --gpus-per-node 8 --time 24:00:00 --submit -- "
        "-c configs/base.yaml -c configs/model/base.yaml -c configs/objective/mlm.yaml -c configs/trainer/slurm.yaml "
        "--data.shards shards/manifest.json --data.tokenizer tok.json",
    )
    default = SlurmJob()
    add = parser.add_argument
    add("--nodes", type=int, default=default.nodes, help="number of nodes (default %(default)s)")
    add("--gpus-per-node", type=int, default=default.gpus_per_node, help="GPUs per node; 0 for CPU jobs")
    add("--tasks-per-node", type=int, default=None,
        help="tasks (ranks) per node; default: --gpus-per-node, else trainer.devices, else 1")
    add("--cpus-per-task", type=int, default=None, help="cores per task; default data.num_workers + 1")
    add("--time", default=default.time, help="time limit HH:MM:SS or D-HH:MM:SS (default %(default)s)")
    add("--partition", default=None)
    add("--account", default=None)
    add("--job-name", default=default.job_name)
    add("--signal-seconds", type=int, default=default.requeue_signal_seconds,
        help="send SIGUSR1 this many seconds before the time limit (default %(default)s; 0: never)")
    add("--output", default=None,
        help="job log; %%x job name, %%j job id (default <trainer.default_root_dir>/slurm/%%x-%%j.out)")
    add("--sbatch", action="append", default=[], metavar="OPTION", help="extra sbatch option (repeatable)")
    add("--env", action="append", default=[], metavar="NAME=VALUE", help="export before srun (repeatable)")
    add("--setup", action="append", default=[], metavar="LINE", help="shell line before srun (repeatable)")
    add("--command", default=None, help="how the nodes start polytrain (default: the absolute path of this "
        f"installation's, {shlex.join(default.command)})")
    add("--out", default=None, help="write the script here instead of stdout")
    add("--submit", action="store_true",
        help="write the script (to --out or <trainer.default_root_dir>/slurm/<job-name>.sbatch) and sbatch it")
    add("fit_args", nargs=argparse.REMAINDER, help="-- then the arguments of `polytrain fit`")
    return parser


def run_folder(config: dict[str, Any]) -> Path:
    """Where the run writes: ``trainer.default_root_dir`` (Lightning's default: the working directory)."""
    return Path(str((config.get("trainer") or {}).get("default_root_dir") or "."))


def _job_from_args(ns: argparse.Namespace, config: dict[str, Any]) -> SlurmJob:
    trainer, data = config.get("trainer") or {}, config.get("data") or {}
    devices = trainer.get("devices")
    tasks = ns.tasks_per_node or ns.gpus_per_node or (devices if isinstance(devices, int) and devices > 0 else 1)
    workers = data.get("num_workers")
    cpus = ns.cpus_per_task or ((workers if isinstance(workers, int) else 0) + 1)
    env: dict[str, str] = {}
    for item in ns.env:
        if "=" not in item:
            raise SlurmConfigError(f"--env {item!r} is not NAME=VALUE")
        name, value = item.split("=", 1)
        env[name] = value
    return SlurmJob(
        nodes=ns.nodes, tasks_per_node=tasks, gpus_per_node=ns.gpus_per_node, cpus_per_task=cpus, time=ns.time,
        partition=ns.partition, account=ns.account, job_name=ns.job_name,
        requeue_signal_seconds=ns.signal_seconds, output=ns.output or str(run_folder(config) / "slurm" / "%x-%j.out"),
        extra_sbatch=list(ns.sbatch), env=env, setup=list(ns.setup),
        command=shlex.split(ns.command) if ns.command else SlurmJob().command,
    )


def _has_requeue_callback(config: dict[str, Any]) -> bool:
    trainer = config.get("trainer") or {}
    callbacks = [*(trainer.get("callbacks") or []), *(trainer.get("callbacks+") or [])]
    return any("SlurmRequeue" in str(c.get("class_path", "") if isinstance(c, dict) else c) for c in callbacks)


def submit(script_path: Path, sbatch: Sequence[str] = ("sbatch",)) -> str:
    """Run ``sbatch --parsable script_path``; return the job id.

    Raises:
        RuntimeError: sbatch is missing or refused the script (its message is included).
    """
    try:
        proc = subprocess.run([*sbatch, "--parsable", str(script_path)], check=False, capture_output=True, text=True,
                              timeout=120)
    except FileNotFoundError:
        raise RuntimeError(f"{sbatch[0]} not found: submit from a SLURM login node, or run sbatch {script_path}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"sbatch {script_path} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip().split(";")[0]


def largest_node_cpus(partition: str | None, sinfo: Sequence[str] = ("sinfo",)) -> int | None:
    """The most CPUs any node of ``partition`` (default: every partition) has, from ``sinfo``; None if unknown."""
    command = [*sinfo, "--noheader", "--Node", "--format=%c", *(["--partition", partition] if partition else [])]
    try:
        proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    counts = [int(word) for word in proc.stdout.split() if word.isdigit()]
    return max(counts) if proc.returncode == 0 and counts else None


def warn_if_it_cannot_fit(job: SlurmJob, sinfo: Sequence[str] = ("sinfo",)) -> None:
    """Warn when a node of the job needs more CPUs than the largest node has: sbatch may accept it,
    and SLURM then leaves it pending for ever (reason ``PartitionConfig``)."""
    needed = job.tasks_per_node * job.cpus_per_task
    largest = largest_node_cpus(job.partition, sinfo)
    if largest is not None and needed > largest:
        where = f"partition {job.partition}" if job.partition else "this cluster"
        print(f"polytrain slurm: warning: --tasks-per-node {job.tasks_per_node} x --cpus-per-task "
              f"{job.cpus_per_task} = {needed} CPUs per node, but the largest node of {where} has {largest}: "
              "the job would never start", file=sys.stderr)


def report_state(job_id: str, squeue: Sequence[str] = ("squeue",), wait_s: float = 10.0) -> str:
    """Print (and return) the job's state and pending reason a moment after submission, naming
    reasons that mean it will never start as submitted (:data:`NEVER_STARTS`)."""
    deadline, line = time.monotonic() + wait_s, ""
    while time.monotonic() < deadline:
        try:
            proc = subprocess.run([*squeue, "--noheader", "--jobs", job_id, "--format=%T %r"], check=False,
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        if proc.returncode != 0:  # no squeue here, or the job is already gone
            return ""
        line = proc.stdout.strip()
        if line and not line.endswith(" None"):  # the scheduler has looked at it
            break
        time.sleep(0.5)
    state, _, reason = line.partition(" ")
    if not state:
        return ""
    hopeless = f": it will not start as submitted (scancel {job_id}, then fix the request)" if reason in NEVER_STARTS else ""
    print(f"polytrain slurm: job {job_id} is {state}" + (f" ({reason})" if state == "PENDING" else "") + hopeless,
          file=sys.stderr)
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """``polytrain slurm``: validate, render to stdout or ``--out``, and with ``--submit`` sbatch it.

    Returns:
        0 on success, 2 on invalid options or configs, 1 when sbatch fails.
    """
    ns = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    fit_args = ns.fit_args[1:] if ns.fit_args[:1] == ["--"] else ns.fit_args
    try:
        if not fit_args:
            raise SlurmConfigError("no fit arguments: add `-- -c configs/base.yaml ...` (what `polytrain fit` gets)")
        config = read_fit_config(fit_args)
        job = _job_from_args(ns, config)
        job.validate()
        fit_args = [*fit_args, *check_against_config(job, config)]
        script = render_sbatch(job, fit_args)
    except SlurmConfigError as error:
        print(f"polytrain slurm: error: {error}", file=sys.stderr)
        return 2
    if job.requeue_signal_seconds and not _has_requeue_callback(config):
        print("polytrain slurm: warning: no polytrain.callbacks.requeue.SlurmRequeue in trainer.callbacks: the job "
              "saves and stops on SIGUSR1 but is not requeued; add -c configs/trainer/slurm.yaml", file=sys.stderr)
    warn_if_it_cannot_fit(job)
    default_out = run_folder(config) / "slurm" / f"{job.job_name}.sbatch"
    out = Path(ns.out) if ns.out else (default_out if ns.submit else None)
    if out is None:
        sys.stdout.write(script)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(script)
    log_dir = Path(job.output).parent
    if "%" not in str(log_dir):
        log_dir.mkdir(parents=True, exist_ok=True)  # sbatch does not create it, and would lose the log
    print(f"polytrain slurm: wrote {out}", file=sys.stderr)
    if not ns.submit:
        return 0
    try:
        job_id = submit(out)
    except RuntimeError as error:
        print(f"polytrain slurm: error: {error}", file=sys.stderr)
        return 1
    print(job_id, flush=True)
    report_state(job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
