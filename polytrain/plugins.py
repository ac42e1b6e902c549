"""``polytrain plugins list``: the objectives found through entry points, with provenance."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    """Print name, class path, distribution, version and summary of each registered objective."""
    parser = argparse.ArgumentParser(prog="polytrain plugins list", description=__doc__)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    from polytrain.registry import RegistryError, objectives  # imports every plugin (and torch): not for --help

    try:
        found = objectives()
    except RegistryError as err:
        print(f"polytrain plugins list: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        rows = {n: {"class_path": e.class_path, "distribution": e.distribution, "version": e.version, "summary": e.summary}
                for n, e in found.items()}
        print(json.dumps(rows, indent=2))
        return 0
    header = f"{'name':<14} {'class path':<48} {'distribution':<22} {'version':<9} summary"
    print(header)
    print("-" * len(header))
    for name, entry in found.items():
        print(f"{name:<14} {entry.class_path:<48} {entry.distribution:<22} {entry.version:<9} {entry.summary}")
    return 0
