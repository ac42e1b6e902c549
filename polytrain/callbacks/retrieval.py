"""Cross-lingual retrieval probe: Tatoeba-style sentence retrieval on the parallel validation pairs.

XTREME's unsupervised alignment test (Hu et al. 2020, §3, "Tatoeba"), run during training: the
math and the input layout are ``polytrain.evaluate.retrieval`` (also behind ``polytrain evaluate
retrieval``); this module is the Lightning plumbing. TLM should raise the score over MLM alone on
the same budget (Lample & Conneau 2019; Conneau et al. 2020).

Per validation, for each language pair ``src-tgt`` of the parallel validation shards, each side is
laid out by the model's own objective (``Objective.plain_example``: ``<s> ids </s>`` for MLM/TLM,
``ids </s> <lid>`` for mBART), encoded, mean-pooled at ``layer`` (the last by default) over its
real tokens, and scored by cosine top-1 accuracy in both directions.

Which layer: XTREME mean-pools a middle layer of XLM-R (middle layers align languages best); the
probe pools ``layer`` of ``model.hidden_states`` (default -1, the final one), so absolute values
differ from XTREME's; the probe is meant for comparing runs and watching a trend, ``polytrain
evaluate retrieval`` reports every layer.

Distributed: every rank encodes the same pairs (read in manifest and file order, no workers) and
logs the same values with ``sync_dist=False``; the probe issues no collective, so ranks cannot wait
on each other here. Its forwards run inside validation, where ``FSDP2Strategy`` keeps the parameters
gathered (``unshard_for_eval``, the default); with ``unshard_for_eval=False`` the probe turns itself
off at setup, since forwards outside ``forward`` would then see sharded root parameters.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from polytrain.evaluate.retrieval import HiddenStates, embed, retrieval_accuracy, side_batches, take_pairs, truncated
from polytrain.shards.reader import StreamStats
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.module import PretrainModule
from polytrain.objectives.base import Objective, plain_layout
from polytrain.types import Batch

log = logging.getLogger(__name__)

METRIC_PREFIX = "val/retrieval"
"""Keys: ``val/retrieval/<src>-<tgt>/<src>_to_<tgt>``, ``.../<tgt>_to_<src>`` and ``val/retrieval/mean``."""


# ----------------------------------------------------------------------------- the callback
class RetrievalProbe(Callback):
    """Logs Tatoeba-style retrieval accuracy on the parallel validation pairs (module docstring).

    Logged at the end of every ``every_n_validations``-th validation (sanity checks excluded), on
    every rank with the same values: ``val/retrieval/<src>-<tgt>/<src>_to_<tgt>``,
    ``val/retrieval/<src>-<tgt>/<tgt>_to_<src>`` (top-1 accuracy in [0, 1]) and
    ``val/retrieval/mean`` (mean over all directions of all pairs). Needs a ``PretrainModule`` and a
    ``PretrainDataModule``; without parallel validation shards it warns once and does nothing.

    Args:
        max_pairs: pairs per language pair: the first ones of its validation shards (manifest and
            file order, the same every validation), skipping pairs with an empty side and pairs
            that repeat an earlier pair's source or target. Cost per probe: a forward pass
            (no backward) over ``2 * max_pairs`` sentences per pair, and an N x N similarity.
        every_n_validations: probe at validations N, 2N, ... (1 = every validation).
        batch_size: sentences per forward pass.
        layer: which encoder state is pooled, as an index into ``hidden_states`` (0 the
            embeddings, i the output of layer i, -1 the last layer); XTREME reads XLM-R's 8 of 12.
    """

    def __init__(self, max_pairs: int = 1000, every_n_validations: int = 1, batch_size: int = 64,
                 layer: int = -1) -> None:
        if max_pairs < 2:  # one pair is always retrieved: accuracy needs a wrong candidate
            raise ValueError(f"RetrievalProbe.max_pairs must be >= 2, got {max_pairs}")
        for name, value in (("every_n_validations", every_n_validations), ("batch_size", batch_size)):
            if value < 1:
                raise ValueError(f"RetrievalProbe.{name} must be >= 1, got {value}")
        self.max_pairs = max_pairs
        self.layer = layer
        self.every_n_validations = every_n_validations
        self.batch_size = batch_size
        self.batches: dict[str, tuple[list[Batch], list[Batch]]] = {}
        """Per pair ``src-tgt``: (source batches, target batches) on the CPU, built at setup."""
        self.langs: dict[str, tuple[str, str]] = {}
        """Per pair: its (source, target) languages, as the shards name them."""
        self.counts: dict[str, dict[str, int]] = {}
        """Per pair: ``pairs`` used, ``skipped`` (bad data, by the stream's counters), ``duplicates``,
        ``truncated`` (sentences cut to ``data.max_length``)."""
        self._validations = 0

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self.batches, self.langs, self.counts, self._validations = {}, {}, {}, 0
        datamodule = getattr(trainer, "datamodule", None)
        if stage not in ("fit", "validate") or not self._supported(trainer, pl_module, datamodule):
            return
        assert isinstance(pl_module, PretrainModule) and isinstance(datamodule, PretrainDataModule)
        pairs = sorted({s.lang for s in datamodule.manifest.shards("parallel", "val")})
        if not pairs:
            _rank_zero(trainer, log.warning, "RetrievalProbe: %s has no parallel validation shards; the "
                       "retrieval probe is off", datamodule.manifest.location)
            return
        layout = plain_layout(pl_module.objectives)
        if layout is None:
            _rank_zero(trainer, log.info, "RetrievalProbe: no objective of this run defines plain_example, so how "
                       "the model reads a plain sentence is unknown; the retrieval probe is off")
            return
        depth = pl_module.architecture.n_layers
        if not -depth - 1 <= self.layer <= depth:
            raise ValueError(f"RetrievalProbe.layer={self.layer}: the model has hidden states 0..{depth}")
        for pair in pairs:
            self._load(trainer, datamodule, pair, layout, pl_module.vocab.pad_id)

    def _supported(self, trainer: Trainer, pl_module: LightningModule, datamodule: object) -> bool:
        """Whether this run has what the probe needs; logs why not (rank 0)."""
        if not isinstance(pl_module, PretrainModule) or not isinstance(datamodule, PretrainDataModule):
            _rank_zero(trainer, log.warning, "RetrievalProbe needs polytrain's PretrainModule and PretrainDataModule "
                       "(got %s and %s); the retrieval probe is off", type(pl_module).__name__,
                       type(datamodule).__name__)
            return False
        if getattr(trainer.strategy, "unshard_for_eval", True) is False:
            _rank_zero(trainer, log.warning, "RetrievalProbe: FSDP2Strategy(unshard_for_eval=false) keeps parameters "
                       "sharded during validation; the retrieval probe is off")
            return False
        return True

    def _load(self, trainer: Trainer, datamodule: PretrainDataModule, pair: str, layout: Objective, pad_id: int) -> None:
        stats = StreamStats()
        pairs, duplicates = take_pairs(datamodule.val_pairs(pair, stats), self.max_pairs)
        skipped = sum(n for key, n in stats.totals.items() if ":" not in key)  # totals, not per-shard detail
        self.counts[pair] = {"pairs": len(pairs), "skipped": skipped, "duplicates": duplicates,
                             "truncated": truncated(pairs, layout)}
        if len(pairs) < 2:
            _rank_zero(trainer, log.warning, "RetrievalProbe: %s has %d usable validation pair(s) (skipped %d bad, "
                       "%d duplicates); retrieval needs at least 2", pair, len(pairs), skipped, duplicates)
            return
        self.langs[pair] = (pairs[0].src_lang, pairs[0].tgt_lang)
        self.batches[pair] = (side_batches(pairs, "src", layout, pad_id, self.batch_size),
                              side_batches(pairs, "tgt", layout, pad_id, self.batch_size))
        _rank_zero(trainer, log.info, "RetrievalProbe: %s: %d pairs (skipped %d bad, %d duplicates; %d sentences "
                   "cut to data.max_length)", pair, len(pairs), skipped, duplicates, self.counts[pair]["truncated"])

    def state_dict(self) -> dict[str, Any]:
        """The validation count, so that a resumed run probes at the same validations."""
        return {"validations": self._validations}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._validations = int(state_dict.get("validations", 0))

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking or not self.batches:
            return
        assert isinstance(pl_module, PretrainModule) and pl_module.model is not None
        model: HiddenStates = pl_module.model  # type: ignore[assignment]  # Encoder or Seq2Seq
        self._validations += 1
        if self._validations % self.every_n_validations:
            return
        names: list[str] = []
        scores = []
        for pair, (src_batches, tgt_batches) in self.batches.items():
            src_lang, tgt_lang = self.langs[pair]
            with trainer.precision_plugin.forward_context():  # autocast as in validation_step
                src = embed(model, src_batches, pl_module.device, [self.layer])[0]  # (1, N, d) -> (N, d)
                tgt = embed(model, tgt_batches, pl_module.device, [self.layer])[0]
            scores.append(retrieval_accuracy(src, tgt))  # (2,) on the device
            names += [f"{pair}/{src_lang}_to_{tgt_lang}", f"{pair}/{tgt_lang}_to_{src_lang}"]
        values = torch.cat(scores).tolist()  # the probe's one device-to-host read
        for name, value in zip(names, values, strict=True):
            pl_module.log(f"{METRIC_PREFIX}/{name}", value, sync_dist=False)
        pl_module.log(f"{METRIC_PREFIX}/mean", sum(values) / len(values), sync_dist=False)


def _rank_zero(trainer: Trainer, emit: Any, message: str, *args: object) -> None:
    """``emit(message, *args)`` on global rank 0 only (every rank would repeat the same line)."""
    if trainer.global_rank == 0:
        emit(message, *args)
