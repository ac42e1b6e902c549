"""MaskedLM: statistics of target selection and corruption over >= 100k tokens, layout, loss.

Tolerances are 5 binomial standard deviations, sqrt(p (1 - p) / n): a correct implementation
fails with probability < 1e-6 per check (and the fixed generator makes the run deterministic).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polytrain.objectives import word_spans
from polytrain.objectives.mlm import MaskedLM
from polytrain.rng import make_rng
from polytrain.types import IGNORE_INDEX, TextBlock

MAX_LENGTH = 512
NUM_BLOCKS = 250  # 250 * 510 = 127,500 tokens, ~123k candidates


def make(objective: MaskedLM, vocab, blocks, seed: int = 1, path: str = "make_example"):
    """``(block, example)`` of every block, made one by one (``make_example``, as validation and
    evaluation make them) or in batches of 25 (``make_examples``, as the training stream does:
    blocks of one length are masked as one array)."""
    objective.setup(vocab, MAX_LENGTH)
    rng = make_rng(seed, "mlm-test")
    if path == "make_example":
        return [(block, objective.make_example(block, rng)) for block in blocks]
    batches = [blocks[i:i + 25] for i in range(0, len(blocks), 25)]
    return [pair for batch in batches for pair in zip(batch, objective.make_examples(batch, rng), strict=True)]


@pytest.fixture(params=["make_example", "make_examples"])
def path(request) -> str:
    """Every statistic is checked on both ways of making examples."""
    return request.param


def five_sigma(p: float, n: int) -> float:
    return 5.0 * np.sqrt(p * (1.0 - p) / n)


def original(block: TextBlock, vocab) -> np.ndarray:
    return np.concatenate([[vocab.bos_id], block.ids, [vocab.eos_id]])


def test_layout_positions_langs(vocab, blocks):
    ((block, example),) = make(MaskedLM(), vocab, blocks(1))
    assert len(example.input_ids) == len(block.ids) + 2
    assert example.input_ids[0] == vocab.bos_id and example.input_ids[-1] == vocab.eos_id
    np.testing.assert_array_equal(example.positions, np.arange(len(block.ids) + 2))
    assert (example.langs == vocab.lang_index("en")).all()
    assert example.lang == "en" and example.key == block.key and example.decoder_input_ids is None
    for field in (example.input_ids, example.labels, example.positions, example.langs):
        assert field.dtype == np.int64


def test_selected_fraction_and_exact_count(vocab, blocks, path):
    made = make(MaskedLM(), vocab, blocks(NUM_BLOCKS), path=path)
    targets = candidates = 0
    for block, example in made:
        ids = original(block, vocab)
        n_candidates = int((ids >= vocab.num_special).sum())
        n_targets = int((example.labels != IGNORE_INDEX).sum())
        # fairseq's randomized rounding: the count is floor or ceil of mask_prob * candidates.
        assert np.floor(0.15 * n_candidates) <= n_targets <= np.ceil(0.15 * n_candidates)
        targets += n_targets
        candidates += n_candidates
    assert candidates >= 100_000
    assert abs(targets / candidates - 0.15) < five_sigma(0.15, candidates)


def test_short_blocks_get_mask_prob_on_average(vocab, blocks, path):
    # 3 text tokens -> 0.45 expected targets: plain rounding would give 0, ceil 1 (fairseq's
    # randomized rounding gives 0 or 1 with mean 0.45).
    made = make(MaskedLM(), vocab, blocks(5000, length=3), path=path)
    targets = sum(int((e.labels != IGNORE_INDEX).sum()) for _, e in made)
    candidates = sum(int((b.ids >= vocab.num_special).sum()) for b, _ in made)
    # Per block the count is Bernoulli-like (floor or ceil): sd <= sqrt(blocks / 4) / candidates.
    assert abs(targets / candidates - 0.15) < 5 * np.sqrt(len(made) / 4) / candidates


def test_80_10_10_split_and_labels(vocab, blocks, path):
    made = make(MaskedLM(), vocab, blocks(NUM_BLOCKS), path=path)
    masked = random = kept = total = 0
    for block, example in made:
        ids = original(block, vocab)
        is_target = example.labels != IGNORE_INDEX
        np.testing.assert_array_equal(example.labels[is_target], ids[is_target])
        np.testing.assert_array_equal(example.input_ids[~is_target], ids[~is_target])
        inputs = example.input_ids[is_target]
        masked += int((inputs == vocab.mask_id).sum())
        kept += int((inputs == ids[is_target]).sum())
        random += int(((inputs != vocab.mask_id) & (inputs != ids[is_target])).sum())
        total += int(is_target.sum())
    # A random draw equal to the original (p = 1/992) counts as kept: a 1e-4 shift, far below the tolerances.
    assert abs(masked / total - 0.8) < five_sigma(0.8, total)
    assert abs(random / total - 0.1) < five_sigma(0.1, total)
    assert abs(kept / total - 0.1) < five_sigma(0.1, total)


def test_special_tokens_never_selected(vocab, blocks, path):
    made = make(MaskedLM(mask_prob=0.5), vocab, blocks(100), path=path)
    seen_special = 0
    for block, example in made:
        ids = original(block, vocab)
        is_special = ids < vocab.num_special
        seen_special += int(is_special.sum())
        assert (example.labels[is_special] == IGNORE_INDEX).all()
        np.testing.assert_array_equal(example.input_ids[is_special], ids[is_special])
    assert seen_special > 1000  # the blocks really contain <unk>, <pad>, <mask>, tags and </s>


def test_random_replacements_uniform_over_ordinary_ids(vocab, blocks, path):
    objective = MaskedLM(mask_prob=0.5, mask_replace_prob=0.0, random_replace_prob=1.0)
    made = make(objective, vocab, blocks(NUM_BLOCKS), path=path)
    draws = np.concatenate([e.input_ids[e.labels != IGNORE_INDEX] for _, e in made])
    assert draws.min() >= vocab.num_special and draws.max() < vocab.size
    counts = np.bincount(draws - vocab.num_special, minlength=vocab.size - vocab.num_special)
    expected = len(draws) / len(counts)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    dof = len(counts) - 1
    # chi-square(dof) has mean dof and sd sqrt(2 dof); 5 sd above the mean is p < 1e-6.
    assert chi2 < dof + 5 * np.sqrt(2 * dof), chi2


def test_deterministic_per_rng(vocab, blocks):
    block = blocks(1)[0]
    objective = MaskedLM()
    objective.setup(vocab, MAX_LENGTH)
    a = objective.make_example(block, make_rng(7, "x"))
    b = objective.make_example(block, make_rng(7, "x"))
    c = objective.make_example(block, make_rng(8, "x"))
    np.testing.assert_array_equal(a.input_ids, b.input_ids)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)


def test_targets_are_uniform_over_each_blocks_candidates(vocab, blocks, path):
    # Every candidate position is equally likely to be a target, wherever it is in its block: the
    # batch path ranks candidates by random scores, and a bias (towards the start of a row, or
    # against the positions next to special tokens) would show here.
    made = make(MaskedLM(mask_prob=0.5), vocab, blocks(1500, length=60), path=path)
    chosen, candidates = np.zeros(62), np.zeros(62)
    for block, example in made:
        ids = original(block, vocab)
        candidates += ids >= vocab.num_special
        chosen += example.labels != IGNORE_INDEX
    expected = candidates * chosen.sum() / candidates.sum()
    used = candidates > 0
    chi2 = float(((chosen[used] - expected[used]) ** 2 / expected[used]).sum())
    dof = int(used.sum()) - 1
    assert dof > 50 and chi2 < dof + 5 * np.sqrt(2 * dof), chi2


@pytest.mark.parametrize("whole_word_mask", [False, True])
def test_make_examples_lays_out_what_make_example_does(vocab, blocks, whole_word_mask):
    # The training stream calls make_examples (a batch of equal blocks masked as one array, one
    # generator for the batch): the layout, the untouched tokens and the labels are make_example's,
    # the draws are the batch's own, and the same generator gives the same batch.
    objective = MaskedLM(whole_word_mask=whole_word_mask, mask_replace_prob=0.6, random_replace_prob=0.3)
    objective.setup(vocab, MAX_LENGTH)
    same_length = blocks(64, length=200)
    same_length[3] = TextBlock(key="specials", lang="de", ids=np.full(200, 3, dtype=np.int64),
                               sentence_ends=np.array([200]))  # no candidate at all
    mixed_lengths = blocks(8, length=50) + blocks(8, length=70, seed=1)
    for samples in (same_length, mixed_lengths, same_length[:1]):
        batch = objective.make_examples(samples, make_rng(9, "batch"))
        again = objective.make_examples(samples, make_rng(9, "batch"))
        one = [objective.make_example(s, make_rng(9, "ex", s.key)) for s in samples]
        assert len(batch) == len(one) == len(samples)
        for got, same, expected, sample in zip(batch, again, one, samples):
            assert (got.lang, got.key, got.decoder_input_ids) == (expected.lang, expected.key, None)
            for field in ("input_ids", "labels", "positions", "langs"):
                value = getattr(got, field)
                assert value.dtype == np.int64 and value.shape == getattr(expected, field).shape
                np.testing.assert_array_equal(value, getattr(same, field), err_msg=f"{field} of {got.key}")
            for field in ("positions", "langs"):
                np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))
            ids = original(sample, vocab)
            is_target = got.labels != IGNORE_INDEX
            np.testing.assert_array_equal(got.labels[is_target], ids[is_target])
            np.testing.assert_array_equal(got.input_ids[~is_target], ids[~is_target])
    # Blocks of different lengths take make_example's path, with the batch's generator in turn.
    rng = make_rng(9, "batch")
    one_by_one = [objective.make_example(s, rng) for s in mixed_lengths]
    for got, expected in zip(objective.make_examples(mixed_lengths, make_rng(9, "batch")), one_by_one):
        np.testing.assert_array_equal(got.input_ids, expected.input_ids)
        np.testing.assert_array_equal(got.labels, expected.labels)


def reference_words(ids: np.ndarray, vocab) -> list[tuple[int, int]]:
    """Words by a plain loop: a word starts at a ▁ token or after a special token."""
    words, start = [], None
    for i, token in enumerate(ids):
        if token < vocab.num_special:
            if start is not None:
                words.append((start, i))
            start = None
        elif vocab.word_start[token] or start is None:
            if start is not None:
                words.append((start, i))
            start = i
    if start is not None:
        words.append((start, len(ids)))
    return words


def test_word_spans_matches_reference(vocab, blocks):
    for block in blocks(20, length=200):
        ids = original(block, vocab)
        starts, ends = word_spans(ids >= vocab.num_special, vocab.word_start[ids])
        assert list(zip(starts.tolist(), ends.tolist())) == reference_words(ids, vocab)


def test_whole_word_masking_covers_whole_words(vocab, blocks, path):
    made = make(MaskedLM(whole_word_mask=True), vocab, blocks(NUM_BLOCKS), path=path)
    covered = total = mixed = 0
    squares = 0.0
    for block, example in made:
        ids = original(block, vocab)
        is_target = example.labels != IGNORE_INDEX
        for start, end in reference_words(ids, vocab):
            assert is_target[start:end].all() or not is_target[start:end].any()
            squares += (end - start) ** 2
            masked = example.input_ids[start:end] == vocab.mask_id
            mixed += bool(is_target[start] and masked.any() and not masked.all())
        covered += int(is_target.sum())
        total += int((ids >= vocab.num_special).sum())
    # Words are chosen, not tokens: sd <= sqrt(p (1 - p) sum(len_w^2)) / N (independent-word bound).
    tolerance = 5 * np.sqrt(0.15 * 0.85 * squares) / total
    assert abs(covered / total - 0.15) < tolerance
    assert mixed > 100  # the 80/10/10 rule is drawn per token, not once per word


def test_truncates_overlong_block_with_warning(vocab, blocks):
    objective = MaskedLM()
    objective.setup(vocab, 64)
    block = blocks(1, length=100)[0]
    with pytest.warns(UserWarning, match="truncated"):
        example = objective.make_example(block, make_rng(0))
    assert len(example.input_ids) == 64
    assert example.input_ids[-1] == vocab.eos_id


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mask_prob": 0.0},
        {"mask_prob": 1.5},
        {"mask_replace_prob": -0.1},
        {"mask_replace_prob": 0.8, "random_replace_prob": 0.3},
    ],
)
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError, match="MaskedLM"):
        MaskedLM(**kwargs)


def test_bad_input_is_named(vocab, blocks):
    objective = MaskedLM()
    objective.setup(vocab, MAX_LENGTH)
    block = blocks(1)[0]
    bad = TextBlock("bad", "en", np.array([5, vocab.size]), np.array([2]))
    with pytest.raises(ValueError, match="'bad'.*out of range"):
        objective.make_example(bad, make_rng(0))
    with pytest.raises(KeyError, match="'b0'.*'xx'"):
        objective.make_example(TextBlock("b0", "xx", block.ids, block.sentence_ends), make_rng(0))


@pytest.mark.parametrize("whole_word_mask", [False, True])
def test_statistics_hook_counts_and_configured_values(vocab, blocks, whole_word_mask):
    """What ``polytrain inspect`` prints: counts of one example, each next to the setting it tracks."""
    objective = MaskedLM(mask_prob=0.2, whole_word_mask=whole_word_mask)
    sums: dict[str, list[float]] = {}
    for block, example in make(objective, vocab, blocks(60)):
        stats = {s.name: s for s in objective.statistics(block, example)}
        targets = int((example.labels != IGNORE_INDEX).sum())
        assert stats["selected_fraction"].numerator == targets
        assert stats["selected_fraction"].denominator == (original(block, vocab) >= vocab.num_special).sum()
        assert sum(stats[k].numerator for k in ("mask_share", "random_share", "kept_share")) == targets
        for stat in stats.values():
            sums.setdefault(stat.name, [0.0, 0.0])
            sums[stat.name][0] += stat.numerator
            sums[stat.name][1] += stat.denominator
    assert (stats["selected_fraction"].expected, stats["selected_fraction"].parameter) == (0.2, "mask_prob")
    assert stats["kept_share"].expected == pytest.approx(0.1)
    assert sums["selected_fraction"][0] / sums["selected_fraction"][1] == pytest.approx(0.2, abs=0.01)
    assert sums["mask_share"][0] / sums["mask_share"][1] == pytest.approx(0.8, abs=0.03)
    assert ("selected_word_fraction" in sums) == whole_word_mask
    if whole_word_mask:  # words are what mask_prob counts here
        assert sums["selected_word_fraction"][0] / sums["selected_word_fraction"][1] == pytest.approx(0.2, abs=0.005)


def test_loss_random_and_perfect_logits(vocab, blocks, fake_outputs):
    objective = MaskedLM()
    examples = [e for _, e in make(objective, vocab, blocks(4))]
    outputs, batch = fake_outputs(examples, vocab, perfect=False)
    loss, metrics = objective.loss(outputs, batch)
    assert torch.isfinite(loss) and loss.ndim == 0
    loss.backward()
    assert 0.0 <= float(metrics["accuracy"]) <= 1.0
    assert np.isclose(float(metrics["ppl"]), float(loss.detach().exp()), rtol=1e-5)
    outputs, batch = fake_outputs(examples, vocab, perfect=True)
    loss, metrics = objective.loss(outputs, batch)
    assert float(metrics["accuracy"]) == 1.0
    assert float(loss.detach()) < 1e-3
