"""The plugin as a package: entry point, provenance, and the one-way dependency on polytrain.

Needs ``pip install --no-deps -e plugins/polytrain-t5span`` (``./dev test`` does it).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import polytrain
import polytrain_t5span
from polytrain import plugins
from polytrain.registry import discover
from polytrain_t5span.objective import SpanCorruption

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = {"polytrain.objectives"}


def test_entry_point_is_discovered_with_its_distribution():
    found = discover()
    assert "t5span" in found, "pip install --no-deps -e plugins/polytrain-t5span"
    entry = found["t5span"]
    assert entry.cls is SpanCorruption
    assert entry.distribution == "polytrain-t5span"
    assert entry.version == polytrain_t5span.__version__
    assert entry.class_path == "polytrain_t5span.objective.SpanCorruption"
    assert entry.summary.startswith("T5 span corruption")


def test_plugins_list_shows_it(capsys: pytest.CaptureFixture[str]):
    assert plugins.main(["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows["t5span"]["distribution"] == "polytrain-t5span"
    assert rows["t5span"]["class_path"] == "polytrain_t5span.objective.SpanCorruption"


def test_plugin_imports_only_polytrains_public_modules():
    imported: set[str] = set()
    for path in (PLUGIN_ROOT / "polytrain_t5span").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    used = {name for name in imported if name.split(".")[0] == "polytrain"}
    assert used and used <= PUBLIC_MODULES, used - PUBLIC_MODULES


def test_polytrain_sources_never_name_the_plugin():
    package = Path(polytrain.__file__).resolve().parent
    offenders = [str(p) for p in package.rglob("*.py") if "polytrain_t5span" in p.read_text(encoding="utf-8")]
    assert not offenders


def test_importing_every_polytrain_module_does_not_import_the_plugin():
    """Discovery (``registry.objectives()``) loads plugins on purpose; plain imports never may."""
    code = (
        "import importlib, pkgutil, sys, polytrain\n"
        "ok = []\n"
        "for m in pkgutil.walk_packages(polytrain.__path__, 'polytrain.'):\n"
        "    try:\n"
        "        importlib.import_module(m.name); ok.append(m.name)\n"
        "    except Exception:\n"
        "        pass  # a module another part of the project is still writing; judged by the others\n"
        "print(len(ok), 'polytrain.registry' in ok, any(n.startswith('polytrain_t5span') for n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    count, registry_ok, plugin_loaded = out.stdout.split()
    assert int(count) >= 10 and registry_ok == "True"
    assert plugin_loaded == "False"


def test_config_fragment_names_the_class_and_its_arguments():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((PLUGIN_ROOT / "configs" / "t5span.yaml").read_text(encoding="utf-8"))
    assert config["model"]["architecture"]["kind"] == SpanCorruption.model_kind
    (objective,) = config["model"]["objectives"]
    module, _, name = objective["class_path"].rpartition(".")
    assert getattr(sys.modules[module], name) is SpanCorruption
    built = SpanCorruption(**objective["init_args"])
    assert (built.noise_density, built.mean_noise_span_length) == (0.15, 3.0)
