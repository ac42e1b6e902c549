"""Training callbacks: throughput on the progress bar, per-language summary at the end."""

from polytrain.callbacks.summary import LanguageSummary
from polytrain.callbacks.throughput import ThroughputBar, ThroughputMonitor

__all__ = ["LanguageSummary", "ThroughputBar", "ThroughputMonitor"]
