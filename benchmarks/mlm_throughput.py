"""MLM training throughput: polytrain ``fit`` vs a plain PyTorch loop vs the Hugging Face Trainer.

Issue 3 ("Performance") asks for three systems on one machine, in one run, on the same data:

1. ``polytrain``: ``lightning.Trainer.fit`` with ``PretrainModule`` (``MaskedLM``), fed by a DataLoader.
2. ``plain``: a hand-written loop over the same polytrain ``Encoder`` and the same batches
   (forward, ``target_cross_entropy``, backward, clip, AdamW, scheduler). 1 vs 2 is the
   polytrain + Lightning overhead (target <= 3 %).
3. ``hf``: ``transformers.Trainer`` with ``XLMRobertaForMaskedLM`` of identical shape, loaded with
   the same initial weights (``polytrain.hf.mapping.to_hf_state_dict``), on the same token ids,
   labels (-100 where no target) and batch order. Target: polytrain >= 1.5x its tokens/s.

All systems share the initial weights, optimizer settings (AdamW lr / betas / eps / weight decay,
the same AdamW implementation), warmup + linear decay, gradient clipping at 1.0, dropout and
``torch.set_num_threads``. Runs are interleaved (the order rotates every repeat) so a slow phase of
the machine hits every system; the first ``--warmup`` steps of every run are not timed.

Extra rows: ``plain-full-head`` (the plain loop computing the vocabulary projection on every
position, as HF does) isolates the gain of polytrain's target-only MLM head, ``plain-foreach`` (the
plain loop with ``OptimizerConfig(fused=False)``, torch's default kernel) the gain of the fused AdamW
kernel polytrain uses by default, and the two
``+pipeline`` rows feed ``polytrain`` and ``plain`` from the real ``PretrainDataModule`` (tar shards,
tokenization, packing, masking in DataLoader workers) and report how long the loop waits in
``next(iterator)`` per step.

Usage (from the repository root)::

    python benchmarks/mlm_throughput.py --out mlm_throughput.json
    python benchmarks/mlm_throughput.py --steps 10 --repeats 1 --systems polytrain plain   # quick look

Without ``--shards``/``--tokenizer`` the demo corpus (``polytrain/demo_corpus`` or ``demo/corpus``)
is sharded and a 16k tokenizer trained into a temporary folder. If the tokenizer comes out smaller
than ``--vocab-size`` (the demo corpus is small), the model's vocabulary is padded to
``--vocab-size`` rows: the unused rows cost the same FLOPs as real ones.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from _common import machine_info, peak_rss_mib, reset_peak_rss, summarize
from torch.nn import functional as F
from torch.utils.data import DataLoader, IterableDataset

from polytrain.models import Encoder, ModelConfig
from polytrain.objectives.base import target_cross_entropy
from polytrain.objectives.mlm import MaskedLM
from polytrain.optim import OptimizerConfig, build_optimizer, lr_factor, param_groups
from polytrain.registry import short_name
from polytrain.types import IGNORE_INDEX, Batch, Vocab

REPO = Path(__file__).resolve().parent.parent
CORPORA = (REPO / "polytrain" / "demo_corpus", REPO / "demo" / "corpus")
SYSTEMS = ("polytrain", "plain", "hf", "plain-full-head", "plain-foreach", "polytrain+pipeline", "plain+pipeline")
DEFAULT_SYSTEMS = SYSTEMS


@dataclass
class Setup:
    """Everything the systems share."""

    args: argparse.Namespace
    shards: str
    tokenizer: str
    vocab: Vocab
    model_config: ModelConfig
    optim: OptimizerConfig
    init_state: dict[str, torch.Tensor]
    batches: list[Batch]
    workdir: Path

    @property
    def total_steps(self) -> int:
        return self.args.warmup + self.args.steps


@dataclass
class Run:
    """Timestamps of one run: ``step_ends[i]`` is when optimizer step ``i`` (0-based) finished."""

    system: str
    repeat: int
    step_ends: list[float] = field(default_factory=list)
    cpu_ends: list[float] = field(default_factory=list)
    """``time.process_time()`` (CPU seconds of this process, all threads) at each step end."""
    tokens: list[int] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    peak_rss_mib: float | None = None
    first_loss: float | None = None

    def end_step(self, tokens: int) -> None:
        self.step_ends.append(time.perf_counter())
        self.cpu_ends.append(time.process_time())
        self.tokens.append(tokens)

    def timed(self, warmup: int) -> dict[str, float]:
        """Throughput over the steps after ``warmup`` (the interval from the end of step ``warmup-1``).

        ``tokens_per_cpu_s`` divides by this process's CPU time instead of wall time: less sensitive
        to other load on the machine (DataLoader worker processes are not counted).
        """
        seconds = self.step_ends[-1] - self.step_ends[warmup - 1]
        cpu_seconds = self.cpu_ends[-1] - self.cpu_ends[warmup - 1]
        steps = len(self.step_ends) - warmup
        step_times = [b - a for a, b in zip(self.step_ends[warmup - 1 : -1], self.step_ends[warmup:])]
        step_times.sort()
        out = {
            "tokens_per_s": sum(self.tokens[warmup:]) / seconds,
            "tokens_per_cpu_s": sum(self.tokens[warmup:]) / cpu_seconds,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "steps": float(steps),
            "median_step_ms": 1e3 * step_times[len(step_times) // 2],
        }
        if self.waits:
            waits = self.waits[warmup:]
            out["data_wait_ms_per_step"] = 1e3 * sum(waits) / len(waits)
            out["data_wait_ms_max"] = 1e3 * max(waits)
            out["data_wait_fraction"] = sum(waits) / seconds
        return out


# --------------------------------------------------------------------------- data


class CycledBatches(IterableDataset):
    """An endless stream over pre-made ``Batch``es (the real stream is endless too)."""

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[Batch]:
        while True:
            yield from self.batches


class HFBatches(IterableDataset):
    """The same batches as ``XLMRobertaForMaskedLM`` inputs: ids, attention mask, labels (-100 = no target)."""

    def __init__(self, batches: list[Batch]) -> None:
        self.items = [
            {"input_ids": b.input_ids, "attention_mask": b.attention_mask.long(), "labels": b.labels} for b in batches
        ]

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        while True:
            yield from self.items


def first_item(features: list[Any]) -> Any:
    """HF collator for a dataset whose items are whole batches (``per_device_train_batch_size=1``)."""
    return features[0]


class TimedLoader:
    """Wraps an iterable and records the seconds each ``next()`` took (the loop's wait for data)."""

    def __init__(self, loader: Iterable[Batch]) -> None:
        self.loader = loader
        self.waits: list[float] = []

    def __iter__(self) -> Iterator[Batch]:
        iterator = iter(self.loader)
        while True:
            start = time.perf_counter()
            try:
                batch = next(iterator)
            except StopIteration:
                return
            self.waits.append(time.perf_counter() - start)
            yield batch


def mlm() -> MaskedLM:
    """A ``MaskedLM`` named as ``PretrainModule`` names it, so batches made here find their objective."""
    objective = MaskedLM()
    objective.name = short_name(MaskedLM)
    return objective


def find_corpus() -> list[str]:
    for root in CORPORA:
        parts = [str(p) for p in (root / "mono", root / "parallel") if p.is_dir()]
        if parts:
            return parts
    sys.exit(f"benchmark: no demo corpus in {' or '.join(map(str, CORPORA))}; pass --shards and --tokenizer")


def build_inputs(work: Path, vocab_size: int) -> tuple[str, str]:
    """Shard the demo corpus and train a tokenizer (the commands of ``polytrain demo --data-only``)."""
    from polytrain.prepare import shard, tokenizer

    shards, tok = work / "shards", work / "tokenizer.json"
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the results
        if shard.main(["--input", *find_corpus(), "--out", str(shards), "--max-samples", "200", "--overwrite"]):
            sys.exit("benchmark: polytrain data shard failed")
        if tokenizer.main(["--shards", str(shards), "--out", str(tok), "--vocab-size", str(vocab_size)]):
            sys.exit("benchmark: polytrain tokenizer train failed")
    return str(shards), str(tok)


def data_module(setup: Setup) -> Any:
    """A ``PretrainDataModule`` over the shards with the benchmark's batch shape."""
    from polytrain.stream.datamodule import PretrainDataModule

    args = setup.args
    return PretrainDataModule(shards=setup.shards, tokenizer=setup.tokenizer, max_length=args.seq_len,
                              batch_size=args.batch_size, num_workers=args.workers, shuffle_buffer=500, seed=0)


def make_batches(setup_args: argparse.Namespace, shards: str, tokenizer: str) -> list[Batch]:
    """``--batches`` MLM batches from the real pipeline, kept in memory so every system sees the same data."""
    from polytrain.stream.datamodule import PretrainDataModule

    dm = PretrainDataModule(shards=shards, tokenizer=tokenizer, max_length=setup_args.seq_len,
                            batch_size=setup_args.batch_size, num_workers=0, shuffle_buffer=500, seed=0)
    dm.connect([mlm()])
    dm.setup("fit")
    iterator = iter(dm.train_dataloader())
    return [next(iterator) for _ in range(setup_args.batches)]


# --------------------------------------------------------------------------- models


def fresh_encoder(setup: Setup) -> Encoder:
    """A polytrain ``Encoder`` with the shared initial weights and the padded vocabulary."""
    model = Encoder(setup.model_config, setup.args.vocab_size, len(setup.vocab.languages), setup.vocab.pad_id)
    model.load_state_dict(setup.init_state)
    return model.train()


def fresh_hf_model(setup: Setup) -> Any:
    """``XLMRobertaForMaskedLM`` of the same shape and initial weights (HF's default attention)."""
    from transformers import XLMRobertaForMaskedLM

    from polytrain.hf.config import hf_config
    from polytrain.hf.mapping import to_hf_state_dict

    vocab = setup.vocab
    config = hf_config(setup.model_config, setup.args.vocab_size, vocab.pad_id, vocab.bos_id, vocab.eos_id)
    model = XLMRobertaForMaskedLM(config)
    reference = fresh_encoder(setup)
    model.load_state_dict(to_hf_state_dict(reference, setup.model_config), strict=True)
    model.tie_weights()
    return model.train()


def check_same_function(setup: Setup) -> dict[str, Any]:
    """Both models give the same MLM loss on batch 0 in eval mode: same shape, weights and data."""
    batch = setup.batches[0]
    ours, hf = fresh_encoder(setup).eval(), fresh_hf_model(setup).eval()
    with torch.no_grad():
        mask = batch.labels.ne(IGNORE_INDEX)
        loss_ours = target_cross_entropy(ours(batch.input_ids, batch.attention_mask, batch.positions, batch.langs,
                                              mask), batch)[0].item()
        loss_hf = hf(input_ids=batch.input_ids, attention_mask=batch.attention_mask.long(),
                     labels=batch.labels).loss.item()
    if abs(loss_ours - loss_hf) > 1e-3:
        sys.exit(f"benchmark: polytrain and HF models disagree on batch 0 (loss {loss_ours} vs {loss_hf})")
    return {"polytrain_eval_loss": loss_ours, "hf_eval_loss": loss_hf,
            "hf_attn_implementation": hf.config._attn_implementation}


# --------------------------------------------------------------------------- systems


def run_polytrain(setup: Setup, run: Run, pipeline: bool) -> None:
    """``lightning.Trainer.fit`` on ``PretrainModule`` with a quiet, fixed-length Trainer."""
    from lightning.pytorch import Callback, Trainer

    from polytrain.stream.datamodule import PretrainDataModule
    from polytrain.module import PretrainModule

    class StepTimer(Callback):
        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Batch, idx: int) -> None:
            run.end_step(batch.num_tokens)
            if run.first_loss is None:
                run.first_loss = float(outputs["loss"])

    args = setup.args
    module = PretrainModule(objectives=[MaskedLM()], tokenizer=setup.tokenizer, architecture=setup.model_config,
                            optimizer=setup.optim, max_length=args.seq_len)
    module.model = fresh_encoder(setup)  # set before fit: configure_model keeps it (padded vocabulary)
    trainer = Trainer(
        accelerator="cpu", devices=1, precision="32-true", max_steps=setup.total_steps, gradient_clip_val=1.0,
        enable_progress_bar=False, logger=False, enable_checkpointing=False, num_sanity_val_steps=0,
        enable_model_summary=False, limit_val_batches=0, log_every_n_steps=args.log_every,
        default_root_dir=str(setup.workdir / "lightning"), callbacks=[StepTimer()],
    )
    if not pipeline:
        trainer.fit(module, train_dataloaders=DataLoader(CycledBatches(setup.batches), batch_size=None))
        return
    timed: list[TimedLoader] = []

    class TimedDataModule(PretrainDataModule):
        def train_dataloader(self) -> Any:
            timed.append(TimedLoader(super().train_dataloader()))
            return timed[-1]

    dm = TimedDataModule(shards=setup.shards, tokenizer=setup.tokenizer, max_length=args.seq_len,
                         batch_size=args.batch_size, num_workers=args.workers, shuffle_buffer=500, seed=0)
    trainer.fit(module, datamodule=dm)
    # Lightning fetches one batch ahead; the extra wait belongs to no step.
    run.waits = timed[0].waits[: setup.total_steps]


