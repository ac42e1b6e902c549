"""Per-language reports of a ``fit``: the language mixture as drawn, and the last validation figures."""

from __future__ import annotations

import math

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from polytrain.distributed.collectives import all_ranks_sum
from polytrain.stream.state import DRAWN


def drawn_all_ranks(trainer: Trainer) -> dict[str, dict[str, float]] | None:
    """What every rank's training stream drew, summed (``PretrainDataModule.drawn``); a collective.

    ``None`` where the data module is not polytrain's (nothing to report).
    """
    data = trainer.datamodule
    if not hasattr(data, "drawn") or not hasattr(data, "train_languages"):
        return None
    langs = sorted({lang for names in data.train_languages.values() for lang in names})
    local = data.drawn()
    counts = torch.tensor([[float(local[what].get(lang, 0)) for lang in langs] for what in DRAWN],
                          dtype=torch.float64, device=trainer.strategy.root_device)  # (3, L)
    total = all_ranks_sum(trainer, counts).cpu()
    return {what: dict(zip(langs, total[i].tolist())) for i, what in enumerate(DRAWN)}


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
    """The rows of ``summary_rows`` as a plain-text table."""
    header = f"{'objective':<10} {'group':<8} {'tokens':>10} {'val loss':>9} {'val acc':>8} {'val ppl':>9}"
    lines = [header, "-" * len(header)]
    for objective, group, tokens, loss, acc, ppl in rows:
        tok = "-" if math.isnan(tokens) else f"{int(tokens):d}"
        lines.append(f"{objective:<10} {group:<8} {tok:>10} {loss:>9.3f} {acc:>8.3f} {ppl:>9.1f}")
    return "\n".join(lines)


class LanguageSummary(Callback):
    """The language mixture as drawn, and a per-language validation table.

    Reference-facts asks for the target probability, the observed share and the effective epochs
    of every language. At each validation of ``fit`` this logs, summed over ranks,
    ``mixture/<lang>/share`` (the language's share of its data kind's samples, which q governs) and
    ``mixture/<lang>/epochs`` (documents read / documents in its train shards). When ``fit`` ends,
    rank 0 prints the mixture tables with these columns, then tokens seen and the last
    validation loss, accuracy and perplexity of every language.
    """

    def __init__(self) -> None:
        self._tables: list[tuple[str, str]] = []

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        drawn = drawn_all_ranks(trainer)  # every rank validates, so every rank joins the sum
        if drawn is None:
            return
        for kind in trainer.datamodule.train_languages:
            share, epochs = trainer.datamodule.mixture_as_drawn(kind, drawn)
            for lang in share:
                pl_module.log(f"mixture/{lang}/share", share[lang], sync_dist=False)
                pl_module.log(f"mixture/{lang}/epochs", epochs[lang], sync_dist=False)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        drawn = drawn_all_ranks(trainer)  # here, not in on_fit_end: the strategy is torn down by then
        if drawn is not None:
            data = trainer.datamodule
            self._tables = [(kind, data.mixture_table(kind, drawn)) for kind in data.train_languages]

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for kind, table in self._tables:
            rank_zero_info(f"\n{kind} language mixture as drawn (observed = share of samples, "
                           f"epochs = documents read / documents):\n{table}")
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        rows = summary_rows(metrics)
        if rows:
            rank_zero_info("\nPer-language summary (last validation):\n" + format_summary(rows))
