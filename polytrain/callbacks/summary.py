"""Per-language reports of a ``fit``: the language mixture as drawn, the last validation figures, and
what was trained on but not validated."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from polytrain.distributed.collectives import all_ranks_sum
from polytrain.stream.state import DRAWN
from polytrain.types import Batch

NotValidated = tuple[str, str, str]
"""(objective, language or pair, why): a group trained on but absent from the last validation."""


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


def not_validated(trainer: Trainer, pl_module: LightningModule, seen: Counter[tuple[str, str]]) -> list[NotValidated]:
    """The (objective, group) pairs every rank trained on and no rank validated; a collective.

    Args:
        trainer: the trainer (its data module says what was trained on and what has val shards).
        pl_module: the module (its ``objectives``).
        seen: validation examples per (objective, group) on this rank.
    """
    data, objectives = trainer.datamodule, getattr(pl_module, "objectives", None)
    if not hasattr(data, "train_languages") or not hasattr(data, "manifest") or objectives is None:
        return []  # not polytrain's module and data module: nothing to compare
    groups = [(obj.name, lang, obj.data_kind) for obj in objectives for lang in data.train_languages.get(obj.data_kind, [])]
    local = torch.tensor([float(seen[(name, lang)]) for name, lang, _ in groups], dtype=torch.float64,
                         device=trainer.strategy.root_device)  # (G,)
    total = all_ranks_sum(trainer, local).cpu().tolist()
    limit = trainer.limit_val_batches
    out = []
    for (name, lang, kind), count in zip(groups, total):
        if count == 0:
            has_val = bool(data.manifest.shards(kind, "val", lang))
            out.append((name, lang, f"not reached within limit_val_batches={limit}" if has_val else "no validation shards"))
    return out


def format_not_validated(missing: list[NotValidated]) -> str:
    """One line naming every group trained on but not validated, grouped by the reason."""
    reasons: dict[str, list[str]] = {}
    for name, lang, why in missing:
        reasons.setdefault(why, []).append(f"{name} {lang}")
    return "trained on but not validated: " + "; ".join(f"{why}: {', '.join(groups)}" for why, groups in reasons.items())


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


def format_summary(rows: list[tuple[str, str, float, float, float, float]],
                   not_validated: frozenset[tuple[str, str]] = frozenset()) -> str:
    """The rows of ``summary_rows`` as a plain-text table; rows of ``not_validated`` (objective,
    group) show ``-`` for the validation figures."""
    header = f"{'objective':<10} {'group':<8} {'tokens':>10} {'val loss':>9} {'val acc':>8} {'val ppl':>9}"
    lines = [header, "-" * len(header)]
    for objective, group, tokens, loss, acc, ppl in rows:
        tok = "-" if math.isnan(tokens) else f"{int(tokens):d}"
        if (objective, group) in not_validated:
            lines.append(f"{objective:<10} {group:<8} {tok:>10} {'-':>9} {'-':>8} {'-':>9}")
            continue
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

    It also names, after every validation (a warning when the list changes) and in the final
    table, each (objective, language) that was trained on but not validated: one without
    validation shards, or one that ``limit_val_batches`` cut off (validation interleaves objectives
    and languages, so this only happens when the limit is below the number of groups).
    """

    def __init__(self) -> None:
        self._tables: list[tuple[str, str]] = []
        self._seen: Counter[tuple[str, str]] = Counter()
        self.missing: list[NotValidated] = []
        """What the last validation left out (``not_validated``)."""
        self._warned: list[NotValidated] = []

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._seen.clear()

    def on_validation_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        if isinstance(batch, Batch):
            self._seen.update((batch.objective, lang) for lang in batch.lang)

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self.missing = not_validated(trainer, pl_module, self._seen)  # every rank validates: a collective
        if self.missing and self.missing != self._warned:
            rank_zero_warn(format_not_validated(self.missing))
        self._warned = self.missing

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
        rows += [(name, lang, metrics.get(f"tokens/{lang}", math.nan), math.nan, math.nan, math.nan)
                 for name, lang, _ in self.missing]
        if rows:
            missing = frozenset((name, lang) for name, lang, _ in self.missing)
            lines = format_summary(sorted(rows, key=lambda r: (r[0], r[1])), missing)
            if self.missing:
                lines += "\n" + format_not_validated(self.missing)
            rank_zero_info("\nPer-language summary (last validation):\n" + lines)
