"""Stream WebDataset tar shards into objective batches (the full story is in docs/streaming.md).

Stages, all inside DataLoader workers::

    shard URL -> open_shard -> read_shard (allow-list decoder, counters)
      -> per-language stream (train: shards resampled with replacement + shuffle buffer)
      -> tokenize (HF tokenizers) -> Packer (mono) or TextPair (parallel)
      -> language mixture q = sampling_probs(sizes, alpha)
      -> Objective.make_example -> collate -> Batch (one objective per batch)

Nothing read from a shard is ever unpickled: only ``.txt``/``.src.txt``/``.tgt.txt`` (strict
UTF-8) and ``.json`` members are decoded; webdataset's default decoders are never used.
"""

from __future__ import annotations

import json
import logging
import os
import tarfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO, Literal, TypeVar

import fsspec
import numpy as np
import torch
from tokenizers import Tokenizer
from webdataset.tariterators import base_plus_ext

from polytrain.data.converters import collate
from polytrain.data.manifest import Manifest, ShardInfo
from polytrain.data.mixture import sampling_probs
from polytrain.data.packing import Packer
from polytrain.data.rng import make_rng
from polytrain.data.vocab import read_tokenizer_file
from polytrain.objectives.base import Objective
from polytrain.types import Batch, Example, TextBlock, TextPair, Vocab

log = logging.getLogger(__name__)

TEXT_SUFFIXES: dict[str, tuple[str, ...]] = {"mono": ("txt",), "parallel": ("src.txt", "tgt.txt")}
"""The text members a sample of each kind must have."""
ALLOWED_SUFFIXES = frozenset({"txt", "src.txt", "tgt.txt", "json"})
"""The only member suffixes that are decoded; every other member is refused unread."""

# Counter names (``Batch.stats`` keys; ``"<name>:<shard url>"`` keys give the per-shard detail).
REFUSED_MEMBER = "refused_member"  # suffix not in ALLOWED_SUFFIXES (.pyd, .pth, .pyd.gz, ...)
OVERSIZED_MEMBER = "oversized_member"  # larger than max_member_bytes; skipped unread
INVALID_UTF8 = "invalid_utf8"  # text member is not strict UTF-8; sample dropped
INVALID_JSON = "invalid_json"  # .json member is not a JSON object; sample dropped
DUPLICATE_MEMBER = "duplicate_member"  # same key and suffix twice in a row; the later one dropped
NONCONTIGUOUS_KEY = "noncontiguous_key"  # a key reappears after another key; fragment dropped
MISSING_TEXT = "missing_text"  # sample lacks its text member(s)
EMPTY_TEXT = "empty_text"  # text that tokenizes to nothing
CORRUPT_SHARD = "corrupt_shard"  # truncated or invalid tar: the rest of the shard is skipped
EMPTY_SHARD = "empty_shard"  # a shard that gave no usable sample (incl. a zero-byte file)

_TAR_BLOCK = 512


def open_shard(url: str, allow_pipe: bool) -> BinaryIO:
    """Open a shard for streaming: a local path, or an fsspec URL (``file://``, ``http(s)://``,
    ``s3://`` with s3fs installed, ...).

    Args:
        url: where the shard is.
        allow_pipe: accept ``pipe:CMD`` URLs (opened by webdataset's ``gopen``, which runs CMD in
            a shell). Off by default: a config or manifest must not be able to run commands.

    Raises:
        ValueError: a ``pipe:`` URL without ``allow_pipe``.
    """
    if url.startswith("pipe:"):
        _check_pipe(url, allow_pipe)
        from webdataset.gopen import gopen  # only trusted pipe: URLs go through webdataset's opener

        return gopen(url, "rb")
    if "://" in url:
        return fsspec.open(url, "rb").open()
    return open(url, "rb")


def _check_pipe(url: str, allow_pipe: bool) -> None:
    if url.startswith("pipe:") and not allow_pipe:
        raise ValueError(f"{url}: pipe: URLs run a shell command; set data.allow_pipe=true to "
                         "allow them (only with configs you trust)")


class StreamStats:
    """Counters of skipped data, kept in totals and as increments since the last :meth:`take`."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()

    def add(self, name: str, url: str | None = None, n: int = 1) -> None:
        """Count ``n`` events ``name``, and ``"name:url"`` too when the shard is known."""
        for key in (name, f"{name}:{url}") if url else (name,):
            self.totals[key] += n
            self._pending[key] += n

    def take(self) -> dict[str, int]:
        """The increments since the previous call (what travels in ``Batch.stats``)."""
        out = dict(self._pending)
        self._pending.clear()
        return out

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Count nothing inside the block (documents re-read to resume were counted already)."""
        totals, pending = self.totals.copy(), self._pending.copy()
        try:
            yield
        finally:
            self.totals, self._pending = totals, pending


