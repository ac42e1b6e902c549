"""The model-FLOP formula behind MFU, the peak table, and the sync-free ThroughputMonitor.

The formula is checked against a count by hand and against ``torch.utils.flop_counter.FlopCounterMode``
on a real forward + backward of polytrain's models. FlopCounterMode counts every matmul (mm, addmm,
bmm) and attention op; the models' other ops (embeddings, LayerNorm, GELU, softmax) are not matmuls,
so on unpadded batches the two must agree exactly (tolerance: float rounding of the counts).
On CPU, SDPA's fused kernel is invisible to FlopCounterMode, so the math backend is forced.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from polytrain.callbacks.throughput import ThroughputBar, ThroughputMonitor
from polytrain.distributed.flops import PEAK_BF16_FLOPS, chip_of, flops_per_token, peak_bf16_flops, training_flops
from polytrain.models import build_model
from polytrain.models.config import ModelConfig
from polytrain.types import IGNORE_INDEX, Batch


def test_hand_count():
    """d=8, L=1, f=16, V=10; one sequence of 4 real tokens, 2 of them targets."""
    arch = ModelConfig(d_model=8, n_layers=1, n_heads=2, d_ff=16)
    flops = training_flops(arch, 10, tokens=4, length=4, targets=2)
    # q, k, v, out: 4 * 8*8 = 256 multiply-adds per token; fc1 + fc2: 2 * 8*16 = 256. 6 FLOPs each
    # (2 forward, 4 backward) for 4 tokens: 6 * 512 * 4.
    assert flops.layers == 6 * 512 * 4 == 12288
    # Q K^T and A V: 4 keys * 8 dims each, per query: 2 * 32 = 64 multiply-adds, * 6 FLOPs * 4 queries.
    assert flops.attention == 6 * 64 * 4 == 1536 == 12 * 1 * 8 * 4 * 4
    # head: dense 8*8 + vocabulary 8*10 = 144 multiply-adds per target, * 6 * 2 targets.
    assert flops.head == 6 * 144 * 2 == 1728
    assert flops.total == 15552


def test_base_model_matches_the_anchor_table():
    """performance-anchors.md §2: XLM-R base, seq 512, V 250,002, 15 % targets: 0.74 GFLOP per token."""
    base = ModelConfig(d_model=768, n_layers=12, n_heads=12, d_ff=3072)
    assert flops_per_token(base, 250_002, 512, 0.15) == pytest.approx(0.7396e9, rel=1e-3)


def _counted(model: torch.nn.Module, *inputs: torch.Tensor) -> int:
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        out = model(*inputs)
        out.logits.float().pow(2).mean().backward()
    return counter.get_total_flops()


def test_encoder_formula_equals_flop_counter():
    arch = ModelConfig(d_model=32, n_layers=2, n_heads=4, d_ff=64, dropout=0.0, attention_dropout=0.0)
    vocab, batch, length = 50, 3, 16
    model = build_model(arch, vocab, 1, pad_id=1)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (batch, length), generator=gen)
    targets = torch.rand(batch, length, generator=gen) < 0.3
    counted = _counted(model, ids, torch.ones(batch, length, dtype=torch.bool),
                       torch.arange(length).expand(batch, length), torch.zeros_like(ids), targets)
    expected = training_flops(arch, vocab, tokens=batch * length, length=length, targets=int(targets.sum()))
    assert counted == pytest.approx(expected.total, rel=1e-9)


def test_seq2seq_formula_equals_flop_counter():
    arch = ModelConfig(kind="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=1, n_heads=4, d_ff=64,
                       dropout=0.0, attention_dropout=0.0)
    vocab, batch, src_len, tgt_len = 50, 2, 12, 8
    model = build_model(arch, vocab, 1, pad_id=1)
    gen = torch.Generator().manual_seed(0)
    src = torch.randint(5, vocab, (batch, src_len), generator=gen)
    tgt = torch.randint(5, vocab, (batch, tgt_len), generator=gen)
    targets = torch.rand(batch, tgt_len, generator=gen) < 0.9
    counted = _counted(model, src, torch.ones(batch, src_len, dtype=torch.bool),
                       torch.arange(src_len).expand(batch, src_len), torch.zeros_like(src), tgt,
                       torch.ones(batch, tgt_len, dtype=torch.bool), targets)
    expected = training_flops(arch, vocab, tokens=batch * src_len, length=src_len, targets=int(targets.sum()),
                              decoder_tokens=batch * tgt_len, decoder_length=tgt_len)
    assert counted == pytest.approx(expected.total, rel=1e-9)


def test_padding_is_not_model_flops():
    """The hardware also multiplies padding rows; model FLOPs count real tokens only."""
    arch = ModelConfig(d_model=32, n_layers=1, n_heads=4, d_ff=64, dropout=0.0, attention_dropout=0.0)
    model = build_model(arch, 50, 1, pad_id=1)
    mask = torch.ones(2, 16, dtype=torch.bool)
    mask[1, 8:] = False  # the second row has 8 real tokens
    ids = torch.full((2, 16), 7)
    targets = mask & (torch.arange(16) % 4 == 0)
    counted = _counted(model, ids, mask, torch.arange(16).expand(2, 16), torch.zeros_like(ids), targets)
    model_flops = training_flops(arch, 50, tokens=24, length=16, targets=int(targets.sum())).total
    assert model_flops < counted
    assert training_flops(arch, 50, tokens=32, length=16, targets=int(targets.sum())).total == pytest.approx(counted)


@pytest.mark.parametrize(
    ("name", "chip"),
    [
        ("NVIDIA H200", "h200 sxm"),  # what the H200 SXM reports: not in Lightning's table
        ("NVIDIA H200 NVL", "h200 nvl"),
        ("NVIDIA H100 80GB HBM3", "h100 sxm"),
        ("NVIDIA H100 PCIe", "h100 pcie"),
        ("NVIDIA H100 NVL", None),
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("NVIDIA A100 80GB PCIe", "a100"),
        ("NVIDIA L4", "l4"),
        ("NVIDIA L40S", None),
        ("Tesla T4", None),
    ],
)
def test_device_names_map_to_dense_peaks(name, chip):
    assert chip_of(name) == chip
    assert peak_bf16_flops(name) == (PEAK_BF16_FLOPS[chip] if chip else None)


def test_h200_peak_is_the_dense_bf16_figure():
    assert peak_bf16_flops("NVIDIA H200") == 989.5e12  # 1,979 TFLOPS "with sparsity" / 2


# ----------------------------------------------------------------------------- ThroughputMonitor
ARCH = ModelConfig(d_model=32, n_layers=2, n_heads=4, d_ff=64)
VOCAB = 100


def _batch(rows: int, length: int, targets_per_row: int, with_count: bool) -> Batch:
    labels = torch.full((rows, length), IGNORE_INDEX)
    labels[:, :targets_per_row] = 3
    batch = Batch(objective="mlm", input_ids=torch.zeros(rows, length, dtype=torch.long),
                  attention_mask=torch.ones(rows, length, dtype=torch.bool),
                  positions=torch.zeros(rows, length, dtype=torch.long),
                  langs=torch.zeros(rows, length, dtype=torch.long),
                  labels=labels, lang=["en"] * rows, keys=[str(i) for i in range(rows)], num_tokens=rows * length)
    if with_count:
        batch.num_targets = rows * targets_per_row  # type: ignore[attr-defined]  # the CPU count collate may add
    return batch


class _Module:
    def __init__(self) -> None:
        self.architecture, self.vocab, self.logged = ARCH, SimpleNamespace(size=VOCAB), {}

    def log_dict(self, values: dict, **kwargs) -> None:
        self.logged.update(values)

    def log(self, name: str, value: float, **kwargs) -> None:
        self.logged[name] = value


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("with_count", [True, False], ids=["cpu-count", "device-count"])
def test_monitor_window_values(monkeypatch, with_count):
    clock = _Clock()
    monkeypatch.setattr("polytrain.callbacks.throughput.time.perf_counter", clock)
    items = {"n": 0}
    real_item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda t: (items.__setitem__("n", items["n"] + 1), real_item(t))[1])
    trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("cpu")), precision="bf16-mixed",
                              optimizers=[])
    module, monitor = _Module(), ThroughputMonitor(window=2, peak_flops=1e9)
    monitor.on_train_start(trainer, module)
    monitor.on_train_batch_end(trainer, module, None, _batch(4, 16, 3, with_count), 0)  # untimed first batch
    clock.now += 1.0
    monitor.on_train_batch_end(trainer, module, None, _batch(4, 16, 3, with_count), 1)
    assert not module.logged and items["n"] == 0  # nothing read from the device inside a window
    monitor.on_validation_start(trainer, module)
    clock.now += 5.0  # validation time is not training time
    monitor.on_validation_end(trainer, module)
    clock.now += 1.0
    monitor.on_train_batch_end(trainer, module, None, _batch(2, 16, 3, with_count), 2)
    assert items["n"] == (0 if with_count else 1)  # at most one read per window
    flops = (training_flops(ARCH, VOCAB, tokens=64, length=16, targets=12).total
             + training_flops(ARCH, VOCAB, tokens=32, length=16, targets=6).total)
    assert module.logged["throughput/tokens_per_s"] == pytest.approx(96 / 2.0)
    assert module.logged["throughput/samples_per_s"] == pytest.approx(6 / 2.0)
    assert module.logged["throughput/tflops_per_s"] == pytest.approx(flops / 2.0 / 1e12)
    assert module.logged["throughput/mfu"] == pytest.approx(flops / 2.0 / 1e9)
    assert module.logged["tok/s"] == module.logged["throughput/tokens_per_s"]


def test_monitor_counts_real_decoder_tokens(monkeypatch):
    """Decoder FLOPs come from collate's CPU count of real decoder tokens, not the padded shape."""
    from polytrain.stream.collate import collate
    from polytrain.types import Example

    clock = _Clock()
    monkeypatch.setattr("polytrain.callbacks.throughput.time.perf_counter", clock)
    arch = ModelConfig(kind="encoder_decoder", d_model=32, n_layers=2, n_decoder_layers=1, n_heads=4, d_ff=64)
    def example(n: int, k: int) -> Example:
        ids = np.arange(5, 5 + n)
        return Example(key=str(k), lang="en", input_ids=ids, labels=ids.copy(), positions=np.arange(n),
                       langs=np.zeros(n, dtype=np.int64), decoder_input_ids=ids.copy())
    batch = collate([example(16, 0), example(3, 1)], "denoise", pad_id=1)  # decoder padded to 2 x 16
    assert batch.num_decoder_tokens == 19 and batch.decoder_input_ids.numel() == 32
    module = _Module()
    module.architecture = arch
    trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("cpu")), precision="bf16-mixed",
                              optimizers=[])
    monitor = ThroughputMonitor(window=1, peak_flops=1e9)
    monitor.on_train_start(trainer, module)
    monitor.on_train_batch_end(trainer, module, None, batch, 0)  # untimed first batch
    clock.now += 1.0
    monitor.on_train_batch_end(trainer, module, None, batch, 1)
    expected = training_flops(arch, VOCAB, tokens=19, length=16, targets=19, decoder_tokens=19, decoder_length=16)
    assert module.logged["throughput/tflops_per_s"] == pytest.approx(expected.total / 1e12)


