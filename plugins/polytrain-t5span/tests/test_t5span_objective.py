"""SpanCorruption: T5's noise statistics, the sentinel layout, exact reconstruction, determinism.

Self-contained (no conftest): the test module names are unique so that these tests also run from the
repository root next to polytrain's own tests.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from polytrain.objectives import IGNORE_INDEX, Example, ModelOutput, TextBlock, TextPair, Vocab, make_rng
from polytrain.stream.collate import collate
from polytrain.testing import synthetic_vocab
from polytrain.types import SPECIAL_TOKENS
from polytrain_t5span.objective import SpanCorruption, random_spans_noise_mask, span_bounds

LANGUAGES = ("de", "en")
SIZE = 2000
NUM_SPECIAL = len(SPECIAL_TOKENS) + len(LANGUAGES)  # <s> <pad> </s> <unk> <mask> + 2 tags
BOS, PAD, EOS, UNK = 0, 1, 2, 3
MAX_LENGTH = 512
BYTES = 256  # polytrain's tokenizer puts its byte-fallback tokens last; the default skip_top
TOP = SIZE - 1 - BYTES  # sentinel 0 with the default skip_top
# Text ids: ordinary, never in the reserved range of up to 300 sentinels, bytes included.
TEXT_IDS = np.concatenate([np.arange(NUM_SPECIAL, SIZE - BYTES - 300), np.arange(SIZE - BYTES, SIZE)])


def make_vocab(size: int = SIZE) -> Vocab:
    """polytrain's id layout (``<s> <pad> </s> <unk> <mask>``, two language tags), no tokenizer file."""
    return synthetic_vocab(size, LANGUAGES, word_start=np.zeros(size, dtype=bool))


def make_objective(max_length: int = MAX_LENGTH, **kwargs: float | bool | int) -> SpanCorruption:
    objective = SpanCorruption(**kwargs)  # type: ignore[arg-type]
    objective.setup(make_vocab(), max_length)
    return objective


def plain_block(key: str, length: int, rng: np.random.Generator) -> TextBlock:
    """Ordinary tokens only, none of them reserved as a sentinel; byte tokens included."""
    ids = rng.choice(TEXT_IDS, size=length).astype(np.int64)
    return TextBlock(key=key, lang="en", ids=ids, sentence_ends=np.array([length], dtype=np.int64))


def packed_block(key: str, length: int, rng: np.random.Generator) -> TextBlock:
    """Like the packer's blocks: documents separated by </s>, some <unk> and a stray tag."""
    block = plain_block(key, length, rng)
    draw = rng.random(length)
    block.ids[draw < 0.03] = EOS
    block.ids[(draw >= 0.03) & (draw < 0.045)] = UNK
    block.ids[draw > 0.995] = 6  # a language tag inside text: special, must stay
    return block


def t5_counts(length: int, density: float, mean_span: float) -> tuple[int, int]:
    """T5's num_noise_tokens and num_noise_spans, written out independently of the plugin."""
    if length == 0:
        return 0, 0
    padded = max(length, 2)
    noise = min(max(round(padded * density), 1), padded - 1)
    spans = max(round(noise / mean_span), 1)
    if length == 1:
        return 0, 0  # drawn as a text of 2 (non-noise, noise) and cut to the first token
    return noise, spans


def sentinels_of(ids: np.ndarray, objective: SpanCorruption) -> np.ndarray:
    return ids[objective.is_sentinel(ids)]


def reconstruct(example: Example, objective: SpanCorruption) -> np.ndarray:
    """Rebuild the text from the encoder input and the targets alone (what the model must learn)."""
    labels = example.labels[:-1]  # drop the final </s>
    is_sentinel = objective.is_sentinel(labels)
    bounds = np.append(np.flatnonzero(is_sentinel), len(labels))
    spans = {int(labels[a]): labels[a + 1 : b] for a, b in zip(bounds[:-1], bounds[1:])}
    out: list[np.ndarray] = []
    for token in example.input_ids[:-1]:  # drop the final </s>
        out.append(spans[int(token)] if objective.is_sentinel(token) else np.array([token]))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


# ----------------------------------------------------------------------------- the noise mask


def test_noise_and_span_counts_are_t5s_for_every_length():
    rng = make_rng(0, "counts")
    for length in range(0, 700):
        mask = random_spans_noise_mask(length, 0.15, 3.0, rng)
        noise, spans = t5_counts(length, 0.15, 3.0)
        starts, _ = span_bounds(mask)
        assert mask.shape == (length,) and mask.sum() == noise and len(starts) == spans, length
        if length >= 2:  # T5 without roll: starts with non-noise, ends with noise
            assert not mask[0] and mask[-1]


def test_zero_density_gives_no_noise():
    assert not random_spans_noise_mask(300, 0.0, 3.0, make_rng(0, "zero")).any()


