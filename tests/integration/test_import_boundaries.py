"""What importing polytrain loads, read from one fresh interpreter (this one has imported everything
already): importing the models and the HF import/export does not load transformers (an optional
dependency, needed by ``polytrain export hf`` and the import at run time), and importing the CLI, the
module and the data module loads no plugin (core never depends on plugins; discovery loads them on
purpose, plain imports never)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Imported in this order, each group after the previous ones; sys.modules is read after each group.
GROUPS = {
    "models": ("polytrain.models", "polytrain.hf.export", "polytrain.hf.importer", "polytrain.hf.command"),
    "training": ("polytrain.cli", "polytrain.module", "polytrain.stream.datamodule"),
}
SNAPSHOTS = """
import importlib, json, sys
seen = {}
for name, modules in json.loads(sys.argv[1]).items():
    for module in modules:
        importlib.import_module(module)
    seen[name] = sorted(sys.modules)
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """Group name -> the modules loaded once that group (and the groups before it) was imported."""
    out = subprocess.run([sys.executable, "-c", SNAPSHOTS, json.dumps(GROUPS)], capture_output=True, text=True,
                         check=True, timeout=300)
    return {name: set(modules) for name, modules in json.loads(out.stdout).items()}


def test_polytrain_does_not_import_transformers(loaded: dict[str, set[str]]) -> None:
    assert "polytrain.hf.command" in loaded["models"]
    assert not {m for m in loaded["models"] if m.split(".")[0] == "transformers"}


def test_polytrain_never_imports_plugins(loaded: dict[str, set[str]]) -> None:
    assert "polytrain.cli" in loaded["training"]
    leaked = sorted(m for m in loaded["training"] if m.startswith("polytrain_"))
    assert not leaked, leaked
