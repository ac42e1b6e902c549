"""``polytrain --help``, every tool's ``--help`` and the data commands run without torch or Lightning.

One fresh interpreter runs the commands in turn and records after each which of torch and Lightning
it has imported, so the first command that pulls them in is named. Times are printed, not asserted
(benchmarks/cli_startup.py measures them against the old start-up; docs/benchmarks.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from polytrain.commands import TOOLS

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "polytrain" / "demo_corpus"

PROBE = """
import contextlib, io, json, sys, time
from polytrain.commands import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err, start = io.StringIO(), io.StringIO(), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code
    results.append({"argv": argv, "code": code, "seconds": time.perf_counter() - start, "out": out.getvalue(),
                    "err": err.getvalue()[-4000:], "heavy": sorted(m for m in ("torch", "lightning") if m in sys.modules)})
print(json.dumps(results))
"""


def test_help_and_data_commands_do_not_import_torch_or_lightning(tmp_path: Path) -> None:
    groups = sorted({words[0] for words in TOOLS if len(words) > 1})
    commands = [["--help"], *[[g, "--help"] for g in groups], *[[*words, "--help"] for words in TOOLS],
                ["configs", "list"], ["configs", "show", "base"],
                ["data", "shard", "--input", str(CORPUS / "mono" / "sw.txt"), str(CORPUS / "parallel" / "de-en.tsv"),
                 "--out", str(tmp_path / "shards"), "--progress-every", "0.01"],
                ["tokenizer", "train", "--shards", str(tmp_path / "shards"), "--out", str(tmp_path / "tok.json"),
                 "--vocab-size", "400", "--progress-every", "0.01"],
                ["data", "tokenize", "--shards", str(tmp_path / "shards"), "--tokenizer", str(tmp_path / "tok.json"),
                 "--out", str(tmp_path / "tokens"), "--progress-every", "0.01"]]
    start = time.perf_counter()
    probe = subprocess.run([sys.executable, "-c", PROBE, json.dumps(commands)], capture_output=True, text=True,
                           timeout=300, check=False)
    assert probe.returncode == 0, probe.stderr[-3000:]
    results = json.loads(probe.stdout)
    for result in results:
        assert result["code"] == 0, result
        assert result["heavy"] == [], f"polytrain {' '.join(result['argv'])} imported {result['heavy']}"
    assert (tmp_path / "tok.json").is_file()
    shard_run, tokenizer_run, tokenize_run = results[-3:]  # they report how far they got, on stderr
    assert re.search(r"^polytrain data shard: wrote \d+ shards \(0:00:\d\d\)$", shard_run["err"], re.MULTILINE)
    assert re.search(r"^polytrain tokenizer train: trained 400 tokens; writing the report", tokenizer_run["err"],
                     re.MULTILINE), tokenizer_run["err"]
    assert re.search(r"^polytrain data tokenize: wrote \d+ token shards", tokenize_run["err"], re.MULTILINE)
    # Every config file a help text names exists (`polytrain slurm --help` named one that did not).
    named = {m for r in results for m in re.findall(r"configs/[\w/.-]+\.(?:yaml|sbatch)", r["out"])}
    assert named and all((REPO / path).is_file() for path in named), sorted(named)
    print(f"\n{len(results)} commands in one process: {time.perf_counter() - start:.2f} s; "
          + ", ".join(f"{' '.join(r['argv'][:2])}: {r['seconds']:.3f} s" for r in results[:3]))


def test_fresh_polytrain_help_time_is_reported() -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "polytrain", "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and all(f"  {' '.join(words)} " in done.stdout for words in TOOLS)
    print(f"\npolytrain --help in a fresh interpreter: {time.perf_counter() - start:.2f} s wall")
