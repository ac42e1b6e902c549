"""Fixtures shared by the integration tests: `polytrain` run in this process, and one short real
`polytrain fit` run once per session for the tests that only read what it writes."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_fit import CONFIGS, small_fit_args

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)  # what a fit may handle


@pytest.fixture
def run_polytrain(monkeypatch: pytest.MonkeyPatch,
                  capfd: pytest.CaptureFixture[str]) -> Callable[[list[str], Path], subprocess.CompletedProcess]:
    """``run_polytrain(args, cwd)``: ``polytrain ARGS`` from folder ``cwd`` in this process, as
    ``python -m polytrain.cli`` runs it (``main()`` reading ``sys.argv``) but without a new interpreter
    (~5 s of imports each). Returns its exit code and what it printed, as ``subprocess.run`` does.

    Keep a subprocess where the process is the point: signals, kill -9, exit with live workers."""
    from polytrain.callbacks.signals import SaveOnSignal
    from polytrain.cli import main

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["polytrain", *args])
        _log_to_this_stderr(monkeypatch)
        capfd.readouterr()
        handlers = {signum: signal.getsignal(signum) for signum in SIGNALS}
        try:
            code = main()
        except SystemExit as exit:  # jsonargparse's usage errors
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            # A process's signal handlers end with it. A fit stopped by an exception from a DataLoader
            # worker leaves SaveOnSignal's installed (not restored): later tests expect the ones before.
            for signum, handler in handlers.items():
                if isinstance(getattr(signal.getsignal(signum), "__self__", None), SaveOnSignal):
                    signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def _log_to_this_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Log to stderr as a new process would. Libraries (lightning, torchmetrics...) add a StreamHandler
    bound to ``sys.stderr`` at import: imported during an earlier test's capture, that stream is closed
    now (every record would print a "--- Logging error ---" traceback). And a warning no handler takes
    (polytrain's own loggers have none) goes to stderr through ``logging.lastResort``, which pytest's
    handlers on the root logger keep from firing in this process."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and getattr(handler.stream, "closed", False):
                monkeypatch.setattr(handler, "stream", sys.stderr)
    monkeypatch.setattr(logging.root, "handlers", [*logging.root.handlers, _LastResort()])


class _LastResort(logging.StreamHandler):
    """``logging.lastResort`` in this process: a WARNING (or worse) that no handler of its logger or
    of the loggers above it, up to the root, would take is printed to stderr (its message only)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.WARNING)

    def filter(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not logging.root:
            if logger.handlers or not logger.propagate:
                return False
            logger = logger.parent
        return True


@pytest.fixture(scope="session")
def small_fit(demo_data: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run folder (``--trainer.default_root_dir``) of a 2-step MLM `polytrain fit` in this process
    (``test_fit.small_fit_args``, validation at step 2): ``checkpoints/last.ckpt``, ``polytrain/version_0/``.

    Shared by every test that only reads what the fit wrote: copy a file before changing it."""
    from polytrain.cli import main

    root = tmp_path_factory.mktemp("small-fit") / "run"
    assert main(small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                               f"--trainer.default_root_dir={root}", "--trainer.max_steps=2",
                               "--trainer.val_check_interval=2")) == 0
    return root
