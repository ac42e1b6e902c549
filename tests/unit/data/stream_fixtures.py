"""Tiny shard folders, a tiny tokenizer and test objectives for the streaming tests.

Shards are written here with :mod:`tarfile` straight from docs/data-format.md (not with the shard
writer), so the tests also check that the reader accepts the documented format.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import tarfile
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from tokenizers import Tokenizer, models, pre_tokenizers

from polytrain.shards.vocab import vocab_from_tokenizer
from polytrain.objectives.base import DataKind, Objective, target_cross_entropy
from polytrain.types import SPECIAL_TOKENS, Batch, Example, ModelOutput, TextBlock, TextPair, Vocab, language_tag

WORDS_PER_LANG = 40
Member = tuple[str, bytes]


def words(lang: str) -> list[str]:
    """The word list of ``lang``: ``{lang}w0 .. {lang}w39`` (one token each)."""
    return [f"{lang}w{i}" for i in range(WORDS_PER_LANG)]


def make_tokenizer(path: str, languages: Sequence[str]) -> str:
    """Write a WordLevel ``tokenizer.json`` in polytrain's id layout; return its path.

    Ids: 0..4 ``SPECIAL_TOKENS``, then ``<lang:xx>`` sorted, then every language's words.
    """
    langs = sorted(languages)
    tokens = [*SPECIAL_TOKENS, *(language_tag(lang) for lang in langs)]
    tokens += [w for lang in langs for w in words(lang)]
    tokenizer = Tokenizer(models.WordLevel({t: i for i, t in enumerate(tokens)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens(tokens[: len(SPECIAL_TOKENS) + len(langs)])
    tokenizer.save(path)
    return path


def make_vocab(path: str) -> Vocab:
    tokenizer = Tokenizer.from_file(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return vocab_from_tokenizer(tokenizer, digest, source=path)


def document(lang: str, rng: np.random.Generator, max_sentences: int = 4, max_words: int = 8) -> list[str]:
    vocab = words(lang)
    return [" ".join(vocab[j] for j in rng.integers(0, len(vocab), size=int(rng.integers(1, max_words + 1))))
            for _ in range(int(rng.integers(1, max_sentences + 1)))]


def doc_key(lang: str, index: int) -> str:
    """A key in the documented shape: lang, 8 hex of sha1 of a file name, document index."""
    return f"{lang}_{hashlib.sha1(f'{lang}.txt'.encode()).hexdigest()[:8]}_{index:08d}"


def mono_members(lang: str, first: int, count: int, seed: int = 0) -> list[Member]:
    """``count`` mono samples (``{key}.json`` then ``{key}.txt``, sorted like the writer)."""
    out: list[Member] = []
    for i in range(first, first + count):
        sentences = document(lang, np.random.default_rng([seed, i, len(lang)]))
        meta = {"lang": lang, "id": None, "source": f"{lang}.txt", "sentences": len(sentences)}
        key = doc_key(lang, i)
        out += [(f"{key}.json", json.dumps(meta).encode()), (f"{key}.txt", "\n".join(sentences).encode())]
    return out


def pair_members(src: str, tgt: str, first: int, count: int) -> list[Member]:
    out: list[Member] = []
    for i in range(first, first + count):
        rng = np.random.default_rng([i, 7])
        key = doc_key(f"{src}-{tgt}", i)
        meta = {"src_lang": src, "tgt_lang": tgt, "source": f"{src}-{tgt}.tsv", "line": i + 1}
        out += [(f"{key}.json", json.dumps(meta).encode()),
                (f"{key}.src.txt", document(src, rng, 1)[0].encode()),
                (f"{key}.tgt.txt", document(tgt, rng, 1)[0].encode())]
    return out


def write_tar(path: str, members: Sequence[Member]) -> None:
    """A deterministic tar (mtime 0, uid/gid 0, mode 0o644), members in the given order."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))


def _chars(members: Sequence[Member]) -> int:
    return sum(len(d.decode("utf-8", "replace")) for n, d in members if n.endswith(".txt"))


def shard_entry(root: str, rel: str, kind: str, lang: str, split: str, members: Sequence[Member],
                samples: int | None = None) -> dict[str, Any]:
    """Write one shard under ``root`` and return its manifest entry (data-format.md)."""
    path = os.path.join(root, *rel.split("/"))
    write_tar(path, members)
    with open(path, "rb") as f:
        data = f.read()
    entry: dict[str, Any] = {"path": rel, "kind": kind, "lang": lang}
    if kind == "parallel":
        entry["src_lang"], entry["tgt_lang"] = lang.split("-")
    keys = {n.split(".", 1)[0] for n, _ in members}
    entry.update(split=split, samples=len(keys) if samples is None else samples, chars=_chars(members),
                 bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), tokens=None)
    return entry


