"""Streaming: safe shard reading, counters, language mixture, determinism, validation, URLs."""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import shutil
import tracemalloc
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest
import torch
import webdataset.autodecode
from stream_fixtures import (
    EchoObjective,
    Evil,
    PairEchoObjective,
    build_corpus,
    evil_members,
    make_tokenizer,
    make_vocab,
    mono_members,
    setup_objectives,
    shard_entry,
    write_manifest,
    write_tar,
)

from polytrain.shards.manifest import Manifest
from polytrain.shards.mixture import sampling_probs
from polytrain.shards.reader import StreamStats, read_shard
from polytrain.stream.dataset import PretrainStream, choose_objective
from polytrain.objectives.base import Objective
from polytrain.types import Batch, Vocab

LANGS = ["de", "en", "sw"]
MAX_LEN = 16


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, str, Vocab]:
    root = str(tmp_path_factory.mktemp("corpus"))
    path = build_corpus(root, {"de": [40, 30, 10], "en": [60, 60, 60, 40], "sw": [12, 6]}, {"de-en": [20, 15]},
                        val={"de": [9, 4], "en": [11], "sw": [3], "de-en": [6]})
    tok = make_tokenizer(os.path.join(root, "tokenizer.json"), LANGS)
    return Manifest.load(path), tok, make_vocab(tok)


def stream(corpus: tuple[Manifest, str, Vocab], objectives: list[Objective] | None = None,
           **kw: object) -> PretrainStream:
    manifest, tok, vocab = corpus
    args: dict = {"batch_size": 4, "max_length": MAX_LEN, "seed": 0, "shuffle_buffer": 8}
    args.update(kw)
    objs = setup_objectives(objectives or [EchoObjective()], vocab, args.pop("max_length"))
    return PretrainStream(manifest, tok, vocab, objs, **args)


def take(ds: PretrainStream, n: int) -> list[Batch]:
    return list(islice(iter(ds), n))


def fingerprint(batches: list[Batch]) -> list[tuple[str, list[str], list[list[int]]]]:
    return [(b.objective, b.keys, b.input_ids.tolist() + b.labels.tolist()) for b in batches]


def loader(ds: PretrainStream, workers: int) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers)


def read_all(url: str, kind: str = "mono", **kw: object) -> tuple[list, StreamStats]:
    stats = StreamStats()
    return list(read_shard(url, kind, stats, **kw)), stats


# ------------------------------------------------------------------------------ safe reading
def test_pickle_like_members_are_refused_and_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The payloads really are harmful: loading one creates its marker file.
    control = tmp_path / "control"
    pickle.loads(gzip.decompress(evil_members(str(control))[3][1]))
    assert control.exists()

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a shard member reached an unpickling decoder")

    for module, name in ((pickle, "loads"), (pickle, "load"), (torch, "load"), (webdataset.autodecode, "basichandlers")):
        monkeypatch.setattr(module, name, forbidden)
    marker = tmp_path / "marker"
    shard = str(tmp_path / "evil.tar")
    write_tar(shard, mono_members("de", 0, 2) + evil_members(str(marker)) + mono_members("de", 2, 1))

    samples, stats = read_all(shard)

    assert not marker.exists()
    assert stats.totals["refused_member"] == 4 and stats.totals[f"refused_member:{shard}"] == 4
    assert [s.key.split("_")[-1] for s in samples] == ["00000000", "00000001", "00000002"]
    assert set(stats.totals) == {"refused_member", f"refused_member:{shard}"}  # refused, nothing else


