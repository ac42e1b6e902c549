"""Stream WebDataset tar shards into objective batches (the full story is in docs/streaming.md).

Stages, all inside DataLoader workers::

    shard URL -> open_shard -> read_documents (polytrain.shards.reader: allow-list decoder, counters)
      -> text documents: tokenize (polytrain.shards.tokenize.TextEncoder, HF tokenizers)
         token documents (polytrain data tokenize): already ids
      -> per-language stream (train: shards resampled with replacement + shuffle buffer)
      -> Packer (mono) or TextPair (parallel)
      -> language mixture q = sampling_probs(sizes, alpha)
      -> Objective.make_examples (one generator per batch) -> collate -> Batch (one objective per batch)

Both encodings become the same tokenized documents before the shuffle buffer, so everything after
it (packing, mixture, objectives, resume) is one code path. Nothing read from a shard is ever
unpickled: only text (strict UTF-8), ``.json`` and raw little-endian token arrays are decoded;
webdataset's default decoders are never used.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from typing import Any, TypeVar

import numpy as np
import torch
from tokenizers import Tokenizer

from polytrain.objectives.base import Objective
from polytrain.rng import make_rng, uniform_index
from polytrain.shards.manifest import Manifest, ShardInfo, Split
from polytrain.shards.mixture import mixture_probs
from polytrain.shards.documents import Document
from polytrain.shards.reader import StreamStats
from polytrain.shards.tokenize import TextEncoder, tokenized_documents
from polytrain.shards.vocab import read_tokenizer_file
from polytrain.stream.collate import collate
from polytrain.stream.packing import Packer, packer_for
from polytrain.stream.sources import LanguageStream, MixtureStream, ShardAccess
from polytrain.stream.state import STATE_VERSION, DrawnCounts, SlotPlan, slot_plan
from polytrain.stream.validation import by_group, round_robin, slot_units, val_units
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
        i = uniform_index(rng, size)
        yield buffer[i]
        buffer[i] = item
    for i in rng.permutation(len(buffer)):
        yield buffer[int(i)]


def choose_objective(seed: int, index: int, weights: Sequence[float]) -> int:
    """Index of the objective of global batch ``index``: drawn with ``p ∝ weights``.

    Depends only on (seed, index), so every rank trains the same objective at the same step.
    """
    if len(weights) == 1:
        return 0  # what the draw below gives, without its generator
    p = np.asarray(weights, dtype=np.float64)
    return int(make_rng(seed, "objective", index).choice(len(p), p=p / p.sum()))


def _worker() -> tuple[int, int]:
    info = torch.utils.data.get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


def encode_texts(tokenizer: Tokenizer, texts: list[str]) -> list[np.ndarray]:
    """(T_i,) int64 token ids of each text, without special tokens: how the stream tokenizes
    (``TextEncoder`` with its default line cap; what is cut is not counted here)."""
    (doc,) = TextEncoder(tokenizer).encode([Document(key="", index=0, sentences=list(texts))], lambda name, n: None)
    return [ids.astype(np.int64) for ids in doc.split_ids()]


Sample = TextBlock | TextPair


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

    Validation (``split="val"``): finite and deterministic. Each (objective, val shard) is packed
    and batched on its own, examples use ``make_rng(seed, "val", key)``, and shards are dealt to
    ranks and workers so that the loader's first batches cover every (objective, language) group
    (``polytrain.stream.validation``): the batches do not depend on the number of workers or
    ranks, only their order does.

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
        max_line_chars: text shards: longer sentences are cut to this length before they are
            tokenized, and counted (``cut_line``, ``cut_chars``).
        split: ``"train"`` or ``"val"``.
        resume: train only: where this rank's slots continue, as ``PretrainDataModule`` keeps it
            (``StreamStateTracker.rank_state``: ``slots``, ``next_slot``, ``base``, ``gen``);
            ``None`` starts at the seed-derived beginning.
    """

    def __init__(self, manifest: Manifest, tokenizer: str, vocab: Vocab, objectives: Sequence[Objective],
                 *, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle_buffer: int = 1000, sampling_alpha: float = 0.3, size_unit: str = "chars",
                 allow_pipe: bool = False, max_member_bytes: int = 16 * 2**20, max_line_chars: int = 20_000,
                 split: Split = "train", resume: dict[str, Any] | None = None) -> None:
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
        self.max_line_chars, self.resume = max_line_chars, resume
        self.stats = StreamStats()
        self.drawn = DrawnCounts()
        """What this process's training streams drew per language or pair."""
        self._tokenizer: Tokenizer | None = None
        self._encoder: TextEncoder | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Worker processes started by pickling load their own tokenizer and count on their own."""
        state = self.__dict__.copy()
        state["_tokenizer"] = state["_encoder"] = None
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
                # Each worker is one core's worth of work: the tokenizer's own thread pool would only
                # compete with the other workers (measured: benchmarks/data_pipeline.py).
                os.environ["TOKENIZERS_PARALLELISM"] = "false"
            tokenizer, digest = read_tokenizer_file(self.tokenizer_path)
            if self.vocab.sha256 and digest != self.vocab.sha256:
                raise RuntimeError(f"{self.tokenizer_path} changed since the run started "
                                   f"(sha256 {digest[:12]} != {self.vocab.sha256[:12]})")
            self._tokenizer = tokenizer
        return self._tokenizer

    def read(self, shard: ShardInfo, start: int = 0, only: set[int] | None = None) -> Iterator[Document]:
        """The tokenized documents of one shard in file order, from either encoding
        (``polytrain.shards.tokenize.tokenized_documents``: bad data skipped and counted in ``stats``).

        Args:
            shard: the shard.
            start: skip the documents before this index (``Document.index``) without tokenizing them.
            only: just these indices (and stop after the last one).
        """
        if self._encoder is None and self.manifest.encoding == "text":
            self._encoder = TextEncoder(self.tokenizer(), self.max_line_chars)
        return tokenized_documents(self.manifest, shard, self.stats, self._encoder, vocab_size=self.vocab.size,
                                   allow_pipe=self.allow_pipe, max_member_bytes=self.max_member_bytes,
                                   start=start, only=only)

    def samples(self, doc: Document, shard: ShardInfo, packer: Packer | None) -> list[Sample]:
        """The samples one tokenized document of ``shard`` makes (``read`` yields them).

        Args:
            doc: the document.
            shard: the shard it came from (its language or pair labels the samples).
            packer: ``None`` for parallel data: the document is one ``TextPair``. For mono data,
                the packer of its language (``polytrain.stream.packing.packer_for``): the document's
                sentences are added and the blocks it completes are returned (often none; the rest
                waits in the packer).
        """
        assert doc.ids is not None and doc.ends is not None
        if packer is None:
            cut = int(doc.ends[0])
            return [TextPair(key=doc.key, src_lang=str(shard.src_lang), tgt_lang=str(shard.tgt_lang),
                             src_ids=doc.ids[:cut].astype(np.int64), tgt_ids=doc.ids[cut:].astype(np.int64))]
        return packer.add_document(doc.key, str(shard.lang), doc.ids, doc.ends)

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
            samples = list(islice(mixtures[k], self.batch_size))
            # One generator per batch, keyed by the slot's batch count (in the resume state).
            rng = make_rng(self.seed, "example", self.rank, plan.slot, i, *extra)
            batch = self._batch(obj, obj.make_examples(samples, rng))
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
        """This slot's validation batches: its groups take turns (``polytrain.stream.validation``), so
        that the first batches of the loader cover every (objective, language) they can."""
        units = slot_units(val_units(self.manifest, self.objectives), self.rank, self.world_size, worker, num_workers)
        streams = [chain.from_iterable(self._val_unit(k, shard) for k, shard in group) for group in by_group(units)]
        return round_robin(streams)

    def _val_unit(self, k: int, shard: ShardInfo) -> Iterator[Batch]:
        """The batches of one val shard of objective ``k``, packed and batched on their own."""
        obj = self.objectives[k]
        packer = packer_for(obj)
        samples = chain.from_iterable(self.samples(doc, shard, packer) for doc in self.read(shard))
        if packer is not None:
            samples = chain(samples, _flushed(packer))
        while chunk := list(islice(samples, self.batch_size)):
            yield self._batch(obj, [obj.make_example(s, make_rng(self.seed, "val", s.key)) for s in chunk])


def _flushed(packer: Packer) -> Iterator[TextBlock]:
    """The packer's last, shorter block, when the documents before it have been packed."""
    yield from packer.flush()
