"""GPU check: tokens/s, MFU and peak memory of the XLM-R-base-shaped encoder MLM on one GPU,
plus a loss-parity check of bf16-mixed (and fp16-mixed with loss scaling) against fp32.

What runs: polytrain's ``Encoder`` (configs/model/base.yaml shape: 12 layers, d 768, 12 heads,
FFN 3072) with a synthetic XLM-R vocabulary of 250,002 tokens (Conneau et al. 2020), attention
through SDPA, the MLM head on the 15 % target positions only, ``target_cross_entropy`` (the loss
``MaskedLM`` trains with), AdamW, gradient clipping, under ``torch.autocast`` bf16 (what
``precision: bf16-mixed`` does), optionally with each layer compiled (``ScaleConfig.compile``).
Batches are synthetic, full ``--seq-len`` sequences (no padding: packed text), generated on the
host once and cycled, so the data pipeline is not measured (benchmarks/data_pipeline.py does that).
As in ``PretrainModule``, a batch without padding attends without a mask (``Batch.key_padding_mask``);
``--attn-mask`` forces the mask to measure what that is worth.

``--sweep`` runs the variants in ``SWEEP`` one after the other in one process (one short run on a
GPU machine whose time is counted) and prints a table, then the top kernels of the last variant.
Variants marked *experiment* are not in polytrain yet: they measure whether they would be worth it.

MFU = ``polytrain.distributed.flops.training_flops`` per second / the dense bf16 peak
(``PEAK_BF16_FLOPS``: 989.5e12 for "NVIDIA H200"; ``--peak-flops`` overrides). Time is read once
around the timed steps, with a device synchronisation only at both ends.

Needs torch only (Lightning is not used); run from the repository root::

    PYTHONPATH=. python benchmarks/gpu_mfu.py                     # base, seq 512, bf16, eager
    PYTHONPATH=. python benchmarks/gpu_mfu.py --compile
    PYTHONPATH=. python benchmarks/gpu_mfu.py --sweep --parity-steps 5 --json sweep.json   # everything, ~5 min
    PYTHONPATH=. python benchmarks/gpu_mfu.py --tiny --device cpu --steps 2 --warmup 1   # smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # polytrain from this checkout

from polytrain.distributed.flops import peak_bf16_flops, training_flops  # noqa: E402
from polytrain.distributed.strategy import compile_layers  # noqa: E402
from polytrain.models import build_model  # noqa: E402
from polytrain.models.config import ModelConfig  # noqa: E402
from polytrain.objectives.base import target_cross_entropy  # noqa: E402
from polytrain.optim import OptimizerConfig, build_optimizer, param_groups  # noqa: E402
from polytrain.types import IGNORE_INDEX, Batch, ModelOutput  # noqa: E402

XLMR_VOCAB = 250_002  # XLM-R's SentencePiece vocabulary (Conneau et al. 2020)
MASK_ID, PAD_ID, NUM_SPECIAL = 4, 1, 5  # polytrain's SPECIAL_TOKENS layout
BASE = dict(d_model=768, n_layers=12, n_heads=12, d_ff=3072)  # configs/model/base.yaml
TINY = dict(d_model=64, n_layers=2, n_heads=2, d_ff=128)


@dataclass
class Result:
    """One throughput measurement."""

    name: str
    device: str
    compiled: bool
    compiled_loss: bool
    attn_mask: bool
    batch_size: int
    seq_len: int
    vocab_size: int
    steps: int
    seconds: float
    tokens_per_s: float
    model_tflops_per_s: float
    peak_flops: float | None
    mfu: float | None
    peak_memory_gib: float | None
    final_loss: float


def synthetic_batches(n: int, batch_size: int, seq_len: int, vocab: int, target_fraction: float,
                      seed: int) -> list[Batch]:
    """``n`` MLM batches of full sequences: targets chosen with ``target_fraction``, 80 % -> <mask>."""
    gen = torch.Generator().manual_seed(seed)
    batches = []
    for i in range(n):
        ids = torch.randint(NUM_SPECIAL, vocab, (batch_size, seq_len), generator=gen)
        targets = torch.rand(batch_size, seq_len, generator=gen) < target_fraction
        masked = targets & (torch.rand(batch_size, seq_len, generator=gen) < 0.8)  # BERT's 80 % (Devlin et al.)
        batches.append(Batch(
            objective="mlm", input_ids=ids.masked_fill(masked, MASK_ID),
            attention_mask=torch.ones(batch_size, seq_len, dtype=torch.bool),
            positions=torch.arange(seq_len).expand(batch_size, seq_len).contiguous(),
            langs=torch.zeros(batch_size, seq_len, dtype=torch.long),
            labels=torch.where(targets, ids, torch.full_like(ids, IGNORE_INDEX)),
            lang=["xx"] * batch_size, keys=[f"{i}-{j}" for j in range(batch_size)], num_tokens=batch_size * seq_len))
    return batches


def to_device(batch: Batch, device: torch.device) -> Batch:
    def move(t: torch.Tensor) -> torch.Tensor:
        return t.to(device, non_blocking=True)

    return Batch(objective=batch.objective, input_ids=move(batch.input_ids), attention_mask=move(batch.attention_mask),
                 positions=move(batch.positions), langs=move(batch.langs), labels=move(batch.labels), lang=batch.lang,
                 keys=batch.keys, num_tokens=batch.num_tokens)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


LossFn = Callable[[ModelOutput, Batch], tuple[torch.Tensor, dict[str, torch.Tensor]]]


def compiled_loss() -> LossFn:
    """*Experiment*: ``target_cross_entropy``'s math compiled as one dynamic-shape graph.

    Eager, the (targets x V) logits make about 8 passes over memory (fp32 copy, log-softmax,
    its backward, the cast back, argmax); fused, the loss needs about 2 (read for the row
    reductions, write the gradient). This measures what fusing them would give.
    """

    @torch.compile(dynamic=True)
    def token_loss_and_correct(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        token_loss = torch.nn.functional.cross_entropy(logits.float(), targets, reduction="none")  # (N,)
        return token_loss, logits.detach().argmax(-1) == targets  # (N,), (N,)

    def loss(outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]  # (N,)
        token_loss, correct = token_loss_and_correct(outputs.logits, targets)
        return token_loss.mean(), {"token_loss": token_loss.detach(), "token_correct": correct}

    return loss


class Trainer:
    """Model + AdamW + one training step, the way PretrainModule trains it (without Lightning).

    Args:
        attn_mask: pass the key padding mask even when no token is padding (PretrainModule
            passes ``Batch.key_padding_mask()``, ``None`` for these batches).
        loss_fn: the loss; ``target_cross_entropy`` (MaskedLM's) by default.
    """

    def __init__(self, model: torch.nn.Module, device: torch.device, dtype: torch.dtype | None, fused: bool,
                 attn_mask: bool = False, loss_fn: LossFn = target_cross_entropy) -> None:
        self.model, self.device, self.dtype = model, device, dtype
        self.attn_mask, self.loss_fn = attn_mask, loss_fn
        self.optimizer = build_optimizer(param_groups(model, 0.01), OptimizerConfig(lr=1e-4, fused=fused))
        self.scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None

    def step(self, batch: Batch) -> torch.Tensor:
        target_mask = batch.labels.ne(IGNORE_INDEX)
        mask = batch.attention_mask if self.attn_mask else batch.key_padding_mask()
        with autocast(self.device, self.dtype):
            out = self.model(batch.input_ids, mask, batch.positions, batch.langs, target_mask)
            loss, _ = self.loss_fn(out, batch)
        if self.scaler is not None:  # fp16: scale the loss so small gradients do not underflow
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


def cycle(batches: list[Batch]) -> Iterator[Batch]:
    while True:
        yield from batches


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build(args: argparse.Namespace, dropout: float) -> tuple[ModelConfig, torch.nn.Module]:
    shape = TINY if args.tiny else BASE
    arch = ModelConfig(**shape, max_positions=max(512, args.seq_len), dropout=dropout, attention_dropout=dropout,
                       pad_vocab_to_multiple_of=args.pad_vocab_to_multiple_of)
    torch.manual_seed(args.seed)
    return arch, build_model(arch, args.vocab_size, 1, PAD_ID)


def measure(args: argparse.Namespace, device: torch.device, name: str = "run") -> Result:
    """Warm up, then time ``args.steps`` bf16 steps with one synchronisation at each end."""
    arch, model = build(args, dropout=args.dropout)
    model.to(device)
    if args.compile:
        compile_layers(model)
    trainer = Trainer(model, device, torch.bfloat16, fused=device.type == "cuda", attn_mask=args.attn_mask,
                      loss_fn=compiled_loss() if args.compile_loss else target_cross_entropy)
    host = synthetic_batches(4, args.batch_size, args.seq_len, args.vocab_size, args.target_fraction, args.seed)
    batches = [to_device(b, device) for b in host]
    targets = [int(b.labels.ne(IGNORE_INDEX).sum()) for b in host]  # counted on the host, before timing
    stream = cycle(list(zip(batches, targets, strict=True)))
    for _ in range(args.warmup):
        trainer.step(next(stream)[0])
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    flops, start = 0.0, time.perf_counter()
    for _ in range(args.steps):
        batch, n_targets = next(stream)
        loss = trainer.step(batch)
        flops += training_flops(arch, arch.padded_vocab_size(args.vocab_size), tokens=batch.num_tokens, length=args.seq_len,
                                targets=n_targets).total
    sync(device)
    seconds = time.perf_counter() - start
    if args.profile:
        profile(trainer, stream, device)
    peak = args.peak_flops or (peak_bf16_flops(torch.cuda.get_device_name(device)) if device.type == "cuda" else None)
    return Result(
        name=name, device=torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        compiled=args.compile, compiled_loss=args.compile_loss, attn_mask=args.attn_mask,
        batch_size=args.batch_size, seq_len=args.seq_len,
        vocab_size=args.vocab_size, steps=args.steps, seconds=seconds,
        tokens_per_s=args.steps * args.batch_size * args.seq_len / seconds, model_tflops_per_s=flops / seconds / 1e12,
        peak_flops=peak, mfu=flops / seconds / peak if peak else None,
        peak_memory_gib=torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None,
        final_loss=float(loss),
    )


def profile(trainer: Trainer, stream: Iterator[tuple[Batch, int]], device: torch.device) -> None:
    """Top kernels of 3 more steps, by device time (where the step time goes)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with torch_profile(activities=activities) as prof:
        for _ in range(3):
            trainer.step(next(stream)[0])
        sync(device)
    key = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=25, max_name_column_width=60))


