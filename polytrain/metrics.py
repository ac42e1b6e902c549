"""Token-level metrics per group (language or language pair), synchronised across ranks."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torchmetrics import Metric, SumMetric
from torchmetrics.text import CHRFScore, SacreBLEUScore

from polytrain.compat import Float64States


def compute_quietly(metric: Metric) -> Any:
    """``metric.compute()`` on every rank (it synchronises), also where this rank had no update."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*compute.*called before.*update.*")
        return metric.compute()


class GroupTokenStats(Float64States):
    """Sums of target-token loss, correct predictions and counts, one slot per group.

    A fixed number of groups keeps the state identical on every rank, so ``compute`` can sum it
    across processes without any rank knowing which groups the others saw. The sums stay float64
    under every precision (``compat.Float64States``).

    Args:
        num_groups: number of slots (languages and pairs known at start).
    """

    full_state_update = False

    def __init__(self, num_groups: int) -> None:
        super().__init__()
        self.add_state("loss_sum", torch.zeros(num_groups, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("correct", torch.zeros(num_groups, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.zeros(num_groups, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("tokens", torch.zeros(num_groups, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, group: torch.Tensor, token_loss: torch.Tensor, token_correct: torch.Tensor, tokens: torch.Tensor) -> None:
        """Add targets of a batch.

        Args:
            group: (N,) long group index of each target token.
            token_loss: (N,) cross-entropy of each target.
            token_correct: (N,) bool, argmax equals the target.
            tokens: (G,) input tokens seen per group in this batch (targets or not).
        """
        self.loss_sum.index_add_(0, group, token_loss.double())
        self.correct.index_add_(0, group, token_correct.double())
        self.count.index_add_(0, group, torch.ones_like(token_loss, dtype=torch.float64))
        self.tokens += tokens.to(self.tokens)

    def compute(self) -> dict[str, torch.Tensor]:
        """Per-group mean loss, accuracy, perplexity (NaN where a group had no targets), counts."""
        mean = self.loss_sum / self.count  # 0/0 = NaN marks a group without targets
        return {"loss": mean, "accuracy": self.correct / self.count, "ppl": mean.exp(), "targets": self.count, "tokens": self.tokens}


class ObjectiveCounts(Float64States):
    """Batches and input tokens per objective, one slot each, summed across ranks by ``compute``:
    which objective each step drew (a run mixing objectives checks its weights with them).

    Args:
        num_objectives: number of slots (the run's objectives, in order).
    """

    full_state_update = False

    def __init__(self, num_objectives: int) -> None:
        super().__init__()
        self.add_state("batches", torch.zeros(num_objectives, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("tokens", torch.zeros(num_objectives, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, objective: int, tokens: int) -> None:
        """Count one batch of objective ``objective`` (its index) with ``tokens`` input tokens."""
        self.batches[objective] += 1
        self.tokens[objective] += tokens

    def compute(self) -> dict[str, torch.Tensor]:
        """(K,) ``batches`` and ``tokens`` per objective."""
        return {"batches": self.batches, "tokens": self.tokens}


class ReconstructionScores(torch.nn.Module):
    """Corpus BLEU (sacreBLEU conventions, ``13a`` tokenisation) and chrF of generated reconstructions.

    All three parts are torchmetrics metrics: ``compute`` sums their statistics across ranks, so it
    must be called on every rank, also on one that generated nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.bleu = SacreBLEUScore(tokenize="13a")
        self.chrf = CHRFScore()
        self.count = SumMetric()

    def update(self, hypotheses: list[str], references: list[str]) -> None:
        """Add a batch of generated texts and their references (one reference each, same order)."""
        self.bleu.update(hypotheses, [[r] for r in references])
        self.chrf.update(hypotheses, [[r] for r in references])
        self.count.update(len(hypotheses))

    def compute(self) -> dict[str, torch.Tensor]:
        """``{"bleu": 0..100, "chrf": 0..100, "count": n}`` over all ranks since the last reset."""
        return {
            "bleu": compute_quietly(self.bleu) * 100,
            "chrf": compute_quietly(self.chrf) * 100,
            "count": compute_quietly(self.count),
        }

    def reset(self) -> None:
        """Start a new validation (the scores cover one validation run each)."""
        self.bleu.reset()
        self.chrf.reset()
        self.count.reset()
