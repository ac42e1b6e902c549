"""Language sampling q_l ∝ p_l^alpha: exact values, limits, monotonicity, effective epochs, errors."""

from __future__ import annotations

import math

import pytest

from polytrain.shards.mixture import (
    MBART_ALPHA,
    XLM_ALPHA,
    XLMR_ALPHA,
    effective_epochs,
    format_mixture_table,
    natural_probs,
    sampling_probs,
)

SIZES = {"en": 800.0, "de": 150.0, "sw": 50.0}


def test_two_languages_alpha_half_is_three_to_one() -> None:
    # p = 0.9, 0.1; sqrt(0.9) = 3 * sqrt(0.1), so q = 3/4 and 1/4 exactly.
    q = sampling_probs({"en": 900, "sw": 100}, 0.5)
    assert q["en"] == pytest.approx(0.75, abs=1e-15)
    assert q["sw"] == pytest.approx(0.25, abs=1e-15)


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        # Hand-computed: 0.8^a, 0.15^a, 0.05^a normalized (0.935248, 0.566013, 0.407090 at a=0.3).
        (XLMR_ALPHA, {"de": 0.296598, "en": 0.490081, "sw": 0.213320}),
        (XLM_ALPHA, {"de": 0.257284, "en": 0.594173, "sw": 0.148543}),
        (MBART_ALPHA, {"de": 0.213165, "en": 0.688041, "sw": 0.098794}),
    ],
)
def test_matches_hand_computed_values(alpha: float, expected: dict[str, float]) -> None:
    q = sampling_probs(SIZES, alpha)
    assert list(q) == ["de", "en", "sw"]  # sorted, deterministic order
    for lang, value in expected.items():
        assert q[lang] == pytest.approx(value, abs=2e-6)
    assert math.fsum(q.values()) == pytest.approx(1.0, abs=1e-15)


def test_alpha_one_is_natural_and_zero_is_uniform() -> None:
    natural = sampling_probs(SIZES, 1.0)
    assert natural == pytest.approx({"en": 0.8, "de": 0.15, "sw": 0.05}, abs=1e-15)
    assert natural_probs(SIZES) == pytest.approx(natural, abs=1e-15)
    assert sampling_probs(SIZES, 0.0) == {"de": 1 / 3, "en": 1 / 3, "sw": 1 / 3}


def test_lower_alpha_moves_weight_to_small_languages() -> None:
    alphas = [1.0, 0.7, 0.5, 0.3, 0.1, 0.0]
    small = [sampling_probs(SIZES, a)["sw"] for a in alphas]
    large = [sampling_probs(SIZES, a)["en"] for a in alphas]
    assert all(x < y for x, y in zip(small, small[1:]))
    assert all(x > y for x, y in zip(large, large[1:]))


def test_alpha_above_one_favours_large_languages_without_underflow() -> None:
    q = sampling_probs({"big": 1e12, "tiny": 1.0}, 40.0)  # 1e-12 ** 40 underflows a plain pow
    assert q["big"] == 1.0 and q["tiny"] == 0.0
    assert sampling_probs(SIZES, 2.0)["en"] > 0.8


def test_scale_invariant_and_key_order_independent() -> None:
    a = sampling_probs({"sw": 5, "en": 80, "de": 15}, 0.3)
    b = sampling_probs({"de": 1500, "en": 8000, "sw": 500}, 0.3)
    assert list(a) == list(b) == ["de", "en", "sw"]
    assert a == pytest.approx(b, abs=1e-15)


@pytest.mark.parametrize("alpha", [-0.1, math.nan, math.inf])
def test_bad_alpha_is_refused(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        sampling_probs(SIZES, alpha)


def test_zero_and_negative_sizes_are_named() -> None:
    with pytest.raises(ValueError, match=r"\['hi', 'sw'\] have no data"):
        sampling_probs({"en": 10, "sw": 0, "hi": -1}, 0.3)
    with pytest.raises(ValueError, match="at least one language"):
        sampling_probs({}, 0.3)
    with pytest.raises(ValueError, match="not finite for \\['en'\\]"):
        sampling_probs({"en": math.inf, "de": 1}, 0.3)


def test_effective_epochs() -> None:
    q = sampling_probs(SIZES, 0.5)
    epochs = effective_epochs(SIZES, q, total_samples=1000)
    # 1000 draws: sw gets 148.5 of its 50 samples (~3 epochs), en 594 of 800 (~0.74).
    assert epochs["sw"] == pytest.approx(q["sw"] * 1000 / 50)
    assert epochs["en"] == pytest.approx(q["en"] * 1000 / 800)
    assert epochs["sw"] > 1 > epochs["en"]
    # alpha = 1 sees every language equally often.
    natural = effective_epochs(SIZES, sampling_probs(SIZES, 1.0), 1000)
    assert natural == pytest.approx(dict.fromkeys(SIZES, 1.0))
    with pytest.raises(ValueError, match="different languages"):
        effective_epochs(SIZES, {"en": 1.0}, 10)
    with pytest.raises(ValueError, match="total_samples"):
        effective_epochs(SIZES, q, -1)


def test_format_mixture_table() -> None:
    q = sampling_probs(SIZES, 0.3)
    table = format_mixture_table(SIZES, q, observed={"en": 49, "de": 30, "sw": 21}, unit="chars")
    lines = table.splitlines()
    assert lines[0].split() == ["lang", "chars", "natural", "p", "sampled", "q", "q/p", "observed"]
    assert [line.split()[0] for line in lines[1:]] == ["de", "en", "sw", "total"]
    sw = lines[3].split()
    assert sw == ["sw", "50", "5%", "21.3%", "x4.27", "21%"]
    assert lines[-1].split()[:2] == ["total", "1,000"]
    without = format_mixture_table(SIZES, q)
    assert "observed" not in without and "epochs" not in without and len(without.splitlines()) == 5
    drawn = format_mixture_table(SIZES, q, observed={"en": 49, "de": 30, "sw": 21}, epochs={"de": 0.5, "en": 0.25,
                                                                                        "sw": 4.0})
    assert drawn.splitlines()[0].split()[-2:] == ["observed", "epochs"]
    assert drawn.splitlines()[3].split() == ["sw", "50", "5%", "21.3%", "x4.27", "21%", "4"]
    with pytest.raises(ValueError, match="different languages"):
        format_mixture_table(SIZES, {"en": 1.0})