@pytest.mark.parametrize("cut", ["mid_member", "member_boundary"])
def test_truncated_shard_is_skipped_with_a_warning_and_others_still_stream(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, cut: str) -> None:
    root = str(tmp_path)
    entries = [shard_entry(root, f"mono/de/val-{j:06d}.tar", "mono", "de", "val", mono_members("de", 10 * j, 10))
               for j in range(3)]
    bad = tmp_path / "mono/de/val-000001.tar"
    data = bad.read_bytes()
    # Each member is a 512-byte header and one 512-byte data block; a document is .json + .txt.
    size, kept = (4096, 1) if cut == "member_boundary" else (4096 + 512 + 100, 2)
    bad.write_bytes(data[:size])
    _, tok = write_manifest(root, entries), make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    vocab = make_vocab(tok)
    # One block per val shard (each is packed on its own): its key names the shard's first document.
    ds = stream((Manifest.load(str(tmp_path)), tok, vocab), split="val", batch_size=1000, max_length=10_000)

    with caplog.at_level(logging.WARNING, logger="polytrain.stream.dataset"):
        batches = take(ds, 5)
    assert [len(b.keys) for b in batches] == [1, 1, 1]  # a val shard is batched on its own
    first_docs = [int(b.keys[0].split("/")[1].rsplit("_", 1)[1]) for b in batches]
    assert first_docs == [0, 10, 20]
    eos = vocab.eos_id
    # At the boundary cut, document 1 might have had more members: dropped too.
    assert [int((b.input_ids[0] == eos).sum()) - 1 for b in batches] == [10, kept, 10]  # - final </s>
    url = str(bad)
    stats = Counter(k for b in batches for k, n in b.stats.items() for _ in range(n))
    assert stats["corrupt_shard"] == 1 and stats[f"corrupt_shard:{url}"] == 1
    assert ds.stats.totals["corrupt_shard"] == 1
    lines = [r.getMessage() for r in caplog.records if "corrupt" in r.getMessage()]
    assert len(lines) == 1 and url in lines[0] and "ReadError" in lines[0] and "\n" not in lines[0]


def test_corrupt_and_invalid_members_are_counted_and_their_samples_dropped(tmp_path: Path) -> None:
    good = mono_members("de", 0, 3)
    shard = str(tmp_path / "bad.tar")
    write_tar(shard, good[:2]  # sample 0 fine
              + [("x1.json", b"{not json"), ("x1.txt", b"fine")]
              + [("x2.json", b"{}"), ("x2.txt", b"caf\xe9 latin-1")]
              + [("x3.json", b"[1, 2]"), ("x3.txt", b"fine")]  # JSON, but not an object
              + [("x4.json", b"{}")]  # no text member
              + good[2:])
    samples, stats = read_all(shard)
    assert [s.key for s in samples] == [good[0][0].split(".")[0], good[2][0].split(".")[0], good[4][0].split(".")[0]]
    assert samples[0].meta == json.loads(good[0][1]) and samples[0].texts == {"txt": good[1][1].decode()}
    assert {k: v for k, v in stats.totals.items() if ":" not in k} == {
        "invalid_json": 2, "invalid_utf8": 1, "missing_text": 1}
    assert stats.totals[f"invalid_utf8:{shard}"] == 1


def test_noncontiguous_keys_and_duplicate_members_never_make_partial_samples(tmp_path: Path) -> None:
    shard = str(tmp_path / "order.tar")
    write_tar(shard, [("a.txt", b"one"), ("b.txt", b"two"), ("a.json", b"{}"),
                      ("c.txt", b"three"), ("c.txt", b"again")])
    samples, stats = read_all(shard)
    assert [(s.key, s.texts["txt"]) for s in samples] == [("a", "one"), ("b", "two"), ("c", "three")]
    assert stats.totals["noncontiguous_key"] == 1 and stats.totals["duplicate_member"] == 1


