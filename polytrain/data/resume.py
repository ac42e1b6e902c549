"""Resumable training streams: every DataLoader worker's position as a few plain values.

A training stream is run by one *slot* per (rank, DataLoader worker). A slot's position after each
batch (its ``state``) rides along in ``Batch.state``; the data module keeps the state of the latest
batch the training loop actually consumed from each slot and saves it in checkpoints. On resume,
every slot starts from its saved state and yields exactly the batches the interrupted run would
have yielded next. The full story, and what is not preserved, is in docs/resume.md.

A slot's state holds, per objective and language: the generator state, the shard being read and
how many samples were already taken from it, the shuffle buffer as references ``(shard, sample)``
(not text: the documents are re-read from the shards on resume), and the packer's pending tokens
before the last document plus how many of that document's blocks were consumed. No text, no
tokens beyond one block per language, so it stays small and cheap to send with every batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from lightning.pytorch import Callback

from polytrain.data.packing import packer_for
from polytrain.data.rng import make_rng
from polytrain.errors import DataError
from polytrain.objectives.base import Objective
from polytrain.types import TextBlock, TextPair

if TYPE_CHECKING:
    from polytrain.data.shard_reader import ShardSample
    from polytrain.data.stream import PretrainStream

log = logging.getLogger(__name__)

STATE_VERSION = 1
"""Version of the slot state layout; a checkpoint with another version restarts the streams."""

MIX_CHUNK = 256
"""Languages are drawn this many at a time (one draw per sample is slow)."""
DRAWN = ("samples", "tokens", "documents")
"""What the streams count per language (``PretrainStream.drawn_<what>``)."""

DocRef = tuple[int, int]
"""(index of the shard in its language's train shard list, index of the sample in the shard)."""

Sample = TextBlock | TextPair


def _num_tokens(sample: Sample) -> int:
    if isinstance(sample, TextBlock):
        return len(sample.ids)
    return len(sample.src_ids) + len(sample.tgt_ids)


class LanguageStream:
    """Infinite tokenized stream of one objective's language (or pair), with a resumable position.

    Shards are drawn with replacement in proportion to their sample counts (so every document is
    equally likely), read in order, passed through a shuffle buffer, then tokenized and packed.
    One generator ``rng`` drives both the shard draws and the buffer, in the order they happen.

    Args:
        owner: the stream that reads shards, tokenizes and counts.
        obj: the objective (its data kind picks the shards; mono data is packed).
        lang: language (mono) or ``src-tgt`` pair (parallel).
        rng: the only randomness.
    """

    def __init__(self, owner: PretrainStream, obj: Objective, lang: str, rng: np.random.Generator) -> None:
        self.owner, self.lang, self.rng = owner, lang, rng
        self.shards = owner.manifest.shards(obj.data_kind, "train", lang)
        counts = np.array([s.samples for s in self.shards], dtype=np.float64)
        self.p = counts / counts.sum() if counts.sum() > 0 else np.full(len(self.shards), 1 / len(self.shards))
        self.patience = max(10, 3 * len(self.shards))
        self.size = max(1, owner.shuffle_size)
        self.packer = packer_for(obj)
        self.shard, self.consumed, self.idle = -1, 0, 0
        self.reader: Iterator[ShardSample] | None = None
        self.buffer: list[ShardSample] = []
        # refs[i] is the DocRef of buffer[i]; int32 halves the state sent with every batch.
        self.refs = np.zeros((self.size, 2), dtype=np.int32)
        self.pending: list[Sample] = []  # samples made from the last document, ...
        self.taken = 0  # ... of which this many were handed out
        self.last: DocRef | None = None
        self.packer_before: dict[str, Any] | None = None  # the packer before the last document

    def __iter__(self) -> LanguageStream:
        return self

    def __next__(self) -> Sample:
        while self.taken >= len(self.pending):
            doc, ref = self._next_doc()
            self.owner.drawn_documents[self.lang] += 1
            self.packer_before = self.packer.state_dict() if self.packer is not None else None
            self.pending, self.taken, self.last = self._samples(doc), 0, ref
        self.taken += 1
        return self.pending[self.taken - 1]

    def _samples(self, doc: ShardSample) -> list[Sample]:
        return self.owner.samples(doc, self.shards[0], self.packer)

    def _next_doc(self) -> tuple[ShardSample, DocRef]:
        """Reservoir-style shuffle (as ``stream.shuffle_buffer``): read one, emit a random held one."""
        while True:
            doc, ref = self._read_next()
            if self.size <= 1:
                return doc, ref
            if len(self.buffer) < self.size:
                self.refs[len(self.buffer)] = ref
                self.buffer.append(doc)
                continue
            i = int(self.rng.integers(self.size))
            out = self.buffer[i], (int(self.refs[i, 0]), int(self.refs[i, 1]))
            self.buffer[i], self.refs[i] = doc, ref
            return out

    def _read_next(self) -> tuple[ShardSample, DocRef]:
        """The next sample of the current shard; at its end, the next shard drawn with replacement.

        Stops with an error if many reads in a row give nothing (all shards of the language
        broken), instead of spinning forever.
        """
        while True:
            if self.reader is None:
                self.shard, self.consumed = int(self.rng.choice(len(self.shards), p=self.p)), 0
                self.reader = self.owner.read(self.shards[self.shard])
            sample = next(self.reader, None)
            if sample is not None:
                self.consumed += 1
                return sample, (self.shard, self.consumed - 1)
            self.idle = 0 if self.consumed else self.idle + 1
            self.reader = None
            if self.idle >= self.patience:
                shard = self.shards[self.shard]
                raise DataError(f"{shard.kind} {shard.lang}: no usable sample in {self.idle} shard reads "
                                f"in a row (last: {self.owner.manifest.shard_url(shard)}); see the warnings above")

    # ------------------------------------------------------------------ state
    @property
    def started(self) -> bool:
        """Whether any shard was drawn (an unstarted stream's state is its seed-derived start)."""
        return self.shard >= 0

    def state(self) -> dict[str, Any]:
        """The position as plain values, without any text. Arrays travel as raw bytes: pickling
        a numpy array costs ~10x more than its bytes, and this is sent with every batch."""
        packer = self.packer_before
        if packer is not None:
            packer = {**packer, "ids": packer["ids"].tobytes(), "ends": packer["ends"].tobytes()}
        return {"rng": self.rng.bit_generator.state, "shard": self.shard, "consumed": self.consumed,
                "idle": self.idle, "buffer": self.refs[: len(self.buffer)].tobytes(),
                "last": None if self.last is None else list(self.last), "taken": self.taken, "packer": packer}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from ``state``: re-read the referenced documents and the current shard's position."""
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
            self.reader = self._skip(self.owner.read(self.shards[self.shard]), self.consumed)
        packer = state["packer"]
        if packer is not None:
            packer = {**packer, "ids": np.frombuffer(packer["ids"], dtype=np.int64).copy(),
                      "ends": np.frombuffer(packer["ends"], dtype=np.int64).copy()}
        self.last, self.packer_before, self.pending, self.taken = last, packer, [], 0
        if self.packer is not None and packer is not None:
            self.packer.load_state_dict(packer)
        if last is not None and last in docs:  # pack it again; the first `taken` samples were used
            self.pending, self.taken = self._samples(docs[last]), int(state["taken"])

    def _skip(self, reader: Iterator[ShardSample], n: int) -> Iterator[ShardSample]:
        for _ in range(n):
            if next(reader, None) is None:
                url = self.owner.manifest.shard_url(self.shards[self.shard])
                log.warning("resume: %s has fewer samples than the checkpoint read from it (changed since?); "
                            "continuing with the next shard", url)
                break
        return reader

    def _fetch(self, refs: list[DocRef]) -> dict[DocRef, ShardSample]:
        """Re-read the documents ``refs`` point to (each shard once, only up to the last one needed)."""
        wanted: dict[int, set[int]] = {}
        for shard, index in refs:
            wanted.setdefault(shard, set()).add(index)
        found: dict[DocRef, ShardSample] = {}
        for shard, indices in sorted(wanted.items()):
            if not 0 <= shard < len(self.shards):
                continue
            top = max(indices)
            reader = self.owner.read(self.shards[shard])
            for index, sample in enumerate(reader):
                if index in indices:
                    found[(shard, index)] = sample
                if index >= top:
                    break
            reader.close()  # type: ignore[attr-defined]  # a generator
        if len(found) < len(set(refs)):
            log.warning("resume: %d of the %d documents held for shuffling %s could not be re-read (shards "
                        "changed since the checkpoint?); the buffer refills with new ones",
                        len(set(refs)) - len(found), len(set(refs)), self.lang)
        return found


class MixtureStream:
    """Infinite stream of one objective's samples, languages drawn with ``q ∝ p^alpha``.

    Args:
        owner: the stream (manifest, options, counters).
        obj: the objective.
        probs: sampling probability of each language (or pair) with training data.
        keys: rng keys of this slot: ``(rank, slot)``, plus ``("resume", generation)`` after a
            restart for a new layout.
    """

    def __init__(self, owner: PretrainStream, obj: Objective, probs: dict[str, float], keys: tuple[int | str, ...]) -> None:
        self.owner, self.name = owner, obj.name
        self.langs = sorted(probs)
        self.p = np.array([probs[lang] for lang in self.langs], dtype=np.float64)
        self.p /= self.p.sum()
        rank, slot, *extra = keys
        self.rng = make_rng(owner.seed, "mix", obj.name, *keys)
        self.streams = {lang: LanguageStream(owner, obj, lang, make_rng(owner.seed, "shards", obj.name, lang, rank,
                                                                          slot, *extra))
                        for lang in self.langs}
        self.chunk = np.zeros(0, dtype=np.int64)
        self.pos = 0
        self.rng_before_chunk: dict[str, Any] | None = None

    def __iter__(self) -> MixtureStream:
        return self

    def __next__(self) -> Sample:
        if self.pos >= len(self.chunk):
            self.rng_before_chunk = dict(self.rng.bit_generator.state)
            self.chunk, self.pos = self.rng.choice(len(self.langs), size=MIX_CHUNK, p=self.p), 0
        lang = self.langs[int(self.chunk[self.pos])]
        self.pos += 1
        sample = next(self.streams[lang])
        self.owner.drawn_samples[lang] += 1
        self.owner.drawn_tokens[lang] += _num_tokens(sample)
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
            self.chunk = self.rng.choice(len(self.langs), size=MIX_CHUNK, p=self.p)
        self.pos = int(state["pos"])
        for lang, stream_state in state["streams"].items():
            if lang not in self.streams:
                log.warning("resume: objective %s has no training data for %s any more; its position is dropped",
                            self.name, lang)
                continue
            self.streams[lang].load_state(stream_state)


# ---------------------------------------------------------------------- slots and plans
@dataclass
class SlotPlan:
    """Where one slot starts: a saved state, or the seed-derived start of generation ``gen``.

    Global batch ``base + i * num_slots + slot`` is the slot's ``i``-th batch since ``base``.
    """

    slot: int
    state: dict[str, Any] | None
    base: int = 0
    gen: int = 0


def slot_plan(resume: dict[str, Any] | None, worker: int, num_workers: int) -> SlotPlan:
    """The slot DataLoader worker ``worker`` runs: on resume, worker 0 takes the slot whose batch
    is next (``next_slot``), because a new DataLoader starts its round-robin at worker 0."""
    if not resume:
        return SlotPlan(worker, None)
    slot = (worker + int(resume.get("next_slot", 0))) % num_workers
    slots = resume.get("slots") or []
    state = slots[slot] if slot < len(slots) else None
    if state is not None:
        return SlotPlan(slot, state, int(state["base"]), int(state["gen"]))
    return SlotPlan(slot, None, int(resume.get("base", 0)), int(resume.get("gen", 0)))


def slot_state(owner: PretrainStream, plan: SlotPlan, num_slots: int, batches: int,
               mixtures: list[MixtureStream]) -> dict[str, Any]:
    """The slot's position after its ``batches``-th batch (what ``Batch.state`` carries)."""
    return {"version": STATE_VERSION, "rank": owner.rank, "slot": plan.slot, "num_slots": num_slots,
            "batches": batches, "base": plan.base, "gen": plan.gen,
            "objectives": {m.name: m.state() for m in mixtures},
            "drawn_samples": dict(owner.drawn_samples), "drawn_tokens": dict(owner.drawn_tokens),
            "drawn_documents": dict(owner.drawn_documents),
            "stats": dict(owner.stats.totals)}


def load_slot(owner: PretrainStream, mixtures: list[MixtureStream], state: dict[str, Any]) -> int:
    """Move ``mixtures`` (and the owner's counters) to ``state``; return the slot's batch count."""
    with owner.stats.paused():  # re-reading documents must not count their problems twice
        for mix in mixtures:
            if mix.name in state["objectives"]:
                mix.load_state(state["objectives"][mix.name])
    owner.drawn_samples = Counter(state["drawn_samples"])
    owner.drawn_tokens = Counter(state["drawn_tokens"])
    owner.drawn_documents = Counter(state.get("drawn_documents", {}))  # absent in older checkpoints
    owner.stats.totals = Counter(state["stats"])
    return int(state["batches"])


# ---------------------------------------------------------------------- main process
class StreamStateTracker:
    """Main process, one rank: the state of the latest *consumed* batch of each slot.

    Args:
        num_slots: DataLoader workers (at least 1: ``num_workers=0`` runs one slot in-process).
        resume: a rank's saved entry (``rank_state``) to continue from, or ``None``.
    """

    def __init__(self, num_slots: int = 1, resume: dict[str, Any] | None = None) -> None:
        resume = resume or {}
        self.num_slots = num_slots
        self.slots: list[dict[str, Any] | None] = list(resume.get("slots") or [None] * num_slots)
        self.next_slot = int(resume.get("next_slot", 0))
        self.base, self.gen = int(resume.get("base", 0)), int(resume.get("gen", 0))

    def record(self, state: dict[str, Any]) -> None:
        """Keep ``state`` (of a batch the training loop is about to train on)."""
        slot = int(state["slot"])
        if slot >= len(self.slots):
            self.slots += [None] * (slot + 1 - len(self.slots))
        self.slots[slot] = state
        self.next_slot = (slot + 1) % max(1, int(state["num_slots"]))

    @property
    def consumed(self) -> int:
        """Batches this rank has consumed since the run began (equal on every rank)."""
        return self.base + sum(int(s["batches"]) for s in self.slots if s is not None)

    def rank_state(self) -> dict[str, Any]:
        """This rank's entry of the data module's ``state_dict``."""
        return {"slots": list(self.slots), "next_slot": self.next_slot, "base": self.base, "gen": self.gen,
                "consumed": self.consumed}

    def drawn(self) -> dict[str, Counter[str]]:
        """``{"samples", "tokens", "documents"}`` drawn per language (or pair) by this rank's slots,
        up to the consumed batches."""
        drawn: dict[str, Counter[str]] = {what: Counter() for what in DRAWN}
        for s in self.slots:
            if s is not None:
                for what in DRAWN:
                    drawn[what].update(s.get(f"drawn_{what}", {}))
        return drawn


def to_saveable(value: Any) -> Any:
    """``bytes`` -> uint8 tensors, recursively, for checkpoints: ``torch.save``'s pickle protocol 2
    writes an empty ``bytes`` as a call that ``torch.load(weights_only=True)`` refuses."""
    if isinstance(value, bytes):
        return torch.from_numpy(np.frombuffer(value, dtype=np.uint8).copy())
    if isinstance(value, dict):
        return {k: to_saveable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_saveable(v) for v in value)
    return value


def from_saved(value: Any) -> Any:
    """The inverse of :func:`to_saveable`: uint8 tensors -> ``bytes``, recursively."""
    if isinstance(value, torch.Tensor):
        return value.cpu().numpy().tobytes()
    if isinstance(value, dict):
        return {k: from_saved(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(from_saved(v) for v in value)
    return value


def gather(value: Any) -> list[Any]:
    """``value`` of every rank, by rank (a collective when torch.distributed runs with > 1 process)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, value)
        return out
    return [value]


# ---------------------------------------------------------------------- torch's global generator
class GlobalRngState(Callback):
    """Saves torch's global generator states (CPU and CUDA) of every rank in checkpoints and
    restores them on resume, so dropout after a resume draws the masks an uninterrupted run would.

    Lightning restores neither; polytrain's data never uses them (all data randomness comes from
    ``make_rng`` and the loaders have their own ``torch.Generator``), so after this restore only the
    model consumes them, exactly as in the uninterrupted run. Add it to ``trainer.callbacks``.
    """

    def state_dict(self) -> dict[str, Any]:
        """Every rank's states (a collective under ``torch.distributed``, like the data module's)."""
        state: dict[str, Any] = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            # This rank's device only: get_rng_state_all() would open a context on every GPU.
            state["cuda"] = torch.cuda.get_rng_state()
        return {"ranks": gather(state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        ranks = state_dict.get("ranks") or []
        dist = torch.distributed
        rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_available() and dist.is_initialized() else (0, 1)
        if len(ranks) != world:
            log.warning("GlobalRngState: the checkpoint holds %d rank(s) and this run has %d: torch's generators "
                        "are not restored (dropout masks differ from an uninterrupted run)", len(ranks), world)
            return
        torch.set_rng_state(ranks[rank]["cpu"])
        if "cuda" in ranks[rank]:
            if torch.cuda.is_available():
                torch.cuda.set_rng_state(ranks[rank]["cuda"])  # the current device: Lightning set it already
            else:
                log.warning("GlobalRngState: the checkpoint has a CUDA generator state but this run has no GPU")