def test_noise_fraction_over_100k_tokens_is_round_of_density_per_block():
    """T5 fixes the count per block (round(n * density)); so the aggregate fraction differs from the
    density only by rounding, at most 0.5 token per block: a far tighter bound than a binomial one."""
    objective, rng = make_objective(), make_rng(1, "fraction")
    noise = tokens = blocks = 0
    while tokens < 100_000:
        text = plain_block("b", int(rng.integers(50, MAX_LENGTH)), rng).ids
        mask = objective.noise_mask(text, rng)
        noise, tokens, blocks = noise + int(mask.sum()), tokens + len(text), blocks + 1
    assert abs(noise / tokens - 0.15) <= 0.5 * blocks / tokens
    assert abs(noise / tokens - 0.15) < 0.002


def test_noise_is_uniform_over_positions_with_random_roll():
    """Per position, over independent blocks, "is noise" is Bernoulli(75/500): the count is
    Binomial(N, 0.15). 500 positions at 4.5 sigma each: a false alarm has probability < 0.4 %."""
    n_blocks, length = 400, 500  # 200k tokens
    rng = make_rng(2, "roll")
    masks = np.stack([random_spans_noise_mask(length, 0.15, 3.0, rng, random_roll=True) for _ in range(n_blocks)])
    p = 75 / length  # round(500 * 0.15) = 75 noise tokens in every block
    z = (masks.sum(0) - n_blocks * p) / math.sqrt(n_blocks * p * (1 - p))  # (length,)
    assert np.abs(z).max() < 4.5
    unrolled = np.stack([random_spans_noise_mask(length, 0.15, 3.0, rng) for _ in range(50)])
    assert not unrolled[:, 0].any() and unrolled[:, -1].all()  # the T5 bias random_roll removes


def _composition_law(n: int, s: int, k: int) -> float:
    """P(a given part = k) in a uniform composition of n into s positive parts."""
    if s == 1:
        return float(k == n)
    return math.comb(n - k - 1, s - 2) / math.comb(n - 1, s - 1)


def test_span_lengths_follow_t5s_uniform_composition_over_100k_tokens():
    """Mean span length = round(0.15 * 510) / 25 = 76 / 25 = 3.04 exactly in every block, and the
    span lengths follow the law of a uniform random composition (chi-square, 0.1 % level; spans of
    one block are negatively correlated, which only makes the test conservative)."""
    objective, rng = make_objective(), make_rng(3, "spans")
    lengths: list[np.ndarray] = []
    for i in range(220):  # 112k tokens
        text = plain_block(f"b{i}", MAX_LENGTH - 2, rng).ids
        starts, ends = span_bounds(objective.noise_mask(text, rng))
        lengths.append(ends - starts)
    all_lengths = np.concatenate(lengths)
    assert all(len(x) == 25 and x.sum() == 76 for x in lengths)
    assert all_lengths.mean() == pytest.approx(3.04)
    assert abs(all_lengths.mean() - 3.0) < 0.1
    cells = list(range(1, 9))
    expected = np.array([_composition_law(76, 25, k) for k in cells] + [0.0])
    expected[-1] = 1 - expected[:-1].sum()  # 9 and longer
    observed = np.array([(all_lengths == k).sum() for k in cells] + [(all_lengths > 8).sum()])
    chi2 = float((((observed - len(all_lengths) * expected) ** 2) / (len(all_lengths) * expected)).sum())
    dof, z = len(cells), 3.09  # Wilson-Hilferty: chi-square quantile at 1 - 0.001
    critical = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
    assert chi2 < critical


# ----------------------------------------------------------------------------- examples


def _examples(objective: SpanCorruption, n: int, seed: int,
              length: int = MAX_LENGTH - 1) -> list[tuple[TextBlock, Example]]:
    rng = make_rng(seed, "blocks")
    out = []
    for i in range(n):
        block = packed_block(f"b{i}", int(rng.integers(1, length + 1)), rng)
        out.append((block, objective.make_example(block, make_rng(seed, "example", block.key))))
    return out


@pytest.mark.parametrize("kwargs", [
    {},
    {"random_roll": True},
    {"noise_density": 0.4, "mean_noise_span_length": 1.0, "num_sentinels": 300},  # many short spans
    {"noise_density": 0.3, "mean_noise_span_length": 8.0, "random_roll": True},
])
def test_sentinels_pair_up_and_text_is_reconstructed_exactly(kwargs: dict):
    objective = make_objective(**kwargs)
    for block, example in _examples(objective, 150, seed=4):
        in_sentinels = sentinels_of(example.input_ids, objective)
        out_sentinels = sentinels_of(example.labels, objective)
        k = len(in_sentinels)
        assert np.array_equal(in_sentinels, TOP - np.arange(k))  # <extra_id_0>, <extra_id_1>, ... in order
        assert np.array_equal(out_sentinels[:k], in_sentinels)  # each exactly once, same order
        closing = block.ids[-1] < NUM_SPECIAL or not objective.is_sentinel(example.input_ids[-2])
        assert len(out_sentinels) == k + int(closing)  # one more sentinel iff the text ends in non-noise
        assert np.array_equal(reconstruct(example, objective), block.ids)


