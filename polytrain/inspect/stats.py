"""Statistics of ``polytrain inspect``: what an objective achieved, summed over examples, next to its settings.

Two sources, both ratios of sums over the examples (not means of per-example ratios):

- the objective's own ``Objective.statistics(sample, example)`` hook: each ``Statistic`` names the
  setting it tracks (``mask_prob``, ``mask_ratio`` ...), so inspect knows no objective's arguments;
- ``GENERIC``, the statistics every objective has: lengths, the loss positions, and the text
  tokens missing from the encoder input.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polytrain.objectives import IGNORE_INDEX, Example, Objective, Statistic, TextBlock, missing_units
from polytrain.stream.dataset import Sample

GENERIC: dict[str, tuple[str, str, str]] = {
    # key: (numerator, denominator, meaning)
    "missing_fraction": ("missing_tokens", "text_tokens", "text tokens missing from the encoder input"),
    "input_length": ("encoder_tokens", "examples", "encoder input tokens per example"),
    "decoder_length": ("decoder_tokens", "examples", "decoder input tokens per example"),
    "label_length": ("label_positions", "examples", "label positions per example"),
    "loss_fraction": ("loss_positions", "label_positions", "label positions with a loss"),
    "length_ratio": ("encoder_tokens", "loss_positions", "encoder input / target tokens"),
}
"""The objective-agnostic statistics: the two ``Tally.counts`` each divides and its meaning."""
_DECODER_ONLY = ("decoder_length", "length_ratio")


@dataclass
class Tally:
    """Counts summed over the examples of one objective.

    ``counts`` holds the generic counts and, for each statistic of the objective's hook,
    ``<name>.numerator`` and ``<name>.denominator``; ``reported`` keeps each such statistic's
    meaning and configured value (from its first example).
    """

    counts: Counter[str] = field(default_factory=Counter)
    langs: Counter[str] = field(default_factory=Counter)
    reported: dict[str, Statistic] = field(default_factory=dict)

    def add(self, objective: Objective, sample: Sample, example: Example) -> None:
        """Count one example: the objective's statistics, then the generic counts."""
        for stat in objective.statistics(sample, example):
            self.reported.setdefault(stat.name, stat)
            self.counts.update({f"{stat.name}.numerator": stat.numerator, f"{stat.name}.denominator": stat.denominator})
        text = sample.ids if isinstance(sample, TextBlock) else np.concatenate([sample.src_ids, sample.tgt_ids])
        missing, text_tokens = missing_units(text, example.input_ids, objective.vocab, "token")
        self.counts.update({
            "examples": 1, "encoder_tokens": len(example.input_ids), "label_positions": len(example.labels),
            "loss_positions": int((example.labels != IGNORE_INDEX).sum()),
            "decoder_tokens": 0 if example.decoder_input_ids is None else len(example.decoder_input_ids),
            "text_tokens": text_tokens, "missing_tokens": missing,
        })
        self.langs[example.lang] += 1

    def _ratio(self, numerator: str, denominator: str) -> float:
        return self.counts[numerator] / self.counts[denominator] if self.counts[denominator] else 0.0

    def report(self) -> dict[str, Any]:
        """``achieved`` (name -> ratio of sums), ``configured`` (name -> ``{param, value}``) and
        ``meaning`` (name -> text): the objective's statistics first, then the generic ones."""
        achieved = {name: self._ratio(f"{name}.numerator", f"{name}.denominator") for name in self.reported}
        meaning = {name: stat.meaning for name, stat in self.reported.items()}
        for key, (num, den, text) in GENERIC.items():
            if key not in achieved and (self.counts["decoder_tokens"] or key not in _DECODER_ONLY):
                achieved[key], meaning[key] = self._ratio(num, den), text
        configured = {name: {"param": stat.parameter, "value": float(stat.expected)}
                      for name, stat in self.reported.items() if stat.expected is not None}
        return {"achieved": achieved, "configured": configured, "meaning": meaning}
