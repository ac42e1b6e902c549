"""The wheel a ``pip install`` user gets: the configs are in it, and a run starts from them outside a clone.

The wheel is built from a copy of the sources (pyproject.toml, README.md, polytrain/, configs/), with
the build backend already installed (no network); it is installed with ``pip --target`` into a
folder put first on ``PYTHONPATH`` (its dependencies come from this environment), and the commands
run from a folder that has no ``configs/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def test_the_wheel_ships_the_configs_and_a_run_starts_from_them(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("polytrain", "configs"):
        shutil.copytree(REPO / name, source / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", ".",
         "-w", str(tmp_path / "dist")], source)
    wheel = next((tmp_path / "dist").glob("polytrain-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"polytrain/configs/{p.relative_to(REPO / 'configs').as_posix()}"
               for p in (REPO / "configs").rglob("*") if p.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)

    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        tmp_path)
    user = tmp_path / "user"  # a user's folder: no configs/ here
    user.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONWARNINGS": "ignore"}
    where = run([sys.executable, "-m", "polytrain", "configs", "show", "--path", "model/tiny"], user, env)
    assert where.stdout.strip() == str(site / "polytrain" / "configs" / "model" / "tiny.yaml")  # the installed copy
    printed = run([sys.executable, "-m", "polytrain", "fit", "-c", "base", "-c", "model/small", "-c",
                   "configs/objective/mlm.yaml", "-c", "data/demo", "--data.shards=shards/manifest.json",
                   "--data.tokenizer=tok.json", "--print_config"], user, env)  # parses only: no data needed
    config = yaml.safe_load(printed.stdout)
    assert config["model"]["architecture"]["d_model"] == 512  # model/small
    assert config["model"]["objectives"][0]["class_path"] == "polytrain.objectives.mlm.MaskedLM"
    assert config["trainer"]["max_steps"] == 10000  # base
