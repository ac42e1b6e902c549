"""Text -> token ids, the one way polytrain does it: in the stream's workers and in ``polytrain data tokenize``.

Both paths call :class:`TextEncoder`, so a token shard holds exactly the ids the stream would have
made from its text shard, and both encodings give the same batches (docs/streaming.md). Every
sentence is encoded on its own, without special tokens; a sentence longer than ``max_line_chars``
is cut to that length first and counted (``cut_line``, ``cut_chars``): one 15 MB line once cost a
worker 106 s and 2.5 GB. Documents are encoded in groups (one ``encode_batch`` call for about
``chunk_chars`` characters) because a call per document costs more in Python than in the tokenizer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np
from tokenizers import Tokenizer

from polytrain.shards.documents import Document, split_documents
from polytrain.shards.manifest import Manifest, ShardInfo
from polytrain.shards.reader import CUT_CHARS, CUT_LINE, EMPTY_TEXT, StreamStats, read_documents

CHUNK_CHARS = 131_072
"""Characters per ``encode_batch`` call in the stream's workers. Groups are cut at shard ends too; on
the demo's small shards 128k instead of 32k made 118 calls instead of 209 per 400 batches and the
rest of the worker's work about 5 % cheaper (its code and data stay in the caches longer between
calls; benchmarks/data_pipeline.py)."""

Count = Callable[[str, int], None]
"""``count(counter_name, n)``: where the encoder reports what it cut."""


class TextEncoder:
    """Tokenize text ``Document``s into token ``Document``s (``ids``, ``ends``; ``sentences`` dropped).

    Args:
        tokenizer: the run's tokenizer (``tokenizers.Tokenizer``).
        max_line_chars: longer sentences are cut to this many characters before encoding.
        chunk_chars: :meth:`documents` encodes groups of documents of about this many characters.
    """

    def __init__(self, tokenizer: Tokenizer, max_line_chars: int = 20_000, chunk_chars: int = CHUNK_CHARS) -> None:
        if max_line_chars < 1:
            raise ValueError(f"max_line_chars must be >= 1, got {max_line_chars}")
        self.tokenizer, self.max_line_chars, self.chunk_chars = tokenizer, max_line_chars, chunk_chars
        # encode_batch_fast (tokenizers >= 0.21) skips the character offsets nobody here uses.
        self._encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    def encode(self, docs: list[Document], count: Count) -> list[Document]:
        """``docs`` tokenized (same keys and indices), in one ``encode_batch`` call; cuts are counted now."""
        out, cuts = self._encode_group(docs)
        for lines, chars in cuts or ():
            _count_cuts(count, lines, chars)
        return out

    def documents(self, docs: Iterator[Document], count: Count) -> Iterator[Document]:
        """Tokenize a stream of documents in groups of about ``chunk_chars`` characters, in order.

        A document's cuts are counted when it is yielded, not when its group is encoded, so that a
        stream resumed at a document counts exactly what an uninterrupted one counts after it.
        """
        group: list[Document] = []
        size = 0
        for doc in chain(docs, [None]):
            if doc is not None:
                group.append(doc)
                size += sum(map(len, doc.sentences or ()))
            if group and (doc is None or size >= self.chunk_chars):
                encoded, cuts = self._encode_group(group)
                if cuts is None:
                    yield from encoded
                else:
                    for tokenized, (lines, chars) in zip(encoded, cuts):
                        _count_cuts(count, lines, chars)
                        yield tokenized
                group, size = [], 0

    def _encode_group(self, docs: list[Document]) -> tuple[list[Document], list[tuple[int, int]] | None]:
        """The tokenized documents and the (lines, characters) cut from each (``None``: nothing cut)."""
        for doc in docs:
            assert doc.sentences is not None, f"{doc.key}: already tokenized"
        counts = [len(doc.sentences) for doc in docs]  # type: ignore[arg-type]
        texts: list[str] = list(chain.from_iterable(doc.sentences for doc in docs))  # type: ignore[arg-type]
        cap = self.max_line_chars
        cuts = None
        if texts and max(map(len, texts)) > cap:  # rare: count each document's cuts
            cuts = [(sum(len(s) > cap for s in doc.sentences), sum(max(0, len(s) - cap) for s in doc.sentences))  # type: ignore[union-attr]
                    for doc in docs]
            texts = [s[:cap] for s in texts]
        lists = [e.ids for e in self._encode(texts, add_special_tokens=False)]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        flat = np.fromiter(chain.from_iterable(lists), dtype=np.int32, count=int(lengths.sum()))
        # Cut for the whole group at once: per-document numpy calls cost more than the arithmetic.
        return split_documents(flat, lengths, counts, [d.key for d in docs], [d.index for d in docs]), cuts


def _count_cuts(count: Count, lines: int, chars: int) -> None:
    if lines:
        count(CUT_LINE, lines)
        count(CUT_CHARS, chars)


def usable(doc: Document, kind: str) -> bool:
    """Whether a tokenized document makes a sample: a mono document with a token, a pair with a
    token on both sides (the same rule for both encodings, so they give the same batches)."""
    assert doc.ends is not None, "not tokenized"
    if kind == "parallel":
        return bool(doc.ends[0] > 0 and doc.ends[1] > doc.ends[0])
    return len(doc.ids) > 0  # type: ignore[arg-type]  # its last sentence ends at len(ids)


def usable_documents(docs: Iterator[Document], kind: str, count: Count) -> Iterator[Document]:
    """``docs`` without those that tokenize to nothing, counted as ``empty_text``."""
    for doc in docs:
        if usable(doc, kind):
            yield doc
        else:
            count(EMPTY_TEXT, 1)


def tokenized_documents(manifest: Manifest, shard: ShardInfo, stats: StreamStats, encoder: TextEncoder | None,
                        *, vocab_size: int | None = None, allow_pipe: bool = False,
                        max_member_bytes: int = 16 * 2**20, start: int = 0,
                        only: set[int] | None = None) -> Iterator[Document]:
    """The tokenized, usable documents of one shard in file order, from either encoding.

    Bad members and samples are skipped and counted in ``stats`` (``polytrain.shards.reader``),
    documents that tokenize to nothing too (``empty_text``). Text is tokenized by ``encoder``
    (needed for text shards); token shards are only decoded.

    Args:
        manifest: the shards' manifest (its ``encoding``).
        shard: one of its shards.
        stats: where problems are counted.
        encoder: the text encoder; ``None`` for token shards.
        vocab_size: token ids at or above it make a sample ``invalid_tokens``.
        allow_pipe: accept ``pipe:`` URLs.
        max_member_bytes: larger tar members are skipped unread.
        start: skip the documents before this ``Document.index`` without tokenizing them.
        only: just these indices (and stop reading after the last one).
    """
    url = manifest.shard_url(shard)
    docs = read_documents(url, shard.kind, stats, manifest.encoding, allow_pipe, max_member_bytes, vocab_size)
    if start or only is not None:
        docs = _select(docs, start, only)
    count = functools.partial(_count, stats, url)
    if manifest.encoding == "text":
        if encoder is None:
            raise ValueError(f"{url}: text shards need a TextEncoder")
        docs = encoder.documents(docs, count)
    return usable_documents(docs, shard.kind, count)


def _select(docs: Iterator[Document], start: int, only: set[int] | None) -> Iterator[Document]:
    last = max(only) if only else -1
    for doc in docs:
        if only is not None and doc.index > last:
            return
        if doc.index >= start and (only is None or doc.index in only):
            yield doc


def _count(stats: StreamStats, url: str, name: str, n: int) -> None:
    stats.add(name, url, n)
