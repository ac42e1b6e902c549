"""DataLoader worker processes tied to the training process: they ignore job signals and die with it.

Only the training process saves and stops on stop signals (``polytrain.callbacks.signals``); its
DataLoader workers must neither die of those signals nor outlive it. :func:`worker_init`, the
``worker_init_fn`` of polytrain's loaders, also makes the garbage collector cheap in workers.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import multiprocessing
import os
import signal
import time


def worker_init(worker_id: int = 0) -> None:
    """``worker_init_fn`` of polytrain's DataLoaders: :func:`worker_ignore_signals`, then
    :func:`tune_collector`."""
    worker_ignore_signals(worker_id)
    tune_collector()


WORKER_GEN0_THRESHOLD = 5_000
"""Net new container objects between two young collections in a worker (Python's default: 700)."""


def tune_collector() -> None:
    """Make the garbage collector cheap for a process that streams data: keep it off every object
    that exists now (``gc.freeze``), for good, and collect young objects less often.

    A worker starts with the objects of the training process (forked) or of its imports (spawned):
    about 400k that the collector tracks, torch and Lightning alone, and it frees none of them.
    Each full collection scanned them all, 0.25 s at a time, and a scan writes to every object it
    visits, copying a forked worker's shared memory pages (Python's ``gc.freeze`` documentation
    describes this use). A worker allocates and frees many short-lived objects per document; with
    the default threshold of 700 young collections ran every few hundred of them. Measured on the
    text stream over 2,000 batches: collections took 9.4 % of its time as Python sets them, 2.5 %
    frozen, under 0.1 % frozen with this threshold (docs/benchmarks.md, "Garbage collection").
    Objects created later are collected as before, cycles included.
    """
    gc.freeze()
    gc.set_threshold(WORKER_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def worker_ignore_signals(worker_id: int = 0) -> None:
    """``worker_init_fn`` for DataLoaders: workers ignore SIGUSR1, SIGUSR2, SIGTERM and SIGINT.

    SLURM signals every process of a job step (``--signal=USR1@N``, ``scancel --signal``, and the
    SIGTERM of preemption or the time limit), DataLoader workers included, and a terminal's Ctrl-C
    sends SIGINT to the whole foreground process group. A dead worker makes the training process
    raise "DataLoader worker ... killed by signal" (or "exited unexpectedly") at its next batch,
    before any save. Forked workers inherit ``SaveOnSignal``'s handler, which does nothing outside
    the training process; but spawned (or forkserver) workers start with the default action, which
    kills them, and torch gives every worker a SIGTERM handler that kills it. Workers still end with
    their DataLoader; and when the training process dies (``kill -9``, the OOM killer), Linux kills
    them at once (``end_with_parent``).
    """
    for signum in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
    end_with_parent()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def end_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent (the training process) dies.

    torch's own watchdog ends a worker whose parent died only when the worker is idle; one blocked
    handing a batch to a pipe that a sibling worker (forked later, so holding the pipe's read end)
    never reads stays forever (measured: after ``kill -9`` of a fit with train and validation
    workers, 2 of 4 workers were still alive 20 s later). A no-op where ``prctl`` does not exist.
    Linux ties the signal to the *thread* that started the worker: a DataLoader iterated from a
    thread that ends before it would lose its workers (Lightning iterates in the main thread).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # not Linux
        return
    parent = multiprocessing.parent_process()
    if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if parent is not None and os.getppid() != parent.pid:  # the parent died before prctl took effect
        os._exit(1)


_exit_hook_installed = False


def end_workers_at_exit() -> None:
    """Make sure this process can exit while DataLoader workers of :func:`worker_ignore_signals` live.

    Call in the training process when creating such a DataLoader. At interpreter exit,
    ``multiprocessing`` sends SIGTERM to its daemonic children (DataLoader workers are daemonic) and
    then joins them; a worker that ignores SIGTERM would keep that join waiting forever. Lightning
    shuts its workers down at the end of ``fit``, but a loader it never saw (iterated by a script, or
    wrapped in another iterable) is still alive then. This hook, registered after
    ``multiprocessing``'s own and so run before it, does the same SIGTERM and then SIGKILLs the
    daemonic children still alive after a second: DataLoader workers hold nothing that outlives the
    process.
    """
    global _exit_hook_installed
    if not _exit_hook_installed:
        atexit.register(_end_daemonic_children)
        _exit_hook_installed = True


def _end_daemonic_children(grace_s: float = 1.0) -> None:
    children = [child for child in multiprocessing.active_children() if child.daemon]
    if not children:
        return
    # torch's SIGCHLD handler raises "DataLoader worker ... is killed" in whatever runs when a worker
    # ends; at exit that is this hook, which would then stop before ending the other workers.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        if child.is_alive():
            child.kill()
            child.join(timeout=10)
