"""Denoising: infilling statistics over >= 100k tokens, in words and in tokens, span structure,
permutation, layouts, loss.

Definitions (docs/objectives.md), in the span unit (words for mBART, tokens for BART): masked
fraction = units covered by spans / units of the block; mean span length = covered units / all
spans, zero-length spans included. Each block's last span is cut to the budget, which lowers the
mean by about (lambda / 2) / (spans per block) (the expected overshoot of a Poisson renewal
process); the tests allow for that bias. The synthetic vocabulary starts a word at every third
ordinary id, so words are 3 tokens long on average (geometric): counting tokens or words then
gives clearly different corruptions, which the tests tell apart.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
import torch

from polytrain.objectives import Statistic, Units, place_spans, sample_span_lengths, span_units
from polytrain.objectives.denoising import Denoising, Noised, permute_sentences
from polytrain.rng import make_rng
from polytrain.testing import synthetic_vocab
from polytrain.types import TextBlock, TextPair

MAX_LENGTH = 512
NUM_BLOCKS = 250  # 250 * 510 = 127,500 tokens


def noised_blocks(objective: Denoising, vocab, blocks, seed: int = 1) -> list[tuple[TextBlock, Noised]]:
    objective.setup(vocab, MAX_LENGTH)
    rng = make_rng(seed, "denoise-test")
    return [(b, objective.noise(b.ids, b.sentence_ends, MAX_LENGTH - 2, rng)) for b in blocks]


def examples(objective: Denoising, vocab, blocks, max_length: int = MAX_LENGTH, seed: int = 1):
    objective.setup(vocab, max_length)
    rng = make_rng(seed, "denoise-test")
    return [(b, objective.make_example(b, rng)) for b in blocks]


def base_with_spans_replaced(noised: Noised, token: int) -> np.ndarray:
    """The permuted text with every span replaced by one ``token`` (no insertions)."""
    out, previous = [], 0
    for start, length in zip(noised.span_starts, noised.span_lengths):
        out.extend(noised.permuted[previous:start])
        out.append(token)
        previous = start + length
    out.extend(noised.permuted[previous:])
    return np.array(out, dtype=np.int64)


def is_base_plus_masks(result: np.ndarray, base: np.ndarray, mask_id: int) -> bool:
    """True if ``result`` is ``base`` with only extra ``mask_id`` tokens inserted."""
    j = 0
    for token in result:
        if j < len(base) and token == base[j]:
            j += 1
        elif token != mask_id:
            return False
    return j == len(base)


def test_mbart_layout(vocab, blocks):
    for block, example in examples(Denoising(), vocab, blocks(20)):
        lid = vocab.lang_token("en")
        np.testing.assert_array_equal(example.labels, np.concatenate([block.ids, [vocab.eos_id, lid]]))
        np.testing.assert_array_equal(example.decoder_input_ids, np.concatenate([[lid], example.labels[:-1]]))
        assert list(example.input_ids[-2:]) == [vocab.eos_id, lid]
        np.testing.assert_array_equal(example.positions, np.arange(len(example.input_ids)))
        assert (example.langs == vocab.lang_index("en")).all() and len(example.langs) == len(example.input_ids)
        assert example.lang == "en" and example.key == block.key


def test_bart_layout(vocab, blocks):
    for block, example in examples(Denoising(add_lang_token=False), vocab, blocks(20)):
        np.testing.assert_array_equal(example.labels, np.concatenate([[vocab.bos_id], block.ids, [vocab.eos_id]]))
        np.testing.assert_array_equal(example.decoder_input_ids, np.concatenate([[vocab.eos_id], example.labels[:-1]]))
        assert example.input_ids[0] == vocab.bos_id and example.input_ids[-1] == vocab.eos_id


def test_masked_fraction_in_tokens(vocab, blocks):
    covered = candidates = 0
    for block, noised in noised_blocks(Denoising(span_unit="token"), vocab, blocks(NUM_BLOCKS)):
        n = int((noised.permuted >= vocab.num_special).sum())
        masked = int(noised.span_lengths.sum())
        # The budget is the randomized rounding of 0.35 n, and every budgeted token is placed.
        assert np.floor(0.35 * n) <= masked <= np.ceil(0.35 * n)
        positions = np.concatenate([np.arange(s, s + l) for s, l in zip(noised.span_starts, noised.span_lengths)])
        assert (noised.permuted[positions] >= vocab.num_special).all()  # spans never cover special tokens
        assert len(np.unique(positions)) == len(positions)  # spans never overlap
        covered += masked
        candidates += n
    assert candidates >= 100_000
    assert abs(covered / candidates - 0.35) < 0.02
    # Rounding is the only source of deviation: sd <= sqrt(blocks / 4) / n, so this is >> 5 sd.
    assert abs(covered / candidates - 0.35) < 0.002


def word_coverage(noised: Noised, vocab) -> tuple[int, int, int]:
    """(words wholly covered by spans, words partly covered, words) of the permuted block."""
    words = span_units(noised.permuted, vocab, "word")
    covered = np.zeros(len(noised.permuted) + 1, dtype=np.int64)
    covered[1:] = np.cumsum(np.isin(np.arange(len(noised.permuted)), spans_positions(noised)))
    inside = covered[words.ends] - covered[words.starts]  # covered tokens per word
    size = words.ends - words.starts
    return int((inside == size).sum()), int(((inside > 0) & (inside < size)).sum()), len(words)


def spans_positions(noised: Noised) -> np.ndarray:
    return np.concatenate([np.arange(s, s + n) for s, n in zip(noised.span_starts, noised.span_lengths)] or [[]])


def test_masked_fraction_in_words(vocab, blocks):
    """mBART masks 35 % of the words: spans cover whole words only, and exactly the randomized
    rounding of 0.35 W of the W words of every block."""
    whole = words = 0
    for _, noised in noised_blocks(Denoising(), vocab, blocks(NUM_BLOCKS)):
        full, partial, count = word_coverage(noised, vocab)
        assert partial == 0  # a span never cuts a word
        assert full == noised.span_units.sum()
        assert np.floor(0.35 * count) <= full <= np.ceil(0.35 * count) and count == noised.num_units
        whole += full
        words += count
    assert words >= 40_000  # ~127k tokens in words of 3 tokens on average
    # Rounding is the only source of deviation (sd <= sqrt(blocks / 4) / words per block).
    assert abs(whole / words - 0.35) < 0.002


def test_token_units_mask_tokens_not_words(vocab, blocks):
    """The same mask_ratio counted in tokens covers 35 % of the tokens but leaves fewer than 35 % of
    the words without any token (spans start and end inside words): the two units differ."""
    whole = words = 0
    for _, noised in noised_blocks(Denoising(span_unit="token"), vocab, blocks(NUM_BLOCKS)):
        full, partial, count = word_coverage(noised, vocab)
        whole += full
        words += count
    assert whole / words < 0.30


def test_mean_span_length_in_words(vocab, blocks):
    """Poisson(3.5) span lengths counted in words (mBART)."""
    made = noised_blocks(Denoising(), vocab, blocks(NUM_BLOCKS))
    covered = sum(int(n.span_units.sum()) for _, n in made)
    spans = sum(len(n.span_starts) + n.zero_spans for _, n in made)
    expected = 3.5 - (3.5 / 2) * len(made) / spans  # last-span trim bias
    assert abs(covered / spans - expected) < 5 * np.sqrt(3.5 / spans), (covered / spans, expected)
    tokens = sum(int(n.span_lengths.sum()) for _, n in made)
    assert tokens / spans > 1.5 * expected  # in tokens the spans are ~3x longer (3-token words)


def test_statistics_hook_reports_words_in_the_papers_units(vocab, blocks):
    """What ``polytrain inspect`` prints for the mBART preset: words masked and words per <mask>."""
    totals: dict[str, list[float]] = {}
    # Unpermuted: a synthetic sentence may start inside a word, so permuting would change a few
    # words at sentence joins (real Metaspace text starts every sentence with a word).
    objective = Denoising(permute_sentence_ratio=0.0)
    for block, example in examples(objective, vocab, blocks(100)):
        for stat in objective.statistics(block, example):
            assert isinstance(stat, Statistic)
            totals.setdefault(stat.name, [0.0, 0.0, stat.expected])
            totals[stat.name][0] += stat.numerator
            totals[stat.name][1] += stat.denominator
    fraction, per_mask = totals["masked_word_fraction"], totals["words_per_mask"]
    assert fraction[2] == 0.35 and per_mask[2] == 3.5
    assert fraction[0] / fraction[1] == pytest.approx(0.35, abs=0.01)
    assert per_mask[0] / per_mask[1] == pytest.approx(3.5, abs=0.3)
    tokens = Denoising(span_unit="token")
    tokens.setup(vocab, MAX_LENGTH)
    token_stats = {s.name for s in tokens.statistics(block, example)}
    assert {"masked_token_fraction", "tokens_per_mask"} <= token_stats


def test_word_units_need_word_starts(vocab):
    flat = synthetic_vocab(100, ("en",), word_start=np.zeros(100, dtype=bool))
    with pytest.raises(ValueError, match="span_unit='word' needs word starts.*span_unit: token"):
        Denoising().setup(flat, 64)
    Denoising(span_unit="token").setup(flat, 64)
    with pytest.raises(ValueError, match="span_unit must be 'word' or 'token'"):
        Denoising(span_unit="piece")  # type: ignore[arg-type]


def test_mean_span_length(vocab, blocks):
    for poisson_lambda in (3.5, 3.0):
        objective = Denoising(poisson_lambda=poisson_lambda, span_unit="token")
        made = noised_blocks(objective, vocab, blocks(NUM_BLOCKS))
        covered = sum(int(n.span_lengths.sum()) for _, n in made)
        spans = sum(len(n.span_starts) + n.zero_spans for _, n in made)
        expected = poisson_lambda - (poisson_lambda / 2) * len(made) / spans  # last-span trim bias
        sd = np.sqrt(poisson_lambda / spans)  # Poisson variance is lambda
        assert abs(covered / spans - expected) < 5 * sd, (covered / spans, expected)


def test_span_length_sampler_is_poisson():
    rng = make_rng(0, "poisson")
    lengths = sample_span_lengths(200_000, 3.5, rng)
    assert lengths.sum() == 200_000 and lengths[-1] >= 1
    body = lengths[:-1]  # all but the trimmed last span
    assert abs(body.mean() - 3.5) < 5 * np.sqrt(3.5 / len(body))
    for k in range(8):
        p = np.exp(-3.5) * 3.5**k / np.prod(np.arange(1, k + 1))
        assert abs((body == k).mean() - p) < 5 * np.sqrt(p * (1 - p) / len(body)), k


@pytest.mark.parametrize("poisson_lambda", [3.5, 0.5])
def test_one_mask_per_span_and_insertions(vocab, blocks, poisson_lambda):
    zero_spans = 0
    # Blocks of 300 tokens leave room: with lambda < 1 zero-length spans outnumber removed tokens.
    for _, noised in noised_blocks(Denoising(poisson_lambda=poisson_lambda), vocab, blocks(60, length=300)):
        assert noised.inserted == noised.zero_spans
        mask_count = int((noised.ids == vocab.mask_id).sum()) - int((noised.permuted == vocab.mask_id).sum())
        assert mask_count == len(noised.span_starts) + noised.zero_spans
        base = base_with_spans_replaced(noised, vocab.mask_id)
        assert is_base_plus_masks(noised.ids, base, vocab.mask_id)
        zero_spans += noised.zero_spans
    assert zero_spans > 0  # P(0) = e^-lambda: zero-length spans do occur and insert a <mask>


def test_replace_length_zero_and_minus_one(vocab, blocks):
    for _, noised in noised_blocks(Denoising(replace_length=0), vocab, blocks(10)):
        keep = np.ones(len(noised.permuted), dtype=bool)
        for start, length in zip(noised.span_starts, noised.span_lengths):
            keep[start : start + length] = False
        assert is_base_plus_masks(noised.ids, noised.permuted[keep], vocab.mask_id)
    # replace_length=-1 keeps the length, so zero-length spans need room: blocks shorter than the room.
    for _, noised in noised_blocks(Denoising(replace_length=-1), vocab, blocks(10, length=300)):
        base = noised.permuted.copy()
        for start, length in zip(noised.span_starts, noised.span_lengths):
            base[start : start + length] = vocab.mask_id
        assert is_base_plus_masks(noised.ids, base, vocab.mask_id)


def test_mask_random_fraction(vocab, blocks):
    random = total = 0
    for _, noised in noised_blocks(Denoising(mask_random=0.3), vocab, blocks(NUM_BLOCKS // 2)):
        replacements = len(noised.span_starts) + noised.inserted
        masks = int((noised.ids == vocab.mask_id).sum()) - int((noised.permuted == vocab.mask_id).sum())
        random += replacements - masks
        total += replacements
    assert abs(random / total - 0.3) < 5 * np.sqrt(0.3 * 0.7 / total)


def sentences(ids: np.ndarray, ends: np.ndarray) -> list[tuple[int, ...]]:
    starts = np.concatenate([[0], ends[:-1]])
    return [tuple(ids[s:e].tolist()) for s, e in zip(starts, ends)]


def test_permutation_keeps_sentences(vocab, blocks):
    objective = Denoising(mask_ratio=0.0)
    changed = 0
    made = examples(objective, vocab, blocks(100))
    rng = make_rng(5, "perm")
    for block, example in made:
        np.testing.assert_array_equal(example.labels[:-2], block.ids)  # the target is the original text
        source = example.input_ids[:-2]
        assert sorted(source.tolist()) == sorted(block.ids.tolist())
        changed += not np.array_equal(source, block.ids)
        permuted, ends = permute_sentences(block.ids, block.sentence_ends, 1.0, rng)
        assert sorted(sentences(permuted, ends)) == sorted(sentences(block.ids, block.sentence_ends))
    assert changed == len(made)  # ~20 sentences per block: the identity has probability ~1e-18


def test_permutation_ratio(vocab):
    ids = np.arange(10, 40, dtype=np.int64)
    ends = np.arange(3, 31, 3)  # 10 sentences of 3 tokens
    rng = make_rng(0, "ratio")
    assert np.array_equal(permute_sentences(ids, ends, 0.0, rng)[0], ids)
    for _ in range(200):
        permuted, _ = permute_sentences(ids, ends, 0.3, rng)
        moved = sum(a != b for a, b in zip(sentences(permuted, ends), sentences(ids, ends)))
        assert moved <= 3  # ceil(0.3 * 10) sentences take part


def test_permutation_is_uniform():
    ids = np.arange(10, 16, dtype=np.int64)
    ends = np.array([2, 4, 6])
    rng = make_rng(0, "uniform")
    draws = 6000
    counts = {p: 0 for p in permutations(range(3))}
    for _ in range(draws):
        permuted, _ = permute_sentences(ids, ends, 1.0, rng)
        counts[tuple(int((permuted[2 * i] - 10) // 2) for i in range(3))] += 1
    for count in counts.values():
        assert abs(count / draws - 1 / 6) < 5 * np.sqrt((1 / 6) * (5 / 6) / draws)


def test_lengths_fit_with_heavy_insertion(vocab, blocks):
    objective = Denoising(poisson_lambda=0.1, insert_ratio=1.0)
    full = blocks(20, length=MAX_LENGTH - 2)
    with pytest.warns(UserWarning, match="insertions were dropped"):
        made = examples(objective, vocab, full)
    for block, example in made:
        assert len(example.input_ids) <= MAX_LENGTH
        assert len(example.labels) == len(example.decoder_input_ids) <= MAX_LENGTH
    with pytest.warns(UserWarning, match="insertions were dropped"):
        _, noised = noised_blocks(objective, vocab, full[:1])[0]
    assert len(noised.ids) == MAX_LENGTH - 2 and noised.inserted < noised.zero_spans


def test_truncation_clips_sentences(vocab, blocks):
    block = blocks(1, length=300)[0]
    objective = Denoising()
    with pytest.warns(UserWarning, match="truncated"):
        ((_, example),) = examples(objective, vocab, [block], max_length=100)
    np.testing.assert_array_equal(example.labels[:-2], block.ids[:98])
    assert len(example.input_ids) <= 100


def test_place_spans_fragmentation_shortens():
    candidates = np.array([1, 1, 0, 1, 1, 0, 1, 1], dtype=bool)
    positions = np.flatnonzero(candidates)
    spans = place_spans(Units(positions, positions + 1), np.array([3, 2]), make_rng(0))
    assert spans.lengths.sum() <= 5 and (spans.lengths >= 1).all() and np.array_equal(spans.units, spans.lengths)
    covered = spans.positions()
    assert candidates[covered].all() and len(set(covered.tolist())) == len(covered)


def test_place_spans_of_words_cover_whole_words_and_never_cross_a_special_token():
    # Words [0,2) [2,5) [5,6) | special at 6 | [7,9) [9,10): runs of 3 and 2 words.
    units = Units(np.array([0, 2, 5, 7, 9]), np.array([2, 5, 6, 9, 10]))
    for seed in range(50):
        spans = place_spans(units, np.array([2, 1]), make_rng(seed))
        boundaries = set(units.starts.tolist()) | set(units.ends.tolist())
        assert set(spans.starts.tolist()) <= boundaries and set(spans.ends.tolist()) <= boundaries
        assert 6 not in spans.positions() and sorted(spans.units.tolist()) == [1, 2]
        assert len(set(spans.positions().tolist())) == int(spans.lengths.sum())


def test_deterministic_per_rng(vocab, blocks):
    block = blocks(1)[0]
    objective = Denoising()
    objective.setup(vocab, MAX_LENGTH)
    a, b = (objective.make_example(block, make_rng(2, "d")) for _ in range(2))
    c = objective.make_example(block, make_rng(3, "d"))
    np.testing.assert_array_equal(a.input_ids, b.input_ids)
    assert not np.array_equal(a.input_ids, c.input_ids)


def test_errors(vocab, blocks):
    for kwargs in ({"mask_ratio": 1.2}, {"poisson_lambda": 0.0}, {"replace_length": 2}, {"permute_sentence_ratio": -1}):
        with pytest.raises(ValueError, match="Denoising"):
            Denoising(**kwargs)
    objective = Denoising()
    objective.setup(vocab, MAX_LENGTH)
    block = blocks(1)[0]
    bad = TextBlock("bad", "en", block.ids, block.sentence_ends[:-1])
    with pytest.raises(ValueError, match="'bad'.*sentence_ends"):
        objective.make_example(bad, make_rng(0))
    with pytest.raises(TypeError, match="TextBlock"):
        objective.make_example(TextPair("p", "de", "en", block.ids, block.ids), make_rng(0))


def test_loss_random_and_perfect_logits(vocab, blocks, fake_outputs):
    objective = Denoising()
    made = [e for _, e in examples(objective, vocab, blocks(4, length=100))]
    outputs, batch = fake_outputs(made, vocab, perfect=False)
    assert outputs.logits.shape[0] == sum(len(e.labels) for e in made)
    loss, metrics = objective.loss(outputs, batch)
    assert torch.isfinite(loss) and 0.0 <= float(metrics["accuracy"]) <= 1.0
    outputs, batch = fake_outputs(made, vocab, perfect=True)
    _, metrics = objective.loss(outputs, batch)
    assert float(metrics["accuracy"]) == 1.0


def test_insertions_take_distinct_uniform_positions_of_the_output(vocab):
    """fairseq's ``add_insertion_noise``: the inserted tokens take ``count`` distinct positions of the
    output drawn uniformly (``randperm``), so every output position is an insertion with probability
    count / (T + count); the text keeps its order. (Drawing a gap per insertion with replacement
    would favour the ends: 1 - (T/(T+1))^count = 0.179 at the first position here, not 0.167.)"""
    objective = Denoising(mask_ratio=0.0, insert_ratio=0.2, permute_sentence_ratio=0.0)
    objective.setup(vocab, MAX_LENGTH)
    rng = make_rng(3, "insertions")
    text = np.arange(vocab.num_special, vocab.num_special + 50, dtype=np.int64)  # T = 50, 10 insertions
    hits = np.zeros(60)
    trials = 20_000
    for _ in range(trials):
        noised = objective.noise(text, np.array([50]), MAX_LENGTH - 2, rng)
        assert noised.inserted == 10 and len(noised.ids) == 60
        is_mask = noised.ids == vocab.mask_id
        assert np.array_equal(noised.ids[~is_mask], text)
        hits += is_mask
    p = 10 / 60
    tolerance = 4.5 * np.sqrt(p * (1 - p) / trials)
    assert np.all(np.abs(hits / trials - p) < tolerance), (hits / trials)[[0, 30, 59]]
