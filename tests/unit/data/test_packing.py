"""Packer: text-stream and whole-document blocks keep every token once, in order, with correct sentence ends."""

from __future__ import annotations

import numpy as np
import pytest

from polytrain.stream.packing import Packer
from polytrain.types import TextBlock

EOS = 2


def random_docs(rng: np.random.Generator, n: int) -> list[tuple[str, list[np.ndarray]]]:
    """Documents of 0..5 sentences of 0..30 tokens (ids >= 10, so never EOS); some empty."""
    docs = []
    for i in range(n):
        sentences = [rng.integers(10, 1000, size=int(rng.integers(0, 31))) for _ in range(int(rng.integers(0, 6)))]
        docs.append((f"doc{i}", sentences))
    return docs


def pack_all(docs: list[tuple[str, list[np.ndarray]]], block_size: int) -> tuple[list[TextBlock], list[TextBlock]]:
    packer = Packer(block_size, EOS)
    blocks = [b for key, sentences in docs for b in packer.add(key, "de", sentences)]
    return blocks, packer.flush()


def expected_stream(docs: list[tuple[str, list[np.ndarray]]]) -> tuple[np.ndarray, list[int], list[tuple[int, str]]]:
    """The token stream, its sentence end offsets and document start offsets, built naively."""
    tokens: list[int] = []
    ends: list[int] = []
    starts: list[tuple[int, str]] = []
    for key, sentences in docs:
        nonempty = [s for s in sentences if len(s)]
        if not nonempty:
            continue
        starts.append((len(tokens), key))
        for s in nonempty:
            tokens.extend(int(t) for t in s)
            ends.append(len(tokens))
        tokens.append(EOS)
        ends[-1] += 1
    return np.array(tokens, dtype=np.int64), ends, starts


@pytest.mark.parametrize("block_size", [1, 7, 32, 100])
def test_every_token_once_in_order_with_sentence_ends(block_size: int) -> None:
    docs = random_docs(np.random.default_rng(block_size), 60)
    blocks, rest = pack_all(docs, block_size)
    tokens, ends, starts = expected_stream(docs)

    assert all(len(b.ids) == block_size for b in blocks)
    assert len(rest) <= 1 and all(0 < len(b.ids) < block_size for b in rest)
    all_blocks = blocks + rest
    np.testing.assert_array_equal(np.concatenate([b.ids for b in all_blocks]), tokens)

    offset = 0
    for b in all_blocks:
        # Sentence ends inside the block, plus the block end if the block cuts a sentence.
        want = [e - offset for e in ends if offset < e <= offset + len(b.ids)]
        if not want or want[-1] != len(b.ids):
            want.append(len(b.ids))
        assert b.sentence_ends.tolist() == want
        assert b.sentence_ends.dtype == np.int64 and b.ids.dtype == np.int64
        first_doc = [k for s, k in starts if s <= offset][-1]
        assert b.key.split("/")[:2] == ["de", first_doc]
        assert b.lang == "de"
        offset += len(b.ids)
    assert len({b.key for b in all_blocks}) == len(all_blocks)


def test_each_document_ends_with_one_eos_in_its_last_sentence() -> None:
    packer = Packer(100, EOS)
    assert packer.add("a", "de", [np.array([11, 12]), np.array([13])]) == []
    assert packer.add("b", "de", [np.array([], dtype=np.int64), np.array([21, 22, 23])]) == []
    (block,) = packer.flush()
    assert block.ids.tolist() == [11, 12, 13, EOS, 21, 22, 23, EOS]
    assert block.sentence_ends.tolist() == [2, 4, 8]
    assert block.key == "de/a/0"
    assert packer.flush() == []


def test_block_key_names_the_document_the_block_starts_in() -> None:
    packer = Packer(4, EOS)
    blocks = packer.add("a", "en", [np.arange(10, 16)])  # 6 tokens + eos = 7
    blocks += packer.add("b", "en", [np.arange(20, 21)])  # 1 + eos: stream of 9 tokens
    assert [b.key for b in blocks] == ["en/a/0", "en/a/1"]
    assert blocks[1].ids.tolist() == [14, 15, EOS, 20]
    assert blocks[1].sentence_ends.tolist() == [3, 4]  # "a" ends at 3; "b" is cut at the block end
    (rest,) = packer.flush()
    assert rest.key == "en/b/2" and rest.ids.tolist() == [EOS] and rest.sentence_ends.tolist() == [1]


def test_empty_documents_add_nothing_and_other_language_is_refused() -> None:
    packer = Packer(3, EOS)
    assert packer.add("e", "de", []) == [] and packer.add("f", "de", [np.array([], dtype=np.int64)]) == []
    assert packer.pending == 0 and packer.flush() == []
    packer.add("a", "de", [np.array([10])])
    with pytest.raises(ValueError, match="one language"):
        packer.add("b", "fr", [np.array([10])])
    with pytest.raises(ValueError, match="block_size"):
        Packer(0, EOS)


def test_a_long_document_is_cut_into_many_blocks() -> None:
    packer = Packer(10, EOS)
    blocks = packer.add("long", "de", [np.arange(100, 195)])  # 95 + eos = 96 tokens
    assert len(blocks) == 9 and packer.pending == 6
    assert all(b.sentence_ends.tolist() == [10] for b in blocks)
    assert [b.key for b in blocks] == [f"de/long/{i}" for i in range(9)]


@pytest.mark.parametrize("block_size", [1, 7, 32, 100])
def test_whole_document_blocks_hold_whole_sentences_of_one_document(block_size: int) -> None:
    """mBART's instances (complete_doc): greedy runs of whole sentences of one document, at most
    block_size tokens, no eos; a sentence longer than a block is cut into block-size pieces.
    Every token appears once, in order, and nothing waits in the packer between documents."""
    docs = random_docs(np.random.default_rng(100 + block_size), 80)
    packer = Packer(block_size, EOS, whole_documents=True)
    counter = 0
    for key, sentences in docs:
        blocks = packer.add(key, "de", sentences)
        assert packer.pending == 0 and packer.flush() == []
        nonempty = [s for s in sentences if len(s)]
        # The expected pieces: each sentence, cut every block_size tokens.
        pieces = [s[i : i + block_size] for s in nonempty for i in range(0, len(s), block_size)]
        if not nonempty:
            assert blocks == []
            continue
        np.testing.assert_array_equal(np.concatenate([b.ids for b in blocks]), np.concatenate(nonempty))
        got = [b.ids[start:end] for b in blocks for start, end in zip([0, *b.sentence_ends[:-1]], b.sentence_ends)]
        assert [p.tolist() for p in got] == [p.tolist() for p in pieces]  # sentence ends fall between pieces
        for i, b in enumerate(blocks):
            assert 0 < len(b.ids) <= block_size and EOS not in b.ids and b.sentence_ends[-1] == len(b.ids)
            assert b.key == f"de/{key}/{counter}" and b.lang == "de"
            counter += 1
            if i + 1 < len(blocks):  # greedy: the next block's first piece did not fit
                next_piece = blocks[i + 1].sentence_ends[0]
                assert len(b.ids) + next_piece > block_size
