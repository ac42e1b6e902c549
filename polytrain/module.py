"""``PretrainModule``: one model, one or more objectives, AdamW with warmup, per-language metrics.

No data code lives here: batches arrive as ``polytrain.types.Batch`` from the data module, and each
names the objective that made it.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.plugins.precision import MixedPrecision, Precision
from lightning.pytorch.utilities import GradClipAlgorithmType, rank_zero_warn
from torch import nn

from polytrain.shards.vocab import load_vocab
from polytrain.checkpoint.logs import logger_versions
from polytrain.compat import attached_trainer
from polytrain.errors import ConfigError
from polytrain.distributed.strategy import ScaleConfig, parallelize
from polytrain.metrics import GroupTokenStats, ObjectiveCounts, ReconstructionScores, compute_quietly
from polytrain.models import build_model
from polytrain.models.config import ModelConfig, shape_changes
from polytrain.objectives.base import Objective
from polytrain.optim import OptimizerConfig, build_optimizer, lr_factor, param_groups, warmup_problem
from polytrain import __version__
from polytrain.registry import bind_objectives, provenance
from polytrain.types import IGNORE_INDEX, Batch, ModelOutput, Vocab
from polytrain.checkpoint.warm_start import NewRowInit, read_weights, warm_state

log = logging.getLogger(__name__)

SYNCED_PREFIXES = ("val/", "train/", "tokens/", "mixture/")
"""Metrics polytrain logs with ``sync_dist=False`` because they are all-rank values already
(torchmetrics states synchronised in ``compute``, all-reduced counters): Lightning's advice to add
``sync_dist=True`` (one warning per key and run, 38 in a 2-node run) does not apply to them."""


def quiet_synced_metric_advice() -> None:
    """Silence Lightning's ``sync_dist=True`` advice for :data:`SYNCED_PREFIXES` only (process-wide)."""
    from lightning.pytorch.utilities.warnings import PossibleUserWarning

    keys = "|".join(re.escape(prefix) for prefix in SYNCED_PREFIXES)
    warnings.filterwarnings("ignore", message=rf"It is recommended to use `self\.log\('({keys})",
                            category=PossibleUserWarning)


def _loss_scaler(plugin: Precision) -> torch.amp.GradScaler | None:
    """The ``GradScaler`` of a ``16-mixed`` plugin; ``None`` for every other precision."""
    return plugin.scaler if isinstance(plugin, MixedPrecision) else None


def metric_groups(vocab: Vocab, data_languages: Sequence[str] = ()) -> list[str]:
    """Every language, then every ordered language pair (TLM examples are grouped by pair).

    The languages are the tokenizer's tags, plus ``data_languages`` (the data module's): a tokenizer
    without tags (XLM-R's) names no language itself.
    """
    langs = sorted(set(vocab.languages) | set(data_languages))
    return langs + [f"{a}-{b}" for a in langs for b in langs if a != b]


def run_model(model: nn.Module, batch: Batch) -> ModelOutput:
    """``model`` (an ``Encoder`` or ``Seq2Seq``) on ``batch``; vocabulary logits only at its targets."""
    target_mask = batch.labels.ne(IGNORE_INDEX)
    mask = batch.key_padding_mask()  # None for packed blocks: mask-free attention kernels
    if batch.decoder_input_ids is None:
        return model(batch.input_ids, mask, batch.positions, batch.langs, target_mask)
    return model(
        batch.input_ids, mask, batch.positions, batch.langs,
        batch.decoder_input_ids, batch.decoder_attention_mask, target_mask,
    )


