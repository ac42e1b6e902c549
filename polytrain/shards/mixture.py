"""Language sampling probabilities: how often each language is drawn for training and tokenizers.

With ``n_l`` the amount of data in language ``l`` and ``p_l = n_l / sum_k n_k`` its natural share,
the sampling probability is

    q_l = p_l ** alpha / sum_k p_k ** alpha

``alpha = 1`` keeps the natural proportions, ``alpha -> 0`` approaches uniform sampling, and values in
between upsample low-resource languages. This is the "temperature" ``T = 1 / alpha`` of seqio/mT5.
Values from the papers: XLM (Lample & Conneau 2019, §3.1) ``alpha = 0.5``; XLM-R (Conneau et al.
2020, §3.1) ``alpha = 0.3``; mBART (Liu et al. 2020, §2.1) ``alpha = 0.7``; mT5 (Xue et al. 2021)
``alpha = 0.3``. The same function feeds the training stream and the tokenizer trainer, so a
low-resource language gets vocabulary in the proportion it will be trained on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polytrain.shards.manifest import Manifest

XLM_ALPHA = 0.5
"""Lample & Conneau 2019 (XLM), §3.1."""
XLMR_ALPHA = 0.3
"""Conneau et al. 2020 (XLM-R), §3.1; also mT5 (Xue et al. 2021)."""
MBART_ALPHA = 0.7
"""Liu et al. 2020 (mBART), §2.1."""


def _check_sizes(sizes: Mapping[str, float]) -> None:
    if not sizes:
        raise ValueError("language sampling needs at least one language, got none")
    bad = sorted(lang for lang, n in sizes.items() if not math.isfinite(float(n)))
    if bad:
        raise ValueError(f"language sizes must be finite numbers; not finite for {bad}")
    empty = sorted(lang for lang, n in sizes.items() if n <= 0)
    if empty:
        shown = {lang: sizes[lang] for lang in empty}
        raise ValueError(f"languages {empty} have no data (sizes {shown}); "
                         "remove them or add data: a language with size 0 cannot be sampled")


def sampling_probs(sizes: Mapping[str, float], alpha: float) -> dict[str, float]:
    """Exponentially smoothed sampling probabilities ``q_l ∝ p_l ** alpha``.

    Args:
        sizes: amount of data per language (characters, samples or tokens; any one unit), > 0.
        alpha: smoothing exponent, ``>= 0``. 1: natural proportions; 0: uniform; ``> 1`` favours
            large languages further (allowed, rarely useful).

    Returns:
        ``{lang: q_l}`` in sorted language order, summing to 1.

    Raises:
        ValueError: no languages, a size that is 0, negative or not finite (naming the languages),
            or ``alpha`` negative or not finite.

    Example:
        ``sampling_probs({"en": 900, "sw": 100}, 0.5)`` is ``{"en": 0.75, "sw": 0.25}``
        (``0.9 ** 0.5 = 0.949``, ``0.1 ** 0.5 = 0.316``).
    """
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a finite number >= 0 (1 = natural, 0 = uniform), got {alpha}")
    _check_sizes(sizes)
    langs = sorted(sizes)
    total = math.fsum(float(sizes[lang]) for lang in langs)
    # In log space so that alpha > 1 with tiny shares cannot underflow to an all-zero mixture.
    logits = [alpha * (math.log(float(sizes[lang])) - math.log(total)) for lang in langs]
    top = max(logits)
    weights = [math.exp(x - top) for x in logits]
    norm = math.fsum(weights)
    return {lang: w / norm for lang, w in zip(langs, weights)}


def natural_probs(sizes: Mapping[str, float]) -> dict[str, float]:
    """Natural shares ``p_l = n_l / sum_k n_k`` in sorted language order (``alpha = 1``)."""
    _check_sizes(sizes)
    total = math.fsum(float(n) for n in sizes.values())
    return {lang: float(sizes[lang]) / total for lang in sorted(sizes)}


def effective_epochs(sizes: Mapping[str, float], probs: Mapping[str, float],
                     total_samples: float) -> dict[str, float]:
    """How many times each language's data is seen when ``total_samples`` are drawn with ``probs``.

    ``epochs_l = q_l * total_samples / n_l``. ``sizes`` and ``total_samples`` must be in the same
    unit (samples with samples, tokens with tokens). An epoch count far above 1 for a small
    language means its data repeats that often (XLM-R's upsampling); far below 1 for a large one
    means most of it is never seen.

    Args:
        sizes: amount of data per language, > 0.
        probs: sampling probability per language, same languages as ``sizes``.
        total_samples: how much is drawn in total, >= 0.

    Returns:
        ``{lang: epochs}`` in sorted language order.
    """
    _check_sizes(sizes)
    if set(sizes) != set(probs):
        raise ValueError(f"sizes and probs name different languages: {sorted(sizes)} vs {sorted(probs)}")
    if not (math.isfinite(total_samples) and total_samples >= 0):
        raise ValueError(f"total_samples must be a finite number >= 0, got {total_samples}")
    return {lang: probs[lang] * total_samples / float(sizes[lang]) for lang in sorted(sizes)}


def _pct(x: float) -> str:
    return f"{100.0 * x:.3g}%"


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"


def format_mixture_table(sizes: Mapping[str, float], probs: Mapping[str, float],
                         observed: Mapping[str, float] | None = None, unit: str = "size",
                         epochs: Mapping[str, float] | None = None) -> str:
    """A plain-text table of the language mixture, printed at training start and by the tokenizer.

    Columns: language, size, natural share ``p_l``, sampling probability ``q_l``, upsampling factor
    ``q_l / p_l`` and, when ``observed`` is given, the observed share of what was actually drawn
    (normalized here, so raw counts are fine); when ``epochs`` is given, how many times each
    language's data was seen.

    Args:
        sizes: amount of data per language, > 0.
        probs: sampling probability per language (same languages).
        observed: optional amount actually drawn per language (counts or shares).
        unit: name of the size column (e.g. ``"chars"``, ``"samples"``).
        epochs: optional effective epochs per language (``effective_epochs``, or as counted).

    Returns:
        The table, one line per language plus a header and a total line, no trailing newline.
    """
    natural = natural_probs(sizes)
    if set(probs) != set(sizes):
        raise ValueError(f"sizes and probs name different languages: {sorted(sizes)} vs {sorted(probs)}")
    obs_share: dict[str, float] | None = None
    if observed is not None:
        obs_total = math.fsum(float(observed.get(lang, 0.0)) for lang in sizes)
        obs_share = {lang: (float(observed.get(lang, 0.0)) / obs_total if obs_total > 0 else 0.0)
                     for lang in sizes}
    header = ["lang", unit, "natural p", "sampled q", "q/p"] + (["observed"] if obs_share else []) + \
        (["epochs"] if epochs is not None else [])
    rows = [header]
    for lang in sorted(sizes):
        row = [lang, _num(sizes[lang]), _pct(natural[lang]), _pct(probs[lang]),
               f"x{probs[lang] / natural[lang]:.3g}"]
        if obs_share is not None:
            row.append(_pct(obs_share[lang]))
        if epochs is not None:
            row.append(f"{float(epochs.get(lang, 0.0)):.3g}")
        rows.append(row)
    total_row = ["total", _num(math.fsum(float(n) for n in sizes.values())), "100%",
                 _pct(math.fsum(probs.values())), ""] + (["100%"] if obs_share else []) + \
        ([""] if epochs is not None else [])
    rows.append(total_row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def mixture_probs(manifest: Manifest, kind: str, unit: str, alpha: float) -> dict[str, float]:
    """Sampling probability of each language (or pair) of ``kind`` with training data.

    Sizes are the manifest's train-split sums in ``unit``; languages whose size is 0 are left out
    (``sampling_probs`` cannot sample them).

    Raises:
        ValueError: no language of ``kind`` has training data.
    """
    sizes = {k: float(v) for k, v in manifest.sizes(kind, "train", unit).items() if v > 0}
    if not sizes:
        raise ValueError(f"{manifest.location}: no {kind} training data (no train shard with {unit} > 0)")
    return sampling_probs(sizes, alpha)