def test_oversized_member_is_skipped_without_reading_it_into_memory(tmp_path: Path) -> None:
    big = b"x" * (20 * 2**20)
    shard = str(tmp_path / "big.tar")
    write_tar(shard, mono_members("de", 0, 1) + [("huge.json", b"{}"), ("huge.txt", big)] + mono_members("de", 1, 1))
    del big
    tracemalloc.start()
    try:
        samples, stats = read_all(shard, max_member_bytes=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(samples) == 2 and all(s.key != "huge" for s in samples)
    assert stats.totals["oversized_member"] == 1
    assert stats.totals["missing_text"] == 0  # counted once, as oversized
    assert peak < 4 * 2**20


def test_empty_shard_and_zero_byte_file_are_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    empty = str(tmp_path / "empty.tar")
    write_tar(empty, [])
    zero = tmp_path / "zero.tar"
    zero.write_bytes(b"")
    for url in (empty, str(zero)):
        samples, stats = read_all(url)
        assert samples == [] and stats.totals["empty_shard"] == 1 and stats.totals[f"empty_shard:{url}"] == 1
        assert stats.totals["corrupt_shard"] == 0


def test_missing_shard_file_is_counted_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = str(tmp_path / "gone.tar")
    with caplog.at_level(logging.WARNING, logger="polytrain.stream.dataset"):
        samples, stats = read_all(url)
    assert samples == [] and stats.totals[f"corrupt_shard:{url}"] == 1
    assert any(url in r.getMessage() and "FileNotFoundError" in r.getMessage() for r in caplog.records)


def test_file_url_opens_like_a_path(tmp_path: Path) -> None:
    shard = str(tmp_path / "s.tar")
    write_tar(shard, mono_members("de", 0, 2))
    assert [s.key for s in read_all(f"file://{shard}")[0]] == [s.key for s in read_all(shard)[0]]


def test_parallel_samples_need_both_sides(tmp_path: Path) -> None:
    shard = str(tmp_path / "p.tar")
    write_tar(shard, [("a.json", b"{}"), ("a.src.txt", b"x"), ("a.tgt.txt", b"y"),
                      ("b.json", b"{}"), ("b.src.txt", b"x"), ("c.txt", b"mono")])
    samples, stats = read_all(shard, kind="parallel")
    assert [s.key for s in samples] == ["a"] and samples[0].texts == {"src.txt": "x", "tgt.txt": "y"}
    assert stats.totals["missing_text"] == 2


# ------------------------------------------------------------------------------ train stream
def test_language_shares_follow_the_alpha_mixture(corpus: tuple[Manifest, str, Vocab]) -> None:
    ds = stream(corpus, sampling_alpha=0.3, batch_size=50)
    take(ds, 60)
    n = sum(ds.drawn.samples.values())
    assert n == 3000
    q = sampling_probs({k: float(v) for k, v in corpus[0].sizes("mono", "train", "chars").items()}, 0.3)
    for lang in LANGS:
        sigma = (n * q[lang] * (1 - q[lang])) ** 0.5
        assert abs(ds.drawn.samples[lang] - n * q[lang]) < 5 * sigma, (lang, ds.drawn.samples, q)
    assert ds.drawn.tokens[lang] == ds.drawn.samples[lang] * (MAX_LEN - 2)  # full blocks only
    # alpha = 0.3 upsamples the smallest language well above its natural share.
    natural = corpus[0].sizes("mono", "train", "chars")
    assert q["sw"] > 2 * natural["sw"] / sum(natural.values())


def test_blocks_hold_documents_of_one_language_with_their_tokens(corpus: tuple[Manifest, str, Vocab]) -> None:
    vocab = corpus[2]
    (batch,) = take(stream(corpus, batch_size=64), 1)
    assert batch.input_ids.shape == (64, MAX_LEN) and bool(batch.attention_mask.all())
    for row, lang, key in zip(batch.input_ids.tolist(), batch.lang, batch.keys):
        assert key.startswith(f"{lang}/{lang}_")
        words = [t for t in row[1:-1] if t != vocab.eos_id]
        first_word_id = vocab.num_special + sorted(LANGS).index(lang) * 40
        assert all(first_word_id <= t < first_word_id + 40 for t in words)  # only this language's words


def test_same_seed_gives_identical_batches_and_rank_changes_the_data(corpus: tuple[Manifest, str, Vocab]) -> None:
    objs = lambda: [EchoObjective(weight=2.0), PairEchoObjective()]
    a = fingerprint(take(stream(corpus, objs()), 12))
    b = fingerprint(take(stream(corpus, objs()), 12))
    assert a == b
    other_rank = fingerprint(take(stream(corpus, objs(), rank=1, world_size=2), 12))
    other_seed = fingerprint(take(stream(corpus, objs(), seed=1), 12))
    assert [x[1] for x in other_rank] != [x[1] for x in a]
    assert [x[1] for x in other_seed] != [x[1] for x in a]
    # The objective of step n is the same on every rank.
    assert [x[0] for x in other_rank] == [x[0] for x in a]


def test_two_dataloader_workers_are_deterministic_and_keep_the_objective_sequence(
        corpus: tuple[Manifest, str, Vocab]) -> None:
    objs = lambda: [EchoObjective(weight=3.0), PairEchoObjective()]
    runs = [list(islice(loader(stream(corpus, objs()), 2), 16)) for _ in range(2)]
    assert fingerprint(runs[0]) == fingerprint(runs[1])
    # Worker 0 and worker 1 draw different data.
    assert not set(runs[0][0].keys) & set(runs[0][1].keys)
    sequence = [b.objective for b in runs[0]]
    single = [b.objective for b in take(stream(corpus, objs()), 16)]
    rank1 = [b.objective for b in islice(loader(stream(corpus, objs(), rank=1, world_size=2), 2), 16)]
    assert sequence == single == rank1
    assert len(set(sequence)) == 2


def test_objective_choice_follows_weights_and_depends_only_on_seed_and_step() -> None:
    n = 4000
    picks = [choose_objective(7, g, [3.0, 1.0]) for g in range(n)]
    sigma = (n * 0.75 * 0.25) ** 0.5
    assert abs(picks.count(0) - 0.75 * n) < 5 * sigma
    assert picks == [choose_objective(7, g, [3.0, 1.0]) for g in range(n)]
    assert picks != [choose_objective(8, g, [3.0, 1.0]) for g in range(n)]


def test_counters_travel_with_batches(tmp_path: Path) -> None:
    root = str(tmp_path)
    members = mono_members("de", 0, 5)
    entry = shard_entry(root, "mono/de/train-000000.tar", "mono", "de", "train",
                        members[:2] + [("evil.pyd", pickle.dumps(Evil(str(tmp_path / "m"))))] + members[2:])
    write_manifest(root, [entry])
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    ds = stream((Manifest.load(root), tok, make_vocab(tok)), batch_size=2, shuffle_buffer=1)
    batches = take(ds, 20)
    refused = sum(b.stats.get("refused_member", 0) for b in batches)
    assert refused >= 1 and refused == ds.stats.totals["refused_member"]
    assert sum(b.stats.get(f"refused_member:{Manifest.load(root).shard_url(Manifest.load(root).shards()[0])}", 0)
               for b in batches) == refused
    assert not (tmp_path / "m").exists()


def test_a_language_whose_shards_are_all_broken_fails_loudly(tmp_path: Path) -> None:
    root = str(tmp_path)
    entry = shard_entry(root, "mono/de/train-000000.tar", "mono", "de", "train", mono_members("de", 0, 3))
    write_manifest(root, [entry])
    (tmp_path / "mono/de/train-000000.tar").write_bytes(b"garbage" * 200)
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    with pytest.raises(RuntimeError, match=r"mono de: no usable sample in 10 shard reads in a row"):
        take(stream((Manifest.load(root), tok, make_vocab(tok))), 1)


def test_streams_masked_lm_examples(corpus: tuple[Manifest, str, Vocab]) -> None:
    from polytrain.objectives.mlm import MaskedLM

    vocab = corpus[2]
    batches = take(stream(corpus, [MaskedLM()], batch_size=32), 3)
    for batch in batches:
        assert batch.objective == MaskedLM().name and batch.input_ids.shape == (32, MAX_LEN)
        assert bool((batch.input_ids[:, 0] == vocab.bos_id).all())
        targets = batch.labels != -100
        assert 0.05 < targets.float().mean() < 0.3  # about 15% of the text tokens
    again = take(stream(corpus, [MaskedLM()], batch_size=32), 3)
    assert fingerprint(again) == fingerprint(batches)


# ------------------------------------------------------------------------------ validation
def val_fingerprint(batches: list[Batch]) -> dict[str, tuple[str, list[int], list[int]]]:
    out = {}
    for b in batches:
        for i, key in enumerate(b.keys):
            n = int(b.attention_mask[i].sum())
            out[key] = (b.objective, b.input_ids[i, :n].tolist(), b.labels[i, :n].tolist())
    return out


def test_validation_is_finite_identical_across_runs_and_independent_of_workers(
        corpus: tuple[Manifest, str, Vocab]) -> None:
    objs = lambda: [EchoObjective(), PairEchoObjective()]
    first = list(stream(corpus, objs(), split="val"))
    second = list(stream(corpus, objs(), split="val"))
    assert fingerprint(first) == fingerprint(second)
    two_workers = list(loader(stream(corpus, objs(), split="val"), 2))
    assert val_fingerprint(two_workers) == val_fingerprint(first)
    # Two ranks together see exactly what one rank sees.
    ranks = [list(stream(corpus, objs(), split="val", rank=r, world_size=2)) for r in range(2)]
    assert val_fingerprint(ranks[0] + ranks[1]) == val_fingerprint(first)
    assert set(val_fingerprint(ranks[0])).isdisjoint(val_fingerprint(ranks[1]))
    # Every val document appears, batches are per objective, the remainder is a smaller batch.
    assert {b.objective for b in first} == {"echoobjective", "pairechoobjective"}
    pairs = [k for b in first if b.objective == "pairechoobjective" for k in b.keys]
    assert len(pairs) == 6 and [len(b.keys) for b in first if b.objective == "pairechoobjective"] == [4, 2]
    mono_docs = {k.split("/")[1] for b in first if b.objective == "echoobjective" for k in b.keys}
    assert {d.split("_")[0] for d in mono_docs} == set(LANGS)


@pytest.mark.parametrize("ranks,workers", [(1, 1), (1, 2), (1, 3), (2, 2)])
def test_the_first_validation_batches_cover_every_objective_and_language(
        corpus: tuple[Manifest, str, Vocab], ranks: int, workers: int) -> None:
    # 4 groups (echo de/en/sw, pair de-en), 5 val shards (de has 2), several batches each.
    objs = lambda: [EchoObjective(), PairEchoObjective()]  # noqa: E731
    groups: set[tuple[str, str]] = set()
    every: list[Batch] = []
    for rank in range(ranks):
        ds = stream(corpus, objs(), split="val", batch_size=2, rank=rank, world_size=ranks)
        batches = list(loader(ds, workers)) if workers > 1 else list(ds)
        every += batches
        # limit_val_batches = ceil(4 groups / ranks): Lightning takes each rank's first batches.
        groups |= {(b.objective, b.lang[0]) for b in batches[: -(-4 // ranks)]}
    assert groups == {("echoobjective", "de"), ("echoobjective", "en"), ("echoobjective", "sw"),
                      ("pairechoobjective", "de-en")}
    # The batches themselves are those of one process (only their order depends on the layout).
    one = sorted(tuple(b.keys) for b in stream(corpus, objs(), split="val", batch_size=2))
    assert sorted(tuple(b.keys) for b in every) == one


def test_two_workers_and_two_val_batches_validate_both_objectives(corpus: tuple[Manifest, str, Vocab]) -> None:
    # The DataLoader takes batch 0 from worker 0 and batch 1 from worker 1: before, both were MLM's.
    ds = stream(corpus, [EchoObjective(), PairEchoObjective()], split="val")
    first_two = list(islice(loader(ds, 2), 2))
    assert {b.objective for b in first_two} == {"echoobjective", "pairechoobjective"}


def test_a_rank_or_worker_without_validation_shards_yields_nothing(corpus: tuple[Manifest, str, Vocab]) -> None:
    # 5 mono val shards: rank 7 of 8 has none; rank 1 has one, so its second worker has none.
    assert list(stream(corpus, split="val", rank=7, world_size=8)) == []
    one_worker = list(stream(corpus, split="val", rank=1, world_size=8))
    two_workers = list(loader(stream(corpus, split="val", rank=1, world_size=8), 2))
    assert one_worker and val_fingerprint(two_workers) == val_fingerprint(one_worker)


# ------------------------------------------------------------------------------ http
@pytest.fixture
def http_root(corpus: tuple[Manifest, str, Vocab], served: tuple[str, Path]) -> tuple[str, str]:
    """The corpus's shard folder, served over http (``served`` from tests/conftest.py)."""
    base, root = served
    shutil.copytree(os.path.dirname(str(corpus[0].location)), root, dirs_exist_ok=True)
    return base, str(root)


def test_streams_batches_over_http(corpus: tuple[Manifest, str, Vocab], http_root: tuple[str, str]) -> None:
    base, _ = http_root
    manifest = Manifest.load(f"{base}/manifest.json")
    assert manifest.shard_url(manifest.shards()[0]).startswith(base)
    _, _, vocab = corpus
    remote = (manifest, f"{base}/tokenizer.json", vocab)
    assert fingerprint(take(stream(remote), 4)) == fingerprint(take(stream(corpus), 4))
    assert val_fingerprint(list(stream(remote, split="val"))) == val_fingerprint(list(stream(corpus, split="val")))
    counts = Counter(k for b in take(stream(remote), 4) for k in b.stats)
    assert not counts  # nothing skipped over http


def test_a_pickled_stream_loads_its_own_tokenizer_and_yields_the_same_batches(
        corpus: tuple[Manifest, str, Vocab]) -> None:
    # What a worker started with the "spawn" method receives.
    ds = stream(corpus)
    first = take(ds, 3)
    assert ds._tokenizer is not None
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._tokenizer is None
    assert fingerprint(take(clone, 3)) == fingerprint(first)
