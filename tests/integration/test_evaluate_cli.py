"""`polytrain evaluate` and `polytrain report` on real `polytrain fit` runs of tiny models on the demo data.

One 20-step MLM run and one 4-step denoising run are shared by the whole module.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from test_fit import CONFIGS, small_fit_args

from polytrain.evaluate.command import main as evaluate
from polytrain.evaluate.loading import load_model
from polytrain.evaluate.loss import DataSource, pseudo_perplexity
from polytrain.evaluate.report import main as report

CORPUS = Path(__file__).resolve().parents[2] / "polytrain" / "demo_corpus"
LABELLED = CORPUS / "labelled"
STEPS = 20


@pytest.fixture(scope="module")
def mlm_run(demo_data: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run folder of a 20-step tiny MLM fit (2 layers), validated on all validation shards at its end."""
    from polytrain.cli import main

    root = tmp_path_factory.mktemp("evaluate") / "mlm"
    assert main(small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                               f"--trainer.default_root_dir={root}", f"--trainer.max_steps={STEPS}",
                               f"--trainer.val_check_interval={STEPS}", "--trainer.limit_val_batches=1.0",
                               "--model.architecture.n_layers=2", "--model.optimizer.lr=2e-3")) == 0
    return root


@pytest.fixture(scope="module")
def seq2seq_checkpoint(demo_data: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """last.ckpt of a 4-step mBART-style denoising fit of a 1+1-layer, d 64 model, validated on all
    validation shards at its end."""
    from polytrain.cli import main

    root = tmp_path_factory.mktemp("evaluate") / "denoise"
    args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                          f"--trainer.default_root_dir={root}", "--trainer.max_steps=4",
                          "--trainer.val_check_interval=4", "--trainer.limit_val_batches=1.0",
                          "-c", str(CONFIGS / "model/tiny-seq2seq.yaml"),
                          "-c", str(CONFIGS / "objective/denoise-mbart.yaml"), "--model.architecture.d_model=64",
                          "--model.architecture.n_heads=2", "--model.architecture.n_layers=1",
                          "--model.architecture.n_decoder_layers=1", "--model.architecture.d_ff=128")
    assert main(args) == 0
    return root / "checkpoints" / "last.ckpt"


