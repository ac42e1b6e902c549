"""docs/writing-a-plugin.md is a plugin: its code blocks, written to a folder, installed by pip, trained.

Each fenced block whose first line is ``# polytrain-spanmask/<path>`` is that file of the guide's
plugin. pip builds the package from the guide's own ``pyproject.toml`` (setuptools, no index, no
build isolation) and installs it with ``--target`` into a private folder: a real installed
distribution, package and ``.dist-info`` with its entry points, as a site-packages folder holds it.
This process puts that folder on ``sys.path`` (what a ``.pth`` file does for site-packages), so
the venv is never changed and nothing is left behind. Then the plugin is discovered, listed, tested
with the guide's own test file, trained 50/50 with MLM through ``polytrain fit`` and inspected.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from polytrain import plugins, registry

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
GUIDE = REPO / "docs" / "writing-a-plugin.md"
BLOCK = re.compile(r"^```\w*\n# (polytrain-spanmask/[^\n]+)\n(.*?)^```", re.S | re.M)
STEPS = 4


def guide_files() -> dict[str, str]:
    """``relative path -> text`` of every file of the guide's plugin."""
    return {path: text for path, text in BLOCK.findall(GUIDE.read_text(encoding="utf-8"))}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The guide's plugin, written out and pip-installed into ``tmp_path / "site"`` (on ``sys.path``)."""
    files = guide_files()
    assert {"polytrain-spanmask/pyproject.toml", "polytrain-spanmask/polytrain_spanmask/objective.py",
            "polytrain-spanmask/configs/spanmask.yaml", "polytrain-spanmask/tests/test_spanmask.py"} <= set(files)
    for path, text in files.items():
        (tmp_path / "src" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / path).write_text(text, encoding="utf-8")
    root = tmp_path / "src" / "polytrain-spanmask"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(tmp_path / "site"), str(root)],
                   check=True, capture_output=True, timeout=300)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registry.objectives.cache_clear()
    yield root
    registry.objectives.cache_clear()  # later tests discover without it (sys.path is restored after this)
    for name in [m for m in sys.modules if m.startswith(("polytrain_spanmask", "guide_test_spanmask"))]:
        del sys.modules[name]


def _polytrain_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return {n for n in names if n.split(".")[0] == "polytrain"}


def _run_guide_tests(root: Path) -> int:
    """Run the guide's test file's ``test_*`` functions (plain asserts, no fixtures) in this process."""
    spec = importlib.util.spec_from_file_location("guide_test_spanmask", root / "tests" / "test_spanmask.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, name) for name in dir(module) if name.startswith("test_")]
    for test in tests:
        test()
    return len(tests)


def _fit(demo_data, root: Path, tmp_path: Path) -> list[dict[str, str]]:
    from polytrain.cli import cli_main

    cli_main(["fit", "-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"),
              "-c", str(root / "configs" / "spanmask.yaml"), "-c", str(CONFIGS / "data/demo.yaml"),
              "-c", str(CONFIGS / "trainer/smoke.yaml"),
              f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",
              "--data.num_workers=0", "--data.batch_size=4", "--data.max_length=64",
              "--model.architecture.d_model=32", "--model.architecture.n_heads=2", "--model.architecture.n_layers=1",
              "--model.architecture.d_ff=64", f"--trainer.max_steps={STEPS}", f"--trainer.val_check_interval={STEPS}",
              "--trainer.log_every_n_steps=1"])
    with next(tmp_path.glob("runs/polytrain/version_*/metrics.csv")).open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_guides_plugin_installs_lists_trains_and_inspects(installed: Path, demo_data, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = installed
    # The public API only: the objective imports polytrain.objectives, its tests also polytrain.testing.
    assert _polytrain_imports(root / "polytrain_spanmask" / "objective.py") == {"polytrain.objectives"}
    assert _polytrain_imports(root / "tests" / "test_spanmask.py") <= {"polytrain.objectives", "polytrain.testing"}

    entry = registry.discover()["spanmask"]
    assert (entry.distribution, entry.version, entry.class_path) == (
        "polytrain-spanmask", "0.1.0", "polytrain_spanmask.objective.SpanMasking")
    assert plugins.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spanmask"]["summary"].startswith("SpanBERT span masking")
    assert _run_guide_tests(root) >= 2

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["polytrain"])  # LightningCLI also looks at sys.argv
    rows = _fit(demo_data, root, tmp_path)
    steps = [r for r in rows if r.get("train/spanmask/batches")]
    drawn = {o: sum(float(r[f"train/{o}/batches"]) for r in steps) for o in ("spanmask", "mlm")}
    assert len(steps) == STEPS and sum(drawn.values()) == STEPS  # one objective per step, counted
    for row in steps:  # an objective's loss only at the steps that drew it (no value carried over)
        assert all(bool(row.get(f"train/{o}/loss")) == (float(row[f"train/{o}/batches"]) == 1) for o in drawn)
    losses = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    assert len(losses) == STEPS and all(0 < loss < 20 for loss in losses)
    assert any(r.get("val/spanmask/loss") for r in rows) and any(r.get("val/mlm/loss") for r in rows)

    from polytrain.inspect import main as inspect

    capsys.readouterr()  # what fit printed
    args = ["--shards", str(demo_data.manifest), "--tokenizer", str(demo_data.tokenizer), "--objective", "spanmask",
            "-n", "1", "--stats-samples", "100", "--split", "train", "--json"]
    assert inspect(args) == 0
    [report] = json.loads(capsys.readouterr().out)["objectives"]
    stats = report["stats"]  # the plugin's statistics hook, next to its own setting
    assert stats["configured"]["masked_word_fraction"] == {"param": "mask_prob", "value": 0.15}
    assert stats["achieved"]["masked_word_fraction"] == pytest.approx(0.15, abs=0.02)