def parity(args: argparse.Namespace, device: torch.device) -> dict[str, object]:
    """Same initial weights and batches, dropout 0: per-step losses of bf16 and fp16 against fp32."""
    _, reference = build(args, dropout=0.0)
    host = synthetic_batches(args.parity_steps, args.parity_batch_size, args.seq_len, args.vocab_size,
                             args.target_fraction, args.seed + 1)
    batches = [to_device(b, device) for b in host]
    kinds = {"fp32": None, "bf16-mixed": torch.bfloat16}
    if device.type == "cuda":
        kinds["16-mixed"] = torch.float16
    losses: dict[str, list[float]] = {}
    for name, dtype in kinds.items():
        trainer = Trainer(copy.deepcopy(reference).to(device), device, dtype, fused=device.type == "cuda")
        losses[name] = [float(trainer.step(b)) for b in batches]
    worst = {name: max(abs(a - b) / abs(b) for a, b in zip(values, losses["fp32"], strict=True))
             for name, values in losses.items() if name != "fp32"}
    return {"losses": losses, "max_relative_difference": worst, "tolerance": args.parity_tolerance,
            "ok": all(w <= args.parity_tolerance and math.isfinite(w) for w in worst.values())}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--tiny", action="store_true", help="2 layers, d 64, vocab 1000: a smoke test that runs on CPU")
    p.add_argument("--compile", action="store_true", help="torch.compile each layer (ScaleConfig.compile)")
    p.add_argument("--compile-loss", action="store_true",
                   help="experiment: compile the cross-entropy over the target logits (see compiled_loss)")
    p.add_argument("--attn-mask", action="store_true",
                   help="pass the key padding mask to SDPA although no token is padding (polytrain passes None, "
                        "which lets SDPA pick FlashAttention): measures the masked kernel")
    p.add_argument("--sweep", action="store_true", help="run every variant of SWEEP, then profile the last one")
    p.add_argument("--budget-s", type=float, default=420.0,
                   help="--sweep starts no new variant after this many seconds (device time is counted)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--vocab-size", type=int, default=None, help=f"default {XLMR_VOCAB:,} (XLM-R); 1000 with --tiny")
    p.add_argument("--pad-vocab-to-multiple-of", type=int, default=1,
                   help="ModelConfig.pad_vocab_to_multiple_of (configs/model/base.yaml: 128)")
    p.add_argument("--target-fraction", type=float, default=0.15, help="MLM target share (Devlin et al. 2019)")
    p.add_argument("--steps", type=int, default=30, help="timed steps")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps first (compilation, allocator)")
    p.add_argument("--peak-flops", type=float, default=None, help="peak FLOP/s of the device (default: table)")
    p.add_argument("--parity-steps", type=int, default=5, help="0 skips the precision parity check")
    p.add_argument("--parity-batch-size", type=int, default=8)
    p.add_argument("--parity-tolerance", type=float, default=1e-2, help="max relative loss difference vs fp32")
    p.add_argument("--dropout", type=float, default=0.1, help="dropout of the timed model (0.1 in XLM-R)")
    p.add_argument("--profile", action="store_true", help="print the top GPU kernels of 3 steps (torch.profiler)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    if args.vocab_size is None:
        args.vocab_size = 1000 if args.tiny else XLMR_VOCAB
    return args


SWEEP: list[tuple[str, dict[str, object]]] = [
    ("eager", {}),
    ("eager, masked attention", {"attn_mask": True}),  # polytrain before Batch.key_padding_mask
    ("compiled layers", {"compile": True}),
    ("compiled layers + compiled loss", {"compile": True, "compile_loss": True}),  # experiment
    ("compiled layers + compiled loss, batch 128", {"compile": True, "compile_loss": True, "batch_size": 128}),
]
"""(name, overrides of the command-line arguments): the settings ``--sweep`` measures, in order."""


def sweep(args: argparse.Namespace, device: torch.device) -> list[Result]:
    """Measure each ``SWEEP`` variant until ``args.budget_s`` is spent, then profile the last one."""
    start, results = time.perf_counter(), []
    for name, overrides in SWEEP:
        if time.perf_counter() - start > args.budget_s:
            print(f"gpu_mfu: budget of {args.budget_s:.0f} s spent; skipped {name!r}", file=sys.stderr)
            continue
        variant = argparse.Namespace(**{**vars(args), **overrides, "profile": False})
        results.append(measure(variant, device, name))
        print(summary(results[-1]), flush=True)
        torch._dynamo.reset()  # each variant compiles afresh (and stays under the recompile limit)
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print("\n| Variant | batch | tokens/s | model TFLOP/s | MFU | peak GiB |\n| --- | --- | --- | --- | --- | --- |")
    for r in results:
        mfu = f"{r.mfu:.1%}" if r.mfu is not None else "n/a"
        memory = f"{r.peak_memory_gib:.1f}" if r.peak_memory_gib is not None else "n/a"
        print(f"| {r.name} | {r.batch_size} | {r.tokens_per_s:,.0f} | {r.model_tflops_per_s:.1f} | {mfu} | {memory} |")
    if args.profile and results:
        last = dict(SWEEP)[results[-1].name]
        measure(argparse.Namespace(**{**vars(args), **last, "steps": 1, "warmup": 3}), device, "profile")
    return results


def summary(result: Result) -> str:
    mfu = f"{result.mfu:.1%}" if result.mfu is not None else "n/a (no peak known: --peak-flops)"
    memory = f"{result.peak_memory_gib:.1f} GiB" if result.peak_memory_gib is not None else "n/a"
    return (f"gpu_mfu: {result.name}: {result.device} compiled={result.compiled} "
            f"compiled_loss={result.compiled_loss} mask={result.attn_mask} batch={result.batch_size}: "
            f"{result.tokens_per_s:,.0f} tok/s, {result.model_tflops_per_s:.1f} model TFLOP/s, MFU {mfu}, "
            f"peak memory {memory}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("gpu_mfu: no CUDA device; use --device cpu (with --tiny) for a smoke test", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 in the parity check means fp32
    report: dict[str, object] = {}
    if args.sweep:
        report["sweep"] = [asdict(r) for r in sweep(args, device)]
    else:
        result = measure(args, device)
        print(json.dumps(asdict(result), indent=1))
        print(summary(result))
        report["throughput"] = asdict(result)
    code = 0
    if args.parity_steps > 0:
        check = parity(args, device)
        report["parity"] = check
        print(f"gpu_mfu: parity vs fp32 over {args.parity_steps} steps: "
              + ", ".join(f"{k} max rel diff {v:.2e}" for k, v in check["max_relative_difference"].items())
              + (" OK" if check["ok"] else f" FAIL (> {args.parity_tolerance})"))
        code = 0 if check["ok"] else 1
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