def plain_loss(model: Encoder, batch: Batch, full_head: bool) -> torch.Tensor:
    """Target-only head (polytrain's model as is) or the head on every position (HF's way)."""
    target_mask = batch.labels.ne(IGNORE_INDEX)
    mask = batch.key_padding_mask()  # None for packed blocks, as PretrainModule passes it
    if not full_head:
        return target_cross_entropy(model(batch.input_ids, mask, batch.positions, batch.langs, target_mask), batch)[0]
    hidden = model.encode(batch.input_ids, mask, batch.positions, batch.langs)  # (B, T, d)
    logits = model.project(hidden.flatten(0, 1))  # (B*T, V)
    return F.cross_entropy(logits, batch.labels.flatten(), ignore_index=IGNORE_INDEX)


def run_plain(setup: Setup, run: Run, pipeline: bool, full_head: bool, fused: bool | None = None) -> None:
    """The loop ``PretrainModule`` + Lightning stand for, written out by hand.

    ``fused`` overrides the AdamW implementation (the ``plain-foreach`` row); ``None`` keeps the setting.
    """
    model = fresh_encoder(setup)
    optim = setup.optim if fused is None else replace(setup.optim, fused=fused)
    optimizer = build_optimizer(param_groups(model, optim.weight_decay), optim)
    total = setup.total_steps
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, setup.optim, total))
    if pipeline:
        dm = data_module(setup)
        dm.connect([mlm()])
        dm.setup("fit")
        loader: Iterable[Batch] = dm.train_dataloader()
    else:
        loader = DataLoader(CycledBatches(setup.batches), batch_size=None)
    iterator = iter(loader)
    for _ in range(total):
        start = time.perf_counter()
        batch = next(iterator)
        run.waits.append(time.perf_counter() - start)
        loss = plain_loss(model, batch, full_head)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        run.end_step(batch.num_tokens)
        if run.first_loss is None:
            run.first_loss = loss.item()
    if not pipeline:
        run.waits = []  # in-memory batches: nothing to report
    del iterator  # stops the pipeline's workers