@dataclass
class ShardSample:
    """One decoded WebDataset sample: its text members and its JSON metadata."""

    key: str
    url: str
    texts: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] | None = None
    bad: bool = False
    """A member failed to decode (already counted); the sample must be dropped."""


class _CountingReader:
    """A read-only file wrapper that counts bytes, to spot a tar cut at a header boundary."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def has_bytes(self, total: int) -> bool:
        """Whether the file holds at least ``total`` bytes (reads ahead as needed)."""
        while self.count < total:
            if not self.read(total - self.count):
                return False
        return True


def read_shard(url: str, kind: str, stats: StreamStats, allow_pipe: bool = False,
               max_member_bytes: int = 16 * 2**20) -> Iterator[ShardSample]:
    """Yield the usable samples of one shard; never raises for bad data, counts it instead.

    A truncated or corrupt tar ends the shard (``corrupt_shard``, one warning line naming the
    URL and the error); samples read before the damage are still yielded.

    Args:
        url: the shard (see :func:`open_shard`).
        kind: ``"mono"`` or ``"parallel"``: which text members a sample needs.
        stats: where the counters go.
        allow_pipe: see :func:`open_shard` (a refused ``pipe:`` URL raises, it is a config error).
        max_member_bytes: members larger than this are skipped without being read into memory.
    """
    _check_pipe(url, allow_pipe)  # a config error, not bad data: raise
    issues: Counter[str] = Counter()
    shard_stats = _ShardCounter(stats, issues, url)
    yielded = 0
    try:
        with open_shard(url, allow_pipe) as raw:
            reader = _CountingReader(raw)
            for sample in _samples(reader, url, shard_stats, max_member_bytes):
                if sample.bad:
                    continue
                if any(s not in sample.texts for s in TEXT_SUFFIXES[kind]):
                    shard_stats.add(MISSING_TEXT)
                    continue
                yielded += 1
                yield sample
    except Exception as err:  # noqa: BLE001  # any failure inside one shard must not end the run
        _corrupt(url, err, shard_stats)
    if not yielded and not issues[CORRUPT_SHARD] and not issues[EMPTY_SHARD]:
        shard_stats.add(EMPTY_SHARD)
    _warn_issues(url, issues)


class _ShardCounter:
    """Counts into the stream's ``StreamStats`` and into this shard read's own tally."""

    def __init__(self, stats: StreamStats, issues: Counter[str], url: str) -> None:
        self.stats, self.issues, self.url = stats, issues, url

    def add(self, name: str) -> None:
        self.stats.add(name, self.url)
        self.issues[name] += 1


def _corrupt(url: str, err: Exception, counter: _ShardCounter) -> None:
    if isinstance(err, tarfile.ReadError) and str(err) == "empty file":
        counter.add(EMPTY_SHARD)  # a zero-byte file
        return
    counter.add(CORRUPT_SHARD)
    log.warning("corrupt or unreadable shard %s: %s: %s; skipped the rest of it",
                url, type(err).__name__, " ".join(str(err).split()))


def _warn_issues(url: str, issues: Counter[str]) -> None:
    details = {k: v for k, v in issues.items() if k != CORRUPT_SHARD}
    if details:
        summary = ", ".join(f"{n} {name}" for name, n in sorted(details.items()))
        log.warning("shard %s: %s (skipped and counted)", url, summary)


_BAD = object()
"""Marks a member that failed to decode (its sample is dropped)."""


def _samples(reader: _CountingReader, url: str, counter: _ShardCounter,
             max_member_bytes: int) -> Iterator[ShardSample]:
    """Group consecutive allow-listed members sharing a key into samples (WebDataset's rule).

    Strict where a streaming group-by is lax: a key that comes back after another key would
    become a second, partial sample; it is counted and dropped instead. Members that are not
    allow-listed are refused unread (tarfile skips their bytes).
    """
    tar = tarfile.open(fileobj=reader, mode="r|")  # type: ignore[call-overload]  # noqa: SIM115  # plain tar, streamed
    current: ShardSample | None = None
    done: set[str] = set()
    for info in tar:
        tar.members = []  # streaming: do not keep every TarInfo of the shard
        key, suffix = base_plus_ext(info.name)
        suffix = suffix.lower() if suffix else suffix
        if not info.isreg() or key is None or suffix not in ALLOWED_SUFFIXES:
            counter.add(REFUSED_MEMBER)
            continue
        if current is None or key != current.key:
            if current is not None:  # a new key's header proves the previous sample is complete
                done.add(current.key)
                yield current
            current = ShardSample(key=key, url=url, bad=key in done)
            if current.bad:
                counter.add(NONCONTIGUOUS_KEY)
        if suffix in current.texts or (suffix == "json" and current.meta is not None):
            counter.add(DUPLICATE_MEMBER)
        elif info.size > max_member_bytes:
            counter.add(OVERSIZED_MEMBER)
            current.bad = True
        else:
            member = tar.extractfile(info)
            assert member is not None  # a regular file
            _store(current, suffix, _decode(suffix, member.read(), counter))
    # tarfile takes a stream that stops at a member boundary for a complete archive; a real one
    # ends with a zero block. Without it the last sample may be incomplete: the shard is corrupt.
    if not reader.has_bytes(tar.offset + _TAR_BLOCK):
        raise tarfile.ReadError(f"truncated: no end-of-archive block at offset {tar.offset}")
    if current is not None:
        yield current


def _store(sample: ShardSample, suffix: str, value: Any) -> None:
    if value is _BAD:
        sample.bad = True
    elif suffix == "json":
        sample.meta = value
    else:
        sample.texts[suffix] = value


def _decode(suffix: str, data: bytes, counter: _ShardCounter) -> Any:
    """Strict UTF-8 for text, ``json.loads`` (an object) for ``.json``; ``_BAD`` if invalid."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        counter.add(INVALID_UTF8 if suffix != "json" else INVALID_JSON)
        return _BAD
    if suffix != "json":
        return text
    try:
        meta = json.loads(text)
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        counter.add(INVALID_JSON)
        return _BAD
    return meta


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


def mixture_probs(manifest: Manifest, kind: str, unit: str, alpha: float) -> dict[str, float]:
    """Sampling probability of each language (or pair) of ``kind`` with training data.

    Sizes are the manifest's train-split sums in ``unit``; languages whose size is 0 are left out
    (``sampling_probs`` cannot sample them).

    Raises:
        ValueError: no language of ``kind`` has training data.
    """
    sizes = {k: float(v) for k, v in manifest.sizes(kind, "train", unit).items() if v > 0}
    if not sizes:
        raise ValueError(f"{manifest.location}: no {kind} training data (no train shard with {unit} > 0)")
    return sampling_probs(sizes, alpha)


def choose_objective(seed: int, index: int, weights: Sequence[float]) -> int:
    """Index of the objective of global batch ``index``: drawn with ``p ∝ weights``.

    Depends only on (seed, index), so every rank trains the same objective at the same step.
    """
    p = np.asarray(weights, dtype=np.float64)
    return int(make_rng(seed, "objective", index).choice(len(p), p=p / p.sum()))


def _worker() -> tuple[int, int]:
    info = torch.utils.data.get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


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
    ``resume`` continues exactly after the recorded batches (``polytrain.data.resume``,
    docs/resume.md).

    Validation (``split="val"``): finite and deterministic. Val shards are read in manifest order,
    shard j by rank ``j % world_size`` and, on that rank, by worker ``k % num_workers`` for its k-th
    shard; each shard is packed on its own and examples use ``make_rng(seed, "val", key)``, so the
    examples do not depend on the number of workers or ranks.

    Args:
        manifest: the shard manifest (loaded).
        tokenizer: path or URL of ``tokenizer.json`` (loaded in each worker).
        vocab: its ``Vocab``.
        objectives: the objectives, already ``setup(vocab, max_length)``.
        batch_size: examples per batch (per device).
        max_length: model input length including the objective's special tokens.
        seed: the run's seed.
        rank: this process's global rank.
        world_size: number of processes.
        shuffle_buffer: documents (pairs) held per language for shuffling (train only).
        sampling_alpha: language sampling exponent (see ``polytrain.data.mixture``).
        size_unit: manifest count the language sizes are measured in (``chars`` or ``samples``).
        allow_pipe: accept ``pipe:`` shard URLs.
        max_member_bytes: tar members larger than this are skipped and counted.
        split: ``"train"`` or ``"val"``.
        resume: train only: where this rank's slots continue, as ``PretrainDataModule`` keeps it
            (``StreamStateTracker.rank_state``: ``slots``, ``next_slot``, ``base``, ``gen``);
            ``None`` starts at the seed-derived beginning.
    """

    def __init__(self, manifest: Manifest, tokenizer: str, vocab: Vocab, objectives: Sequence[Objective],
                 *, batch_size: int, max_length: int, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle_buffer: int = 1000, sampling_alpha: float = 0.3, size_unit: str = "chars",
                 allow_pipe: bool = False, max_member_bytes: int = 16 * 2**20, split: Split = "train",
                 resume: dict[str, Any] | None = None) -> None:
        super().__init__()
        if not objectives:
            raise ValueError("PretrainStream needs at least one objective")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        for obj in objectives:
            if obj.data_kind == "mono" and max_length - obj.added_tokens < 1:
                raise ValueError(f"max_length {max_length} leaves no room for text after the "
                                 f"{obj.added_tokens} special tokens of objective {obj.name!r}")
        self.manifest, self.tokenizer_path, self.vocab = manifest, tokenizer, vocab
        self.objectives = list(objectives)
        self.batch_size, self.max_length, self.seed = batch_size, max_length, seed
        self.rank, self.world_size = rank, world_size
        self.shuffle_size, self.sampling_alpha, self.size_unit = shuffle_buffer, sampling_alpha, size_unit
        self.allow_pipe, self.max_member_bytes, self.split = allow_pipe, max_member_bytes, split
        self.resume = resume
        self.stats = StreamStats()
        self.drawn_samples: Counter[str] = Counter()
        """Samples (blocks or pairs) drawn per language or pair, in this process."""
        self.drawn_tokens: Counter[str] = Counter()
        """Tokens drawn per language or pair, in this process."""
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
        tokenizer = self.tokenizer()
        # encode_batch_fast (tokenizers >= 0.21) skips the character offsets nobody here uses.
        encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
        encodings = encode(texts, add_special_tokens=False)
        return [np.asarray(e.ids, dtype=np.int64) for e in encodings]

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

    def _samples_of(self, obj: Objective, shard: ShardInfo, docs: Iterator[ShardSample],
                    packer: Packer | None) -> Iterator[Sample]:
        """Tokenize (and for mono, pack) a stream of decoded samples of one language or pair."""
        for doc in docs:
            if packer is None:
                pair = self._pair(doc, shard)
                if pair is not None:
                    yield pair
            else:
                yield from self._pack(doc, shard.lang, packer)

    def _packer(self, obj: Objective) -> Packer | None:
        if obj.data_kind != "mono":
            return None
        return Packer(self.max_length - obj.added_tokens, self.vocab.eos_id)

    def _read(self, shard: ShardInfo) -> Iterator[ShardSample]:
        url = self.manifest.shard_url(shard)
        return read_shard(url, shard.kind, self.stats, self.allow_pipe, self.max_member_bytes)

    def _batch(self, obj: Objective, examples: list[Example]) -> Batch:
        batch = collate(examples, obj.name, self.vocab.pad_id)
        batch.stats = self.stats.take()
        return batch

    # ------------------------------------------------------------------ train
    def _train_batches(self, worker: int, num_workers: int) -> Iterator[Batch]:
        # Imported here: resume.py also holds a Lightning callback, and tools that only read
        # shards (polytrain inspect) should not pay for importing Lightning.
        from polytrain.data.resume import MixtureStream, load_slot, slot_plan, slot_state

        plan = slot_plan(self.resume, worker, num_workers)
        # A restart for a new layout (docs/resume.md) draws new data, not the run's first batches again.
        extra: tuple[int | str, ...] = ("resume", plan.gen) if plan.gen else ()
        keys = (self.rank, plan.slot, *extra)
        mixtures = [MixtureStream(self, obj, mixture_probs(self.manifest, obj.data_kind, self.size_unit,
                                                           self.sampling_alpha), keys) for obj in self.objectives]
        i = load_slot(self, mixtures, plan.state) if plan.state is not None else 0
        weights = [obj.weight for obj in self.objectives]
        while True:
            # The DataLoader takes batches round-robin from its workers: this is the global index.
            k = choose_objective(self.seed, plan.base + i * num_workers + plan.slot, weights)
            obj = self.objectives[k]
            examples = [obj.make_example(s, make_rng(self.seed, "example", self.rank, plan.slot, s.key, *extra))
                        for s in islice(mixtures[k], self.batch_size)]
            batch = self._batch(obj, examples)
            i += 1
            batch.state = slot_state(self, plan, num_workers, i, mixtures)
            yield batch

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
        packer = self._packer(obj)
        yield from self._samples_of(obj, shard, self._read(shard), packer)
        if packer is not None:
            yield from packer.flush()

