"""``polytrain plugins list``: the objectives found through entry points, with provenance.

A plugin that fails to load (import error, not an ``Objective``, abstract, a name registered twice)
is listed as ``BROKEN`` with the reason, after the objectives that work; the command then exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    """Print name, class path, distribution, version and summary of each registered objective.

    Returns:
        0 when every entry point loads, 1 when one is broken (it is listed and named on stderr).
    """
    parser = argparse.ArgumentParser(prog="polytrain plugins list", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output (a broken one has only 'error')")
    args = parser.parse_args(argv)
    from polytrain.registry import scan  # imports every plugin (and torch): not for --help

    found = scan()
    if args.json:
        rows = {n: {"class_path": e.class_path, "distribution": e.distribution, "version": e.version, "summary": e.summary}
                for n, e in found.found.items()}
        rows.update({n: {"error": str(e)} for n, e in found.broken.items()})
        print(json.dumps(rows, indent=2))
    else:
        header = f"{'name':<14} {'class path':<48} {'distribution':<22} {'version':<9} summary"
        print(header)
        print("-" * len(header))
        for name, entry in found.found.items():
            print(f"{name:<14} {entry.class_path:<48} {entry.distribution:<22} {entry.version:<9} {entry.summary}")
        for name, err in found.broken.items():
            print(f"{name:<14} BROKEN: {err}")
    for err in found.broken.values():
        print(f"polytrain plugins list: error: {err}", file=sys.stderr)
    return 1 if found.broken else 0
