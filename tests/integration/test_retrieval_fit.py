"""RetrievalProbe inside a real fit: both directions of every pair logged, its schedule, an
encoder-decoder model, and a corpus without parallel validation shards (the math and the input
layout are unit tests: tests/unit/test_retrieval.py)."""

from __future__ import annotations

import csv
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import CSVLogger
from test_retrieval import TINY, copy_shards, rewrite_manifest

from polytrain.callbacks.retrieval import RetrievalProbe
from polytrain.models.config import ModelConfig
from polytrain.module import PretrainModule
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.shards.manifest import Manifest
from polytrain.stream.datamodule import PretrainDataModule


def fit(demo_data, tmp_path: Path, probe: RetrievalProbe, manifest: Path | None = None,
        architecture: ModelConfig = TINY, objectives: list | None = None) -> list[dict[str, str]]:
    dm = PretrainDataModule(shards=str(manifest or demo_data.manifest), tokenizer=str(demo_data.tokenizer),
                            max_length=32, batch_size=4, num_workers=0, shuffle_buffer=20)
    module = PretrainModule(objectives=objectives or [MaskedLM()], tokenizer=str(demo_data.tokenizer),
                            architecture=architecture, max_length=32)
    trainer = Trainer(accelerator="cpu", devices=1, max_steps=4, val_check_interval=2, check_val_every_n_epoch=None,
                      limit_val_batches=1, num_sanity_val_steps=1, log_every_n_steps=1, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, default_root_dir=str(tmp_path),
                      logger=CSVLogger(str(tmp_path), name="csv"), callbacks=[probe])
    trainer.fit(module, datamodule=dm)
    with next(tmp_path.glob("csv/version_*/metrics.csv")).open() as f:
        return list(csv.DictReader(f))


def retrieval_rows(rows: list[dict[str, str]]) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in r.items() if k.startswith("val/retrieval/") and v} for r in rows
            if r.get("val/retrieval/mean")]


def test_probe_logs_both_directions_of_every_pair_in_a_fit(demo_data, tmp_path: Path) -> None:
    probe = RetrievalProbe(max_pairs=20, batch_size=8)
    rows = retrieval_rows(fit(demo_data, tmp_path, probe))
    pairs = sorted({s.lang for s in Manifest.load(str(demo_data.manifest)).shards("parallel", "val")})
    assert pairs and set(probe.batches) == set(pairs)
    assert all(2 <= c["pairs"] <= 20 and c["skipped"] == 0 and c["truncated"] >= 0 for c in probe.counts.values())
    assert len(rows) == 2  # validations at steps 2 and 4; the sanity check is not probed
    expected = {"val/retrieval/mean"}
    for pair in pairs:
        src, tgt = pair.split("-")
        expected |= {f"val/retrieval/{pair}/{src}_to_{tgt}", f"val/retrieval/{pair}/{tgt}_to_{src}"}
    for row in rows:
        assert set(row) == expected
        assert all(0.0 <= v <= 1.0 for v in row.values()), row
        directions = [v for k, v in row.items() if k != "val/retrieval/mean"]
        assert row["val/retrieval/mean"] == pytest.approx(sum(directions) / len(directions), abs=1e-6)


def test_every_n_validations_and_an_encoder_decoder_model(demo_data, tmp_path: Path) -> None:
    seq2seq = replace(TINY, kind="encoder_decoder", n_decoder_layers=1)
    rows = retrieval_rows(fit(demo_data, tmp_path, RetrievalProbe(max_pairs=8, every_n_validations=2),
                              architecture=seq2seq, objectives=[Denoising()]))
    assert len(rows) == 1 and all(0.0 <= v <= 1.0 for v in rows[0].values())  # only the 2nd validation


def test_no_parallel_val_shards_warns_once_and_logs_nothing(demo_data, tmp_path: Path, caplog) -> None:
    manifest = copy_shards(demo_data, tmp_path)
    rewrite_manifest(manifest, keep=lambda s: not (s.kind == "parallel" and s.split == "val"))
    probe = RetrievalProbe()
    with caplog.at_level(logging.WARNING, logger="polytrain.callbacks.retrieval"):
        rows = fit(demo_data, tmp_path, probe, manifest=manifest)
    warnings = [r for r in caplog.records if r.name == "polytrain.callbacks.retrieval"]
    assert len(warnings) == 1 and "no parallel validation shards" in warnings[0].getMessage()
    assert not probe.batches and not retrieval_rows(rows)
    assert any(r.get("val/loss") for r in rows)  # validation itself ran
