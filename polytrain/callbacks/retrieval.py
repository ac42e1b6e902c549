"""Cross-lingual retrieval probe: Tatoeba-style sentence retrieval on the parallel validation pairs.

XTREME's unsupervised alignment test (Hu et al. 2020, §3, "Tatoeba"): embed each side of N parallel
sentence pairs on its own, and for every source sentence find the target sentence with the highest
cosine similarity; the top-1 accuracy, in both directions, measures how well the encoder aligns
languages without any labelled data. TLM should raise it over MLM alone on the same budget
(Lample & Conneau 2019; Conneau et al. 2020).

Per validation, for each language pair ``src-tgt`` of the parallel validation shards::

    sentence -> <s> ids </s>            (MaskedLM's single-text layout, no masking; mBART: ids </s> <lid>)
             -> model.encode            (B, T, d) final encoder states, eval mode, no gradient
             -> mean over real tokens   (B, d)   padding excluded, <s>/</s> included (as XTREME)
             -> L2-normalise            cosine similarity = dot product
    S = src @ tgt.T                     (N, N)
    src_to_tgt = mean_i [argmax_j S[i, j] == i],   tgt_to_src = mean_j [argmax_i S[i, j] == j]

Which layer: XTREME mean-pools a middle layer of XLM-R (middle layers align languages best); this
probe pools the final encoder layer, the one ``encode`` returns, so it needs no hooks into the model
(models hold only math) and works the same under DDP, FSDP2 and ``torch.compile``. Absolute values
are therefore lower than XTREME's; the probe is meant for comparing runs and watching a trend.

Distributed: every rank encodes the same pairs (read in manifest and file order, no workers) and
logs the same values with ``sync_dist=False``; the probe issues no collective, so ranks cannot wait
on each other here. Its forwards run inside validation, where ``FSDP2Strategy`` keeps the parameters
gathered (``unshard_for_eval``, the default); with ``unshard_for_eval=False`` the probe turns itself
off at setup, since forwards outside ``forward`` would then see sharded root parameters.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch.nn import functional as F

from polytrain.stream.collate import collate
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.rng import make_rng
from polytrain.shards.reader import StreamStats
from polytrain.module import PretrainModule
from polytrain.objectives.base import Objective
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.types import IGNORE_INDEX, Batch, TextBlock, TextPair, Vocab

log = logging.getLogger(__name__)

METRIC_PREFIX = "val/retrieval"
"""Keys: ``val/retrieval/<src>-<tgt>/<src>_to_<tgt>``, ``.../<tgt>_to_<src>`` and ``val/retrieval/mean``."""


class Encodes(Protocol):
    """What the probe needs of a model: ``Encoder.encode`` / ``Seq2Seq.encode``."""

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, positions: torch.Tensor,
               langs: torch.Tensor) -> torch.Tensor: ...


# ----------------------------------------------------------------------------- the math
def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each row's hidden states over its real tokens.

    Args:
        hidden: (B, T, d) encoder states; rows of padded positions may hold anything (even NaN).
        mask: (B, T) bool, True on real tokens.

    Returns:
        (B, d) float32; a row without real tokens gives zeros.
    """
    keep = mask.unsqueeze(-1)  # (B, T) -> (B, T, 1)
    summed = hidden.float().masked_fill(~keep, 0.0).sum(dim=1)  # (B, d); masked_fill, not *: NaN * 0 is NaN
    return summed / mask.sum(dim=1, keepdim=True).clamp(min=1)  # (B, d) / (B, 1)


