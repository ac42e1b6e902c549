"""Pack tokenized documents of one language into ``TextBlock``s, in one of two ways.

- **Text stream** (the default; MLM): XLM trains on "streams of text" cut into fixed-length
  inputs regardless of sentence or document boundaries (Lample & Conneau 2019 §3.3), and XLM-R
  packs the same way (fairseq ``--sample-break-mode none``). Each document is followed by one
  ``eos`` token, which belongs to its last sentence, and blocks are cut every ``block_size``
  tokens wherever that falls (a block may start or end inside a sentence or document).
- **Whole documents** (``whole_documents=True``; denoising): mBART packs "as many consecutive
  sentences as possible ... until either it hits the document boundary or reaches the 512 max
  token length" (Liu et al. 2020 §2.2; fairseq's denoising ``--sample-break-mode complete_doc``).
  A block holds whole sentences of one document, greedily, and no ``eos``; a sentence longer than
  ``block_size`` is cut into pieces of at most ``block_size`` (fairseq would make it one overlong
  block), so no token is lost and no block is too long.

Sentence boundaries survive as ``sentence_ends`` so that sentence permutation (mBART) can use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from polytrain.types import TextBlock

if TYPE_CHECKING:
    from polytrain.objectives.base import Objective

_EMPTY = np.zeros(0, dtype=np.int64)


class Packer:
    """Turn a stream of tokenized documents of ONE language into blocks of ``block_size`` tokens.

    Every token added appears exactly once, in order, across the blocks returned by :meth:`add`
    and :meth:`flush`. A block's key is ``f"{lang}/{first_doc_key}/{counter}"``, where
    ``first_doc_key`` is the key of the document its first token comes from and ``counter`` is
    the number of blocks this packer made before it, so keys are unique within one packer.

    Args:
        block_size: tokens per block (the model's input length minus the special tokens the
            objective adds); the most per block with ``whole_documents``.
        eos_id: the separator appended to every document (``</s>``) in a text stream.
        whole_documents: blocks of whole sentences of one document, without ``eos`` (module
            docstring); :meth:`add` then returns all of the document's blocks at once.
    """

    def __init__(self, block_size: int, eos_id: int, whole_documents: bool = False) -> None:
        if block_size < 1:
            raise ValueError(f"Packer: block_size must be >= 1, got {block_size}")
        self.block_size = block_size
        self.eos_id = eos_id
        self.whole_documents = whole_documents
        self._eos = np.array([eos_id], dtype=np.int64)
        self.lang: str | None = None
        self.blocks_made = 0
        self._ids = _EMPTY
        """(P,) pending tokens, not yet in a block; always ends at a document end."""
        self._ends = _EMPTY
        """Exclusive sentence end offsets into ``_ids``, increasing."""
        self._doc_starts: list[tuple[int, str]] = []
        """(offset into ``_ids``, document key), increasing; the first may be <= 0."""

    @property
    def pending(self) -> int:
        """Tokens held back for the next block."""
        return len(self._ids)

    def add(self, key: str, lang: str, sentences: Sequence[np.ndarray]) -> list[TextBlock]:
        """Append one document and return the blocks that are now complete (possibly none).

        Args:
            key: the document's unique key (from the shard).
            lang: its language; every document given to one packer must share it.
            sentences: (T_i,) int token ids per sentence, without special tokens. Empty
                sentences are dropped; a document without tokens adds nothing (not even ``eos``).
        """
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        ids = np.concatenate([np.asarray(s, dtype=np.int64) for s in sentences]) if len(sentences) else _EMPTY
        return self.add_document(key, lang, ids, np.cumsum(lengths))

    def add_document(self, key: str, lang: str, ids: np.ndarray, ends: np.ndarray) -> list[TextBlock]:
        """:meth:`add` for a document given as (T,) ids of all its sentences and their (S,) exclusive
        ``ends`` (what ``polytrain.shards.documents.Document`` holds): no per-sentence arrays."""
        if self.lang is None:
            self.lang = lang
        elif lang != self.lang:
            raise ValueError(f"Packer packs one language ({self.lang!r}); got a {lang!r} document {key!r}")
        if not len(ids):
            return []
        cuts = _nonempty(ends.tolist() if isinstance(ends, np.ndarray) else list(ends))  # a few: Python is faster
        if self.whole_documents:
            return self._document_blocks(key, np.split(np.asarray(ids, dtype=np.int64), cuts[:-1]))
        base = len(self._ids)
        cuts[-1] += 1  # the eos separator belongs to the last sentence
        ends = np.array(cuts, dtype=np.int64) + base
        self._ids = np.concatenate([self._ids, ids, self._eos])  # int64: _ids is
        self._ends = np.concatenate([self._ends, ends])
        self._doc_starts.append((base, key))
        return self._cut_full_blocks()

    def state_dict(self) -> dict[str, Any]:
        """The pending tokens and counters as plain values and (P,) int64 arrays, for resuming.

        Cheap enough to take before every document: arrays are shared, never copied (the packer
        replaces its arrays instead of changing them in place).
        """
        return {"lang": self.lang, "blocks_made": self.blocks_made, "ids": self._ids, "ends": self._ends,
                "doc_offsets": [off for off, _ in self._doc_starts], "doc_keys": [k for _, k in self._doc_starts]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue exactly where the packer that made ``state`` (with :meth:`state_dict`) was."""
        self.lang = state["lang"]
        self.blocks_made = int(state["blocks_made"])
        self._ids = np.asarray(state["ids"], dtype=np.int64)
        self._ends = np.asarray(state["ends"], dtype=np.int64)
        self._doc_starts = [(int(off), str(k)) for off, k in zip(state["doc_offsets"], state["doc_keys"], strict=True)]

    def flush(self) -> list[TextBlock]:
        """Return the pending tokens as one final, shorter block (for finite validation streams)."""
        if not len(self._ids):
            return []
        block = self._block(0, len(self._ids))
        self._drop(len(self._ids))
        return [block]

    def _document_blocks(self, key: str, sentences: list[np.ndarray]) -> list[TextBlock]:
        """One document's blocks: greedy runs of whole sentences, each run at most ``block_size``."""
        pieces = [s[i : i + self.block_size] for s in sentences for i in range(0, len(s), self.block_size)]
        runs: list[list[np.ndarray]] = [[]]
        for piece in pieces:
            if runs[-1] and sum(len(p) for p in runs[-1]) + len(piece) > self.block_size:
                runs.append([])
            runs[-1].append(piece)
        blocks = []
        for run in runs:
            blocks.append(TextBlock(key=f"{self.lang}/{key}/{self.blocks_made}", lang=str(self.lang),
                                    ids=np.concatenate(run), sentence_ends=np.cumsum([len(p) for p in run])))
            self.blocks_made += 1
        return blocks

    def _cut_full_blocks(self) -> list[TextBlock]:
        blocks = []
        start = 0
        while len(self._ids) - start >= self.block_size:
            blocks.append(self._block(start, start + self.block_size))
            start += self.block_size
        self._drop(start)
        return blocks

    def _block(self, start: int, stop: int) -> TextBlock:
        """The block of pending tokens ``[start, stop)`` with its sentence ends and key."""
        lo = int(np.searchsorted(self._ends, start, side="right"))
        hi = int(np.searchsorted(self._ends, stop, side="right"))
        ends = self._ends[lo:hi] - start
        if not len(ends) or ends[-1] != stop - start:
            # The block cuts a sentence: its piece inside the block ends where the block ends.
            ends = np.append(ends, stop - start)
        first_doc = next(k for off, k in reversed(self._doc_starts) if off <= start)
        block = TextBlock(
            key=f"{self.lang}/{first_doc}/{self.blocks_made}",
            lang=str(self.lang),
            ids=self._ids[start:stop].copy(),
            sentence_ends=ends.astype(np.int64),
        )
        self.blocks_made += 1
        return block

    def _drop(self, n: int) -> None:
        """Forget the first ``n`` pending tokens (they are in blocks now) and rebase offsets."""
        if n == 0:
            return
        self._ids = self._ids[n:]
        self._ends = self._ends[self._ends > n] - n
        # Keep the document that covers the new offset 0 (it may continue into the next block).
        keep = [(off - n, k) for off, k in self._doc_starts]
        while len(keep) > 1 and keep[1][0] <= 0:
            keep.pop(0)
        self._doc_starts = keep if len(self._ids) else []


def _nonempty(ends: list[int]) -> list[int]:
    """Sentence ends without those of empty sentences (an end equal to the one before it, or 0)."""
    if ends[0] > 0 and all(a < b for a, b in zip(ends, ends[1:])):
        return ends
    out, last = [], 0
    for end in ends:
        if end > last:
            out.append(end)
            last = end
    return out


def packer_for(objective: Objective) -> Packer | None:
    """A new packer for ``objective`` (already ``setup``): blocks of its ``max_length`` less the
    special tokens it adds, whole documents if it asks for them; ``None`` for parallel data."""
    if objective.data_kind != "mono":
        return None
    return Packer(objective.max_length - objective.added_tokens, objective.vocab.eos_id,
                  whole_documents=objective.whole_documents)