def test_special_tokens_never_become_targets():
    objective = make_objective()
    specials_seen = 0
    for block, example in _examples(objective, 200, seed=5):
        body = example.labels[:-1]
        text_targets = body[~objective.is_sentinel(body)]
        assert (text_targets >= NUM_SPECIAL).all()  # only ordinary text is ever noise
        assert example.labels[-1] == EOS
        for special in (EOS, UNK, 6):  # every special token of the text stays in the input
            assert (example.input_ids[:-1] == special).sum() == (block.ids == special).sum()
        specials_seen += int((block.ids < NUM_SPECIAL).sum())
    assert specials_seen > 1000  # the blocks did hold special tokens


def test_layout_lengths_positions_langs_and_decoder_start():
    objective = make_objective()
    for block, example in _examples(objective, 100, seed=6):
        assert example.input_ids[-1] == EOS
        assert np.array_equal(example.decoder_input_ids, np.concatenate([[BOS], example.labels[:-1]]))
        assert np.array_equal(example.positions, np.arange(len(example.input_ids)))
        assert (example.langs == LANGUAGES.index("en")).all() and example.lang == "en"
        assert len(example.input_ids) <= MAX_LENGTH and len(example.labels) <= MAX_LENGTH
        assert example.key == block.key
        assert all(a.dtype == np.int64 for a in (example.input_ids, example.labels, example.decoder_input_ids))


def test_paper_example_layout():
    """Raffel et al. 2020 Figure 2: "Thank you <X> me to your party <Y> week." ->
    "<X> for inviting <Y> last <Z>"."""
    objective = make_objective()
    text = np.arange(100, 111, dtype=np.int64)  # Thank you for inviting me to your party last week .
    mask = np.zeros(11, dtype=bool)
    mask[[2, 3, 8]] = True
    inputs, targets = objective.corrupt(text, mask)
    x, y, z = TOP, TOP - 1, TOP - 2
    assert inputs.tolist() == [100, 101, x, 104, 105, 106, 107, y, 109, 110]
    assert targets.tolist() == [x, 102, 103, y, 108, z]
    mask[-2:] = True  # ends in noise: no closing sentinel
    assert objective.corrupt(text, mask)[1].tolist() == [x, 102, 103, y, 108, 109, 110]


def test_skip_top_zero_gives_t5s_sentinel_ids():
    objective = make_objective(skip_top=0)
    assert objective.sentinel(np.arange(3)).tolist() == [SIZE - 1, SIZE - 2, SIZE - 3]  # <extra_id_0..2>
    assert objective.sentinel_ids == range(SIZE - 100, SIZE)
    assert make_objective().sentinel_ids == range(SIZE - BYTES - 100, SIZE - BYTES)


def test_randomness_comes_only_from_rng():
    objective = make_objective()
    block = packed_block("k", 400, make_rng(7, "block"))
    first = objective.make_example(block, make_rng(7, "example", "k"))
    again = objective.make_example(block, make_rng(7, "example", "k"))
    other = objective.make_example(block, make_rng(7, "example", "other-key"))
    assert np.array_equal(first.input_ids, again.input_ids) and np.array_equal(first.labels, again.labels)
    assert not np.array_equal(first.labels, other.labels)


# ----------------------------------------------------------------------------- edge cases and errors


def test_reserved_ids_in_text_become_unk_with_a_warning():
    objective = make_objective()
    ids = np.array([10, 11, TOP, 12, TOP - 99, 13, SIZE - 1, TOP - 100] * 20, dtype=np.int64)
    block = TextBlock(key="r", lang="en", ids=ids, sentence_ends=np.array([len(ids)]))
    with pytest.warns(UserWarning, match="reserves as sentinels"):
        example = objective.make_example(block, make_rng(0, "r"))
    assert objective.reserved_replaced == 40
    reserved = (ids <= TOP) & (ids > TOP - 100)  # bytes above and pieces below the range stay text
    assert np.array_equal(reconstruct(example, objective), np.where(reserved, UNK, ids))


def test_short_and_special_only_blocks():
    objective = make_objective()
    one = objective.make_example(TextBlock("one", "en", np.array([50]), np.array([1])), make_rng(0))
    assert one.input_ids.tolist() == [50, EOS] and one.labels.tolist() == [TOP, EOS]  # T5: no noise in 1 token
    only_eos = objective.make_example(TextBlock("eos", "en", np.array([EOS, EOS]), np.array([1, 2])), make_rng(0))
    assert only_eos.input_ids.tolist() == [EOS, EOS, EOS] and only_eos.labels.tolist() == [TOP, EOS]


