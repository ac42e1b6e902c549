"""``polytrain evaluate loss``: per-language loss of a model's own objectives on shards or text files.

Each objective of the model scores the data it reads (MLM and denoising: monolingual text, TLM:
parallel pairs) exactly as validation does: documents are tokenized (or read from token shards of the
model's tokenizer) and packed into blocks as the stream packs them (a packer per shard or file), and
the objective corrupts each block with
``make_rng(seed, "val", key)``, so on a run's own validation shards (``--split val``, seed 0) the
figures are the ``val/<objective>/<lang>/*`` a validation at that checkpoint logs. Reported per
language (or pair): mean target cross-entropy, accuracy, ``ppl = exp(loss)``, target tokens and
text tokens read.

Optionally, for encoder models, the pseudo-perplexity of Salazar et al. 2020 ("Masked Language
Model Scoring", §2.3): each ordinary token of a sentence is masked in turn and scored given all the
others; ``PPPL = exp(-(1/N) * sum of the pseudo-log-likelihoods)`` over the N scored tokens. It
needs no random masking, so it is comparable across models with the same tokenizer; it costs one
forward row per token.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from polytrain.stream.collate import collate
from polytrain.shards.manifest import Manifest
from polytrain.stream.packing import packer_for
from polytrain.rng import make_rng
from polytrain.prepare.inputs import ShardError, ShardOptions, discover_sources, iter_samples, new_counts
from polytrain.shards.reader import StreamStats, read_documents
from polytrain.evaluate.loading import EvalError, LoadedModel
from polytrain.module import run_model
from polytrain.objectives.base import Objective, target_cross_entropy
from polytrain.objectives.masking import ordinary
from polytrain.types import IGNORE_INDEX, Example, TextBlock, TextPair, Vocab


@dataclass
class Document:
    """One document (``txt``) or pair (``src.txt``/``tgt.txt``) of the data, before tokenizing."""

    key: str
    lang: str
    """Language, or ``src-tgt`` pair."""
    texts: dict[str, str]
    group: str
    """The shard or file it came from: each group is packed on its own."""
    ids: list[np.ndarray] | None = None
    """Token shards: (T_i,) int64 ids of each sentence (mono) or of the two sides, instead of ``texts``."""


@dataclass
class Totals:
    """Sums of one language under one objective."""

    loss: float = 0.0
    correct: float = 0.0
    targets: int = 0
    tokens: int = 0

    def row(self) -> dict[str, float]:
        """The JSON row: mean loss, accuracy and ``exp(loss)`` over the targets (NaN without any), counts."""
        mean = self.loss / self.targets if self.targets else math.nan
        return {"loss": mean, "accuracy": self.correct / self.targets if self.targets else math.nan,
                "ppl": math.exp(mean) if self.targets and mean < 50 else math.inf if self.targets else math.nan,
                "targets": self.targets, "tokens": self.tokens}


@dataclass
class DataSource:
    """Shards (one manifest, one split) or text files, read as ``Document``s with skip counts."""

    paths: list[str]
    split: str = "val"
    skipped: dict[str, int] = field(default_factory=dict)
    """What reading skipped, by reason (the shard reader's and the shard writer's counter names)."""
    _counted: set[str] = field(default_factory=set)
    """Data kinds whose skips are in ``skipped`` already (several passes read the same documents)."""

    def manifest(self) -> Manifest | None:
        """The manifest, when the data is one manifest (or the folder that holds it); else ``None``."""
        path = self.paths[0]
        is_manifest = path.endswith("manifest.json") or os.path.isfile(os.path.join(path, "manifest.json"))
        return Manifest.load(path) if len(self.paths) == 1 and is_manifest else None

    def documents(self, kind: str, vocab: Vocab) -> Iterator[Document]:
        """Every document (``kind="mono"``) or pair (``"parallel"``) of the data, in order; token
        shards must hold the ids of ``vocab``'s tokenizer (the model's)."""
        manifest = self.manifest()
        skipped: dict[str, int] = {}
        if manifest is not None:
            yield from self._shard_documents(manifest, kind, skipped, vocab)
        else:
            yield from self._file_documents(kind, skipped)
        if kind not in self._counted:
            self._counted.add(kind)
            for reason, count in skipped.items():
                self.skipped[reason] = self.skipped.get(reason, 0) + count

    def _shard_documents(self, manifest: Manifest, kind: str, skipped: dict[str, int],
                         vocab: Vocab) -> Iterator[Document]:
        problem = manifest.tokenizer_mismatch(vocab.sha256)
        if problem is not None:
            raise EvalError(f"{problem}, not the model's (sha256 {vocab.sha256[:12]}): evaluate the text shards "
                            "they were made from, or shards tokenized with the model's tokenizer")
        stats = StreamStats()
        for shard in manifest.shards(kind, self.split):
            url = manifest.shard_url(shard)
            for doc in read_documents(url, kind, stats, manifest.encoding, vocab_size=vocab.size):
                if doc.ids is not None:  # token shards
                    yield Document(doc.key, shard.lang, {}, url, [ids.astype(np.int64) for ids in doc.split_ids()])
                    continue
                lines = doc.sentences or []
                texts = {"txt": "\n".join(lines)} if kind == "mono" else {"src.txt": lines[0], "tgt.txt": lines[1]}
                yield Document(doc.key, shard.lang, texts, url)
        skipped.update((reason, n) for reason, n in stats.totals.items() if ":" not in reason)  # not per shard

    def _file_documents(self, kind: str, skipped: dict[str, int]) -> Iterator[Document]:
        try:
            sources = discover_sources(self.paths)
        except ShardError as err:
            raise EvalError(str(err)) from None
        for source in sources:
            if (source.fmt == "tsv") != (kind == "parallel"):
                continue
            counts = new_counts()
            for sample in iter_samples(source, ShardOptions(), counts):
                yield Document(sample.key, sample.lang, sample.texts, source.path)
            for reason, count in counts.items():
                if count:
                    skipped[reason] = skipped.get(reason, 0) + count


def sentence_ids(loaded: LoadedModel, doc: Document) -> list[np.ndarray]:
    """(T_i,) int64 ids of each sentence of a mono document, or of the two sides of a pair: read from
    token shards, or tokenized as the stream tokenizes."""
    if doc.ids is not None:
        return doc.ids
    return loaded.encode(doc.texts["txt"].split("\n") if "txt" in doc.texts else [doc.texts["src.txt"], doc.texts["tgt.txt"]])


def samples(loaded: LoadedModel, objective: Objective, docs: Iterator[Document],
            skipped: dict[str, int]) -> Iterator[TextBlock | TextPair]:
    """Tokenized blocks (mono objectives: packed per group, as validation packs a shard) or pairs."""
    packer, group = None, None
    for doc in docs:
        for lang in doc.lang.split("-"):
            loaded.check_language(lang, doc.group)
        if objective.data_kind == "parallel":
            src, tgt = sentence_ids(loaded, doc)
            if not len(src) or not len(tgt):
                skipped["empty_text"] = skipped.get("empty_text", 0) + 1
                continue
            src_lang, tgt_lang = doc.lang.split("-")
            yield TextPair(doc.key, src_lang, tgt_lang, src, tgt)
            continue
        if doc.group != group or (packer is not None and packer.lang != doc.lang):
            if packer is not None:
                yield from packer.flush()
            packer, group = packer_for(objective), doc.group
        assert packer is not None
        yield from packer.add(doc.key, doc.lang, sentence_ids(loaded, doc))
    if packer is not None:
        yield from packer.flush()


@torch.no_grad()
def objective_loss(loaded: LoadedModel, objective: Objective, data: DataSource, batch_size: int,
                   seed: int) -> dict[str, Totals]:
    """Per-language totals of ``objective`` on ``data`` (module docstring)."""
    totals: dict[str, Totals] = {}
    examples: list[Example] = []

    def flush() -> None:
        batch = collate(examples, objective.name, loaded.vocab.pad_id).to(loaded.device)
        outputs = run_model(loaded.model, batch)
        outputs.head = loaded.heads.get(objective.name)  # as PretrainModule passes an objective its head
        _, metrics = objective.loss(outputs, batch)
        rows = batch.labels.ne(IGNORE_INDEX).nonzero()[:, 0]  # (N,) example of each target
        for i, example in enumerate(examples):
            mine = rows == i
            t = totals.setdefault(example.lang, Totals())
            t.loss += float(metrics["token_loss"][mine].double().sum())
            t.correct += float(metrics["token_correct"][mine].double().sum())
            t.targets += int(mine.sum())
            t.tokens += len(example.input_ids)
        examples.clear()

    for sample in samples(loaded, objective, data.documents(objective.data_kind, loaded.vocab), data.skipped):
        examples.append(objective.make_example(sample, make_rng(seed, "val", sample.key)))
        if len(examples) == batch_size:
            flush()
    if examples:
        flush()
    return totals


def masked_copies(example: Example, vocab: Vocab) -> list[Example]:
    """One copy of ``example`` per ordinary input token (``ordinary``: not a special token or tag,
    wherever the tokenizer puts those), with that token masked and its label set."""
    copies = []
    for p in np.flatnonzero(ordinary(example.input_ids, vocab)):
        input_ids, labels = example.input_ids.copy(), np.full_like(example.labels, IGNORE_INDEX)
        input_ids[p], labels[p] = vocab.mask_id, example.input_ids[p]
        copies.append(replace(example, input_ids=input_ids, labels=labels))
    return copies


@torch.no_grad()
def pseudo_perplexity(loaded: LoadedModel, data: DataSource, max_sentences: int, batch_size: int) -> dict[str, dict]:
    """Per language: ``pppl``, ``sentences`` and ``tokens`` scored (Salazar et al. 2020; module docstring).

    Sentences are the lines of the documents, cut to the layout's room; the first
    ``max_sentences`` of each language are scored.
    """
    if loaded.kind != "encoder":
        raise EvalError(f"{loaded.source}: pseudo-perplexity needs a masked LM (an encoder model)")
    vocab, layout = loaded.vocab, loaded.layout
    nll: dict[str, float] = {}
    counts: dict[str, list[int]] = {}
    for doc in data.documents("mono", vocab):
        seen = counts.setdefault(doc.lang, [0, 0])
        if seen[0] >= max_sentences:
            continue
        loaded.check_language(doc.lang, doc.key)
        for i, ids in enumerate(sentence_ids(loaded, doc)[: max_sentences - seen[0]]):
            example = layout.plain_example(ids[: loaded.room], doc.lang, f"{doc.key}.{i}")
            assert example is not None
            copies = masked_copies(example, vocab)
            for start in range(0, len(copies), batch_size):
                batch = collate(copies[start : start + batch_size], "pppl", vocab.pad_id).to(loaded.device)
                _, metrics = target_cross_entropy(run_model(loaded.model, batch), batch)
                nll[doc.lang] = nll.get(doc.lang, 0.0) + float(metrics["token_loss"].double().sum())
            seen[0] += 1
            seen[1] += len(copies)
    return {lang: {"pppl": math.exp(nll.get(lang, 0.0) / n) if n else math.nan, "sentences": s, "tokens": n}
            for lang, (s, n) in sorted(counts.items())}


def evaluate_loss(loaded: LoadedModel, data: DataSource, batch_size: int = 32, seed: int = 0,
                  pppl_sentences: int = 0) -> dict:
    """The ``loss`` task's JSON result: per objective and language, and optionally pseudo-perplexity."""
    manifest = data.manifest()
    kinds = {o.data_kind for o in loaded.objectives}
    result: dict = {"task": "loss", "model": loaded.source, "data": data.paths, "seed": seed,
                    "split": data.split if manifest is not None else None, "objectives": {}}
    for objective in loaded.objectives:
        totals = objective_loss(loaded, objective, data, batch_size, seed)
        result["objectives"][objective.name] = {lang: t.row() for lang, t in sorted(totals.items())}
    if not any(result["objectives"].values()):
        raise EvalError(f"{' '.join(data.paths)}: no {'/'.join(sorted(kinds))} text for the model's objectives "
                        f"({', '.join(o.name for o in loaded.objectives)})")
    if pppl_sentences > 0:
        result["pseudo_perplexity"] = pseudo_perplexity(loaded, data, pppl_sentences, batch_size)
    result["skipped"] = dict(sorted(data.skipped.items()))
    return result
