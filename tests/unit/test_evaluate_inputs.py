"""polytrain.evaluate without training: the retrieval scores, the layouts, the inputs and the report."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from polytrain.evaluate.command import default_out
from polytrain.evaluate.command import main as evaluate_main
from polytrain.evaluate.inputs import named_file, read_tsv
from polytrain.evaluate.loading import EvalError
from polytrain.evaluate.retrieval import ratio_margin, score_layers, top1_accuracy
from polytrain.models import build_model
from polytrain.models.config import ModelConfig

TINY = ModelConfig(kind="encoder", d_model=32, n_layers=3, n_heads=2, d_ff=64, dropout=0.0, attention_dropout=0.0)


# ------------------------------------------------------------------------------ the scores
def test_ratio_margin_is_artetxe_and_schwenks_formula() -> None:
    sim = torch.tensor([[0.9, 0.5, 0.1], [0.4, 0.8, 0.2], [0.3, 0.6, 0.7]])
    k = 2
    expected = torch.empty(3, 3)
    for i in range(3):
        for j in range(3):
            near_x = sorted(sim[i].tolist(), reverse=True)[:k]  # the k nearest targets of source i
            near_y = sorted(sim[:, j].tolist(), reverse=True)[:k]  # the k nearest sources of target j
            expected[i, j] = sim[i, j] / (sum(near_x) / (2 * k) + sum(near_y) / (2 * k))
    torch.testing.assert_close(ratio_margin(sim, k), expected)
    torch.testing.assert_close(ratio_margin(sim, 10), ratio_margin(sim, 3))  # k is capped at N


def test_the_margin_discounts_a_hub_that_cosine_retrieves_for_everyone() -> None:
    # Target 0 is a "hub": every source's cosine with it (0.7) beats the source's own translation (0.62).
    n = 6
    sim = torch.full((n, n), 0.5)
    sim.fill_diagonal_(0.62)
    sim[:, 0] = 0.7
    sim[0, 0] = 0.8
    assert top1_accuracy(sim)[0] == pytest.approx(1 / n)  # cosine: everyone retrieves the hub
    # margin, k = 2: own 0.62 / ((0.66 + 0.56) / 2) = 1.016 > hub 0.7 / ((0.66 + 0.75) / 2) = 0.993
    assert top1_accuracy(ratio_margin(sim, k=2)).tolist() == [1.0, 1.0]


def test_scores_per_layer_keep_the_layers_apart() -> None:
    good = torch.eye(5)[None].repeat(2, 1, 1)  # (2 layers, 5, 5)
    tgt = good.clone()
    tgt[1] = tgt[1][[1, 0, 2, 3, 4]]  # layer 1 swaps two targets: 3 of 5 right
    scores = score_layers(good, tgt, k=2)
    torch.testing.assert_close(scores["cosine"], torch.tensor([[1.0, 1.0], [0.6, 0.6]]))
    assert scores["margin"].shape == (2, 2)


# ------------------------------------------------------------------------------ the model's states
@pytest.mark.parametrize("kind", ["encoder", "encoder_decoder"])
def test_hidden_states_are_the_embeddings_then_every_layer_and_end_at_encode(kind: str) -> None:
    config = replace(TINY, kind=kind, n_decoder_layers=1 if kind == "encoder_decoder" else 0)
    model = build_model(config, 50, 2, 1).eval()
    ids = torch.randint(5, 50, (2, 7), generator=torch.Generator().manual_seed(0))
    positions, langs = torch.arange(7).expand(2, 7), torch.zeros(2, 7, dtype=torch.long)
    states = model.hidden_states(ids, None, positions, langs)
    assert len(states) == config.n_layers + 1 and all(s.shape == (2, 7, 32) for s in states)
    torch.testing.assert_close(states[-1], model.encode(ids, None, positions, langs))
    assert not torch.allclose(states[0], states[1])


# ------------------------------------------------------------------------------ inputs
def test_tsv_lines_with_another_layout_stop_with_the_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "de-en.tsv"
    good.write_text("Hallo.\tHello.\n\nTschüss.\tBye.\n", encoding="utf-8")
    assert read_tsv(str(good), "x") == [("Hallo.", "Hello."), ("Tschüss.", "Bye.")]
    cases = {"a\tb\tc\n": "expected source<TAB>target (2 tab-separated columns), got 3",
             "a\tb\nonly one\n": ":2: expected source<TAB>target (2 tab-separated columns), got 1",
             "a\t \n": ":1: an empty column", "\n\n": "no source<TAB>target lines"}
    for text, message in cases.items():
        bad = tmp_path / "bad-en.tsv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(EvalError, match=re.escape(message)):
            read_tsv(str(bad), "source<TAB>target")
    bad.write_bytes(b"\xff\tx\n")
    with pytest.raises(EvalError, match=r"bad-en.tsv:1: not UTF-8"):
        read_tsv(str(bad), "x")


def test_languages_come_from_the_file_name_or_are_given(tmp_path: Path) -> None:
    for name in ("en.tsv", "en.test.tsv", "topics.tsv", "de-en.train.tsv"):
        (tmp_path / name).write_text("a\tb\n", encoding="utf-8")
    assert named_file(str(tmp_path / "en.test.tsv"), pair=False).lang == "en"
    assert named_file(f"fr={tmp_path / 'topics.tsv'}", pair=False).lang == "fr"
    assert named_file(str(tmp_path / "de-en.train.tsv"), pair=True).lang == "de-en"
    with pytest.raises(EvalError, match="cannot tell the language: name the file like 'de.tsv'"):
        named_file(str(tmp_path / "topics.tsv"), pair=False)
    with pytest.raises(EvalError, match="cannot tell the language pair"):
        named_file(str(tmp_path / "en.tsv"), pair=True)
    with pytest.raises(EvalError, match="'English' is not a language code"):
        named_file(f"English={tmp_path / 'en.tsv'}", pair=False)
    with pytest.raises(FileNotFoundError):
        named_file(str(tmp_path / "fr.tsv"), pair=False)


def test_a_missing_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "de-en.tsv").write_text("a\tb\n", encoding="utf-8")
    assert evaluate_main(["retrieval", "--model", str(tmp_path / "nope.ckpt"), "--pairs", str(tmp_path / "de-en.tsv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"polytrain evaluate retrieval: error: {tmp_path / 'nope.ckpt'}: no such checkpoint or model folder"
    (tmp_path / "folder").mkdir()
    assert evaluate_main(["loss", "--model", str(tmp_path / "folder"), "--data", str(tmp_path)]) == 2
    assert "neither a sharded checkpoint (meta.pt), a Hugging Face folder" in capsys.readouterr().err


def test_results_go_beside_the_runs_checkpoints(tmp_path: Path) -> None:
    assert default_out("runs/x/checkpoints/last.ckpt", "loss") == Path("runs/x/eval/loss-last.json")
    assert default_out(str(tmp_path) + "/", "retrieval") == tmp_path / "eval" / f"retrieval-{tmp_path.name}.json"
    assert default_out("https://host/m.ckpt", "classify") == Path("eval/classify-m.json")


# ------------------------------------------------------------------------------ report
def test_report_merges_logger_versions_and_writes_plots_and_tables(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from polytrain.evaluate.report import read_metrics, write_report

    def write(version: int, rows: list[dict[str, float]]) -> None:
        folder = tmp_path / "polytrain" / f"version_{version}"
        folder.mkdir(parents=True)
        keys = sorted({k for r in rows for k in r})
        with (folder / "metrics.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, keys)
            writer.writeheader()
            writer.writerows(rows)

    write(0, [{"step": 9, "train/mlm/de/loss": 7.0, "tokens/de": 100},
              {"step": 19, "val/mlm/de/loss": 6.5, "val/mlm/de/accuracy": 0.1, "mixture/de/share": 0.4,
               "mixture/de/epochs": 2.0}])
    write(1, [{"step": 19, "val/mlm/de/loss": 6.4}, {"step": 29, "train/mlm/de/loss": 6.0, "tokens/de": 300}])
    series = read_metrics(tmp_path)
    assert series["val/mlm/de/loss"] == {19: 6.4}  # the resumed run's value of a step wins
    assert series["train/mlm/de/loss"] == {9: 7.0, 29: 6.0}
    out = write_report(tmp_path)
    text = (out / "summary.md").read_text()
    assert "| mlm | de | 300 | 6.000 | 6.400 | 0.100 | 601.8 |" in text
    assert "| de | 0.400 | 2.00 |" in text
    for name in ("loss", "tokens", "mixture"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"({name}.png)" in text
    assert not (out / "retrieval.png").exists()  # neither a probe nor a retrieval result


def test_pseudo_perplexity_masks_ordinary_tokens_wherever_the_specials_sit():
    # XLM-R's layout: <mask> is the last id, so an id above the leading specials is not ordinary.
    from polytrain.evaluate.loss import masked_copies
    from polytrain.testing import synthetic_vocab
    from polytrain.types import Example, Vocab

    base = synthetic_vocab(50, ())
    special = np.zeros(50, dtype=bool)
    special[[0, 1, 2, 3, 49]] = True
    vocab = Vocab(size=50, bos_id=0, pad_id=1, eos_id=2, unk_id=3, mask_id=49, languages=(), lang_token_ids=(),
                  num_special=4, word_start=base.word_start, special=special)
    ids = np.array([0, 10, 49, 11, 2], dtype=np.int64)  # <s> a <mask> b </s>
    example = Example(input_ids=ids, labels=np.full(5, -100, dtype=np.int64), positions=np.arange(5),
                      langs=np.zeros(5, dtype=np.int64), lang="en", key="k")
    copies = masked_copies(example, vocab)
    assert [int(np.flatnonzero(c.labels != -100)[0]) for c in copies] == [1, 3]
    assert all(c.input_ids[p] == 49 for c, p in zip(copies, (1, 3)))
