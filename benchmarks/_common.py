"""Helpers shared by the benchmark scripts: machine description, peak-RSS windows, statistics.

Benchmarks are scripts, not part of the ``polytrain`` package: run them from the repository root
(``python benchmarks/NAME.py``); this module is found because the script's folder is on ``sys.path``.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from collections.abc import Sequence
from importlib import metadata


def cpu_model() -> str:
    """The ``Model name`` line of ``lscpu`` (falls back to ``platform.processor()``)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        out = ""
    match = re.search(r"^Model name:\s*(.+)$", out, flags=re.MULTILINE)
    return match.group(1).strip() if match else (platform.processor() or "unknown")


def package_version(name: str) -> str:
    """Installed version of ``name``, or ``"not installed"``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(threads: int) -> dict[str, object]:
    """What a reader needs to compare two benchmark runs: CPU, cores, threads, library versions."""
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": threads,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": package_version("torch"),
        "transformers": package_version("transformers"),
        "lightning": package_version("lightning"),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), flags=re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set size (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float | None:
    """Peak resident set size of this process (since the last ``reset_peak_rss``) in MiB."""
    kib = _status_kib("VmHWM")
    return None if kib is None else kib / 1024


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max and relative spread ``(max - min) / median`` of repeated measurements."""
    median = statistics.median(values)
    low, high = min(values), max(values)
    return {"median": median, "min": low, "max": high, "spread": (high - low) / median if median else 0.0,
            "n": float(len(values))}