def test_monitor_without_peak_logs_no_mfu(monkeypatch):
    trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("cpu")), precision="32-true",
                              optimizers=[])
    module, monitor = _Module(), ThroughputMonitor(window=1)
    monitor.on_train_start(trainer, module)
    for i in range(2):
        monitor.on_train_batch_end(trainer, module, None, _batch(2, 8, 1, True), i)
    assert "throughput/tokens_per_s" in module.logged and "throughput/mfu" not in module.logged


def test_monitor_rejects_bad_options():
    with pytest.raises(ValueError, match="window"):
        ThroughputMonitor(window=0)
    with pytest.raises(ValueError, match="peak_flops"):
        ThroughputMonitor(peak_flops=0.0)
    assert ThroughputBar is ThroughputMonitor  # the earlier name keeps older configs working


GPU_MFU = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_mfu.py"


def load_gpu_mfu(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """benchmarks/gpu_mfu.py imported in this process, as module ``gpu_mfu`` for the test's duration."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_mfu", GPU_MFU)
    assert spec is not None and spec.loader is not None
    gpu_mfu = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_mfu", gpu_mfu)  # dataclasses look their module up there
    spec.loader.exec_module(gpu_mfu)
    return gpu_mfu
@pytest.mark.slow
def test_gpu_mfu_compiled_loss_equals_target_cross_entropy(monkeypatch):
    """The compiled-loss experiment computes MaskedLM's loss, or its MFU would not be comparable."""
    from polytrain.objectives.base import target_cross_entropy
    from polytrain.types import ModelOutput

    gpu_mfu = load_gpu_mfu(monkeypatch)
    loss_fn = gpu_mfu.compiled_loss()
    for seed, n_targets in [(0, 7), (1, 13)]:  # two target counts: the dynamic-shape graph
        batch = gpu_mfu.synthetic_batches(1, 2, 16, 50, 0.3, seed)[0]
        n = int(batch.labels.ne(IGNORE_INDEX).sum())
        logits = torch.randn(n, 50, generator=torch.Generator().manual_seed(n_targets), requires_grad=True)
        expected, metrics = target_cross_entropy(ModelOutput(hidden=logits, logits=logits), batch)
        (grad,) = torch.autograd.grad(expected, logits)
        got, got_metrics = loss_fn(ModelOutput(hidden=logits, logits=logits), batch)
        (got_grad,) = torch.autograd.grad(got, logits)
        assert got.item() == pytest.approx(expected.item(), rel=1e-5)
        assert torch.allclose(got_grad, grad, atol=1e-6)
        assert torch.equal(got_metrics["token_correct"], metrics["token_correct"])
