"""The sources of a training slot: one resumable stream per language, mixed per objective.

``LanguageStream`` draws one language's (or pair's) shards with replacement, reads them through a
shuffle buffer and turns documents into samples; ``MixtureStream`` draws languages with
``q ∝ p^alpha`` and takes the next sample of the language drawn. Both reach the shards only through
a ``ShardAccess`` and count into a ``DrawnCounts`` they are given, and both report their position as
plain values (``state``/``load_state``) that ``PretrainStream`` puts into ``Batch.state``
(``polytrain.stream.state``, docs/resume.md).

A language stream's state holds the generator state, the shard being read and the index of the next
document in it, the shuffle buffer as references ``(shard, document index)`` (not text or tokens: the
documents are re-read from the shards on resume, in either encoding), and the packer's pending tokens
before the last document plus how many of that document's blocks were consumed. No text, no tokens
beyond one block per language, so it stays small and cheap to send with every batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from polytrain.errors import DataError
from polytrain.rng import uniform_index
from polytrain.shards.documents import Document
from polytrain.shards.manifest import ShardInfo
from polytrain.stream.packing import Packer, Snapshot
from polytrain.stream.state import DrawnCounts
from polytrain.types import TextBlock, TextPair

log = logging.getLogger(__name__)

MIX_CHUNK = 256
"""Languages are drawn this many at a time (one draw per sample is slow)."""

DocRef = tuple[int, int]
"""(index of the shard in its language's train shard list, ``Document.index`` in the shard)."""

Sample = TextBlock | TextPair


def _num_tokens(sample: Sample) -> int:
    if isinstance(sample, TextBlock):
        return len(sample.ids)
    return len(sample.src_ids) + len(sample.tgt_ids)


@dataclass(frozen=True)
class ShardAccess:
    """How a language stream reaches its documents (``PretrainStream`` provides it)."""

    read: Callable[[ShardInfo, int, set[int] | None], Iterator[Document]]
    """``read(shard, start, only)``: the tokenized documents of one shard in file order, from index
    ``start`` on, or only the indices ``only``; bad data is skipped and counted (``PretrainStream.read``)."""
    samples: Callable[[Document, ShardInfo, Packer | None], list[Sample]]
    """The samples one document of a shard makes: a ``TextPair``, or for mono data the blocks the
    document completes in the packer (``PretrainStream.samples``)."""
    url: Callable[[ShardInfo], str]
    """A shard's location, for messages."""


class LanguageStream:
    """Infinite tokenized stream of one objective's language (or pair), with a resumable position.

    Shards are drawn with replacement in proportion to their sample counts (so every document is
    equally likely), read (and tokenized) in order, passed through a shuffle buffer, then packed.
    One generator ``rng`` drives both the shard draws and the buffer, in the order they happen.

    Args:
        access: reads shards and makes samples.
        shards: the language's training shards.
        packer: the language's packer (mono data), ``None`` for parallel data.
        buffer_size: documents held for shuffling (``<= 1``: none).
        drawn: where documents read are counted.
        lang: language (mono) or ``src-tgt`` pair (parallel).
        rng: the only randomness.
    """

    def __init__(self, access: ShardAccess, shards: list[ShardInfo], packer: Packer | None, buffer_size: int,
                 drawn: DrawnCounts, lang: str, rng: np.random.Generator) -> None:
        self.access, self.drawn, self.lang, self.rng = access, drawn, lang, rng
        self.shards = shards
        counts = np.array([s.samples for s in self.shards], dtype=np.float64)
        self.p = counts / counts.sum() if counts.sum() > 0 else np.full(len(self.shards), 1 / len(self.shards))
        self.patience = max(10, 3 * len(self.shards))
        self.size = max(1, buffer_size)
        self.packer = packer
        self.shard, self.consumed, self.idle = -1, 0, 0
        self.reader: Iterator[Document] | None = None
        self.buffer: list[Document] = []
        # refs[i] is the DocRef of buffer[i]; int32 halves the state sent with every batch.
        self.refs = np.zeros((self.size, 2), dtype=np.int32)
        self.pending: list[Sample] = []  # samples made from the last document, ...
        self.taken = 0  # ... of which this many were handed out
        self.last: DocRef | None = None
        self.packer_before: Snapshot | None = None  # the packer before the last document
        self._state: dict[str, Any] | None = None  # state() until the position changes

    def __iter__(self) -> LanguageStream:
        return self

    def __next__(self) -> Sample:
        self._state = None
        while self.taken >= len(self.pending):
            doc, ref = self._next_doc()
            self.drawn.documents[self.lang] += 1
            self.packer_before = self.packer.snapshot() if self.packer is not None else None
            self.pending, self.taken, self.last = self._samples(doc), 0, ref
        self.taken += 1
        return self.pending[self.taken - 1]

    def _samples(self, doc: Document) -> list[Sample]:
        return self.access.samples(doc, self.shards[0], self.packer)

    def _next_doc(self) -> tuple[Document, DocRef]:
        """Reservoir-style shuffle (as ``stream.shuffle_buffer``): read one, emit a random held one."""
        while True:
            doc, ref = self._read_next()
            if self.size <= 1:
                return doc, ref
            if len(self.buffer) < self.size:
                self.refs[len(self.buffer), 0], self.refs[len(self.buffer), 1] = ref
                self.buffer.append(doc)
                continue
            i = uniform_index(self.rng, self.size)
            out = self.buffer[i], (int(self.refs[i, 0]), int(self.refs[i, 1]))
            self.buffer[i] = doc
            self.refs[i, 0], self.refs[i, 1] = ref  # two scalar writes: 4x faster than one row write
            return out

    def _read_next(self) -> tuple[Document, DocRef]:
        """The next document of the current shard; at its end, the next shard drawn with replacement.

        Stops with an error if many reads in a row give nothing (all shards of the language
        broken), instead of spinning forever.
        """
        while True:
            if self.reader is None:
                self.shard, self.consumed = int(self.rng.choice(len(self.shards), p=self.p)), 0
                self.reader = self.access.read(self.shards[self.shard], 0, None)
            doc = next(self.reader, None)
            if doc is not None:
                self.consumed = doc.index + 1
                return doc, (self.shard, doc.index)
            self.idle = 0 if self.consumed else self.idle + 1
            self.reader = None
            if self.idle >= self.patience:
                shard = self.shards[self.shard]
                raise DataError(f"{shard.kind} {shard.lang}: no usable sample in {self.idle} shard reads "
                                f"in a row (last: {self.access.url(shard)}); see the warnings above")

    # ------------------------------------------------------------------ state
    @property
    def started(self) -> bool:
        """Whether any shard was drawn (an unstarted stream's state is its seed-derived start)."""
        return self.shard >= 0

    def state(self) -> dict[str, Any]:
        """The position as plain values, without any text. Arrays travel as raw bytes: pickling
        a numpy array costs ~10x more than its bytes, and this is sent with every batch (the same
        dict again while the stream has not moved: languages not drawn in a batch cost nothing)."""
        if self._state is None:
            self._state = self._make_state()
        return self._state

    def _make_state(self) -> dict[str, Any]:
        packer = None
        if self.packer is not None and self.packer_before is not None:
            packer = self.packer.snapshot_state(self.packer_before)
            packer = {**packer, "ids": packer["ids"].tobytes(), "ends": packer["ends"].tobytes()}
        return {"rng": self.rng.bit_generator.state, "shard": self.shard, "consumed": self.consumed,
                "idle": self.idle, "buffer": self.refs[: len(self.buffer)].tobytes(),
                "last": None if self.last is None else list(self.last), "taken": self.taken, "packer": packer}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from ``state``: re-read the referenced documents and the current shard's position."""
        self._state = None
        self.rng.bit_generator.state = state["rng"]
        self.shard, self.consumed, self.idle = int(state["shard"]), int(state["consumed"]), int(state["idle"])
        refs = [(s, i) for s, i in np.frombuffer(state["buffer"], dtype=np.int32).reshape(-1, 2).tolist()]
        last = None if state["last"] is None else (int(state["last"][0]), int(state["last"][1]))
        docs = self._fetch(refs + ([last] if last is not None else []))
        kept = [r for r in refs if r in docs][: self.size]
        self.buffer = [docs[r] for r in kept]
        self.refs = np.zeros((self.size, 2), dtype=np.int32)
        if kept:
            self.refs[: len(kept)] = np.asarray(kept, dtype=np.int32)
        self.reader = None
        if self.shard >= 0:
            self.reader = self.access.read(self.shards[self.shard], self.consumed, None)
        packer = state["packer"]
        if packer is not None:
            packer = {**packer, "ids": np.frombuffer(packer["ids"], dtype=np.int64).copy(),
                      "ends": np.frombuffer(packer["ends"], dtype=np.int64).copy()}
        self.last, self.packer_before, self.pending, self.taken = last, None, [], 0
        if self.packer is not None and packer is not None:
            self.packer.load_state_dict(packer)
            self.packer_before = self.packer.snapshot()
        if last is not None and last in docs:  # pack it again; the first `taken` samples were used
            self.pending, self.taken = self._samples(docs[last]), int(state["taken"])

    def _fetch(self, refs: list[DocRef]) -> dict[DocRef, Document]:
        """Re-read the documents ``refs`` point to (each shard once, only up to the last one needed)."""
        wanted: dict[int, set[int]] = {}
        for shard, index in refs:
            wanted.setdefault(shard, set()).add(index)
        found: dict[DocRef, Document] = {}
        for shard, indices in sorted(wanted.items()):
            if 0 <= shard < len(self.shards):
                for doc in self.access.read(self.shards[shard], 0, indices):
                    found[(shard, doc.index)] = doc
        if len(found) < len(set(refs)):
            log.warning("resume: %d of the %d documents held for shuffling %s could not be re-read (shards "
                        "changed since the checkpoint?); the buffer refills with new ones",
                        len(set(refs)) - len(found), len(set(refs)), self.lang)
        return found


class MixtureStream:
    """Infinite stream of one objective's samples, languages drawn with ``q ∝ p^alpha``.

    Args:
        name: the objective's name (its entry in a slot state).
        streams: one stream per language (or pair) with training data.
        probs: sampling probability of each language of ``streams``.
        drawn: where samples and tokens drawn are counted.
        rng: the only randomness of the language draws.
    """

    def __init__(self, name: str, streams: dict[str, LanguageStream], probs: dict[str, float], drawn: DrawnCounts,
                 rng: np.random.Generator) -> None:
        self.name, self.streams, self.drawn, self.rng = name, streams, drawn, rng
        self.langs = sorted(probs)
        self.p = np.array([probs[lang] for lang in self.langs], dtype=np.float64)
        self.p /= self.p.sum()
        self.chunk: list[int] = []  # a list: indexing a numpy array per sample costs more
        self.pos = 0
        self.rng_before_chunk: dict[str, Any] | None = None

    def __iter__(self) -> MixtureStream:
        return self

    def __next__(self) -> Sample:
        if self.pos >= len(self.chunk):
            self.rng_before_chunk = dict(self.rng.bit_generator.state)
            self.chunk, self.pos = self.rng.choice(len(self.langs), size=MIX_CHUNK, p=self.p).tolist(), 0
        lang = self.langs[self.chunk[self.pos]]
        self.pos += 1
        sample = next(self.streams[lang])
        self.drawn.samples[lang] += 1
        self.drawn.tokens[lang] += _num_tokens(sample)
        return sample

    def state(self) -> dict[str, Any]:
        """The generator before the current chunk, the position in it, and every started language."""
        chunk = self.rng_before_chunk is not None
        return {"rng": self.rng_before_chunk if chunk else self.rng.bit_generator.state, "chunk": chunk,
                "pos": self.pos, "streams": {lang: s.state() for lang, s in self.streams.items() if s.started}}

    def load_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        if state["chunk"]:  # draw the same chunk again
            self.rng_before_chunk = state["rng"]
            self.chunk = self.rng.choice(len(self.langs), size=MIX_CHUNK, p=self.p).tolist()
        self.pos = int(state["pos"])
        for lang, stream_state in state["streams"].items():
            if lang not in self.streams:
                log.warning("resume: objective %s has no training data for %s any more; its position is dropped",
                            self.name, lang)
                continue
            self.streams[lang].load_state(stream_state)
