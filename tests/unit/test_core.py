"""rng derivation, the collate converter, the LR schedule, per-group metrics."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np
import pytest
import torch

from polytrain.stream.collate import collate
from polytrain.rng import make_rng, uniform_index
from polytrain.metrics import GroupTokenStats
from polytrain.optim import OptimizerConfig, build_optimizer, lr_factor, param_groups
from polytrain.types import IGNORE_INDEX, Batch, Example


def test_rng_is_a_function_of_seed_and_keys():
    a = make_rng(3, "example", 0, "de/x/1").integers(0, 2**31, 8)
    b = make_rng(3, "example", 0, "de/x/1").integers(0, 2**31, 8)
    c = make_rng(3, "example", 1, "de/x/1").integers(0, 2**31, 8)
    d = make_rng(4, "example", 0, "de/x/1").integers(0, 2**31, 8)
    assert (a == b).all() and not (a == c).all() and not (a == d).all()


def _numpy_key(key: int | str) -> int:
    """A key as make_rng documents it: ints as they are, strings as 64-bit blake2b."""
    if isinstance(key, int):
        return key
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def _random_keys(rng: np.random.Generator) -> tuple[int | str, ...]:
    """0 to 5 keys: 0, ints of 1, 2 and 3 32-bit words, and strings."""
    kinds = [lambda: 0, lambda: int(rng.integers(1, 2**32)), lambda: int(rng.integers(2**32, 2**63)),
             lambda: int(rng.integers(1, 2**63)) << 40, lambda: f"de/doc-{int(rng.integers(10**6))}/3"]
    return tuple(kinds[int(rng.integers(len(kinds)))]() for _ in range(int(rng.integers(0, 6))))


def test_rng_is_numpys_default_rng_of_its_keys():
    # make_rng derives the generator without numpy's slow paths; the draws must stay numpy's own,
    # or every saved stream position and every seeded run would change.
    rng = np.random.default_rng(0)
    for _ in range(300):
        seed, keys = int(rng.integers(0, 2**40)), _random_keys(rng)
        expected = np.random.default_rng([seed, *map(_numpy_key, keys)])
        got = make_rng(seed, *keys)
        assert got.bit_generator.state == expected.bit_generator.state, (seed, keys)
        np.testing.assert_array_equal(got.random(4), expected.random(4))


@pytest.mark.parametrize("n", [1, 7, 200])
def test_uniform_index_is_uniform_over_its_range(n: int) -> None:
    # The stream's shuffle buffers emit the document at this index: a bias would favour slots.
    rng = make_rng(0, "uniform_index", n)
    draws = np.array([uniform_index(rng, n) for _ in range(400 * n)])
    assert draws.min() == 0 and draws.max() == n - 1
    counts = np.bincount(draws, minlength=n)
    chi2 = ((counts - 400) ** 2 / 400).sum()  # df = n - 1: mean n - 1, sd sqrt(2 (n - 1))
    assert chi2 <= (n - 1) + 5 * math.sqrt(2 * max(1, n - 1)), (n, chi2)


def test_rng_rejects_negative_keys():
    with pytest.raises(ValueError, match="non-negative"):
        make_rng(0, -1)


def _example(n: int, decoder: bool = False) -> Example:
    ids = np.arange(10, 10 + n, dtype=np.int64)
    labels = np.full(n, IGNORE_INDEX, dtype=np.int64)
    labels[0] = 7
    return Example(ids, labels, np.arange(n), np.zeros(n, dtype=np.int64), "de", f"k{n}",
                   decoder_input_ids=ids[:-1].copy() if decoder else None)


def test_collate_pads_to_multiple_and_masks_real_tokens():
    batch = collate([_example(3), _example(10)], "mlm", pad_id=1, pad_to_multiple_of=8)
    assert batch.input_ids.shape == (2, 16)
    assert batch.attention_mask.sum(1).tolist() == [3, 10]
    assert (batch.input_ids[0, 3:] == 1).all()
    assert (batch.labels[0, 3:] == IGNORE_INDEX).all()
    assert batch.num_tokens == 13 and batch.keys == ["k3", "k10"] and batch.objective == "mlm"
    assert batch.decoder_input_ids is None


def test_collate_encoder_decoder():
    batch = collate([_example(4, True), _example(6, True)], "denoise", pad_id=1, pad_to_multiple_of=1)
    assert batch.decoder_input_ids.shape == (2, 5)
    assert batch.decoder_attention_mask.sum(1).tolist() == [3, 5]
    assert batch.num_decoder_tokens == 8  # the CPU count the throughput monitor reads


def test_lr_schedule_warmup_then_linear_and_cosine_decay():
    cfg = OptimizerConfig(lr=1.0, warmup_steps=10, schedule="linear", min_lr_ratio=0.1)
    assert lr_factor(0, cfg, 110) == pytest.approx(0.1)
    assert lr_factor(9, cfg, 110) == pytest.approx(1.0)
    assert lr_factor(60, cfg, 110) == pytest.approx(0.1 + 0.9 * 0.5)
    assert lr_factor(110, cfg, 110) == pytest.approx(0.1)
    cos = OptimizerConfig(lr=1.0, warmup_steps=10, schedule="cosine")
    assert lr_factor(60, cos, 110) == pytest.approx(0.5)
    assert lr_factor(35, cos, 110) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.25)))


def test_no_weight_decay_on_biases_and_norms():
    model = torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    decay, no_decay = param_groups(model, 0.01)
    assert {p.ndim for p in decay["params"]} == {2} and len(decay["params"]) == 2
    assert {p.ndim for p in no_decay["params"]} == {1} and len(no_decay["params"]) == 3
    assert no_decay["weight_decay"] == 0.0


def test_adamw_is_fused_by_default_where_torch_has_the_kernel():
    model = torch.nn.Linear(4, 3)
    fused = build_optimizer(param_groups(model, 0.01), OptimizerConfig())
    assert fused.defaults["fused"] is True and not fused.defaults["foreach"]
    assert build_optimizer(param_groups(model, 0.01), OptimizerConfig(fused=False)).defaults["fused"] is False
    # One parameter on a device without the kernel (meta): the default falls back, fused=True is torch's error.
    odd = [{"params": [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, device="meta"))]}]
    assert not build_optimizer(odd, OptimizerConfig()).defaults["fused"]
    # Fused and foreach AdamW take the same step (up to float rounding).
    a, b = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    b.load_state_dict(a.state_dict())
    start = a.weight.detach().clone()
    for m, fuse in ((a, True), (b, False)):
        opt = build_optimizer(param_groups(m, 0.01), OptimizerConfig(lr=1e-2, fused=fuse))
        for _ in range(3):
            m(torch.ones(2, 4)).square().sum().backward()
            opt.step()
            opt.zero_grad()
    assert torch.allclose(a.weight, b.weight, atol=1e-6) and not torch.allclose(a.weight, start)


def test_group_token_stats_means_per_group():
    stats = GroupTokenStats(3)
    stats.update(torch.tensor([0, 0, 2]), torch.tensor([1.0, 3.0, 5.0]), torch.tensor([True, False, True]), torch.tensor([4.0, 0, 2]))
    out = stats.compute()
    assert out["loss"][0] == pytest.approx(2.0) and out["accuracy"][0] == pytest.approx(0.5)
    assert math.isnan(out["loss"][1]) and out["tokens"].tolist() == [4.0, 0.0, 2.0]


def test_batch_moves_as_one_object_through_lightning():
    """Lightning calls ``Batch.to`` instead of walking every field (keys, stats, stream state) each step."""
    from lightning.fabric.utilities.apply_func import move_data_to_device

    tensor = torch.zeros(2, 3, dtype=torch.long)
    state = {"rng": {"t": torch.ones(2)}, "keys": list(range(1000))}
    batch = Batch("mlm", tensor, tensor.bool(), tensor, tensor, tensor, lang=["de", "en"], keys=["a", "b"],
                  state=state, stats={"n": 1})
    moved = move_data_to_device(batch, torch.device("cpu"))
    assert isinstance(moved, Batch) and moved is not batch
    assert moved.state is state and moved.stats is batch.stats  # not rebuilt by a walk
    assert batch.to(torch.int32).input_ids.dtype == torch.int32 and batch.input_ids.dtype == torch.long
    assert moved.attention_mask.dtype == torch.bool and moved.keys == ["a", "b"]


def test_key_padding_mask_is_none_only_without_padding():
    ids = torch.ones(2, 3, dtype=torch.long)
    full = Batch("mlm", ids, torch.ones(2, 3, dtype=torch.bool), ids, ids, ids, lang=["de"] * 2, keys=["a", "b"],
                 num_tokens=6)
    assert full.key_padding_mask() is None
    mask = torch.tensor([[True, True, True], [True, True, False]])
    padded = dataclasses.replace(full, attention_mask=mask, num_tokens=5)
    assert padded.key_padding_mask() is mask
    assert dataclasses.replace(full, num_tokens=0).key_padding_mask() is not None  # not counted: keep the mask
