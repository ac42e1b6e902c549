"""``PretrainDataModule``: the ``data:`` section of a config; builds the streaming DataLoaders.

Its constructor signature is the config schema (LightningCLI reads the types and docstrings).
The manifest and the tokenizer's ``Vocab`` are loaded at construction, so the CLI can link and
check values right after parsing; everything that depends on the rank waits for ``setup``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Literal

from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from polytrain.errors import ConfigError
from polytrain.data.manifest import Manifest
from polytrain.data.mixture import format_mixture_table
from polytrain.data.stream import PretrainStream, Split, mixture_probs
from polytrain.data.vocab import check_languages, load_vocab
from polytrain.objectives.base import Objective
from polytrain.types import Vocab

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
        allow_pipe: bool = False,
        pin_memory: bool = False,
    ) -> None:
        super().__init__()
        _check_options(max_length, batch_size, num_workers, sampling_alpha, val_batch_size, max_member_bytes)
        self.save_hyperparameters()
        self.shards, self.tokenizer = shards, tokenizer
        self.max_length, self.batch_size, self.num_workers = max_length, batch_size, num_workers
        self.sampling_alpha, self.size_unit, self.shuffle_buffer = sampling_alpha, size_unit, shuffle_buffer
        self.seed, self.val_batch_size = seed, val_batch_size
        self.max_member_bytes, self.allow_pipe, self.pin_memory = max_member_bytes, allow_pipe, pin_memory
        self.manifest: Manifest = Manifest.load(shards)
        self.vocab: Vocab = load_vocab(tokenizer)[1]
        self.objectives: list[Objective] = []
        self.rank, self.world_size = 0, 1

    @property
    def languages(self) -> list[str]:
        """Languages of the monolingual shards and languages of the parallel pairs, sorted."""
        pairs = [lang for s in self.manifest.shards("parallel") for lang in (s.src_lang, s.tgt_lang) if lang]
        return sorted(set(self.manifest.languages("mono")) | set(pairs))

    def connect(self, objectives: Sequence[Objective]) -> None:
        """Bind the objectives the batches are made for (each is ``setup`` with this vocab).

        Raises:
            ValueError: an objective reads a kind of data (mono/parallel) the manifest lacks.
        """
        for obj in objectives:
            obj.setup(self.vocab, self.max_length)
            if not self.manifest.shards(obj.data_kind, "train"):
                raise ConfigError(f"{self.manifest.location}: objective {obj.name!r} needs {obj.data_kind} "
                                 f"training shards, but the manifest has none (it has "
                                 f"{self._kinds_present() or 'no training shards'})")
        self.objectives = list(objectives)

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

    def mixture_table(self, kind: str) -> str:
        """The language table (size, natural share p, sampling probability q) of ``kind``."""
        probs = mixture_probs(self.manifest, kind, self.size_unit, self.sampling_alpha)
        sizes = {k: float(v) for k, v in self.manifest.sizes(kind, "train", self.size_unit).items() if k in probs}
        return format_mixture_table(sizes, probs, unit=self.size_unit)

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

    # ------------------------------------------------------------------ helpers
    def _loader(self, split: Split, batch_size: int) -> DataLoader:
        if not self.objectives:
            raise RuntimeError("PretrainDataModule: call setup() (or connect(objectives)) before asking for a loader")
        dataset = PretrainStream(
            self.manifest, self.tokenizer, self.vocab, self.objectives, batch_size=batch_size,
            max_length=self.max_length, seed=self.seed, rank=self.rank, world_size=self.world_size,
            shuffle_buffer=self.shuffle_buffer, sampling_alpha=self.sampling_alpha, size_unit=self.size_unit,
            allow_pipe=self.allow_pipe, max_member_bytes=self.max_member_bytes, split=split,
        )
        # batch_size=None: the dataset batches itself (one objective per batch).
        return DataLoader(dataset, batch_size=None, num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0)

    def _kinds_present(self) -> str:
        return ", ".join(k for k in ("mono", "parallel") if self.manifest.shards(k, "train"))

    def _check_languages(self, kinds: list[str]) -> None:
        langs: set[str | None] = set()
        for kind in kinds:
            for shard in self.manifest.shards(kind):
                langs |= {shard.src_lang, shard.tgt_lang} if kind == "parallel" else {shard.lang}
        check_languages(self.vocab, sorted(lang for lang in langs if lang), str(self.manifest.location))

    def _check_shard_files(self, kinds: list[str]) -> None:
        """Local shards must exist now, not fail one by one during training."""
        for kind in kinds:
            for shard in self.manifest.shards(kind):
                url = self.manifest.shard_url(shard)
                path = url.removeprefix("file://")
                if "://" not in path and not os.path.isfile(path):
                    raise FileNotFoundError(f"{path}: shard listed in {self.manifest.location} does not exist")

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


def _check_options(max_length: int, batch_size: int, num_workers: int, sampling_alpha: float,
                   val_batch_size: int | None, max_member_bytes: int) -> None:
    for name, value, low in (("max_length", max_length, 2), ("batch_size", batch_size, 1),
                             ("num_workers", num_workers, 0), ("max_member_bytes", max_member_bytes, 1)):
        if value < low:
            raise ConfigError(f"data.{name} must be >= {low}, got {value}")
    if val_batch_size is not None and val_batch_size < 1:
        raise ConfigError(f"data.val_batch_size must be >= 1 or null, got {val_batch_size}")
    if not sampling_alpha >= 0:
        raise ConfigError(f"data.sampling_alpha must be >= 0, got {sampling_alpha}")

