"""Exactly resumable training streams: a stream resumed from the state of batch k yields batches
k+1.. of the uninterrupted stream (same keys, same inputs, same masks), through a real DataLoader,
through a checkpoint file, and per rank; a changed layout warns and restarts at a new position
(docs/resume.md). Through a real Lightning Trainer: tests/integration/test_resume_lightning.py; over
a real process group: tests/distributed/test_resume_ranks.py."""

from __future__ import annotations

import io
import logging
import os
import pickle
from itertools import islice
from typing import Any

import numpy as np
import pytest
import torch
from stream_fixtures import (
    EchoObjective,
    PairEchoObjective,
    build_corpus,
    make_tokenizer,
    make_vocab,
    setup_objectives,
)

from polytrain.prepare.tokens import TokenizeOptions, tokenize_shards
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.shards.manifest import Manifest
from polytrain.stream.packing import Packer
from polytrain.stream.state import StreamStateTracker, from_saved, to_saveable
from polytrain.stream.dataset import PretrainStream, choose_objective
from polytrain.objectives.base import Objective
from polytrain.objectives.mlm import MaskedLM
from polytrain.objectives.tlm import TranslationLM
from polytrain.types import Batch, Vocab

LANGS = ["de", "en", "sw"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Vocab]:
    root = str(tmp_path_factory.mktemp("resume"))
    build_corpus(root, {"de": [40, 30, 10], "en": [60, 60, 40], "sw": [12, 6]}, {"de-en": [20, 15]},
                 val={"de": [4], "de-en": [3]})
    tok = make_tokenizer(os.path.join(root, "tokenizer.json"), LANGS)
    return root, tok, make_vocab(tok)


@pytest.fixture(scope="module")
def token_corpus(corpus: tuple[str, str, Vocab]) -> tuple[str, str, Vocab]:
    """The same corpus as token shards, several samples of many documents per shard."""
    root, tok, vocab = corpus
    out = os.path.join(os.path.dirname(root), "resume-tokens")
    tokenize_shards(root, tok, out, TokenizeOptions(member_bytes=120))
    return out, tok, vocab


def stream(corpus: tuple[str, str, Vocab], objectives: list[Objective], resume: dict[str, Any] | None = None,
           **kw: Any) -> PretrainStream:
    root, tok, vocab = corpus
    args: dict[str, Any] = {"batch_size": 4, "max_length": 16, "seed": 0, "shuffle_buffer": 8}
    args.update(kw)
    objs = setup_objectives(objectives, vocab, args["max_length"])
    del args["max_length"]  # the objectives carry it
    return PretrainStream(Manifest.load(root), tok, vocab, objs, resume=resume, **args)


def mixed() -> list[Objective]:
    """Masked LM on packed mono blocks and TLM on pairs: real masks, both data kinds."""
    return [MaskedLM(weight=2.0), TranslationLM()]


def batches(ds: PretrainStream, n: int, workers: int) -> list[Batch]:
    if workers == 0:
        return list(islice(iter(ds), n))
    return list(islice(torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers), n))


def fingerprint(batches: list[Batch]) -> list[tuple[Any, ...]]:
    """Everything a training step sees: objective, keys, inputs, targets (the masks), positions."""
    return [(b.objective, b.keys, b.input_ids.tolist(), b.labels.tolist(), b.attention_mask.tolist(),
             b.positions.tolist(), b.langs.tolist()) for b in batches]


def through_checkpoint(value: Any) -> Any:
    """What a checkpoint gives back: ``torch.save`` then ``torch.load(weights_only=True)``."""
    buffer = io.BytesIO()
    torch.save(to_saveable(value), buffer)
    buffer.seek(0)
    return from_saved(torch.load(buffer, weights_only=True))


