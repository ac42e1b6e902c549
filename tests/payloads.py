"""Checkpoint files that would run code if unpickled in full (for the weights-only tests).

Importable from every test folder: pytest puts ``tests/`` on ``sys.path`` for ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


class Payload:
    """Unpickling this runs ``open(marker, "w")``: the stand-in for arbitrary code."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.marker, "w"))


def malicious(path: Path, marker: Path) -> Path:
    """Shaped like a Lightning checkpoint; unpickling it in full runs ``open(marker, "w")``."""
    torch.save({"state_dict": {}, "global_step": 1, "epoch": 0, "optimizer_states": [], "loops": {},
                "pytorch-lightning_version": "2.6.6", "hyper_parameters": {}, "x": Payload(marker)}, path)
    return path