def write_manifest(root: str, entries: list[dict[str, Any]]) -> str:
    totals: dict[str, Any] = {"mono": {}, "parallel": {}}
    for e in entries:
        t = totals[e["kind"]].setdefault(e["lang"], {}).setdefault(
            e["split"], {"samples": 0, "chars": 0, "shards": 0})
        t["samples"] += e["samples"]
        t["chars"] += e["chars"]
        t["shards"] += 1
    manifest = {"format": "polytrain-shards", "version": 1, "created_by": "stream_fixtures",
                "shards": entries, "totals": totals, "skipped": {}, "options": {}}
    path = os.path.join(root, "manifest.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    return path


def build_corpus(root: str, mono: dict[str, list[int]], parallel: dict[str, list[int]] | None = None,
                 val: dict[str, list[int]] | None = None) -> str:
    """Shards for each language/pair: ``mono={"de": [30, 20]}`` = two train shards of 30 and 20
    documents; ``val`` likewise (mono languages or pairs). Returns the manifest path."""
    entries = []
    for split, spec in (("train", {**mono, **(parallel or {})}), ("val", val or {})):
        for lang, sizes in spec.items():
            first = 0 if split == "train" else 100_000
            for j, n in enumerate(sizes):
                kind = "parallel" if "-" in lang else "mono"
                members = pair_members(*lang.split("-"), first, n) if kind == "parallel" else mono_members(lang, first, n)
                rel = f"{kind}/{lang}/{split}-{j:06d}.tar"
                entries.append(shard_entry(root, rel, kind, lang, split, members))
                first += n
    return write_manifest(root, entries)


# ----------------------------------------------------------------------------- malicious members
class Evil:
    """Unpickling this creates ``marker`` (what an attacker's payload would do)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


def evil_members(marker: str) -> list[Member]:
    """A ``.pyd``, ``.pickle``, ``.pth`` and ``.pyd.gz`` member, each creating ``marker`` if loaded."""
    payload = pickle.dumps(Evil(marker))
    pth = io.BytesIO()
    torch.save({"x": Evil(marker)}, pth)
    return [("evil1.pyd", payload), ("evil2.pickle", payload), ("evil3.pth", pth.getvalue()),
            ("evil4.pyd.gz", gzip.compress(payload))]


# ----------------------------------------------------------------------------- test objectives
class EchoObjective(Objective):
    """``<s> block </s>`` with labels = inputs, except label 0 drawn from ``rng`` (shows the seed)."""

    data_kind: ClassVar[DataKind] = "mono"
    added_tokens: ClassVar[int] = 2

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        assert isinstance(sample, TextBlock)
        v = self.vocab
        ids = np.concatenate([[v.bos_id], sample.ids, [v.eos_id]]).astype(np.int64)
        assert len(ids) <= self.max_length
        labels = ids.copy()
        labels[0] = int(rng.integers(0, v.size))
        return Example(input_ids=ids, labels=labels, positions=np.arange(len(ids)),
                       langs=np.full(len(ids), v.lang_index(sample.lang)), lang=sample.lang, key=sample.key)

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return target_cross_entropy(outputs, batch)


class PairEchoObjective(Objective):
    """``<s> src </s> tgt </s>`` of a parallel pair, labels = inputs."""

    data_kind: ClassVar[DataKind] = "parallel"
    added_tokens: ClassVar[int] = 3

    def make_example(self, sample: TextBlock | TextPair, rng: np.random.Generator) -> Example:
        assert isinstance(sample, TextPair)
        v = self.vocab
        ids = np.concatenate([[v.bos_id], sample.src_ids, [v.eos_id], sample.tgt_ids, [v.eos_id]]).astype(np.int64)
        langs = np.array([v.lang_index(sample.src_lang)] * (len(sample.src_ids) + 2)
                         + [v.lang_index(sample.tgt_lang)] * (len(sample.tgt_ids) + 1))
        return Example(input_ids=ids, labels=ids.copy(), positions=np.arange(len(ids)), langs=langs,
                       lang=f"{sample.src_lang}-{sample.tgt_lang}", key=sample.key)

    def loss(self, outputs: ModelOutput, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return target_cross_entropy(outputs, batch)


def setup_objectives(objectives: Sequence[Objective], vocab: Vocab, max_length: int) -> list[Objective]:
    for obj in objectives:
        obj.setup(vocab, max_length)
    return list(objectives)
