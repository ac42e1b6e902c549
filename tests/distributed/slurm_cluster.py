"""A real, throw-away SLURM 22.05 cluster on localhost for the test suite.

One ``munged`` with its own key and socket, one ``slurmctld`` and two ``slurmd -N n1|n2`` emulating
two nodes on this host, all writing their state, logs and spool under one temporary directory and
found by clients through ``SLURM_CONF``. Nothing under ``/etc`` or ``/run`` is touched, so it never
meets a system SLURM. ``docs/slurm.md`` ("The local test cluster") explains each setting.

Used through the session fixture ``slurm_cluster`` in ``tests/distributed/conftest.py``; also runnable
by hand for debugging: ``python tests/distributed/slurm_cluster.py`` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "scontrol", "squeue", "sinfo", "scancel")
NODES = ("n1", "n2")
CPUS_PER_NODE = 2
# JobState values after which a job never runs again (a REQUEUED job goes back to PENDING).
TERMINAL_STATES = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL",
     "DEADLINE", "SPECIAL_EXIT"}
)


def find_binary(name: str) -> str | None:
    """Path of a SLURM/munge binary; daemons live in /usr/sbin, which a non-root PATH may lack."""
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,) if os.access(p, os.X_OK)), None)


def missing_binaries() -> list[str]:
    """The binaries this harness needs that are not installed (``.ci/slurm-setup.sh`` installs them)."""
    return [name for name in BINARIES if find_binary(name) is None]


def _free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free right now (held open together so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SlurmError(RuntimeError):
    """A SLURM command failed or the cluster did not reach the expected state; the message has the logs."""


@dataclass
class SlurmCluster:
    """A running local cluster; build it with :meth:`start`, stop it with :meth:`stop`.

    Attributes:
        root: directory holding slurm.conf, the munge key and socket, daemon state and logs.
        env: environment for client commands and jobs (``SLURM_CONF`` and the inherited variables).
    """

    root: Path
    env: dict[str, str]
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @classmethod
    def start(cls, root: Path | None = None, timeout: float = 60.0) -> SlurmCluster:
        """Write the configuration, start every daemon and wait until both nodes are idle.

        Args:
            root: empty directory to use (a new temporary one when None). Must be an absolute path.
            timeout: seconds to wait for the nodes to register.

        Raises:
            SlurmError: a daemon exited or the nodes did not become idle; the message has the logs.
        """
        root = Path(root or tempfile.mkdtemp(prefix="polytrain-slurm-")).resolve()
        env = dict(os.environ)
        env["SLURM_CONF"] = str(root / "slurm.conf")
        for name in [k for k in env if k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_"))]:
            if name != "SLURM_CONF":
                del env[name]  # a test run inside a real SLURM job must not leak that job into ours
        env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin"
        cluster = cls(root=root, env=env)
        try:
            cluster._write_files()
            cluster._spawn()
            cluster._wait_idle(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _write_files(self) -> None:
        root = self.root
        for sub in ("munge", "ctld", "spool", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # munged refuses a socket directory writable by others, and a key readable by others.
        (root / "munge").chmod(0o755)
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        ctld_port, *node_ports = _free_ports(1 + len(NODES))
        self.conf.write_text(render_conf(root, socket.gethostname().split(".")[0], ctld_port, node_ports))

    def _spawn(self) -> None:
        root, log = self.root, self.root / "log"
        munge = root / "munge"
        self._popen("munged", [find_binary("munged") or "munged", "--foreground", "--force",
                               f"--socket={munge / 'munge.socket.2'}", f"--key-file={munge / 'munge.key'}",
                               f"--pid-file={munge / 'munged.pid'}", f"--log-file={log / 'munged.log'}",
                               f"--seed-file={munge / 'munged.seed'}"])
        self._wait_for(lambda: (munge / "munge.socket.2").exists(), 10, "munged did not create its socket")
        # -c: start clean (no saved jobs); -D: stay in the foreground so we own the process.
        self._popen("slurmctld", [find_binary("slurmctld") or "slurmctld", "-D", "-c", "-f", str(self.conf)])
        for node in NODES:
            self._popen(f"slurmd-{node}", [find_binary("slurmd") or "slurmd", "-D", "-N", node, "-f", str(self.conf)])

    def _popen(self, name: str, argv: list[str]) -> None:
        out = open(self.root / "log" / f"{name}.stdout", "wb")  # noqa: SIM115 - closed with the process
        # A new session: the daemons never receive the terminal's Ctrl-C before we stop them in order.
        self._procs[name] = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()

    def _wait_for(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, proc in self._procs.items() if proc.poll() is not None]
            if dead:
                raise SlurmError(f"{', '.join(dead)} exited during start-up\n{self.logs()}")
            if ready():
                return
            time.sleep(0.25)
        raise SlurmError(f"{what} within {timeout:.0f} s\n{self.logs()}")

    def _wait_idle(self, timeout: float) -> None:
        def idle() -> bool:
            out = self.run(["sinfo", "--noheader", "-N", "-o", "%N %t"], check=False)
            states = dict(line.split() for line in out.splitlines() if line.strip())
            return all(states.get(node) == "idle" for node in NODES)

        self._wait_for(idle, timeout, f"nodes {', '.join(NODES)} did not become idle")

    # ----------------------------------------------------------------------------- client commands

    def run(self, argv: Sequence[str], check: bool = True, timeout: float = 30.0) -> str:
        """Run a SLURM client command against this cluster; return its stdout.

        Raises:
            SlurmError: ``check`` and the command exited non-zero (message has its stderr).
        """
        proc = subprocess.run(list(argv), check=False, env=self.env, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root)
        if check and proc.returncode != 0:
            raise SlurmError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    def sbatch(self, script: str | Path, *args: str, cwd: str | Path | None = None) -> str:
        """Submit a batch script; returns the job id.

        Args:
            script: path of the script.
            args: extra sbatch options, placed before the script.
            cwd: the job's working directory (``--chdir``); the script's directory when None.
        """
        script = Path(script).resolve()
        chdir = Path(cwd).resolve() if cwd is not None else script.parent
        out = self.run(["sbatch", "--parsable", f"--chdir={chdir}", *args, str(script)])
        return out.strip().split(";")[0]

    def job_info(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` as a dict (empty when the controller no longer knows the job)."""
        out = self.run(["scontrol", "show", "job", "-o", job_id], check=False)
        return dict(re.findall(r"(\w+)=(\S*)", out))

    def state(self, job_id: str) -> str:
        """The job's JobState (e.g. PENDING, RUNNING, COMPLETED), or "UNKNOWN" when it is gone."""
        return self.job_info(job_id).get("JobState", "UNKNOWN")

    def wait(self, job_id: str, timeout: float = 120.0, states: frozenset[str] = TERMINAL_STATES) -> str:
        """Wait until the job reaches one of ``states``; return that state.

        Raises:
            SlurmError: timeout; the job is cancelled and the message has its state and the daemon logs.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(job_id)
            if state in states:
                return state
            time.sleep(0.5)
        info = self.job_info(job_id)
        self.run(["scancel", job_id], check=False)
        raise SlurmError(f"job {job_id} still {info.get('JobState')} after {timeout:.0f} s "
                         f"(reason {info.get('Reason')})\n{self.logs()}")

    def scancel_signal(self, job_id: str, sig: str = "USR1") -> None:
        """Send ``sig`` to the job's steps (the srun tasks), as ``--signal=USR1@N`` does: not ``--batch``."""
        self.run(["scancel", f"--signal={sig}", job_id])

    def logs(self, tail: int = 40) -> str:
        """The last ``tail`` lines of each daemon log, for failure messages."""
        parts = []
        for path in sorted((self.root / "log").glob("*")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    # ------------------------------------------------------------------------------------ shutdown

    def stop(self, keep: bool = False) -> None:
        """Cancel every job, stop the daemons (slurmd, slurmctld, munged) and remove ``root``.

        Args:
            keep: leave ``root`` (logs, state) on disk for debugging.
        """
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            self.run(["scancel", "--full", "--user", str(os.getuid())], check=False, timeout=10)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.run(["squeue", "-h"], check=False, timeout=10).strip():
                time.sleep(0.5)
        for name in [n for n in self._procs if n.startswith("slurmd")] + ["slurmctld", "munged"]:
            proc = self._procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._kill_strays()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def _kill_strays(self) -> None:
        """Kill processes that still carry this cluster's SLURM_CONF (slurmstepd, job tasks).

        slurmstepd outlives slurmd by design; every process the daemons started inherited our
        ``SLURM_CONF=<root>/slurm.conf``, which no other process on the machine has.
        """
        marker = f"SLURM_CONF={self.conf}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ:
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def render_conf(root: Path, host: str, ctld_port: int, node_ports: Sequence[int]) -> str:
    """slurm.conf for a controller and ``len(NODES)`` emulated nodes on this host (all paths absolute)."""
    munge = root / "munge" / "munge.socket.2"
    nodes = "\n".join(
        f"NodeName={name} NodeHostname=localhost NodeAddr=127.0.0.1 Port={port} CPUs={CPUS_PER_NODE} "
        f"RealMemory=1000 State=UNKNOWN"
        for name, port in zip(NODES, node_ports, strict=True)
    )
    return f"""\
# Written by tests/distributed/slurm_cluster.py; see docs/slurm.md, "The local test cluster".
ClusterName=polytrain-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmUser=root
SlurmdUser=root
# Our own munged; cred_expire=10 because a requeued job may start only after the credential lifetime
# (default 120 s) has passed.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge},cred_expire=10
StateSaveLocation={root / "ctld"}
SlurmdSpoolDir={root / "spool"}/%n
SlurmctldPidFile={root / "ctld" / "slurmctld.pid"}
SlurmdPidFile={root / "spool"}/slurmd-%n.pid
SlurmctldLogFile={root / "log" / "slurmctld.log"}
SlurmdLogFile={root / "log"}/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container; no accounting database (sacct is unavailable, squeue/scontrol work).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
# Schedule within seconds, not the default minute.
SchedulerParameters=sched_interval=2,bf_interval=1
ReturnToService=2
JobRequeue=1
KillWait=5
InactiveLimit=0
MinJobAge=600
{nodes}
PartitionName=debug Nodes={",".join(NODES)} Default=YES MaxTime=INFINITE State=UP
"""


if __name__ == "__main__":
    cluster = SlurmCluster.start()
    print(f"export SLURM_CONF={cluster.conf}   # Ctrl-C stops the cluster")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