def result(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def last_validation(run: Path) -> dict[str, float]:
    with next(run.glob("polytrain/version_*/metrics.csv")).open() as f:
        rows = [r for r in csv.DictReader(f) if r.get("val/loss")]
    return {k: float(v) for k, v in rows[-1].items() if v and k.startswith("val/")}


# ------------------------------------------------------------------------------ loss
def test_loss_on_the_runs_validation_shards_is_what_validation_logged(mlm_run: Path, demo_data: Any) -> None:
    out = mlm_run / "loss.json"
    assert evaluate(["loss", "--model", str(mlm_run / "checkpoints" / "last.ckpt"), "--data",
                     str(demo_data.manifest), "--out", str(out)]) == 0
    languages = result(out)["objectives"]["mlm"]
    logged = last_validation(mlm_run)
    assert len(languages) >= 8
    for lang, row in languages.items():
        assert row["loss"] == pytest.approx(logged[f"val/mlm/{lang}/loss"], abs=1e-4), lang
        assert row["accuracy"] == pytest.approx(logged[f"val/mlm/{lang}/accuracy"], abs=1e-4), lang
        assert row["tokens"] > row["targets"] > 0


def test_denoising_loss_of_an_encoder_decoder_is_what_validation_logged(seq2seq_checkpoint: Path,
                                                                         demo_data: Any, tmp_path: Path) -> None:
    languages = result_of(["loss", "--model", str(seq2seq_checkpoint), "--data", str(demo_data.manifest)],
                          tmp_path / "loss.json")["objectives"]["denoise"]
    logged = last_validation(seq2seq_checkpoint.parents[1])
    assert len(languages) >= 8 and all(row["tokens"] > 0 and row["targets"] > 0 for row in languages.values())
    compared = [lang for lang in languages if f"val/denoise/{lang}/loss" in logged]
    assert compared, logged
    for lang in compared:
        assert languages[lang]["loss"] == pytest.approx(logged[f"val/denoise/{lang}/loss"], abs=1e-4), lang


def test_loss_on_token_shards_is_the_loss_on_their_text_shards(mlm_run: Path, demo_data: Any, demo_tokens: Path,
                                                                tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # The same documents, tokenized by `polytrain data tokenize` instead of in the command: the same
    # blocks, the same corruption, the same numbers.
    model = str(mlm_run / "checkpoints" / "last.ckpt")
    text = result_of(["loss", "--model", model, "--data", str(demo_data.manifest), "--pseudo-perplexity", "2"],
                     tmp_path / "text.json")
    ids = result_of(["loss", "--model", model, "--data", str(demo_tokens), "--pseudo-perplexity", "2"],
                    tmp_path / "ids.json")
    assert len(ids["objectives"]["mlm"]) >= 8 and len(ids["pseudo_perplexity"]) >= 8
    assert (ids["objectives"], ids["pseudo_perplexity"]) == (text["objectives"], text["pseudo_perplexity"])
    # Token shards of another tokenizer are refused in one line, as training refuses them.
    other = json.loads(demo_tokens.read_text(encoding="utf-8"))
    other["tokenizer"]["sha256"] = "0" * 64
    (tmp_path / "other").mkdir()
    for entry in demo_tokens.parent.iterdir():
        if entry.name != "manifest.json":
            (tmp_path / "other" / entry.name).symlink_to(entry)
    (tmp_path / "other" / "manifest.json").write_text(json.dumps(other), encoding="utf-8")
    capsys.readouterr()
    assert evaluate(["loss", "--model", model, "--data", str(tmp_path / "other"), "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert "token shards made with tokenizer sha256 000000000000" in err and "not the model's" in err
    assert len(err.splitlines()) == 1, err


def test_loss_on_text_files_and_pseudo_perplexity_below_an_untrained_models(mlm_run: Path) -> None:
    model = str(mlm_run / "checkpoints" / "last.ckpt")
    out = mlm_run / "loss-text.json"
    assert evaluate(["loss", "--model", model, "--data", str(CORPUS / "mono" / "sw.txt"), str(CORPUS / "mono" / "zh.txt"),
                     "--pseudo-perplexity", "3", "--out", str(out)]) == 0
    text = result(out)
    assert set(text["objectives"]["mlm"]) == {"sw", "zh"} and text["split"] is None
    assert all(r["sentences"] == 3 and r["tokens"] > 10 for r in text["pseudo_perplexity"].values())
    data = DataSource([str(CORPUS / "mono" / "en.txt")])
    trained = load_model(model)
    untrained = load_model(model)
    untrained.model.init_weights(torch.Generator().manual_seed(0))
    pppl = pseudo_perplexity(trained, data, 5, 64)["en"]["pppl"]
    assert pppl < pseudo_perplexity(untrained, data, 5, 64)["en"]["pppl"] < 1.5 * untrained.vocab.size


# ------------------------------------------------------------------------------ retrieval
def test_retrieval_every_layer_and_the_same_numbers_from_the_hf_export(mlm_run: Path, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from polytrain.hf.command import export_main as export

    checkpoint = mlm_run / "checkpoints" / "last.ckpt"
    assert export(["--checkpoint", str(checkpoint), "--out", str(tmp_path / "hf")]) == 0
    pairs = [str(CORPUS / "parallel" / "de-en.tsv"), str(CORPUS / "parallel" / "zh-en.tsv")]
    runs = {}
    for name, model in (("ckpt", checkpoint), ("hf", tmp_path / "hf")):
        runs[name] = result_of(["retrieval", "--model", str(model), "--pairs", *pairs, "--max-pairs", "60",
                                "--max-length", "32"], tmp_path / f"{name}.json")  # the export's is 512
    for pair in runs["ckpt"]["results"]:
        assert pair["pairs"] == 60 and pair["chance"] == pytest.approx(1 / 60)
        assert [row["layer"] for row in pair["layers"]] == [0, 1, 2]
        for row in pair["layers"]:
            assert all(0 <= v <= 1 for kind in ("cosine", "margin") for v in row[kind].values())
    assert runs["ckpt"]["results"] == runs["hf"]["results"]  # the export is the same model
    layer1 = result_of(["retrieval", "--model", str(checkpoint), "--pairs", pairs[0], "--max-pairs", "60", "--layers",
                        "-2"], tmp_path / "one.json")["results"][0]["layers"]
    assert layer1 == [runs["ckpt"]["results"][0]["layers"][1]]


def result_of(args: list[str], out: Path) -> dict:
    assert evaluate([*args, "--out", str(out)]) == 0
    return result(out)


# ------------------------------------------------------------------------------ classify
def test_a_fine_tuned_classifier_beats_the_majority_class_in_its_language(mlm_run: Path) -> None:
    out = mlm_run / "eval" / "classify-last.json"
    tests = [str(LABELLED / f"{lang}.test.tsv") for lang in ("en", "de", "ru", "zh")]
    assert evaluate(["classify", "--model", str(mlm_run / "checkpoints" / "last.ckpt"), "--train",
                     str(LABELLED / "en.train.tsv"), "--test", *tests, "--epochs", "10", "--lr", "1e-3",
                     "--batch-size", "16", "--out", str(out)]) == 0
    found = result(out)
    assert found["train"]["labels"] == ["food", "school", "travel", "weather"] and found["train"]["examples"] == 64
    en = found["results"]["en"]
    assert en["majority"] == pytest.approx(0.25) and en["accuracy"] > 0.4, en
    for lang in ("de", "ru", "zh"):
        row = found["results"][lang]
        assert row["examples"] == 24 and row["gap"] == pytest.approx(en["accuracy"] - row["accuracy"])


# ------------------------------------------------------------------------------ translate
def test_translation_fine_tuning_learns_its_pairs(seq2seq_checkpoint: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "de-en.tsv"
    lines = (CORPUS / "parallel" / "de-en.tsv").read_text(encoding="utf-8").splitlines()[:8]
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # 200 epochs: after 120 the test loss was 0.22 or 0.27 depending on the 4-step checkpoint's data
    # draws, where greedy output flips between memorised and not (chrF 94 against 41); 200 reach 0.02.
    found = result_of(["translate", "--model", str(seq2seq_checkpoint), "--train", str(pairs), "--test", str(pairs),
                       "--epochs", "200", "--lr", "3e-3", "--batch-size", "4", "--label-smoothing", "0"],
                      tmp_path / "translate.json")
    assert found["pair"] == "de-en" and found["test"]["pairs"] == 8
    assert found["test_loss_after"] < 0.5 * found["test_loss_before"]
    assert found["chrf"] > 50 and found["bleu"] > 20 and "tok:13a" in found["bleu_signature"]  # memorised
    assert all(e["hypothesis"].strip() for e in found["examples"])


# ------------------------------------------------------------------------------ bad input
def test_bad_input_is_one_line(mlm_run: Path, seq2seq_checkpoint: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    model = str(mlm_run / "checkpoints" / "last.ckpt")
    (tmp_path / "de-en.tsv").write_text("Hallo.\tHello.\tBonjour.\n", encoding="utf-8")
    (tmp_path / "xx-en.tsv").write_text("a\tb\nc\td\n", encoding="utf-8")
    (tmp_path / "de.tsv").write_text("weather\tEs regnet.\nsport\tTor!\n", encoding="utf-8")
    cases = [
        (["retrieval", "--model", model, "--pairs", str(tmp_path / "de-en.tsv")],
         "de-en.tsv:1: expected source<TAB>target (2 tab-separated columns), got 3"),
        (["retrieval", "--model", model, "--pairs", str(tmp_path / "xx-en.tsv")], "language 'xx' is not one the model"),
        (["classify", "--model", model, "--train", str(LABELLED / "en.train.tsv"), "--test", str(tmp_path / "de.tsv")],
         "de.tsv: labels ['sport'] are missing from the training file"),
        (["translate", "--model", model, "--train", str(CORPUS / "parallel" / "de-en.tsv"), "--holdout", "5"],
         "translate needs an encoder-decoder model"),
        (["translate", "--model", str(seq2seq_checkpoint), "--train", str(CORPUS / "parallel" / "de-en.tsv")],
         "give --test, or --holdout N"),
        (["loss", "--model", model, "--data", str(tmp_path / "de-en.tsv")], "no mono text"),
    ]
    for args, message in cases:
        assert evaluate(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and message in err, err


# ------------------------------------------------------------------------------ report
def test_report_of_the_run_has_its_losses_and_evaluations(mlm_run: Path) -> None:
    pytest.importorskip("matplotlib")
    checkpoint = str(mlm_run / "checkpoints" / "last.ckpt")
    assert evaluate(["retrieval", "--model", checkpoint, "--pairs", str(CORPUS / "parallel" / "fr-en.tsv"),
                     "--max-pairs", "30"]) == 0  # into <run>/eval/, where report reads it
    assert report([str(mlm_run)]) == 0
    summary = (mlm_run / "report" / "summary.md").read_text(encoding="utf-8")
    logged = last_validation(mlm_run)
    loss = logged["val/mlm/en/loss"]
    assert f"| {loss:.3f} | {logged['val/mlm/en/accuracy']:.3f} | {math.exp(loss):.1f} |" in summary
    assert "| retrieval-last.json | fr-en | 2 |" in summary and "## Zero-shot classification" in summary
    for name in ("loss", "tokens", "mixture", "retrieval"):
        assert (mlm_run / "report" / f"{name}.png").stat().st_size > 1000
