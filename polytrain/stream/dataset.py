"""Stream WebDataset tar shards into objective batches (the full story is in docs/streaming.md).

Stages, all inside DataLoader workers::

    shard URL -> open_shard -> read_shard (polytrain.shards.reader: allow-list decoder, counters)
      -> per-language stream (train: shards resampled with replacement + shuffle buffer)
      -> tokenize (HF tokenizers) -> Packer (mono) or TextPair (parallel)
      -> language mixture q = sampling_probs(sizes, alpha)
      -> Objective.make_example -> collate -> Batch (one objective per batch)

Nothing read from a shard is ever unpickled: only ``.txt``/``.src.txt``/``.tgt.txt`` (strict
UTF-8) and ``.json`` members are decoded; webdataset's default decoders are never used.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, Literal, TypeVar

import numpy as np
import torch
from tokenizers import Tokenizer

from polytrain.objectives.base import Objective
from polytrain.rng import make_rng
from polytrain.shards.manifest import Manifest, ShardInfo
from polytrain.shards.mixture import mixture_probs
from polytrain.shards.reader import EMPTY_TEXT, ShardSample, StreamStats, read_shard
from polytrain.shards.vocab import read_tokenizer_file
from polytrain.stream.collate import collate
from polytrain.stream.packing import Packer, packer_for
from polytrain.stream.sources import LanguageStream, MixtureStream, ShardAccess
from polytrain.stream.state import STATE_VERSION, DrawnCounts, SlotPlan, slot_plan
from polytrain.types import Batch, Example, TextBlock, TextPair, Vocab

log = logging.getLogger(__name__)

T = TypeVar("T")


def shuffle_buffer(items: Iterator[T], size: int, rng: np.random.Generator) -> Iterator[T]:
    """Reservoir-style shuffle: hold ``size`` items, emit a random one as each new item arrives.

    Args:
        items: the input stream (finite or not); a finite one is drained in random order.
        size: buffer size; ``<= 1`` passes items through unchanged.
        rng: the only randomness.
    """
    if size <= 1:
        yield from items
        return
    buffer: list[T] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        i = int(rng.integers(size))
        yield buffer[i]
        buffer[i] = item
    for i in rng.permutation(len(buffer)):
        yield buffer[int(i)]


def choose_objective(seed: int, index: int, weights: Sequence[float]) -> int:
    """Index of the objective of global batch ``index``: drawn with ``p ∝ weights``.

    Depends only on (seed, index), so every rank trains the same objective at the same step.
    """
    p = np.asarray(weights, dtype=np.float64)
    return int(make_rng(seed, "objective", index).choice(len(p), p=p / p.sum()))


def _worker() -> tuple[int, int]:
    info = torch.utils.data.get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


def encode_texts(tokenizer: Tokenizer, texts: list[str]) -> list[np.ndarray]:
    """(T_i,) int64 token ids of each text, without special tokens: how the stream tokenizes."""
    # encode_batch_fast (tokenizers >= 0.21) skips the character offsets nobody here uses.
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
    return [np.asarray(e.ids, dtype=np.int64) for e in encode(texts, add_special_tokens=False)]


Sample = TextBlock | TextPair
Split = Literal["train", "val"]


class PretrainStream(torch.utils.data.IterableDataset):
    """Batches of objective examples streamed from the shards of a manifest.

    Train (``split="train"``): infinite. Each (rank, DataLoader worker) slot resamples shards with
    replacement from its own generator ``make_rng(seed, "shards", objective, lang, rank, worker)``;
    this replaces splitting shards by node and worker (every slot sees the whole corpus, in a
    different random order), so no rank can run out of data. The objective of the worker's i-th
    batch is drawn with ``make_rng(seed, "objective", i * num_workers + worker)``: the DataLoader
    takes batches round-robin from its workers, so batch n of every rank has the same objective.
    Every training batch carries its worker's position in ``Batch.state``; a stream built with
    ``resume`` continues exactly after the recorded batches (``polytrain.stream.sources``,
    docs/resume.md).

    Validation (``split="val"``): finite and deterministic. Val shards are read in manifest order,
    shard j by rank ``j % world_size`` and, on that rank, by worker ``k % num_workers`` for its k-th
    shard; each shard is packed on its own and examples use ``make_rng(seed, "val", key)``, so the
    examples do not depend on the number of workers or ranks.

    Args:
        manifest: the shard manifest (loaded).
        tokenizer: path or URL of ``tokenizer.json`` (loaded in each worker).
        vocab: its ``Vocab``.
        objectives: the objectives, bound to the run (``polytrain.registry.bind_objectives``: their
            ``max_length`` sizes the blocks).
        batch_size: examples per batch (per device).
        seed: the run's seed.
        rank: this process's global rank.
        world_size: number of processes.
        shuffle_buffer: documents (pairs) held per language for shuffling (train only).
        sampling_alpha: language sampling exponent (see ``polytrain.shards.mixture``).
        size_unit: manifest count the language sizes are measured in (``chars`` or ``samples``).
        allow_pipe: accept ``pipe:`` shard URLs.
        max_member_bytes: tar members larger than this are skipped and counted.
        split: ``"train"`` or ``"val"``.
        resume: train only: where this rank's slots continue, as ``PretrainDataModule`` keeps it
            (``StreamStateTracker.rank_state``: ``slots``, ``next_slot``, ``base``, ``gen``);
            ``None`` starts at the seed-derived beginning.
    """

    def __init__(self, manifest: Manifest, tokenizer: str, vocab: Vocab, objectives: Sequence[Objective],
                 *, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle_buffer: int = 1000, sampling_alpha: float = 0.3, size_unit: str = "chars",
                 allow_pipe: bool = False, max_member_bytes: int = 16 * 2**20, split: Split = "train",
                 resume: dict[str, Any] | None = None) -> None:
        super().__init__()
        if not objectives:
            raise ValueError("PretrainStream needs at least one objective")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not all(obj.is_set_up for obj in objectives):
            raise ValueError("PretrainStream needs objectives bound to the run (polytrain.registry.bind_objectives)")
        self.manifest, self.tokenizer_path, self.vocab = manifest, tokenizer, vocab
        self.objectives = list(objectives)
        self.batch_size, self.seed = batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.shuffle_size, self.sampling_alpha, self.size_unit = shuffle_buffer, sampling_alpha, size_unit
        self.allow_pipe, self.max_member_bytes, self.split = allow_pipe, max_member_bytes, split
        self.resume = resume
        self.stats = StreamStats()
        self.drawn = DrawnCounts()
        """What this process's training streams drew per language or pair."""
        self._tokenizer: Tokenizer | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Worker processes started by pickling load their own tokenizer and count on their own."""
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        return state

    def __iter__(self) -> Iterator[Batch]:
        worker, num_workers = _worker()
        if self.split == "train":
            return self._train_batches(worker, num_workers)
        return self._val_batches(worker, num_workers)

    # ------------------------------------------------------------------ shared steps
    def tokenizer(self) -> Tokenizer:
        """The tokenizer, loaded on first use in each process (workers load their own)."""
        if self._tokenizer is None:
            if torch.utils.data.get_worker_info() is not None:
                # One document per call is too small for the tokenizer's thread pool: on a few cores
                # its threads only compete with the other workers (measured: benchmarks/data_pipeline.py).
                os.environ["TOKENIZERS_PARALLELISM"] = "false"
            tokenizer, digest = read_tokenizer_file(self.tokenizer_path)
            if self.vocab.sha256 and digest != self.vocab.sha256:
                raise RuntimeError(f"{self.tokenizer_path} changed since the run started "
                                   f"(sha256 {digest[:12]} != {self.vocab.sha256[:12]})")
            self._tokenizer = tokenizer
        return self._tokenizer

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        return encode_texts(self.tokenizer(), texts)

    def _pair(self, sample: ShardSample, shard: ShardInfo) -> TextPair | None:
        src, tgt = self._encode([sample.texts["src.txt"], sample.texts["tgt.txt"]])
        if not len(src) or not len(tgt):
            self.stats.add(EMPTY_TEXT, sample.url)
            return None
        return TextPair(key=sample.key, src_lang=str(shard.src_lang), tgt_lang=str(shard.tgt_lang),
                        src_ids=src, tgt_ids=tgt)

    def _pack(self, sample: ShardSample, lang: str, packer: Packer) -> list[TextBlock]:
        sentences = self._encode(sample.texts["txt"].split("\n"))
        if not any(len(s) for s in sentences):
            self.stats.add(EMPTY_TEXT, sample.url)
            return []
        return packer.add(sample.key, lang, sentences)

    def samples(self, doc: ShardSample, shard: ShardInfo, packer: Packer | None) -> list[Sample]:
        """The samples one decoded document of ``shard`` makes, tokenized.

        Args:
            doc: a document as ``read`` yields it.
            shard: the shard it came from (its language or pair labels the samples).
            packer: ``None`` for parallel data: the document is one ``TextPair``. For mono data,
                the packer of its language (``polytrain.stream.packing.packer_for``): the document's sentences are added
                and the blocks it completes are returned (often none; the rest waits in the packer).

        A document that tokenizes to nothing makes no sample and is counted in ``stats``
        (``empty_text``).
        """
        if packer is None:
            pair = self._pair(doc, shard)
            return [] if pair is None else [pair]
        return self._pack(doc, str(shard.lang), packer)

    def read(self, shard: ShardInfo) -> Iterator[ShardSample]:
        """The decoded documents of one shard in file order; bad members are skipped and counted in ``stats``."""
        url = self.manifest.shard_url(shard)
        return read_shard(url, shard.kind, self.stats, self.allow_pipe, self.max_member_bytes)

    def _batch(self, obj: Objective, examples: list[Example]) -> Batch:
        batch = collate(examples, obj.name, self.vocab.pad_id)
        batch.stats = self.stats.take()
        return batch

    # ------------------------------------------------------------------ train
    def _train_batches(self, worker: int, num_workers: int) -> Iterator[Batch]:
        plan = slot_plan(self.resume, worker, num_workers)
        # A restart for a new layout (docs/resume.md) draws new data, not the run's first batches again.
        extra: tuple[int | str, ...] = ("resume", plan.gen) if plan.gen else ()
        mixtures = [self._mixture(obj, plan.slot, extra) for obj in self.objectives]
        i = self._load_slot(mixtures, plan.state) if plan.state is not None else 0
        weights = [obj.weight for obj in self.objectives]
        while True:
            # The DataLoader takes batches round-robin from its workers: this is the global index.
            k = choose_objective(self.seed, plan.base + i * num_workers + plan.slot, weights)
            obj = self.objectives[k]
            examples = [obj.make_example(s, make_rng(self.seed, "example", self.rank, plan.slot, s.key, *extra))
                        for s in islice(mixtures[k], self.batch_size)]
            batch = self._batch(obj, examples)
            i += 1
            batch.state = self._slot_state(plan, num_workers, i, mixtures)
            yield batch

    def _mixture(self, obj: Objective, slot: int, extra: tuple[int | str, ...]) -> MixtureStream:
        """The objective's language mixture for ``slot``, every generator keyed by (seed, objective,
        rank, slot, ``extra``)."""
        probs = mixture_probs(self.manifest, obj.data_kind, self.size_unit, self.sampling_alpha)
        access = ShardAccess(read=self.read, samples=self.samples, url=self.manifest.shard_url)
        streams = {lang: LanguageStream(access, self.manifest.shards(obj.data_kind, "train", lang), packer_for(obj),
                                        self.shuffle_size, self.drawn, lang,
                                        make_rng(self.seed, "shards", obj.name, lang, self.rank, slot, *extra))
                   for lang in sorted(probs)}
        return MixtureStream(obj.name, streams, probs, self.drawn,
                             make_rng(self.seed, "mix", obj.name, self.rank, slot, *extra))

    def _slot_state(self, plan: SlotPlan, num_slots: int, batches: int, mixtures: list[MixtureStream]) -> dict[str, Any]:
        """The slot's position after its ``batches``-th batch (what ``Batch.state`` carries)."""
        return {"version": STATE_VERSION, "rank": self.rank, "slot": plan.slot, "num_slots": num_slots,
                "batches": batches, "base": plan.base, "gen": plan.gen,
                "objectives": {m.name: m.state() for m in mixtures}, **self.drawn.state(),
                "stats": dict(self.stats.totals)}

    def _load_slot(self, mixtures: list[MixtureStream], state: dict[str, Any]) -> int:
        """Move ``mixtures`` and the counters to a slot ``state``; return the slot's batch count."""
        with self.stats.paused():  # re-reading documents must not count their problems twice
            for mix in mixtures:
                if mix.name in state["objectives"]:
                    mix.load_state(state["objectives"][mix.name])
        self.drawn.load_state(state)
        self.stats.totals = Counter(state["stats"])
        return int(state["batches"])

    # ------------------------------------------------------------------ validation
    def _val_batches(self, worker: int, num_workers: int) -> Iterator[Batch]:
        """Each objective's validation batches, interleaved round-robin so that a
        ``limit_val_batches`` still validates every objective."""
        streams = [self._val_batches_of(obj, worker, num_workers) for obj in self.objectives]
        while streams:
            for stream in list(streams):
                batch = next(stream, None)
                if batch is None:
                    streams.remove(stream)
                else:
                    yield batch

    def _val_batches_of(self, obj: Objective, worker: int, num_workers: int) -> Iterator[Batch]:
        mine = self.manifest.shards(obj.data_kind, "val")[self.rank :: self.world_size]
        examples: list[Example] = []
        for shard in mine[worker::num_workers]:
            for sample in self._val_samples(obj, shard):
                examples.append(obj.make_example(sample, make_rng(self.seed, "val", sample.key)))
                if len(examples) == self.batch_size:
                    yield self._batch(obj, examples)
                    examples = []
        if examples:
            yield self._batch(obj, examples)

    def _val_samples(self, obj: Objective, shard: ShardInfo) -> Iterator[Sample]:
        """One val shard in file order, packed on its own (so workers do not change blocks)."""
        packer = packer_for(obj)
        for doc in self.read(shard):
            yield from self.samples(doc, shard, packer)
        if packer is not None:
            yield from packer.flush()

