"""``PretrainDataModule``: the ``data:`` section of a config; builds the streaming DataLoaders.

Its constructor signature is the config schema (LightningCLI reads the types and docstrings).
The manifest and the tokenizer's ``Vocab`` are loaded at construction, so the CLI can link and
check values right after parsing; everything that depends on the rank waits for ``setup``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from polytrain.shards.manifest import Manifest
from polytrain.shards.mixture import format_mixture_table
from polytrain.distributed.collectives import gather
from polytrain.shards.reader import StreamStats
from polytrain.shards.mixture import mixture_probs
from polytrain.shards.manifest import Split
from polytrain.stream.dataset import PretrainStream
from polytrain.stream.state import STATE_VERSION, StreamStateTracker, from_saved, to_saveable
from polytrain.stream.workers import end_workers_at_exit, worker_init
from polytrain.registry import bind_objectives
from polytrain.shards.vocab import check_languages, file_sha256, load_vocab
from polytrain.errors import ConfigError
from polytrain.objectives.base import Objective
from polytrain.types import Batch, TextPair, Vocab

log = logging.getLogger(__name__)


class PretrainDataModule(LightningDataModule):
    """Streams objective batches from WebDataset shards (see docs/streaming.md).

    Args:
        shards: path or URL of the shards' ``manifest.json``, or of the folder that holds it
            (``polytrain data shard --out DIR`` writes it).
        tokenizer: path or URL of ``tokenizer.json`` (``polytrain tokenizer train``).
        max_length: model input length in tokens, including the special tokens objectives add.
        batch_size: training examples per batch, per device.
        num_workers: DataLoader worker processes per device (0 = read in the training process).
        sampling_alpha: language sampling exponent, ``q_l ∝ p_l ** alpha``; 0.3 per XLM-R
            (Conneau et al. 2020, §3.1); XLM used 0.5, mBART 0.7.
        size_unit: what a language's size ``n_l`` counts in the manifest: ``chars`` or ``samples``.
        shuffle_buffer: documents (or sentence pairs) per language held for shuffling.
        seed: seed of all data randomness (shard order, shuffling, mixture, masking).
        val_batch_size: validation examples per batch; ``None`` = ``batch_size``.
        max_member_bytes: tar members larger than this are skipped (and counted) unread.
        max_line_chars: text shards: a longer sentence is cut to this many characters before it is
            tokenized, and counted (``cut_line``, ``cut_chars``); one huge line would otherwise cost
            a worker minutes and gigabytes. ``polytrain data tokenize --max-line-chars`` does the same.
        allow_pipe: accept ``pipe:COMMAND`` shard URLs, which run COMMAND in a shell. Leave off
            unless you trust every config and manifest this run reads.
        pin_memory: page-locked batches for faster host-to-GPU copies.
    """

    def __init__(
        self,
        shards: str,
        tokenizer: str,
        max_length: int = 128,
        batch_size: int = 32,
        num_workers: int = 2,
        sampling_alpha: float = 0.3,
        size_unit: Literal["chars", "samples"] = "chars",
        shuffle_buffer: int = 1000,
        seed: int = 0,
        val_batch_size: int | None = None,
        max_member_bytes: int = 16 * 2**20,
        max_line_chars: int = 20_000,
        allow_pipe: bool = False,
        pin_memory: bool = False,
    ) -> None:
        super().__init__()
        _check_options(max_length, batch_size, num_workers, sampling_alpha, val_batch_size, max_member_bytes,
                       max_line_chars)
        self.save_hyperparameters()
        self.shards, self.tokenizer = shards, tokenizer
        self.max_length, self.batch_size, self.num_workers = max_length, batch_size, num_workers
        self.sampling_alpha, self.size_unit, self.shuffle_buffer = sampling_alpha, size_unit, shuffle_buffer
        self.seed, self.val_batch_size = seed, val_batch_size
        self.max_member_bytes, self.allow_pipe, self.pin_memory = max_member_bytes, allow_pipe, pin_memory
        self.max_line_chars = max_line_chars
        self.manifest: Manifest = Manifest.load(shards)
        self.tokenizer_sha256 = file_sha256(tokenizer)  # a missing file fails here, before any work
        _check_token_shards(self.manifest, tokenizer, self.tokenizer_sha256)
        self._vocab: Vocab | None = None
        self.objectives: list[Objective] = []
        self.rank, self.world_size = 0, 1
        self._tracker = StreamStateTracker(max(1, num_workers))
        self._loaded: dict[str, Any] | None = None  # a checkpoint's state, until the train loader uses it

    @property
    def languages(self) -> list[str]:
        """Languages of the monolingual shards and languages of the parallel pairs, sorted."""
        return self.manifest.text_languages()

    @property
    def vocab(self) -> Vocab:
        """The run's vocabulary: the connected objectives' (``connect``)."""
        if self._vocab is None:
            raise RuntimeError("PretrainDataModule: call setup() (or connect(objectives)) first")
        return self._vocab

    def connect(self, objectives: Sequence[Objective]) -> None:
        """Bind the objectives the batches are made for.

        Objectives bound already (by the ``PretrainModule`` that owns them) bring the run's
        ``Vocab``; unbound ones (a data module used on its own) are bound here to ``tokenizer`` and
        ``max_length`` (``polytrain.registry.bind_objectives``).

        Raises:
            ConfigError: an objective reads a kind of data (mono/parallel) the manifest lacks, or
                was bound to another tokenizer or ``max_length`` than this data module's.
        """
        if objectives and all(obj.is_set_up for obj in objectives):
            self._vocab = self._check_bound(objectives)
        else:
            self._vocab = load_vocab(self.tokenizer)[1]
            try:
                bind_objectives(objectives, self._vocab, self.max_length)
            except ValueError as err:
                raise ConfigError(str(err)) from None
        for obj in objectives:
            if not self.manifest.shards(obj.data_kind, "train"):
                raise ConfigError(f"{self.manifest.location}: objective {obj.name!r} needs {obj.data_kind} "
                                  f"training shards, but the manifest has none (it has "
                                  f"{self._kinds_present() or 'no training shards'})")
        self.objectives = list(objectives)

    def _check_bound(self, objectives: Sequence[Objective]) -> Vocab:
        vocab, digest = objectives[0].vocab, self.tokenizer_sha256
        for obj in objectives:
            if obj.vocab.sha256 != digest or obj.max_length != self.max_length:
                raise ConfigError(
                    f"objective {obj.name!r} was set up for tokenizer sha256 {obj.vocab.sha256[:12]} and max_length "
                    f"{obj.max_length}, but data.tokenizer {self.tokenizer} has sha256 {digest[:12]} and "
                    f"data.max_length is {self.max_length}: give model and data the same values")
        return vocab

    def setup(self, stage: str | None = None) -> None:
        """Take rank and world size from the trainer, connect its objectives, run startup checks."""
        trainer = self.trainer
        if trainer is not None:
            self.rank, self.world_size = trainer.global_rank, trainer.world_size
            if not self.objectives:
                self.connect(trainer.lightning_module.objectives)  # type: ignore[arg-type]
        if not self.objectives:
            raise RuntimeError("PretrainDataModule: call connect(objectives) or attach it to a Trainer first")
        kinds: list[str] = sorted({obj.data_kind for obj in self.objectives})
        self._check_languages(kinds)
        self._check_shard_files(kinds)
        self._check_shard_count(kinds)
        if self.rank == 0:
            for kind in kinds:
                log.info("%s language mixture (alpha=%s):\n%s", kind, self.sampling_alpha, self.mixture_table(kind))

    def mixture_table(self, kind: str, drawn: dict[str, dict[str, float]] | None = None) -> str:
        """The language table of ``kind``: size, natural share p, sampling probability q.

        Args:
            kind: ``"mono"`` or ``"parallel"``.
            drawn: what was drawn, as ``drawn()`` gives it (summed over ranks for the whole run);
                adds the observed share and the effective epochs (``mixture_as_drawn``).
        """
        probs = mixture_probs(self.manifest, kind, self.size_unit, self.sampling_alpha)
        sizes = {k: float(v) for k, v in self.manifest.sizes(kind, "train", self.size_unit).items() if k in probs}
        if drawn is None:
            return format_mixture_table(sizes, probs, unit=self.size_unit)
        share, epochs = self.mixture_as_drawn(kind, drawn)
        return format_mixture_table(sizes, probs, share, unit=self.size_unit, epochs=epochs)

    def mixture_as_drawn(self, kind: str, drawn: dict[str, dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
        """``(share, epochs)`` per language (or pair) of ``kind`` with training data.

        ``share``: its fraction of the samples of ``kind`` drawn (blocks or pairs: what q governs).
        ``epochs``: documents read / documents in its train shards (the effective epochs, counted).

        Args:
            kind: ``"mono"`` or ``"parallel"``.
            drawn: counts as ``drawn()`` gives them, summed over ranks for a whole-run figure.
        """
        langs = self.train_languages[kind]
        total = sum(drawn["samples"].get(lang, 0) for lang in langs)
        documents = self.manifest.sizes(kind, "train", "samples")
        share = {lang: drawn["samples"].get(lang, 0) / total if total else 0.0 for lang in langs}
        epochs = {lang: drawn["documents"].get(lang, 0) / documents[lang] for lang in langs}
        return share, epochs

    @property
    def train_languages(self) -> dict[str, list[str]]:
        """The languages (mono) and pairs (parallel) with training data, per data kind of the objectives."""
        kinds = sorted({obj.data_kind for obj in self.objectives})
        return {kind: sorted(mixture_probs(self.manifest, kind, self.size_unit, self.sampling_alpha)) for kind in kinds}

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.batch_size)

    def val_dataloader(self) -> DataLoader | list[DataLoader]:
        """The finite validation loader, or ``[]`` (no validation) if there are no val shards."""
        kinds = {obj.data_kind for obj in self.objectives}
        if not any(self.manifest.shards(kind, "val") for kind in kinds):
            log.warning("%s: no validation shards for %s data; validation is skipped",
                        self.manifest.location, "/".join(sorted(kinds)))
            return []
        return self._loader("val", self.val_batch_size or self.batch_size)

    def val_pairs(self, pair: str, stats: StreamStats | None = None) -> Iterator[TextPair]:
        """The tokenized pairs of ``pair``'s parallel validation shards, in manifest and file order.

        Read in this process with the streams' own reader and tokenizer (no DataLoader workers), so
        every call, on every rank, yields the same pairs in the same order (the retrieval probe,
        ``polytrain.callbacks.retrieval``, relies on this). Samples the streams would drop
        (undecodable members, a side that tokenizes to nothing) are skipped and counted in ``stats``
        under the ``polytrain.shards.reader`` counter names (e.g. ``empty_text``).

        Args:
            pair: a language pair of the manifest's parallel shards (``"de-en"``).
            stats: where skips are counted; ``None`` counts into a throwaway ``StreamStats``.
        """
        if not self.objectives:
            raise RuntimeError("PretrainDataModule: call setup() (or connect(objectives)) before reading pairs")
        stream = PretrainStream(
            self.manifest, self.tokenizer, self.vocab, self.objectives, batch_size=1,
            seed=self.seed, allow_pipe=self.allow_pipe, max_member_bytes=self.max_member_bytes,
            max_line_chars=self.max_line_chars, split="val",
        )
        if stats is not None:
            stream.stats = stats
        for shard in self.manifest.shards("parallel", "val", lang=pair):
            for doc in stream.read(shard):
                for text_pair in stream.samples(doc, shard, packer=None):
                    assert isinstance(text_pair, TextPair)  # no packer: parallel documents make pairs
                    yield text_pair

    # ------------------------------------------------------------------ resume (docs/resume.md)
    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Record the stream position of each training batch as the loop takes it to train on.

        Lightning calls this once per batch the training step receives, not when a batch is
        prefetched, so a checkpoint holds the position right after the last batch trained on.
        The state is dropped from the batch: it never goes to the device.
        """
        if isinstance(batch, Batch) and batch.state is not None:
            self._tracker.record(batch.state)
            batch.state = None
        return batch

    def state_dict(self) -> dict[str, Any]:
        """The data position of every rank and worker, and the layout it is valid for.

        A collective under ``torch.distributed`` (every rank's position is gathered, because
        Lightning writes only rank 0's copy into the checkpoint); Lightning calls it on every rank
        while saving. Plain values and uint8 tensors only, so the checkpoint loads with
        ``torch.load(weights_only=True)``.
        """
        return {"version": STATE_VERSION, "layout": self.stream_layout(),
                "ranks": to_saveable(gather(self._tracker.rank_state()))}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Keep a checkpoint's data position; the train loader continues from it (or, for a changed
        layout, restarts the streams with a warning)."""
        self._loaded = from_saved(state_dict)

    def stream_layout(self) -> dict[str, Any]:
        """Everything a saved position depends on; resuming is exact only if all of it is equal."""
        return {"seed": self.seed, "world_size": self.world_size, "workers": max(1, self.num_workers),
                "manifest_sha256": self.manifest.sha256, "tokenizer_sha256": self.vocab.sha256,
                "batch_size": self.batch_size, "max_length": self.max_length, "shuffle_buffer": self.shuffle_buffer,
                "sampling_alpha": self.sampling_alpha, "size_unit": self.size_unit,
                "objectives": [_layout_name(o) for o in self.objectives]}

    @property
    def consumed_batches(self) -> int:
        """Training batches this rank has trained on since the run began (resumes included)."""
        return self._tracker.consumed

    def drawn(self) -> dict[str, dict[str, int]]:
        """``{"samples", "tokens", "documents"}`` drawn per language (or pair) by this rank, up to
        the last batch trained on (resumes included). Samples are blocks or pairs; documents are
        those read to make them (a pair is its own document)."""
        return {what: dict(counts) for what, counts in self._tracker.drawn().items()}

    def _train_resume(self) -> dict[str, Any]:
        """Where this rank's train streams start: a loaded checkpoint's position (exactly, or at a
        seed-derived position for a changed layout), else where the last batch trained on left off
        (the seed-derived start in a new run)."""
        loaded, self._loaded = self._loaded, None
        slots = max(1, self.num_workers)
        if loaded is not None:
            self._tracker = self._tracker_from(loaded, slots)
        elif self._tracker.consumed == 0:
            consumed = self._consumed_without_state()
            self._tracker = StreamStateTracker(slots, _restart(slots, consumed) if consumed else None)
        elif self._tracker.num_slots != slots:
            self._warn_restart([f"workers {self._tracker.num_slots} -> {slots}"], self._tracker.consumed)
            self._tracker = StreamStateTracker(slots, _restart(slots, self._tracker.consumed))
        return self._tracker.rank_state()

    def _tracker_from(self, loaded: dict[str, Any], slots: int) -> StreamStateTracker:
        ranks = loaded.get("ranks") or []
        differences = _differences(loaded.get("layout") or {}, self.stream_layout())
        if loaded.get("version") != STATE_VERSION:
            differences.insert(0, f"state version {loaded.get('version')!r} -> {STATE_VERSION}")
        if not differences and len(ranks) == self.world_size:
            tracker = StreamStateTracker(slots, ranks[self.rank])
            if self.rank == 0:
                log.info("resuming the training data exactly after batch %d (%d worker slot(s) per rank)",
                         tracker.consumed, slots)
            return tracker
        consumed = int(ranks[0].get("consumed", 0)) if ranks else 0
        self._warn_restart(differences, consumed)
        return StreamStateTracker(slots, _restart(slots, consumed))

    def _warn_restart(self, differences: list[str], consumed: int) -> None:
        if self.rank == 0:
            log.warning(
                "the checkpoint's data position was saved for another layout (%s): the data cannot continue "
                "exactly; every stream restarts at a new seed-derived position (generation %d) and the "
                "objective sequence continues at batch %d; see docs/resume.md", "; ".join(differences),
                consumed, consumed)

    def _consumed_without_state(self) -> int:
        """Batches trained on before a resume from a checkpoint without data state (0 for a new run)."""
        trainer = self.trainer
        if trainer is None or not trainer.global_step:
            return 0
        consumed = trainer.global_step * trainer.accumulate_grad_batches
        if self.rank == 0:
            log.warning("resuming at step %d from a checkpoint without a data position: the streams restart at a "
                        "new seed-derived position (generation %d); see docs/resume.md", trainer.global_step, consumed)
        return consumed

    # ------------------------------------------------------------------ helpers
    def _loader(self, split: Split, batch_size: int) -> DataLoader:
        if not self.objectives:
            raise RuntimeError("PretrainDataModule: call setup() (or connect(objectives)) before asking for a loader")
        dataset = PretrainStream(
            self.manifest, self.tokenizer, self.vocab, self.objectives, batch_size=batch_size, seed=self.seed, rank=self.rank, world_size=self.world_size,
            shuffle_buffer=self.shuffle_buffer, sampling_alpha=self.sampling_alpha, size_unit=self.size_unit,
            allow_pipe=self.allow_pipe, max_member_bytes=self.max_member_bytes, max_line_chars=self.max_line_chars,
            split=split, resume=self._train_resume() if split == "train" else None,
        )
        # batch_size=None: the dataset batches itself (one objective per batch). Its own generator:
        # starting a loader then never draws from torch's global one, which dropout uses
        # (a resumed run starts its loaders at other steps than an uninterrupted one).
        # Workers ignore the stop signals: only the main process saves and stops (SaveOnSignal);
        # and their garbage collector is tuned for streaming (worker_init).
        if self.num_workers > 0:
            end_workers_at_exit()
        return DataLoader(dataset, batch_size=None, num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0, generator=torch.Generator().manual_seed(self.seed),
                          worker_init_fn=worker_init)

    def _kinds_present(self) -> str:
        return ", ".join(k for k in ("mono", "parallel") if self.manifest.shards(k, "train"))

    def _check_languages(self, kinds: list[str]) -> None:
        langs = sorted({lang for kind in kinds for lang in self.manifest.text_languages(kind)})
        check_languages(self.vocab, langs, str(self.manifest.location))

    def _check_shard_files(self, kinds: list[str]) -> None:
        """Local shards must exist now, not fail one by one during training. A shard whose size is
        not the manifest's (cut or overwritten since) is named in a warning: training skips and
        counts what it cannot read. If that is every training shard of a language, training could
        not draw it at all: refused here, before any work, rather than stopping mid-run."""
        for kind in kinds:
            changed: dict[str, list[str]] = {}
            for shard in self.manifest.shards(kind):
                path = self.manifest.shard_url(shard).removeprefix("file://")
                if "://" in path:
                    continue
                if not os.path.isfile(path):
                    raise FileNotFoundError(f"{path}: shard listed in {self.manifest.location} does not exist")
                size = os.path.getsize(path)
                if shard.bytes and size != shard.bytes:
                    if self.rank == 0:
                        log.warning("%s: %d bytes, but %s lists %d: changed or cut since it was written; its "
                                    "unreadable part is skipped and counted", path, size, self.manifest.location,
                                    shard.bytes)
                    if shard.split == "train":
                        changed.setdefault(str(shard.lang), []).append(path)
            for lang, paths in changed.items():
                if len(paths) == len(self.manifest.shards(kind, "train", lang)):
                    raise ConfigError(f"every {kind} training shard of {lang} changed size since it was written "
                                      f"({', '.join(paths)}): re-shard or restore them")

    def _check_shard_count(self, kinds: list[str]) -> None:
        """Every (rank, worker) slot should read its own shards (WebDataset's rule of thumb)."""
        slots = self.world_size * max(1, self.num_workers)
        for kind in kinds:
            n = len(self.manifest.shards(kind, "train"))
            if n < slots:
                raise ConfigError(
                    f"{self.manifest.location}: {n} {kind} training shards for {self.world_size} rank(s) x "
                    f"{max(1, self.num_workers)} worker(s); need at least {slots}: re-shard with a smaller "
                    f"--max-samples (more, smaller shards) or lower data.num_workers")


def _layout_name(objective: Objective) -> str:
    """``name:data_kind:weight``, plus ``:documents`` for whole-document packing (its packer state
    means something else, so a checkpoint of the other packing must restart, not continue)."""
    name = f"{objective.name}:{objective.data_kind}:{objective.weight:g}"
    return f"{name}:documents" if objective.whole_documents else name


def _restart(slots: int, consumed: int) -> dict[str, Any]:
    """A rank entry whose slots start generation ``consumed`` at global batch ``consumed``."""
    return {"slots": [None] * slots, "next_slot": 0, "base": consumed, "gen": consumed}


def _differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``"name saved -> now"`` for every layout value that changed."""
    return [f"{key} {saved.get(key)!r} -> {value!r}" for key, value in current.items() if saved.get(key) != value]


def _check_token_shards(manifest: Manifest, tokenizer: str, digest: str) -> None:
    """Token shards hold the ids of one tokenizer: another one is refused (one line)."""
    problem = manifest.tokenizer_mismatch(digest)
    if problem is not None:
        raise ConfigError(
            f"{problem}, but data.tokenizer {tokenizer} has sha256 {digest[:12]}: train with that tokenizer, or "
            f"tokenize the text shards again (polytrain data tokenize --tokenizer {tokenizer})")


def _check_options(max_length: int, batch_size: int, num_workers: int, sampling_alpha: float,
                   val_batch_size: int | None, max_member_bytes: int, max_line_chars: int) -> None:
    for name, value, low in (("max_length", max_length, 2), ("batch_size", batch_size, 1),
                             ("num_workers", num_workers, 0), ("max_member_bytes", max_member_bytes, 1),
                             ("max_line_chars", max_line_chars, 1)):
        if value < low:
            raise ConfigError(f"data.{name} must be >= {low}, got {value}")
    if val_batch_size is not None and val_batch_size < 1:
        raise ConfigError(f"data.val_batch_size must be >= 1 or null, got {val_batch_size}")
    if not sampling_alpha >= 0:
        raise ConfigError(f"data.sampling_alpha must be >= 0, got {sampling_alpha}")

