"""TranslationLM: pair layout (positions reset, langs per side), masking of both sides, swap, truncation.

The synthetic pairs draw German ids from [8, 500) and English ids from [500, 1000), so every
ordinary token says which side it came from. Tolerances are 5 binomial standard deviations.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polytrain.rng import make_rng
from polytrain.objectives.tlm import TranslationLM, longest_first
from polytrain.types import IGNORE_INDEX, TextPair

MAX_LENGTH = 256
NUM_PAIRS = 3000  # ~ 3000 * 2 * 20.5 = 123k text tokens


def make(objective: TranslationLM, vocab, pairs, max_length: int = MAX_LENGTH, seed: int = 1):
    objective.setup(vocab, max_length)
    rng = make_rng(seed, "tlm-test")
    return [(pair, objective.make_example(pair, rng)) for pair in pairs]


def five_sigma(p: float, n: int) -> float:
    return 5.0 * np.sqrt(p * (1.0 - p) / n)


def originals(example) -> np.ndarray:
    """The uncorrupted input: labels at targets, input elsewhere."""
    is_target = example.labels != IGNORE_INDEX
    return np.where(is_target, example.labels, example.input_ids)


def second_segment_start(example, vocab) -> int:
    """Index of the second </s> of the ``</s> </s>`` separator (specials are never corrupted)."""
    ids = example.input_ids
    return int(np.flatnonzero((ids[:-1] == vocab.eos_id) & (ids[1:] == vocab.eos_id))[0]) + 1


def test_layout_positions_reset_and_langs(vocab, pairs):
    de, en = vocab.lang_index("de"), vocab.lang_index("en")
    for pair, example in make(TranslationLM(), vocab, pairs(300)):
        ids = originals(example)
        split = second_segment_start(example, vocab)
        assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and ids[split - 1] == vocab.eos_id
        np.testing.assert_array_equal(
            example.positions, np.concatenate([np.arange(split), np.arange(len(ids) - split)])
        )
        swapped = example.langs[0] == en
        first, second = (pair.tgt_ids, pair.src_ids) if swapped else (pair.src_ids, pair.tgt_ids)
        np.testing.assert_array_equal(ids[1 : split - 1], first)
        np.testing.assert_array_equal(ids[split + 1 : -1], second)
        first_lang, second_lang = (en, de) if swapped else (de, en)
        assert (example.langs[:split] == first_lang).all() and (example.langs[split:] == second_lang).all()
        assert example.lang == "de-en"
        assert len({len(example.input_ids), len(example.labels), len(example.positions), len(example.langs)}) == 1


def test_langs_match_token_side(vocab, pairs):
    for _, example in make(TranslationLM(), vocab, pairs(300)):
        ids = originals(example)
        text = ids >= vocab.num_special
        side_is_en = ids >= 500
        assert (example.langs[text & side_is_en] == vocab.lang_index("en")).all()
        assert (example.langs[text & ~side_is_en] == vocab.lang_index("de")).all()


def test_both_sides_masked_at_rate_and_specials_never(vocab, pairs):
    made = make(TranslationLM(), vocab, pairs(NUM_PAIRS))
    chosen = {"de": 0, "en": 0}
    candidates = {"de": 0, "en": 0}
    masked = targets = 0
    for _, example in made:
        ids = originals(example)
        is_target = example.labels != IGNORE_INDEX
        assert (ids[is_target] >= vocab.num_special).all()  # no special token is ever a target
        special = ids < vocab.num_special
        np.testing.assert_array_equal(example.input_ids[special], ids[special])
        for lang, side in (("de", (ids >= vocab.num_special) & (ids < 500)), ("en", ids >= 500)):
            chosen[lang] += int((is_target & side).sum())
            candidates[lang] += int(side.sum())
        masked += int((example.input_ids[is_target] == vocab.mask_id).sum())
        targets += int(is_target.sum())
    for lang in ("de", "en"):
        assert candidates[lang] > 50_000
        assert abs(chosen[lang] / candidates[lang] - 0.15) < five_sigma(0.15, candidates[lang]), lang
    assert abs(masked / targets - 0.8) < five_sigma(0.8, targets)


def test_swap_rate(vocab, pairs):
    data = pairs(2000)
    en = vocab.lang_index("en")
    for swap_prob, expected in ((0.5, 0.5), (0.0, 0.0), (1.0, 1.0)):
        made = make(TranslationLM(swap_prob=swap_prob), vocab, data)
        rate = float(np.mean([example.langs[0] == en for _, example in made]))
        if expected == 0.5:
            assert abs(rate - expected) < five_sigma(0.5, len(data))
        else:
            assert rate == expected


def test_longest_first():
    assert longest_first(3, 4, 10) == (3, 4)
    assert longest_first(3, 50, 10) == (3, 7)  # the short side stays whole
    assert longest_first(50, 2, 10) == (8, 2)
    assert longest_first(9, 7, 10) == (5, 5)
    assert longest_first(9, 7, 11) == (6, 5)
    for la in range(30):
        for lb in range(30):
            a, b = longest_first(la, lb, 21)
            assert a <= la and b <= lb and a + b == min(la + lb, 21)
            if la + lb > 21:
                assert min(a, b) == min(la, lb, 10)


def test_truncation_fits_max_length_and_keeps_prefixes(vocab, pairs):
    for max_length in (6, 17, 64):
        for pair, example in make(TranslationLM(swap_prob=0.0), vocab, pairs(200, max_len=120), max_length=max_length):
            assert len(example.input_ids) <= max_length
            ids = originals(example)
            split = second_segment_start(example, vocab)
            first, second = ids[1 : split - 1], ids[split + 1 : -1]
            np.testing.assert_array_equal(first, pair.src_ids[: len(first)])
            np.testing.assert_array_equal(second, pair.tgt_ids[: len(second)])
            assert (len(first), len(second)) == longest_first(len(pair.src_ids), len(pair.tgt_ids), max_length - 4)


def test_deterministic_per_rng(vocab, pairs):
    pair = pairs(1, max_len=200)[0]
    objective = TranslationLM()
    objective.setup(vocab, MAX_LENGTH)
    a, b = (objective.make_example(pair, make_rng(3, "p")) for _ in range(2))
    c = objective.make_example(pair, make_rng(4, "p"))
    np.testing.assert_array_equal(a.input_ids, b.input_ids)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not (np.array_equal(a.labels, c.labels) and np.array_equal(a.langs, c.langs))


def test_errors(vocab, pairs, blocks):
    with pytest.raises(ValueError, match="swap_prob"):
        TranslationLM(swap_prob=1.5)
    objective = TranslationLM()
    with pytest.raises(ValueError, match="max_length"):
        objective.setup(vocab, 5)
    objective.setup(vocab, MAX_LENGTH)
    with pytest.raises(TypeError, match="TextPair"):
        objective.make_example(blocks(1)[0], make_rng(0))
    pair = TextPair("p-x", "xx", "en", np.array([10]), np.array([600]))
    with pytest.raises(KeyError, match="'p-x'"):
        objective.make_example(pair, make_rng(0))


def test_loss_random_and_perfect_logits(vocab, pairs, fake_outputs):
    objective = TranslationLM()
    examples = [e for _, e in make(objective, vocab, pairs(16))]
    outputs, batch = fake_outputs(examples, vocab, perfect=False)
    loss, metrics = objective.loss(outputs, batch)
    assert torch.isfinite(loss) and 0.0 <= float(metrics["accuracy"]) <= 1.0
    outputs, batch = fake_outputs(examples, vocab, perfect=True)
    _, metrics = objective.loss(outputs, batch)
    assert float(metrics["accuracy"]) == 1.0
