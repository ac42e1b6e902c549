"""A per-language table at the end of ``fit``: tokens seen and the last validation figures."""

from __future__ import annotations

import math

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info


def summary_rows(metrics: dict[str, float]) -> list[tuple[str, str, float, float, float, float]]:
    """(objective, group, tokens seen, val loss, val accuracy, val ppl) from logged metric names."""
    rows = []
    for key, value in sorted(metrics.items()):
        parts = key.split("/")
        if len(parts) == 4 and parts[0] == "val" and parts[3] == "loss":
            _, objective, group, _ = parts
            acc = metrics.get(f"val/{objective}/{group}/accuracy", math.nan)
            tokens = metrics.get(f"tokens/{group}", math.nan)
            rows.append((objective, group, tokens, value, acc, math.exp(value) if value < 50 else math.inf))
    return rows


def format_summary(rows: list[tuple[str, str, float, float, float, float]]) -> str:
    header = f"{'objective':<10} {'group':<8} {'tokens':>10} {'val loss':>9} {'val acc':>8} {'val ppl':>9}"
    lines = [header, "-" * len(header)]
    for objective, group, tokens, loss, acc, ppl in rows:
        tok = "-" if math.isnan(tokens) else f"{int(tokens):d}"
        lines.append(f"{objective:<10} {group:<8} {tok:>10} {loss:>9.3f} {acc:>8.3f} {ppl:>9.1f}")
    return "\n".join(lines)


class LanguageSummary(Callback):
    """Prints the per-language summary table when ``fit`` ends (rank 0)."""

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        rows = summary_rows(metrics)
        if rows:
            rank_zero_info("\nPer-language summary (last validation):\n" + format_summary(rows))