def resume_state(consumed: list[Batch], workers: int) -> dict[str, Any]:
    """The rank entry the data module keeps after the loop consumed ``consumed``."""
    tracker = StreamStateTracker(max(1, workers))
    for batch in consumed:
        assert batch.state is not None
        tracker.record(batch.state)
    return through_checkpoint(tracker.rank_state())


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def leaf_types(value: Any) -> set[type]:
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value)
        return set().union(*(leaf_types(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(leaf_types(v) for v in value))
    return {type(value)}


# ------------------------------------------------------------------------------ the stream itself
@pytest.mark.parametrize("encoding", ["text", "tokens"])
def test_resuming_after_any_batch_gives_the_uninterrupted_batches_in_process(
        request: pytest.FixtureRequest, encoding: str) -> None:
    corpus = request.getfixturevalue("corpus" if encoding == "text" else "token_corpus")
    n = 30
    full = batches(stream(corpus, mixed()), n, 0)
    assert {b.objective for b in full} == {"maskedlm", "translationlm"}
    for k in range(n - 1):  # every position: mid-shard, mid-buffer, mid-document, shard ends
        resumed = batches(stream(corpus, mixed(), resume_state(full[: k + 1], 0)), n - k - 1, 0)
        assert fingerprint(resumed) == fingerprint(full[k + 1:]), f"resumed after batch {k}"
        # ... and the resumed stream ends in the same position, counters included.
        assert same(resumed[-1].state, full[-1].state), f"resumed after batch {k}"


@pytest.mark.parametrize("k", [0, 3, 8])
def test_resuming_with_two_dataloader_workers_continues_the_round_robin(
        corpus: tuple[str, str, Vocab], k: int) -> None:
    n = 14
    full = batches(stream(corpus, mixed()), n, 2)
    state = resume_state(full[: k + 1], 2)
    assert state["next_slot"] == (k + 1) % 2  # a new DataLoader starts at worker 0: it takes this slot
    resumed = batches(stream(corpus, mixed(), state), n - k - 1, 2)
    assert fingerprint(resumed) == fingerprint(full[k + 1:])
    assert same(resumed[-1].state, full[-1].state) and same(resumed[-2].state, full[-2].state)


def test_zero_and_one_worker_are_the_same_layout(corpus: tuple[str, str, Vocab]) -> None:
    full = batches(stream(corpus, mixed()), 8, 0)
    resumed = batches(stream(corpus, mixed(), resume_state(full[:3], 0)), 5, 1)
    assert fingerprint(resumed) == fingerprint(full[3:])


def test_state_is_plain_values_and_small_arrays_without_text(corpus: tuple[str, str, Vocab]) -> None:
    full = batches(stream(corpus, [EchoObjective(), PairEchoObjective()], shuffle_buffer=50), 12, 0)
    state = full[-1].state
    assert state is not None
    assert leaf_types(state) <= {int, float, str, bytes, bool, type(None)}
    raw = pickle.dumps(state)
    # References into shards, never documents: the corpus words ("dew3", "enw17", ...) are absent.
    assert not any(f"{lang}w".encode() in raw for lang in LANGS)
    streams = [s for o in state["objectives"].values() for s in o["streams"].values()]  # type: ignore[union-attr]
    held = sum(len(s["buffer"]) // 8 for s in streams)  # (shard, sample) int32 pairs
    assert held == 50 * len(streams)  # the buffers are full ...
    assert len(raw) < 8 * held + 1000 * len(streams)  # ... and cost 8 bytes per held document


def test_a_packer_continues_from_its_state_dict() -> None:
    rng = np.random.default_rng(0)
    docs = [(f"d{i}", [rng.integers(10, 99, size=int(rng.integers(1, 9))) for _ in range(int(rng.integers(1, 4)))])
            for i in range(30)]
    whole, half = Packer(7, 2), Packer(7, 2)
    expected = [b for key, sents in docs for b in whole.add(key, "de", sents)]
    got = [b for key, sents in docs[:13] for b in half.add(key, "de", sents)]
    resumed = Packer(7, 2)
    resumed.load_state_dict(pickle.loads(pickle.dumps(half.state_dict())))
    got += [b for key, sents in docs[13:] for b in resumed.add(key, "de", sents)]
    assert [(b.key, b.ids.tolist(), b.sentence_ends.tolist()) for b in got] == \
        [(b.key, b.ids.tolist(), b.sentence_ends.tolist()) for b in expected]
    assert resumed.pending == whole.pending > 0


def test_validation_batches_carry_no_state(corpus: tuple[str, str, Vocab]) -> None:
    assert all(b.state is None for b in stream(corpus, [EchoObjective()], split="val"))


# ------------------------------------------------------------------------------ the data module
def datamodule(corpus: tuple[str, str, Vocab], objectives: list[Objective], **kw: Any) -> PretrainDataModule:
    args: dict[str, Any] = {"shards": corpus[0], "tokenizer": corpus[1], "max_length": 16, "batch_size": 4,
                            "num_workers": 0, "shuffle_buffer": 8}
    args.update(kw)
    dm = PretrainDataModule(**args)
    dm.connect(objectives)
    return dm


def consume(dm: PretrainDataModule, n: int) -> list[Batch]:
    """Take ``n`` training batches the way Lightning's loop does (through the transfer hook)."""
    return [dm.on_before_batch_transfer(b, 0) for b in islice(dm.train_dataloader(), n)]


def test_data_module_state_dict_resumes_exactly_and_drops_the_state_from_batches(
        corpus: tuple[str, str, Vocab]) -> None:
    uninterrupted = datamodule(corpus, mixed())
    full = consume(uninterrupted, 12)
    full_drawn = uninterrupted.drawn()
    first = datamodule(corpus, mixed())
    seen = consume(first, 5)
    assert all(b.state is None for b in seen)  # never shipped to the device
    saved = through_checkpoint(first.state_dict())
    assert saved["layout"]["workers"] == 1 and len(saved["ranks"]) == 1 and saved["ranks"][0]["consumed"] == 5
    second = datamodule(corpus, mixed())
    second.load_state_dict(saved)
    assert fingerprint(consume(second, 7)) == fingerprint(full[5:])
    assert second.consumed_batches == 12
    drawn = second.drawn()
    samples, tokens, documents = drawn["samples"], drawn["tokens"], drawn["documents"]
    assert sum(samples.values()) == 12 * 4 and sum(tokens.values()) > sum(samples.values())
    assert drawn == full_drawn  # the counters continue exactly
    pairs = [lang for lang in samples if "-" in lang]
    assert pairs and all(documents[p] == samples[p] for p in pairs)  # a pair is its own document
    assert all(0 < documents[lang] for lang in samples)


def test_a_new_train_loader_continues_after_the_last_batch_trained_on(corpus: tuple[str, str, Vocab]) -> None:
    full = consume(datamodule(corpus, mixed(), num_workers=2), 9)
    dm = datamodule(corpus, mixed(), num_workers=2)
    first = consume(dm, 3)  # the loader's workers made more than 3; only 3 were trained on
    assert fingerprint(first + consume(dm, 6)) == fingerprint(full)


def test_each_rank_resumes_its_own_entry(corpus: tuple[str, str, Vocab]) -> None:
    def rank_dm(rank: int) -> PretrainDataModule:
        dm = datamodule(corpus, mixed())
        dm.rank, dm.world_size = rank, 2
        return dm

    full = [consume(rank_dm(r), 9) for r in range(2)]
    assert full[0][0].keys != full[1][0].keys
    firsts = [rank_dm(r) for r in range(2)]
    for dm in firsts:
        consume(dm, 4)
    # What Lightning writes with DDP: rank 0's state_dict, holding every rank's entry (gathered).
    saved = through_checkpoint({**firsts[0].state_dict(), "ranks": [dm.state_dict()["ranks"][0] for dm in firsts]})
    for r in range(2):
        dm = rank_dm(r)
        dm.load_state_dict(saved)
        assert fingerprint(consume(dm, 5)) == fingerprint(full[r][4:]), f"rank {r}"


@pytest.mark.parametrize("change", [{"num_workers": 2}, {"world_size": 2}, {"batch_size": 3}])
def test_a_changed_layout_warns_and_restarts_at_a_new_position(
        corpus: tuple[str, str, Vocab], change: dict[str, int], caplog: pytest.LogCaptureFixture) -> None:
    first = datamodule(corpus, mixed())
    fresh = consume(first, 12)
    saved = through_checkpoint(first.state_dict())  # after 12 batches, 1 worker, 1 rank
    dm = datamodule(corpus, mixed(), **{k: v for k, v in change.items() if k != "world_size"})
    dm.world_size = change.get("world_size", 1)
    dm.load_state_dict(saved)
    with caplog.at_level(logging.WARNING, logger="polytrain.stream.datamodule"):
        resumed = consume(dm, 6)
    key, value = next(iter(change.items()))
    name = {"num_workers": "workers"}.get(key, key)
    assert f"{name} {1 if key == 'world_size' else saved['layout'][name]!r} -> {value!r}" in caplog.text
    assert "restarts at a new seed-derived position (generation 12)" in caplog.text
    # The objective sequence goes on from batch 12 ...
    weights = [o.weight for o in dm.objectives]
    assert [b.objective for b in resumed] == [dm.objectives[choose_objective(0, 12 + i, weights)].name for i in range(6)]
    # ... and the data is new: not the run's first batches again (single documents may recur by
    # chance in this tiny corpus, whole batches do not).
    assert not {tuple(b.keys) for b in resumed} & {tuple(b.keys) for b in fresh}
    # The new layout's position is what the next checkpoint holds.
    assert through_checkpoint(dm.state_dict())["ranks"][0]["consumed"] == 18


def test_another_packing_is_another_layout(corpus: tuple[str, str, Vocab], caplog: pytest.LogCaptureFixture) -> None:
    """A text-stream packer's pending tokens mean nothing to a whole-document packer: a checkpoint
    of the other packing (e.g. denoising before whole documents became its default) restarts."""
    stream = [MaskedLM()]
    documents = [MaskedLM()]
    documents[0].whole_documents = True
    first = datamodule(corpus, stream)
    consume(first, 3)
    saved = through_checkpoint(first.state_dict())
    dm = datamodule(corpus, documents)
    dm.load_state_dict(saved)
    with caplog.at_level(logging.WARNING, logger="polytrain.stream.datamodule"):
        consume(dm, 1)
    assert "objectives ['mlm:mono:1'] -> ['mlm:mono:1:documents']" in caplog.text, caplog.text
    assert "restarts at a new seed-derived position" in caplog.text


def test_resume_without_a_saved_position_warns_and_does_not_replay(
        corpus: tuple[str, str, Vocab], caplog: pytest.LogCaptureFixture) -> None:
    dm = datamodule(corpus, mixed())
    dm.trainer = type("T", (), {"global_step": 7, "accumulate_grad_batches": 2})()  # type: ignore[assignment]
    with caplog.at_level(logging.WARNING, logger="polytrain.stream.datamodule"):
        resumed = [b for b in islice(dm.train_dataloader(), 3)]
    assert "without a data position" in caplog.text and "generation 14" in caplog.text
    fresh = consume(datamodule(corpus, mixed()), 3)
    assert fingerprint(resumed) != fingerprint(fresh)

