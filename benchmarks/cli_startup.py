"""Start-up time of ``polytrain`` commands: fresh interpreters, wall and CPU seconds.

Each command runs in a new ``python -m polytrain ...`` process, the commands taking turns, so load
changes hit all of them alike. The baseline is what every command paid before the dispatcher
(``polytrain.commands``) imported only the command's module: ``import polytrain.cli``, which loads
Lightning and torch. Results are quoted in docs/benchmarks.md ("CLI start-up").

Usage::

    python benchmarks/cli_startup.py [--repeats 5] [--out startup.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from _common import machine_info, summarize

COMMANDS: dict[str, list[str]] = {
    "baseline: import polytrain.cli": ["-c", "import polytrain.cli"],
    "polytrain --help": ["-m", "polytrain", "--help"],
    "polytrain data shard --help": ["-m", "polytrain", "data", "shard", "--help"],
    "polytrain tokenizer train --help": ["-m", "polytrain", "tokenizer", "train", "--help"],
    "polytrain inspect --help": ["-m", "polytrain", "inspect", "--help"],
    "polytrain fit --help": ["-m", "polytrain", "fit", "--help"],
}


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``python ARGS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    args = parser.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    info = machine_info(threads=1)
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            wall, cpu = run_once(command)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = summarize(cpus["baseline: import polytrain.cli"])["median"]
    rows = {name: {"wall_s": summarize(walls[name]), "cpu_s": summarize(cpus[name]),
                   "cpu_vs_baseline": summarize(cpus[name])["median"] / base} for name in COMMANDS}
    print(f"{'command':<36} {'wall s':>8} {'CPU s':>8} {'CPU / baseline':>15}")
    for name, row in rows.items():
        print(f"{name:<36} {row['wall_s']['median']:>8.2f} {row['cpu_s']['median']:>8.2f} "
              f"{row['cpu_vs_baseline']:>15.3f}")
    print(f"(medians of {args.repeats}; load average at start {info['load_average_at_start']})")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"machine": info, "repeats": args.repeats, "commands": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