def retrieval_accuracy(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """Top-1 cosine nearest-neighbour accuracy in both directions; row i of ``src`` and ``tgt`` are translations.

    Ties go to the lower index (``argmax``), so duplicated candidates count against the score.

    Args:
        src: (N, d) source-side embeddings (any norm: they are L2-normalised here).
        tgt: (N, d) target-side embeddings.

    Returns:
        (2,) float32: ``[src_to_tgt, tgt_to_src]``, each in [0, 1], on ``src``'s device.
    """
    if src.shape != tgt.shape or src.ndim != 2:
        raise ValueError(f"retrieval_accuracy: src and tgt must both be (N, d), got {tuple(src.shape)} and {tuple(tgt.shape)}")
    sim = F.normalize(src.float(), dim=-1) @ F.normalize(tgt.float(), dim=-1).T  # (N, d) @ (d, N) -> (N, N) cosine
    gold = torch.arange(len(src), device=src.device)  # (N,)
    src_to_tgt = (sim.argmax(dim=1) == gold).float().mean()  # nearest target of each source
    tgt_to_src = (sim.argmax(dim=0) == gold).float().mean()  # nearest source of each target
    return torch.stack([src_to_tgt, tgt_to_src])


# ----------------------------------------------------------------------------- the inputs
class _KeepAll:
    """A ``TokenMasker`` stand-in that masks nothing: ``(ids, all IGNORE_INDEX)``."""

    def __call__(self, ids: np.ndarray, vocab: Vocab, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return ids.copy(), np.full(len(ids), IGNORE_INDEX, dtype=np.int64)


def plain_layout(architecture_kind: str, objectives: Sequence[Objective]) -> Objective | None:
    """The objective whose ``make_example`` lays out one clean sentence the way the model was trained.

    Encoder: ``MaskedLM`` with masking switched off, ``<s> ids </s>`` with positions 0.. and the
    sentence's language id on every token (TLM's first segment is the same). Encoder-decoder: a
    ``Denoising`` without noise and with the trained objective's ``add_lang_token`` (mBART:
    ``ids </s> <lid>``; BART: ``<s> ids </s>``); ``None`` if no objective is a ``Denoising``
    (the layout of another encoder-decoder objective is unknown).
    """
    if architecture_kind == "encoder":
        layout = MaskedLM()
        layout.masker = _KeepAll()  # type: ignore[assignment]  # same layout code, no targets
        return layout
    denoisers = [o for o in objectives if isinstance(o, Denoising)]
    if not denoisers:
        return None
    return Denoising(mask_ratio=0.0, permute_sentence_ratio=0.0, insert_ratio=0.0, mask_random=0.0,
                     add_lang_token=denoisers[0].add_lang_token)


def side_batches(pairs: Sequence[TextPair], side: str, layout: Objective, pad_id: int,
                 batch_size: int) -> list[Batch]:
    """One side (``"src"`` or ``"tgt"``) of ``pairs`` as padded CPU batches, in pair order.

    Sentences longer than the layout's room are cut at the end (the objective's truncation), without
    its per-sentence warning: :func:`truncated` counts them.
    """
    examples = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for pair in pairs:
            ids = pair.src_ids if side == "src" else pair.tgt_ids
            lang = pair.src_lang if side == "src" else pair.tgt_lang
            key = f"{pair.key}.{side}"
            block = TextBlock(key=key, lang=lang, ids=ids, sentence_ends=np.array([len(ids)], dtype=np.int64))
            examples.append(layout.make_example(block, make_rng(0, "retrieval", key)))  # rng unused: no noise
    return [collate(examples[i : i + batch_size], "retrieval", pad_id) for i in range(0, len(examples), batch_size)]


def truncated(pairs: Sequence[TextPair], layout: Objective) -> int:
    """Sentences (either side) of ``pairs`` that :func:`side_batches` cuts to fit ``layout``."""
    room = layout.max_length - layout.added_tokens
    return sum(int(len(p.src_ids) > room) + int(len(p.tgt_ids) > room) for p in pairs)


@torch.no_grad()
def embed(model: Encodes, batches: Sequence[Batch], device: torch.device | str) -> torch.Tensor:
    """(N, d) mean-pooled final encoder states of the sentences of ``batches``, in order.

    Args:
        model: an ``Encoder`` or ``Seq2Seq`` (anything with ``encode(input_ids, mask, positions,
            langs) -> (B, T, d)``), in eval mode for deterministic states (validation is).
        batches: from :func:`side_batches`.
        device: where the model is.
    """
    pooled = []
    for batch in batches:
        batch = batch.to(device)
        hidden = model.encode(batch.input_ids, batch.key_padding_mask(), batch.positions, batch.langs)  # (B, T, d)
        pooled.append(mean_pool(hidden, batch.attention_mask))  # (B, T, d) -> (B, d)
    return torch.cat(pooled)  # (N, d)


def take_pairs(pairs: Iterable[TextPair], max_pairs: int) -> tuple[list[TextPair], int]:
    """The first ``max_pairs`` pairs whose source and target are both new; returns (pairs, duplicates).

    A repeated sentence would give two identical candidates, one of which must count as a miss.
    Stops reading (and closes a generator, so its shard file closes) once enough pairs are kept.
    """
    kept: list[TextPair] = []
    seen_src: set[bytes] = set()
    seen_tgt: set[bytes] = set()
    duplicates = 0
    stream = iter(pairs)
    try:
        for pair in stream:
            src, tgt = pair.src_ids.tobytes(), pair.tgt_ids.tobytes()
            if src in seen_src or tgt in seen_tgt:
                duplicates += 1
                continue
            seen_src.add(src)
            seen_tgt.add(tgt)
            kept.append(pair)
            if len(kept) >= max_pairs:
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return kept, duplicates


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
    """

    def __init__(self, max_pairs: int = 1000, every_n_validations: int = 1, batch_size: int = 64) -> None:
        if max_pairs < 2:  # one pair is always retrieved: accuracy needs a wrong candidate
            raise ValueError(f"RetrievalProbe.max_pairs must be >= 2, got {max_pairs}")
        for name, value in (("every_n_validations", every_n_validations), ("batch_size", batch_size)):
            if value < 1:
                raise ValueError(f"RetrievalProbe.{name} must be >= 1, got {value}")
        self.max_pairs = max_pairs
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
        layout = plain_layout(pl_module.architecture.kind, pl_module.objectives)
        if layout is None:
            _rank_zero(trainer, log.info, "RetrievalProbe: no Denoising objective, so the encoder input layout of "
                       "this encoder-decoder model is unknown; the retrieval probe is off")
            return
        layout.setup(pl_module.vocab, datamodule.max_length)
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
        model: Encodes = pl_module.model  # type: ignore[assignment]  # Encoder or Seq2Seq
        self._validations += 1
        if self._validations % self.every_n_validations:
            return
        names: list[str] = []
        scores = []
        for pair, (src_batches, tgt_batches) in self.batches.items():
            src_lang, tgt_lang = self.langs[pair]
            with trainer.precision_plugin.forward_context():  # autocast as in validation_step
                src = embed(model, src_batches, pl_module.device)
                tgt = embed(model, tgt_batches, pl_module.device)
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
