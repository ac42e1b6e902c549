"""The resumable position of the training streams, as plain data (docs/resume.md).

A training stream is run by one *slot* per (rank, DataLoader worker). A slot's position after each
batch (its ``state``: a dict of plain values, built by ``PretrainStream``) rides along in
``Batch.state``; ``StreamStateTracker`` keeps, in the training process, the state of the latest
batch the training loop actually consumed from each slot, and the data module saves it in
checkpoints. On resume, ``slot_plan`` tells each worker which slot it runs and from where.

Nothing here reads shards or imports Lightning: these are values and the rules that combine them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

STATE_VERSION = 1
"""Version of the slot state layout; a checkpoint with another version restarts the streams."""

DRAWN = ("samples", "tokens", "documents")
"""What the streams count per language (``DrawnCounts`` fields)."""


@dataclass
class DrawnCounts:
    """What one process's streams drew per language (or pair).

    Samples are blocks or pairs (what the mixture's q governs); tokens are theirs; documents are
    those read to make them (a pair is its own document), so documents over the manifest's sample
    count are the effective epochs.
    """

    samples: Counter[str] = field(default_factory=Counter)
    tokens: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)

    def state(self) -> dict[str, dict[str, int]]:
        """``{"drawn_samples": ..., "drawn_tokens": ..., "drawn_documents": ...}`` as plain dicts."""
        return {f"drawn_{what}": dict(getattr(self, what)) for what in DRAWN}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue the counts of a slot state, in place (the streams hold these counters);
        ``drawn_documents`` is absent in older checkpoints."""
        for what in DRAWN:
            counts: Counter[str] = getattr(self, what)
            counts.clear()
            counts.update(state.get(f"drawn_{what}", {}))


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
