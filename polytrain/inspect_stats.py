"""Statistics of ``polytrain inspect``: what an objective achieved, summed over examples, next to its settings.

``Tally`` counts targets, masks, sentinels, missing text tokens and lengths over many examples; its
``achieved`` fractions are ratios of sums. ``configured`` pairs each with the objective parameter
it should match (``mask_prob`` with ``selected_fraction``, ...). Meanings are in ``ACHIEVED``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from polytrain.stream.dataset import Sample
from polytrain.objectives.masking import example_stats
from polytrain.types import IGNORE_INDEX, Example, TextBlock, Vocab


def _missing(text: np.ndarray, input_ids: np.ndarray, vocab: Vocab) -> int:
    """Ordinary tokens of ``text`` absent from ``input_ids``, as a multiset difference.

    Order-free, so sentence permutation does not count; a token replaced by ``<mask>``, a sentinel
    or a random token does, and so does one the objective truncated away.
    """
    ua, ca = np.unique(text[~vocab.special[text]], return_counts=True)
    ub, cb = np.unique(input_ids[~vocab.special[input_ids]], return_counts=True)
    present = np.zeros(len(ua), dtype=np.int64)
    if len(ub):
        at = np.minimum(np.searchsorted(ub, ua), len(ub) - 1)
        hit = ub[at] == ua
        present[hit] = cb[at[hit]]
    return int(np.maximum(ca - present, 0).sum())


ACHIEVED: dict[str, tuple[str, str, str]] = {
    # key: (numerator, denominator, meaning)
    "selected_fraction": ("targets", "candidates", "targets / ordinary tokens"),
    "mask_share": ("masked", "targets", "targets replaced by <mask>"),
    "random_share": ("random", "targets", "targets replaced by a random token"),
    "kept_share": ("kept", "targets", "targets left unchanged"),
    "missing_fraction": ("missing_tokens", "text_tokens", "text tokens missing from the encoder input"),
    "mask_tokens_per_example": ("mask_tokens", "examples", "<mask> tokens in the encoder input"),
    "sentinels_per_example": ("sentinel_tokens", "examples", "sentinel tokens in the encoder input"),
    "tokens_per_mask": ("missing_tokens", "mask_like_tokens", "missing tokens per <mask>/sentinel"),
    "input_length": ("encoder_tokens", "examples", "encoder input tokens per example"),
    "decoder_length": ("decoder_tokens", "examples", "decoder input tokens per example"),
    "label_length": ("label_positions", "examples", "label positions per example"),
    "loss_fraction": ("loss_positions", "label_positions", "label positions with a loss"),
    "length_ratio": ("encoder_tokens", "loss_positions", "encoder input / target tokens"),
}
"""Each achieved statistic: the two ``Tally`` counts it divides and the meaning the report prints."""
_CONFIGURED: dict[str, tuple[str, ...]] = {
    "selected_fraction": ("mask_prob",),
    "mask_share": ("mask_replace_prob",),
    "random_share": ("random_replace_prob",),
    "missing_fraction": ("mask_ratio", "noise_density"),
    "tokens_per_mask": ("poisson_lambda", "mean_noise_span_length"),
}


@dataclass
class Tally:
    """Counts summed over examples; fractions are ratios of sums (not means of per-example ratios)."""

    counts: Counter[str]
    langs: Counter[str]

    def add(self, sample: Sample, example: Example, vocab: Vocab, sentinels: range | None) -> None:
        """Count one example: ``masking.example_stats`` counts plus the objective-agnostic ones."""
        text = sample.ids if isinstance(sample, TextBlock) else np.concatenate([sample.src_ids, sample.tgt_ids])
        c = self.counts
        c.update({k: v for k, v in example_stats(example, vocab).items() if not k.endswith(("fraction", "ratio"))})
        ids = example.input_ids
        sentinel = int(((ids >= sentinels.start) & (ids < sentinels.stop)).sum()) if sentinels else 0
        c.update({
            "examples": 1, "encoder_tokens": len(example.input_ids), "label_positions": len(example.labels),
            "loss_positions": int((example.labels != IGNORE_INDEX).sum()),
            "decoder_tokens": 0 if example.decoder_input_ids is None else len(example.decoder_input_ids),
            "text_tokens": int((~vocab.special[text]).sum()),
            "missing_tokens": _missing(text, example.input_ids, vocab),
            "sentinel_tokens": sentinel,
            "mask_like_tokens": int((example.input_ids == vocab.mask_id).sum()) + sentinel,
        })
        self.langs[example.lang] += 1

    def achieved(self, encoder: bool) -> dict[str, float]:
        """The achieved statistics that apply (encoder: the target split; encoder-decoder: spans)."""
        skip = {"decoder_length", "length_ratio", "mask_tokens_per_example", "sentinels_per_example",
                "tokens_per_mask"} if encoder else {"selected_fraction", "mask_share", "random_share", "kept_share"}
        if not self.counts["sentinel_tokens"]:
            skip.add("sentinels_per_example")
        elif not self.counts["mask_tokens"]:  # sentinels instead of <mask> (T5)
            skip.add("mask_tokens_per_example")
        return {key: self.counts[num] / self.counts[den] if self.counts[den] else 0.0
                for key, (num, den, _) in ACHIEVED.items() if key not in skip}


def configured(init_args: dict[str, Any], achieved: dict[str, float]) -> dict[str, tuple[str, float]]:
    """``{achieved key: (parameter, value)}`` for the objective's settings that map to a statistic."""
    out: dict[str, tuple[str, float]] = {}
    for key, params in _CONFIGURED.items():
        for param in params:
            value = init_args.get(param)
            if key in achieved and isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = (param, float(value))
    if {"mask_replace_prob", "random_replace_prob"} <= init_args.keys() and "kept_share" in achieved:
        out["kept_share"] = ("1 - mask_replace_prob - random_replace_prob",
                             round(1.0 - init_args["mask_replace_prob"] - init_args["random_replace_prob"], 10))
    if init_args.get("replace_length", 1) != 1:  # spans become 0 or many <mask> tokens: no span length to see
        out.pop("tokens_per_mask", None)
    return out