def test_too_long_block_is_truncated_with_a_warning():
    objective = make_objective(max_length=64)
    block = plain_block("long", 100, make_rng(0, "long"))
    with pytest.warns(UserWarning, match="truncated"):
        example = objective.make_example(block, make_rng(0))
    assert np.array_equal(reconstruct(example, objective), block.ids[:63])


def test_split_spans_beyond_the_sentinels_are_dropped_and_counted():
    """A span straddling </s> is split; when that exceeds num_sentinels the last spans go back to
    the text (with a count), never the text itself."""
    objective = make_objective(max_length=64, num_sentinels=4)  # setup: 63 tokens, 9 noise in 3 spans + 1
    ids = np.full(63, 50, dtype=np.int64)
    ids[1::2] = EOS  # every other token is </s>: every noise span of length > 1 splits
    block = TextBlock("split", "en", ids, np.array([63]))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        example = objective.make_example(block, make_rng(3))
    # 32 ordinary tokens: 5 noise in 2 spans, split by </s> into 5 single-token spans; 4 sentinels
    # hold 3 spans and the closing one, so 2 spans are dropped.
    assert len(sentinels_of(example.labels, objective)) == 4
    assert objective.spans_dropped == 2
    assert np.array_equal(reconstruct(example, objective), ids)


def test_setup_errors_name_the_problem():
    with pytest.raises(ValueError, match="too small to reserve num_sentinels=100"):
        SpanCorruption().setup(make_vocab(size=360), 128)  # 360 - 256 - 100 = 4 < 7 special ids
    # XLM-R's layout: <mask> is the last id, so skip_top=0 would make it sentinel 0.
    xlmr = make_vocab()
    special = np.zeros(SIZE, dtype=bool)
    special[[BOS, PAD, EOS, UNK, SIZE - 1]] = True
    xlmr = Vocab(size=SIZE, bos_id=BOS, pad_id=PAD, eos_id=EOS, unk_id=UNK, mask_id=SIZE - 1, languages=(),
                 lang_token_ids=(), num_special=4, word_start=xlmr.word_start, special=special)
    with pytest.raises(ValueError, match=rf"include special token id\(s\) \[{SIZE - 1}\]; raise skip_top=0"):
        SpanCorruption(skip_top=0).setup(xlmr, 512)
    SpanCorruption(skip_top=1).setup(xlmr, 512)  # the sentinels start below <mask>
    with pytest.raises(ValueError, match="skip_top must be >= 0"):
        SpanCorruption(skip_top=-1)
    with pytest.raises(ValueError, match="needs up to .* sentinels but num_sentinels=10"):
        SpanCorruption(num_sentinels=10).setup(make_vocab(), 512)
    with pytest.raises(ValueError, match="exceed max_length"):
        SpanCorruption(noise_density=0.9, mean_noise_span_length=1.0, num_sentinels=1000).setup(make_vocab(), 64)
    with pytest.raises(ValueError, match="noise_density must be in"):
        SpanCorruption(noise_density=1.0)
    with pytest.raises(ValueError, match="mean_noise_span_length must be >= 1"):
        SpanCorruption(mean_noise_span_length=0.5)
    with pytest.raises(TypeError, match="reads mono TextBlocks"):
        make_objective().make_example(TextPair("p", "de", "en", np.array([10]), np.array([11])), make_rng(0))
    with pytest.raises(ValueError, match="out of range"):
        make_objective().make_example(TextBlock("bad", "en", np.array([10, SIZE]), np.array([2])), make_rng(0))


def test_class_contract():
    assert SpanCorruption.model_kind == "encoder_decoder"
    assert SpanCorruption.data_kind == "mono"
    assert SpanCorruption.added_tokens == 1


# ----------------------------------------------------------------------------- loss


def test_loss_is_cross_entropy_over_all_targets():
    objective = make_objective()
    examples = [e for _, e in _examples(objective, 4, seed=8)]
    batch = collate(examples, "t5span", PAD)
    targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]  # (N,)
    assert len(targets) == sum(len(e.labels) for e in examples)  # sentinels, spans and </s> all count
    logits = torch.full((len(targets), SIZE), -50.0)
    logits[torch.arange(len(targets)), targets] = 50.0
    hidden = torch.zeros(*batch.labels.shape, 4)
    loss, metrics = objective.loss(ModelOutput(hidden=hidden, logits=logits.requires_grad_()), batch)
    assert loss.item() < 1e-6 and metrics["accuracy"].item() == 1.0
    uniform, _ = objective.loss(ModelOutput(hidden=hidden, logits=torch.zeros(len(targets), SIZE)), batch)
    assert uniform.item() == pytest.approx(math.log(SIZE), rel=1e-5)
