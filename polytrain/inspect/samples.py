"""The samples and examples ``polytrain inspect`` shows: read, tokenized and packed by the stream itself.

Documents come from ``PretrainStream.read`` and become samples through ``PretrainStream.samples``
with a packer from ``packer_for`` (the training stream's own code); only the order differs
(``iter_examples``): no resampling and no language mixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from polytrain.objectives import Example, Objective, make_rng
from polytrain.shards.manifest import Manifest, ShardInfo, Split

if TYPE_CHECKING:  # the stream (and torch) load when examples are made: `polytrain inspect --help` stays light
    from polytrain.shards.reader import StreamStats
    from polytrain.stream.dataset import PretrainStream, Sample

TRAIN_SHUFFLE = 100
"""Documents per language held for shuffling with ``split="train"`` (a peek, not a training run)."""


def _samples(stream: PretrainStream, objective: Objective, shards: list[ShardInfo], split: Split,
             seed: int) -> Iterator[Sample]:
    """Samples of one language (or pair).

    Val: shards in manifest order, each packed on its own and flushed (validation's blocks).
    Train: shards once each in a seeded order, documents shuffled, one packer for all of them.
    """
    from polytrain.stream.dataset import shuffle_buffer
    from polytrain.stream.packing import packer_for

    rng = make_rng(seed, "inspect", split, shards[0].lang)
    if split == "train":
        shards = [shards[int(i)] for i in rng.permutation(len(shards))]
    packer = packer_for(objective)
    for shard in shards:
        docs: Iterator[Any] = stream.read(shard)
        if split == "train":
            docs = shuffle_buffer(docs, TRAIN_SHUFFLE, rng)
        for doc in docs:
            yield from stream.samples(doc, shard, packer)
        if packer is not None and split == "val":
            yield from packer.flush()
            packer = packer_for(objective)
    if packer is not None and split == "train":
        yield from packer.flush()


def iter_examples(objective: Objective, manifest: Manifest, tokenizer: str, *, split: Split = "val",
                  seed: int = 0, lang: str | None = None,
                  stats: StreamStats | None = None) -> Iterator[tuple[Sample, Example]]:
    """``(sample, example)`` pairs of one objective, deterministic for a given ``seed``.

    Languages (or pairs) take turns, one sample each, in sorted order, until all run out. ``val``
    yields exactly the examples validation makes (same blocks, ``make_rng(seed, "val", key)``);
    ``train`` reads each train shard once (no resampling, no language mixture) and seeds each
    example by its key (``make_rng(seed, "example", 0, 0, key)``: the training rule, not the draws of
    training, which draws per batch).

    Args:
        objective: already ``setup(vocab, max_length)``; mono blocks leave room for its added tokens.
        manifest: the shards (loaded from a file, so shard paths resolve).
        tokenizer: path or URL of the tokenizer of ``objective``'s vocabulary.
        split: ``"val"`` or ``"train"``.
        seed: the run's data seed.
        lang: only this language (mono) or pair (parallel).
        stats: where skipped-data counters go (the stream's ``StreamStats``).
    """
    from polytrain.stream.dataset import PretrainStream

    stream = PretrainStream(manifest, tokenizer, objective.vocab, [objective], batch_size=1, seed=seed, split=split)
    if stats is not None:
        stream.stats = stats
    shards = [s for s in manifest.shards(objective.data_kind, split) if lang is None or s.lang == lang]
    streams = {name: _samples(stream, objective, [s for s in shards if s.lang == name], split, seed)
               for name in sorted({s.lang for s in shards})}
    while streams:
        for name in list(streams):
            sample = next(streams[name], None)
            if sample is None:
                del streams[name]
                continue
            rng = make_rng(seed, "val", sample.key) if split == "val" else make_rng(seed, "example", 0, 0, sample.key)
            yield sample, objective.make_example(sample, rng)