class PretrainModule(LightningModule):
    """Pretrains one model with a weighted mixture of objectives.

    Args:
        objectives: the objectives to train; a batch comes from objective ``o`` with probability
            proportional to ``o.weight``. All must train the same model kind as ``architecture``.
        architecture: the network's shape (see ``configs/model/``).
        optimizer: AdamW and learning-rate schedule.
        tokenizer: path or URL of ``tokenizer.json``; the vocabulary size, special ids and languages
            are derived from it (the CLI links it from ``data.tokenizer``). Checkpoints record a
            local path made absolute, so that they load from any directory.
        max_length: longest input the data produces (linked from ``data.max_length``); must fit
            ``architecture.max_positions``.
        val_generate_batches: for encoder-decoder objectives, how many validation batches (the
            same ones every run) are also decoded greedily and scored with BLEU and chrF.
        scale: per-layer activation checkpointing and ``torch.compile`` (``configs/trainer/``);
            FSDP2 sharding comes from ``trainer.strategy`` (see ``polytrain.distributed.strategy``).
        init_from: warm start: a polytrain checkpoint (a ``.ckpt`` file or FSDP2's sharded folder) or a
            folder written by ``polytrain import hf`` whose weights start this run. Only the weights:
            the optimizer, schedule, data stream and step start fresh (``--ckpt_path`` resumes all of
            them instead, and wins when both are given). The architecture and tokenizer are checked
            against it before any step (``polytrain.checkpoint.warm_start``).
        init_new_rows: when the tokenizer extends the one ``init_from`` was trained with: the new
            token rows (embedding, tied output layer, output bias) start as the mean of the rows of
            the new piece's segmentation under the old tokenizer (``mean``), or as a new model's
            rows (``random``, N(0, init_std), bias 0).
    """

    def __init__(
        self,
        objectives: list[Objective],
        tokenizer: str,
        architecture: ModelConfig = ModelConfig(),  # noqa: B008 - frozen-by-convention config value
        optimizer: OptimizerConfig = OptimizerConfig(),  # noqa: B008
        max_length: int = 128,
        val_generate_batches: int = 2,
        scale: ScaleConfig | None = None,
        init_from: str | None = None,
        init_new_rows: NewRowInit = "mean",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if "://" not in tokenizer:  # a relative path would resolve against whatever directory loads the checkpoint
            self.hparams["tokenizer"] = os.path.abspath(tokenizer)
        self.architecture = architecture
        self.optim_config = optimizer
        self.scale = scale or ScaleConfig()
        self.init_from, self.init_new_rows = init_from, init_new_rows
        self.skip_init_from = False
        """Set when a resumed checkpoint provides the weights (``checkpoint.check_before_loading``); never saved."""
        self.tokenizer_path = tokenizer
        self.tokenizer, self.vocab = load_vocab(tokenizer)
        self.val_generate_batches = val_generate_batches
        self.allow_tokenizer_change = False
        """Load weights of another tokenizer; set by ``polytrain.callbacks.checkpoint.ResumeGuard``, never saved."""
        self._check_agreement(objectives, max_length)
        try:
            bind_objectives(objectives, self.vocab, max_length)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        self.objectives = list(objectives)
        self._by_name = {o.name: o for o in objectives}
        heads = {o.name: o.head(self.architecture.d_model, self.vocab) for o in objectives}
        self.heads = nn.ModuleDict({name: head for name, head in heads.items() if head is not None})
        self.model: nn.Module | None = None
        self._make_group_stats(metric_groups(self.vocab))
        self.train_counts = ObjectiveCounts(len(objectives))
        """Batches and tokens each objective drew in the current log window (all ranks)."""
        self.val_text = nn.ModuleDict(
            {o.name: ReconstructionScores() for o in objectives if o.model_kind == "encoder_decoder"}
        )

    def _make_group_stats(self, groups: list[str]) -> None:
        """The per-group metric windows: one row per language and language pair of ``groups``."""
        self.groups = groups
        self._group_index = {g: i for i, g in enumerate(groups)}
        names = [o.name for o in self.objectives]
        self.train_stats = nn.ModuleDict({name: GroupTokenStats(len(groups)) for name in names})
        self.val_stats = nn.ModuleDict({name: GroupTokenStats(len(groups)) for name in names})
        # Cumulative. Not in the state dict, which Lightning saves from rank 0 and loads on every
        # rank: the all-rank total goes to checkpoint["polytrain"] and comes back on rank 0 only.
        self.tokens_seen = GroupTokenStats(len(groups))

    def setup(self, stage: str) -> None:
        """With a tokenizer without language tags (XLM-R's), take the languages of the per-language
        metrics from the data module (before any metric is updated or restored)."""
        quiet_synced_metric_advice()  # in every rank's process
        trainer = attached_trainer(self)
        languages = getattr(trainer.datamodule, "languages", None) if trainer is not None else None
        if not self.vocab.languages and languages:
            self._make_group_stats(metric_groups(self.vocab, list(languages)))

    def _check_agreement(self, objectives: Sequence[Objective], max_length: int) -> None:
        """Values that must agree are checked here, once, before any work starts."""
        arch, vocab = self.architecture, self.vocab
        if not objectives:
            raise ConfigError("model.objectives is empty: give at least one objective (e.g. configs/objective/mlm.yaml)")
        if arch.vocab_size is not None and arch.vocab_size != vocab.size:
            raise ConfigError(
                f"model.architecture.vocab_size={arch.vocab_size} but the tokenizer {self.tokenizer_path} has "
                f"{vocab.size} tokens; remove vocab_size to derive it from the tokenizer"
            )
        if arch.use_lang_embeddings and not vocab.languages:
            raise ConfigError(
                f"model.architecture.use_lang_embeddings=True needs language tags in the tokenizer and "
                f"{self.tokenizer_path} has none (an XLM-R tokenizer marks no language; XLM-R has no language "
                "embeddings): set it to false"
            )
        if max_length > arch.max_positions:
            raise ConfigError(
                f"data.max_length={max_length} exceeds model.architecture.max_positions={arch.max_positions}"
            )
        for objective in objectives:
            if objective.model_kind != arch.kind:
                raise ConfigError(
                    f"objective {type(objective).__name__} trains an {objective.model_kind} model but "
                    f"model.architecture.kind is {arch.kind!r}"
                )

    def configure_model(self) -> None:
        """Build the network (here, not in ``__init__``, so sharded strategies can build it in place),
        then apply ``scale`` and the strategy's sharding per Transformer layer."""
        if self.model is None:
            self.model = build_model(self.architecture, self.vocab.size, len(self.vocab.languages), self.vocab.pad_id)
            if self.init_from is not None and not self.skip_init_from:
                self._warm_start(self.model)
            parallelize(self.model, list(self.heads.values()), self.scale, attached_trainer(self))

    def _warm_start(self, model: nn.Module) -> None:
        """Load ``init_from``'s weights into the freshly built ``model`` (checked; new rows initialised)."""
        assert self.init_from is not None
        saved = read_weights(self.init_from)
        generator = torch.Generator().manual_seed(torch.initial_seed() % 2**63)  # seed_everything's seed
        state = warm_state(saved, model, self.architecture, self.vocab, self.tokenizer, self.init_new_rows, generator)
        model.load_state_dict(state, strict=True)
        grown = self.vocab.size - int(saved.record.get("vocab_size") or self.vocab.size)
        if self.global_rank == 0:
            log.info("warm start: weights of %s%s; the optimizer, schedule, data stream and step start fresh",
                     self.init_from, f" and {grown} new token rows ({self.init_new_rows})" if grown else "")

    def forward(self, batch: Batch) -> ModelOutput:
        """Run the model; vocabulary logits are computed only at target positions."""
        assert self.model is not None, "configure_model() was not called"
        return run_model(self.model, batch)

    def _outputs(self, objective: Objective, batch: Batch) -> ModelOutput:
        """The model's outputs for ``batch``, with the objective's own head (``Objective.head``) if it has one."""
        outputs = self(batch)
        outputs.head = self.heads[objective.name] if objective.name in self.heads else None
        return outputs

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """The loss of ``batch`` under its objective; logs it and feeds the per-language windows."""
        objective = self._by_name[batch.objective]
        loss, metrics = objective.loss(self._outputs(objective, batch), batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch.keys))
        self._update_groups(self.train_stats[objective.name], batch, metrics)
        self._update_tokens(batch)
        self.train_counts.update(self.objectives.index(objective), batch.num_tokens)
        if self._at_log_step(batch_idx):
            self._log_groups("train", self.train_stats)
            self._log_tokens()
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Per-language loss sums; reconstructions of the first ``val_generate_batches`` (encoder-decoder)."""
        objective = self._by_name[batch.objective]
        _, metrics = objective.loss(self._outputs(objective, batch), batch)
        self._update_groups(self.val_stats[objective.name], batch, metrics)
        if objective.name in self.val_text and batch_idx < self.val_generate_batches:
            hypotheses, references = self._generate(batch)
            self.val_text[objective.name].update(hypotheses, references)

    def _generate(self, batch: Batch) -> tuple[list[str], list[str]]:
        """Greedy reconstructions of ``batch`` and their references, as text without special tokens."""
        assert batch.decoder_input_ids is not None and self.model is not None
        generated = self.model.generate(
            batch.input_ids, batch.attention_mask, batch.positions, batch.langs,
            decoder_start_ids=batch.decoder_input_ids[:, 0], eos_id=self.vocab.eos_id,
            max_new_tokens=batch.labels.shape[1],
        )  # (B, <= 1 + T_dec): the start token, then the generated tokens
        hypotheses = self.tokenizer.decode_batch(generated[:, 1:].tolist(), skip_special_tokens=True)
        labels = batch.labels.masked_fill(batch.labels.eq(IGNORE_INDEX), self.vocab.pad_id)
        references = self.tokenizer.decode_batch(labels.tolist(), skip_special_tokens=True)
        return hypotheses, references

    def on_validation_epoch_end(self) -> None:
        """Log BLEU/chrF and the per-language validation figures (all ranks), and ``val/loss``."""
        for name, scores in self.val_text.items():
            values = scores.compute()  # on every rank: it synchronises
            if values.pop("count") > 0:
                for key, value in values.items():
                    self.log(f"val/{name}/{key}", value, sync_dist=False)
            scores.reset()
        totals = self._log_groups("val", self.val_stats)
        # Token-weighted over all objectives: the value ModelCheckpoint monitors.
        self.log("val/loss", totals, prog_bar=True, sync_dist=False)

    def _at_log_step(self, batch_idx: int) -> bool:
        """The last micro-batch of every ``log_every_n_steps``-th optimizer step (with gradient
        accumulation, ``global_step`` is the same for all micro-batches of a step)."""
        if attached_trainer(self) is None:
            return False
        every, accumulate = max(1, self.trainer.log_every_n_steps), self.trainer.accumulate_grad_batches
        return (self.global_step + 1) % every == 0 and (batch_idx + 1) % accumulate == 0

    def _update_groups(self, stats: GroupTokenStats, batch: Batch, metrics: dict[str, torch.Tensor]) -> None:
        """Attribute each target token's loss to its example's language (or pair)."""
        if "token_loss" not in metrics:
            return  # an objective with its own loss: only its scalar metrics are logged
        rows = batch.labels.ne(IGNORE_INDEX).nonzero()[:, 0]  # (N,) example row of each target
        group_of_row = self._group_ids(batch)
        stats.update(group_of_row[rows], metrics["token_loss"], metrics["token_correct"], torch.zeros_like(stats.tokens))

    def _update_tokens(self, batch: Batch) -> None:
        tokens = torch.zeros(len(self.groups), device=self.device)
        tokens.index_add_(0, self._group_ids(batch), batch.attention_mask.sum(1).to(tokens))
        self.tokens_seen.update(torch.zeros(0, dtype=torch.long, device=self.device), torch.zeros(0, device=self.device),
                                torch.zeros(0, dtype=torch.bool, device=self.device), tokens)

    def _group_ids(self, batch: Batch) -> torch.Tensor:
        """(B,) group index of each example."""
        return torch.tensor([self._group_index[g] for g in batch.lang], device=self.device)

    def _log_groups(self, stage: str, stats: nn.ModuleDict) -> torch.Tensor:
        """Log per-objective and per-group means of a window, reset it; return the overall mean loss.

        Validation figures go through ``self.log``. Training figures (with each objective's
        ``batches`` and ``tokens`` of the window, ``train_counts``) are written to the loggers for
        this step only: Lightning repeats a ``self.log`` value at every later step that does not log
        it again, so an objective that a step did not draw would show its old loss there.
        """
        figures: dict[str, torch.Tensor] = {}
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        count = torch.zeros((), dtype=torch.float64, device=self.device)
        for name, metric in stats.items():
            values = compute_quietly(metric)
            seen = values["targets"] > 0
            if seen.any():
                targets = values["targets"][seen]
                obj_loss = (values["loss"][seen] * targets).sum() / targets.sum()
                figures.update({f"{stage}/{name}/loss": obj_loss, f"{stage}/{name}/ppl": obj_loss.exp(),
                                f"{stage}/{name}/accuracy": (values["accuracy"][seen] * targets).sum() / targets.sum()})
                loss_sum += (values["loss"][seen] * targets).sum()
                count += targets.sum()
            for i in seen.nonzero()[:, 0].tolist():
                for key in ("loss", "accuracy", "ppl"):
                    figures[f"{stage}/{name}/{self.groups[i]}/{key}"] = values[key][i]
            metric.reset()
        if stage == "train":
            self._write_window(figures)
        else:
            for key, value in figures.items():
                self.log(key, value.float(), sync_dist=False)
        return (loss_sum / count.clamp(min=1)).float()

    def _write_window(self, figures: dict[str, torch.Tensor]) -> None:
        """Write a training window's figures and objective counts to every logger at this step."""
        counts = compute_quietly(self.train_counts)  # on every rank: it synchronises
        self.train_counts.reset()
        # (K,), but torchmetrics squeezes the results of a run with one objective to 0-d.
        batches, tokens = counts["batches"].reshape(-1), counts["tokens"].reshape(-1)
        for i, objective in enumerate(self.objectives):
            figures[f"train/{objective.name}/batches"] = batches[i]
            figures[f"train/{objective.name}/tokens"] = tokens[i]
        values = torch.stack([v.detach().double() for v in figures.values()]).tolist()  # one device sync
        for logger in self.loggers:  # loggers write on global rank 0 only
            logger.log_metrics(dict(zip(figures, values)), step=self.global_step)

    def _log_tokens(self) -> None:
        tokens = compute_quietly(self.tokens_seen)["tokens"]
        for i in tokens.nonzero()[:, 0].tolist():
            self.log(f"tokens/{self.groups[i]}", tokens[i].float(), sync_dist=False)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Record what the weights depend on: the tokenizer and the code that defined the objectives."""
        checkpoint["polytrain"] = {
            "version": __version__,
            "tokenizer_sha256": self.vocab.sha256,
            "vocab_size": self.vocab.size,
            "architecture": asdict(self.architecture),
            "languages": list(self.vocab.languages),
            "objectives": {o.name: f"{type(o).__module__}.{type(o).__qualname__}" for o in self.objectives},
            "plugins": provenance(),
            "optimizer": asdict(self.optim_config),
            "init_from": self.init_from,
            # Every rank saves together (Trainer.save_checkpoint): this sum is a collective.
            "tokens_seen": dict(zip(self.groups, compute_quietly(self.tokens_seen)["tokens"].tolist())),
            # A resume writes to the same version_N folders (polytrain.checkpoint.logs).
            "log_versions": logger_versions(self.trainer) if attached_trainer(self) is not None else [],
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        record = checkpoint.get("polytrain", {})
        self.check_checkpoint(record)
        if attached_trainer(self) is not None and self.trainer.state.fn == "fit" and self.global_rank == 0:
            self._warn_restored_optimizer(record.get("optimizer") or {})
        # Checkpoints before the total moved to the record kept rank 0's own count in the state dict.
        legacy = {k: checkpoint.get("state_dict", {}).pop(k) for k in list(checkpoint.get("state_dict", {}))
                  if k.startswith("tokens_seen.")}
        seen = record.get("tokens_seen")
        if seen is None and "tokens_seen.tokens" in legacy:
            seen = dict(zip(self.groups, legacy["tokens_seen.tokens"].tolist()))
        self._restore_tokens_seen(seen or {})

    def _restore_tokens_seen(self, seen: dict[str, float]) -> None:
        """Continue the all-rank count ``seen`` (group -> tokens): rank 0 holds it, the others start at 0."""
        self.tokens_seen.reset()
        if self.global_rank == 0:
            for group, tokens in seen.items():
                if group in self._group_index:  # a language no longer in the tokenizer is not counted
                    self.tokens_seen.tokens[self._group_index[group]] = float(tokens)

    def check_checkpoint(self, record: dict) -> None:
        """Refuse weights of another architecture (one line naming what differs, instead of a
        state-dict size mismatch) or trained with another tokenizer (the ids would mean different
        pieces). ``record`` is a checkpoint's ``"polytrain"`` entry (``on_save_checkpoint``)."""
        changed = shape_changes(record.get("architecture") or {}, self.architecture, self.vocab.size)
        if changed:
            raise ConfigError(f"checkpoint is of another model.architecture ({', '.join(changed)}): resume it with "
                              "its own model config, or start this model in another trainer.default_root_dir")
        if record.get("tokenizer_sha256") and record["tokenizer_sha256"] != self.vocab.sha256:
            message = (
                f"checkpoint was trained with tokenizer sha256 {record['tokenizer_sha256'][:12]} "
                f"({record.get('vocab_size')} tokens) but {self.tokenizer_path} has sha256 "
                f"{self.vocab.sha256[:12]} ({self.vocab.size} tokens)"
            )
            if not self.allow_tokenizer_change:
                raise ConfigError(f"{message}; to load it anyway, set ResumeGuard(allow_tokenizer_change=true)")
            log.warning("%s: loading it anyway (allow_tokenizer_change)", message)

    def _warn_restored_optimizer(self, saved: dict) -> None:
        """Name the optimizer settings a resume does not apply: the restored AdamW state keeps its own
        ``lr``, ``betas``, ``eps`` and ``weight_decay`` (torch's ``load_state_dict``, and LambdaLR's
        base lr); warmup, schedule and ``max_steps`` do follow the config."""
        def plain(value: object) -> object:
            return tuple(value) if isinstance(value, (list, tuple)) else value  # betas: a list after YAML

        current = asdict(self.optim_config)
        changed = [f"{key} {saved[key]} -> {current[key]}" for key in ("lr", "betas", "eps", "weight_decay")
                   if key in saved and plain(saved[key]) != plain(current[key])]
        if changed:
            log.warning("model.optimizer differs from the checkpoint's (%s): resuming keeps the checkpoint's "
                        "optimizer state and these values; to change them, start a new run from its weights",
                        ", ".join(changed))

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: Any, map_location: Any = None, hparams_file: Any = None,
                             strict: bool | None = None, **kwargs: Any) -> PretrainModule:  # type: ignore[override]
        """Lightning's ``load_from_checkpoint``, but never unpickling code, also for ``http(s)`` URLs
        (where Lightning uses ``weights_only=False``); see ``polytrain.checkpoint.io``. When the
        tokenizer the checkpoint records has moved, the run's copy next to the checkpoint is used
        (``polytrain.callbacks.checkpoint.tokenizer_for``); ``tokenizer=...`` names another."""
        from polytrain.callbacks.checkpoint import tokenizer_for
        from polytrain.checkpoint.io import safe_load_from_checkpoint

        if "tokenizer" not in kwargs and (copy := tokenizer_for(checkpoint_path)) is not None:
            kwargs["tokenizer"] = copy
        kwargs.setdefault("init_from", None)  # the checkpoint holds the weights; init_from's folder may be gone
        return safe_load_from_checkpoint(cls, checkpoint_path, map_location=map_location,  # type: ignore[return-value]
                                         hparams_file=hparams_file, strict=strict, **kwargs)

    def _optimizer_config(self) -> OptimizerConfig:
        """``optimizer`` with ``fused=None`` resolved against the trainer.

        Under ``16-mixed`` Lightning refuses gradient clipping with an optimizer that unscales
        gradients itself, which fused AdamW does: with clipping on, the default there is the
        unfused kernel. ``fused=True`` with clipping under ``16-mixed`` is Lightning's error.
        """
        cfg = self.optim_config
        clipping = bool(attached_trainer(self) is not None and self.trainer.gradient_clip_val)
        if cfg.fused is None and clipping and _loss_scaler(self.trainer.precision_plugin) is not None:
            return replace(cfg, fused=False)
        return cfg

    def configure_gradient_clipping(self, optimizer: torch.optim.Optimizer, gradient_clip_val: float | None = None,
                                    gradient_clip_algorithm: str | None = None) -> None:
        """Lightning's clipping, also for fused AdamW under ``bf16-mixed``.

        Lightning's mixed-precision plugin refuses to clip for an optimizer that unscales gradients
        itself. That guards ``GradScaler`` (``16-mixed``). bf16 autocast scales no loss, so the
        gradients are the true ones and clipping them is what it is under ``32-true``.
        """
        plugin = self.trainer.precision_plugin
        if gradient_clip_val and isinstance(plugin, MixedPrecision) and _loss_scaler(plugin) is None:
            algorithm = GradClipAlgorithmType(gradient_clip_algorithm or GradClipAlgorithmType.NORM)
            Precision.clip_gradients(plugin, optimizer, gradient_clip_val, algorithm)
            return
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def configure_optimizers(self) -> dict:
        """AdamW over the model and heads (``model.optimizer``) with its warmup/decay schedule, stepped per step."""
        assert self.model is not None
        modules = nn.ModuleList([self.model, self.heads])
        optimizer = build_optimizer(param_groups(modules, self.optim_config.weight_decay), self._optimizer_config())
        total = self.trainer.max_steps
        if total is None or total < 0:
            raise ValueError("set trainer.max_steps: the learning-rate schedule and the infinite data stream stop by steps")
        if (problem := warmup_problem(self.optim_config, total)) is not None:
            rank_zero_warn(problem)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, self.optim_config, total))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
