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

import operator
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from polytrain.types import TextBlock

if TYPE_CHECKING:
    from polytrain.objectives.base import Objective

_EMPTY = np.zeros(0, dtype=np.int64)


class _Pending(NamedTuple):
    """One document waiting (in part) for a block: its ids (not copied, without the ``eos`` that
    follows them) and the exclusive ends of its sentences counting that ``eos`` (the last is
    ``len(ids) + 1``)."""

    ids: np.ndarray
    ends: list[int]
    key: str


class Snapshot(NamedTuple):
    """A packer's position (:meth:`Packer.snapshot`), immutable, to be turned into a ``state_dict``
    only when one is wanted (:meth:`Packer.snapshot_state`)."""

    lang: str | None
    blocks_made: int
    start: int
    docs: tuple[_Pending, ...]


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
        self.lang: str | None = None
        self.blocks_made = 0
        # The pending tokens are kept per document, not concatenated: a document is copied once,
        # into the block that takes it (most documents are shorter than a block).
        self._docs: list[_Pending] = []
        """Documents with tokens not yet in a block, in order; the rest always ends at a document end."""
        self._start = 0
        """Tokens of ``_docs[0]`` already in blocks."""
        self._pending = 0

    @property
    def pending(self) -> int:
        """Tokens held back for the next block."""
        return self._pending

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
        ``ends`` (what ``polytrain.shards.documents.Document`` holds): no per-sentence arrays. ``ids``
        is kept, not copied, until its last token is in a block: it must not change meanwhile."""
        if self.lang is None:
            self.lang = lang
        elif lang != self.lang:
            raise ValueError(f"Packer packs one language ({self.lang!r}); got a {lang!r} document {key!r}")
        if not len(ids):
            return []
        cuts = _nonempty(ends.tolist() if isinstance(ends, np.ndarray) else list(ends))  # a few: Python is faster
        if self.whole_documents:
            return self._document_blocks(key, np.split(np.asarray(ids, dtype=np.int64), cuts[:-1]))
        cuts[-1] += 1  # the eos separator belongs to the last sentence
        self._docs.append(_Pending(ids, cuts, key))  # copied once, into the block that takes it
        self._pending += cuts[-1]
        blocks = []
        while self._pending >= self.block_size:
            blocks.append(self._take(self.block_size))
        return blocks

    def snapshot(self) -> Snapshot:
        """The position now, in O(pending documents): cheap enough to take before every document."""
        return Snapshot(self.lang, self.blocks_made, self._start, tuple(self._docs))

    def snapshot_state(self, snapshot: Snapshot) -> dict[str, Any]:
        """The :meth:`state_dict` this packer had when it took ``snapshot``."""
        start, docs = snapshot.start, snapshot.docs
        offsets = list(accumulate((d.ends[-1] for d in docs), initial=0))
        ids = np.empty(offsets[-1], dtype=np.int64)  # every document's ids, then its eos
        for off, d in zip(offsets[1:], docs):
            ids[off - d.ends[-1]:off - 1], ids[off - 1] = d.ids, self.eos_id
        ids = ids[start:]
        # Only the first document can have sentences in blocks already (offsets[0] is 0).
        ends = [e - start for e in docs[0].ends[bisect_right(docs[0].ends, start):]] if docs else []
        ends += [off - start + e for off, d in zip(offsets[1:], docs[1:]) for e in d.ends]
        return {"lang": snapshot.lang, "blocks_made": snapshot.blocks_made, "ids": ids,
                "ends": np.array(ends, dtype=np.int64),
                "doc_offsets": [off - start for off in offsets[:-1]], "doc_keys": [d.key for d in docs]}

    def state_dict(self) -> dict[str, Any]:
        """The pending tokens and counters as plain values and (P,) int64 arrays, for resuming:
        ``ids`` (the pending tokens), ``ends`` (their sentence ends), ``doc_offsets`` and
        ``doc_keys`` (where each pending document starts, the first maybe before 0)."""
        return self.snapshot_state(self.snapshot())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue exactly where the packer that made ``state`` (with :meth:`state_dict`) was."""
        self.lang = state["lang"]
        self.blocks_made = int(state["blocks_made"])
        ids = np.asarray(state["ids"], dtype=np.int64)
        ends = np.asarray(state["ends"], dtype=np.int64).tolist()
        offsets = [int(off) for off in state["doc_offsets"]]
        keys = [str(k) for k in state["doc_keys"]]
        if len(offsets) != len(keys):
            raise ValueError(f"Packer state: {len(offsets)} document offsets for {len(keys)} keys")
        self._docs, self._pending = [], len(ids)
        self._start = -offsets[0] if offsets else 0
        bounds = [*offsets[1:], len(ids)]
        for off, stop, key in zip(offsets, bounds, keys):
            # The first document's tokens before offset 0 are in blocks already: a placeholder keeps
            # offsets within the document as they were. Every document's last token is its eos.
            tokens = np.concatenate([np.zeros(max(0, -off), dtype=np.int64), ids[max(0, off):stop - 1]])
            self._docs.append(_Pending(tokens, [e - off for e in ends if max(0, off) < e <= stop], key))

    def flush(self) -> list[TextBlock]:
        """Return the pending tokens as one final, shorter block (for finite validation streams)."""
        return [self._take(self._pending)] if self._pending else []

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

    def _take(self, size: int) -> TextBlock:
        """The next ``size`` pending tokens as a block, with their sentence ends and the key of the
        document the first one comes from; documents used up leave ``_docs``."""
        key = self._docs[0].key
        out = np.empty(size, dtype=np.int64)
        ends: list[int] = []
        filled = 0
        while filled < size:
            doc, start = self._docs[0], self._start
            total = doc.ends[-1]  # its ids and eos
            stop = min(total, start + size - filled)
            last = min(stop, total - 1)  # the ids in the piece end here; the eos follows them
            out[filled:filled + last - start] = doc.ids[start:last]
            if stop == total:
                out[filled + last - start] = self.eos_id
            # doc.ends is increasing: the sentences ending in (start, stop], without scanning a long document
            first = bisect_right(doc.ends, start) if start else 0
            ends += [filled + e - start for e in doc.ends[first:bisect_right(doc.ends, stop, first)]]
            filled += stop - start
            if stop == total:
                self._docs.pop(0)
                self._start = 0
            else:
                self._start = stop
        if not ends or ends[-1] != size:
            ends.append(size)  # the block cuts a sentence: its piece inside the block ends where the block ends
        self._pending -= size
        block = TextBlock(key=f"{self.lang}/{key}/{self.blocks_made}", lang=str(self.lang), ids=out,
                          sentence_ends=np.array(ends, dtype=np.int64))
        self.blocks_made += 1
        return block


def _nonempty(ends: list[int]) -> list[int]:
    """Sentence ends without those of empty sentences (an end equal to the one before it, or 0)."""
    if ends[0] > 0 and all(map(operator.lt, ends, ends[1:])):  # map: no Python frame per pair
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
