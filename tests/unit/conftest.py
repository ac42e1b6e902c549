"""The unit tier's guard: tests here run in this process and stay cheap (the tier takes about a minute).

A unit test that starts a process (``subprocess``, ``os.system``, a ``spawn``/``forkserver``
multiprocessing start that re-imports torch), builds a Lightning ``Trainer`` or joins a
``torch.distributed`` process group fails with a message saying where it belongs instead
(docs/contributing.md, "Tests"). DataLoader workers (``fork``) are allowed: they share this
process's imports. The guard covers fixtures too (setup and teardown phases), and records the
violation even when the code under test catches the exception it raises.
"""

from __future__ import annotations

import contextlib
import multiprocessing.util
import os
import subprocess
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch.distributed
from lightning.pytorch import Trainer

WHERE = {
    "a subprocess": "tests/integration (or tests/distributed for several ranks)",
    "a Lightning Trainer": "tests/integration",
    "a torch.distributed process group": "tests/distributed",
}


class UnitTierViolation(BaseException):
    """Raised where a unit test starts what the tier forbids; a BaseException so that the
    ``except Exception`` of the code under test does not swallow it."""


def _refuse(what: str, violations: list[str]) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        tests = [f for f in traceback.extract_stack()[:-1] if f"{os.sep}tests{os.sep}" in f.filename]
        at = f" (at {tests[-1].filename}:{tests[-1].lineno})" if tests else ""
        message = (f"tests/unit runs in-process, without {what}{at}: move this test to {WHERE[what]}, "
                   "or make it cheaper (see docs/contributing.md, 'Tests')")
        violations.append(message)
        raise UnitTierViolation(message)

    return refused


@contextlib.contextmanager
def _guarded() -> Iterator[list[str]]:
    violations: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "__init__", _refuse("a subprocess", violations))
        patch.setattr(multiprocessing.util, "spawnv_passfds", _refuse("a subprocess", violations))
        for name in ("system", "posix_spawn", "posix_spawnp"):
            patch.setattr(os, name, _refuse("a subprocess", violations))
        patch.setattr(Trainer, "__init__", _refuse("a Lightning Trainer", violations))
        patch.setattr(torch.distributed, "init_process_group",
                      _refuse("a torch.distributed process group", violations))
        try:
            yield violations
        finally:
            if violations:  # also when the test caught the exception, or failed of it
                raise pytest.fail.Exception(violations[0], pytrace=False) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _guarded():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _guarded():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with _guarded():
        return (yield)