def hf_optim_name(setup: Setup) -> str:
    """The HF ``optim`` that builds the same AdamW implementation as polytrain's ``build_optimizer``."""
    probe = build_optimizer([{"params": [torch.nn.Parameter(torch.zeros(1))]}], setup.optim)
    return "adamw_torch_fused" if probe.defaults.get("fused") else "adamw_torch"


def run_hf(setup: Setup, run: Run) -> None:
    """``transformers.Trainer`` with ``XLMRobertaForMaskedLM``, same batches in the same order."""
    from transformers import (
        PrinterCallback,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    class StepTimer(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            n = len(setup.batches)  # HF consumes the batches in dataset order
            run.end_step(setup.batches[len(run.step_ends) % n].num_tokens)

    opt = setup.optim
    args = TrainingArguments(
        output_dir=str(setup.workdir / "hf"), use_cpu=True, max_steps=setup.total_steps,
        per_device_train_batch_size=1,  # each dataset item is a whole (B, T) batch
        learning_rate=opt.lr, weight_decay=opt.weight_decay, adam_beta1=opt.betas[0], adam_beta2=opt.betas[1],
        adam_epsilon=opt.eps, optim=hf_optim_name(setup), lr_scheduler_type="linear",
        warmup_steps=opt.warmup_steps, max_grad_norm=1.0, logging_strategy="no", save_strategy="no",
        eval_strategy="no", report_to="none", disable_tqdm=True, dataloader_num_workers=0,
        dataloader_pin_memory=False, remove_unused_columns=False, seed=0,
    )
    trainer = Trainer(model=fresh_hf_model(setup), args=args, train_dataset=HFBatches(setup.batches),
                      data_collator=first_item, callbacks=[StepTimer()])
    trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict
    trainer.train()


def run_system(setup: Setup, system: str, repeat: int) -> Run:
    """One run of ``system`` with fresh weights and optimizer; peak RSS measured over the run."""
    run = Run(system, repeat)
    torch.set_num_threads(setup.args.threads)
    torch.manual_seed(0)
    gc.collect()
    reset_peak_rss()
    runners: dict[str, Callable[[], None]] = {
        "polytrain": lambda: run_polytrain(setup, run, pipeline=False),
        "polytrain+pipeline": lambda: run_polytrain(setup, run, pipeline=True),
        "plain": lambda: run_plain(setup, run, pipeline=False, full_head=False),
        "plain+pipeline": lambda: run_plain(setup, run, pipeline=True, full_head=False),
        "plain-full-head": lambda: run_plain(setup, run, pipeline=False, full_head=True),
        "plain-foreach": lambda: run_plain(setup, run, pipeline=False, full_head=False, fused=False),
        "hf": lambda: run_hf(setup, run),
    }
    runners[system]()
    run.peak_rss_mib = peak_rss_mib()
    if len(run.step_ends) != setup.total_steps:
        sys.exit(f"benchmark: {system} ran {len(run.step_ends)} steps, expected {setup.total_steps}")
    if torch.get_num_threads() != setup.args.threads:
        sys.exit(f"benchmark: {system} changed torch threads to {torch.get_num_threads()}")
    return run


def schedule(systems: list[str], repeats: int, once: set[str]) -> list[tuple[str, int]]:
    """Interleaved order: every repeat runs each system once, rotated so no system is always first.

    Systems in ``once`` (the data-pipeline rows) run in the first repeat only.
    """
    order: list[tuple[str, int]] = []
    for r in range(repeats):
        todo = [s for s in systems if r == 0 or s not in once]
        shift = r % len(todo)
        order += [(s, r) for s in todo[shift:] + todo[:shift]]
    return order


def prepare(args: argparse.Namespace, work: Path) -> Setup:
    from polytrain.shards.vocab import load_vocab

    shards, tok = (args.shards, args.tokenizer) if args.shards else build_inputs(work, args.vocab_size)
    vocab = load_vocab(tok)[1]
    if vocab.size > args.vocab_size:
        sys.exit(f"benchmark: the tokenizer has {vocab.size} tokens, more than --vocab-size {args.vocab_size}")
    config = ModelConfig(d_model=args.d_model, n_layers=args.layers, n_heads=args.heads, d_ff=args.d_ff,
                         dropout=args.dropout, attention_dropout=args.dropout)
    torch.manual_seed(0)
    reference = Encoder(config, args.vocab_size, len(vocab.languages), vocab.pad_id)
    init_state = {k: v.clone() for k, v in reference.state_dict().items()}
    optim = OptimizerConfig(lr=args.lr, warmup_steps=args.warmup_steps, fused=args.fused)
    batches = make_batches(args, shards, tok)
    return Setup(args, shards, tok, vocab, config, optim, init_state, batches, work)


def aggregate(runs: list[Run], warmup: int) -> dict[str, dict[str, Any]]:
    """Per system: summary of tokens/s over repeats, median step time, data wait, peak RSS."""
    out: dict[str, dict[str, Any]] = {}
    for system in dict.fromkeys(r.system for r in runs):
        mine = [r for r in runs if r.system == system]
        timed = [r.timed(warmup) for r in mine]
        row: dict[str, Any] = {"tokens_per_s": summarize([t["tokens_per_s"] for t in timed]),
                               "tokens_per_cpu_s": summarize([t["tokens_per_cpu_s"] for t in timed]),
                               "median_step_ms": summarize([t["median_step_ms"] for t in timed])["median"],
                               "peak_rss_mib": max((r.peak_rss_mib or 0.0) for r in mine),
                               "first_loss": mine[0].first_loss, "runs": timed}
        if "data_wait_ms_per_step" in timed[0]:
            row["data_wait_ms_per_step"] = summarize([t["data_wait_ms_per_step"] for t in timed])["median"]
            row["data_wait_ms_max"] = max(t["data_wait_ms_max"] for t in timed)
            row["data_wait_fraction"] = summarize([t["data_wait_fraction"] for t in timed])["median"]
        out[system] = row
    return out


def paired_ratio(
    runs: list[Run], warmup: int, num: str, den: str, key: str = "tokens_per_s"
) -> dict[str, float] | None:
    """``num``/``den`` of ``key``, per repeat (runs of one repeat are close in time), summarized."""
    ratios = []
    for rep in sorted({r.repeat for r in runs}):
        a = [r for r in runs if r.system == num and r.repeat == rep]
        b = [r for r in runs if r.system == den and r.repeat == rep]
        if a and b:
            ratios.append(a[0].timed(warmup)[key] / b[0].timed(warmup)[key])
    return summarize(ratios) if ratios else None


RATIOS = (("polytrain", "plain"), ("polytrain", "hf"), ("plain", "hf"), ("plain", "plain-full-head"),
          ("plain-full-head", "hf"), ("plain", "plain-foreach"), ("polytrain+pipeline", "polytrain"),
          ("plain+pipeline", "plain"))


def ratios(runs: list[Run], rows: dict[str, dict[str, Any]], warmup: int) -> dict[str, dict[str, Any]]:
    """Each ratio as the ratio of the medians and as the median of the per-repeat (paired) ratios."""
    out: dict[str, dict[str, Any]] = {}
    for num, den in RATIOS:
        if num in rows and den in rows:
            out[f"{num}/{den}"] = {
                "of_medians": rows[num]["tokens_per_s"]["median"] / rows[den]["tokens_per_s"]["median"],
                # Other load only slows a run down, so the best run is the least disturbed one.
                "of_best": rows[num]["tokens_per_s"]["max"] / rows[den]["tokens_per_s"]["max"],
                "paired": paired_ratio(runs, warmup, num, den),
                "paired_cpu": paired_ratio(runs, warmup, num, den, key="tokens_per_cpu_s"),
            }
    return out


def table(rows: dict[str, dict[str, Any]]) -> str:
    """Markdown table of tokens/s (median and range over repeats), step time, data wait, peak RSS."""
    header = "| system | runs | tokens/s median | min - max | spread | tokens/CPU-s | step ms | data wait ms/step |"
    lines = [header + " peak RSS MiB |", "|---|---|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        tps = row["tokens_per_s"]
        wait = f"{row['data_wait_ms_per_step']:.2f} (max {row['data_wait_ms_max']:.1f})" \
            if "data_wait_ms_per_step" in row else "-"
        lines.append(f"| {name} | {int(tps['n'])} | {tps['median']:,.0f} | {tps['min']:,.0f} - {tps['max']:,.0f} | "
                     f"{100 * tps['spread']:.1f} % | {row['tokens_per_cpu_s']['median']:,.0f} | "
                     f"{row['median_step_ms']:.0f} | {wait} | {row['peak_rss_mib']:.0f} |")
    return "\n".join(lines)


def ratio_lines(found: dict[str, dict[str, Any]]) -> str:
    """One line per ratio: of the medians, then paired per repeat (wall time and CPU time)."""
    lines = []
    for name, r in found.items():
        line = f"{name}: {r['of_medians']:.3f} (ratio of medians), {r['of_best']:.3f} (of best runs)"
        for label, paired in (("paired", r["paired"]), ("paired by CPU time", r["paired_cpu"])):
            if paired:
                line += (f"; {label} {paired['median']:.3f} "
                         f"[{paired['min']:.3f} - {paired['max']:.3f}, n={int(paired['n'])}]")
        lines.append(line)
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(DEFAULT_SYSTEMS))
    p.add_argument("--steps", type=int, default=30, help="timed optimizer steps per run")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps at the start of every run (>= 1)")
    p.add_argument("--repeats", type=int, default=3, help="runs per system (except the --once systems)")
    p.add_argument("--once", nargs="*", choices=SYSTEMS, default=["polytrain+pipeline", "plain+pipeline"],
                   help="systems run in the first repeat only")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads for every system")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=128, help="max_length, special tokens included")
    p.add_argument("--vocab-size", type=int, default=16000, help="model vocabulary (padded up to this size)")
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--d-ff", type=int, default=1024)
    p.add_argument("--dropout", type=float, default=0.1, help="dropout and attention dropout (XLM-R: 0.1)")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup-steps", type=int, default=10, help="learning-rate warmup (same for all systems)")
    p.add_argument("--fused", choices=("default", "true", "false"), default="default",
                   help="AdamW fused flag for all systems; 'default' keeps polytrain's OptimizerConfig default")
    p.add_argument("--batches", type=int, default=16, help="distinct pre-made batches (cycled)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers of the +pipeline rows")
    p.add_argument("--log-every", type=int, default=10, help="Trainer log_every_n_steps (configs/base.yaml: 10)")
    p.add_argument("--shards", help="shard folder or manifest.json (default: built from the demo corpus)")
    p.add_argument("--tokenizer", help="tokenizer.json (with --shards)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    if bool(args.shards) != bool(args.tokenizer):
        p.error("give both --shards and --tokenizer, or neither")
    if args.warmup < 1 or args.steps < 1 or args.repeats < 1:
        p.error("--warmup, --steps and --repeats must be >= 1")
    args.fused = {"default": OptimizerConfig.fused, "true": True, "false": False}[args.fused]
    return args


def quiet() -> None:
    """Silence per-run chatter (device banner, tips, known deprecations) so the table stands out."""
    import lightning.pytorch  # noqa: F401  (sets its loggers to INFO on import; override after)

    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in (".*srun.*", ".*LeafSpec.*", ".*no `val_dataloader`.*"):
        warnings.filterwarnings("ignore", message=message)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    quiet()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="polytrain-mlm-bench-") as tmp:
        setup = prepare(args, Path(tmp))
        check = check_same_function(setup)
        runs = []
        for system, repeat in schedule(args.systems, args.repeats, set(args.once)):
            runs.append(run_system(setup, system, repeat))
            t = runs[-1].timed(args.warmup)
            print(f"[{time.time() - started:6.0f} s] {system:<20} repeat {repeat}: {t['tokens_per_s']:8,.0f} tok/s",
                  file=sys.stderr, flush=True)
        vocab_size = setup.vocab.size
        adamw = hf_optim_name(setup)
    rows = aggregate(runs, args.warmup)
    found = ratios(runs, rows, args.warmup)
    info = machine_info(args.threads)
    print(f"# {info['cpu']}, {info['cpus_usable']} usable CPUs, torch {info['torch']} ({args.threads} threads), "
          f"transformers {info['transformers']}, lightning {info['lightning']}")
    print(f"# d {args.d_model}, {args.layers} layers, {args.heads} heads, FFN {args.d_ff}, vocab {args.vocab_size} "
          f"(tokenizer {vocab_size}), seq {args.seq_len}, batch {args.batch_size}, fp32, dropout {args.dropout}; "
          f"HF attention: {check['hf_attn_implementation']}; AdamW: {adamw}; "
          f"{args.steps} timed steps after {args.warmup} warmup, {args.repeats} repeats")
    print(table(rows))
    print(ratio_lines(found))
    if args.out:
        settings = {k: v for k, v in vars(args).items() if k != "out"}
        result = {"machine": info, "settings": settings, "tokenizer_vocab_size": vocab_size, "adamw": adamw,
                  "check": check, "systems": rows, "ratios": found, "wall_s": time.time() - started,
                  "load_average_at_end": list(os.getloadavg())}
        args.out.write_text(json.dumps(result, indent=2, default=str))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
