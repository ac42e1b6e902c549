"""``polytrain inspect``: examples read back to their text, visible special tokens, achieved statistics."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from polytrain.shards.manifest import Manifest
from polytrain.shards.reader import StreamStats, read_shard
from polytrain.stream.dataset import PretrainStream
from polytrain.shards.vocab import load_vocab
from polytrain.inspect import iter_examples, main
from polytrain.objectives.denoising import Denoising

REPO = Path(__file__).resolve().parents[2]
MBART = str(REPO / "configs" / "objective" / "denoise-mbart.yaml")
TLM = str(REPO / "configs" / "objective" / "tlm.yaml")
T5 = "polytrain_t5span.objective.SpanCorruption"
TARGET = re.compile(r"\[([^\]→]*)→([^\]]*)\]")


def _restore(targets: str, side: int = 1) -> str:
    """The targets line with each ``[original→input]`` replaced by one side (``▁`` is a bare space),
    whitespace runs collapsed (a bare-space target next to a special token leaves two spaces)."""
    return _words(TARGET.sub(lambda m: m.group(side).replace("\u2581", " "), targets))


def _words(text: str) -> str:
    return " ".join(text.split())


def _data(demo_data: Any) -> list[str]:
    return ["--shards", str(demo_data.manifest), "--tokenizer", str(demo_data.tokenizer)]


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], args: list[str]) -> list[dict[str, Any]]:
    code, out, err = _run(capsys, [*args, "--json"])
    assert code == 0, err
    return json.loads(out)["objectives"]


def _lines(out: str, label: str) -> list[str]:
    """The values of the report lines labelled ``label`` (the label column is 13 wide)."""
    return [line[14:] for line in out.splitlines() if line[:14].rstrip() == label]


# ------------------------------------------------------------------------------------------------ MLM
def test_mlm_text_report_shows_original_input_and_targets(demo_data, capsys):
    code, out, _ = _run(capsys, [*_data(demo_data), "--objective", "polytrain.objectives.mlm.MaskedLM",
                                 "--lang", "en", "-n", "3", "--stats-samples", "3"])
    assert code == 0
    originals, inputs, targets = _lines(out, "original"), _lines(out, "input"), _lines(out, "targets")
    assert len(originals) == len(inputs) == len(targets) == 3
    assert "mask_prob=0.15" in out and "selected_fraction" in out
    for original, inp, tgt in zip(originals, inputs, targets, strict=True):
        assert " | " in original  # sentence boundaries are shown
        assert inp.startswith("<s> ") and inp.endswith(" </s>") and "<mask>" in inp
        # Putting every target's original back gives exactly <s> text </s>.
        assert _restore(tgt) == _words(f"<s> {original.replace(' | ', ' ')} </s>")
        # And putting the corrupted tokens back gives the input (up to the spaces around <mask>).
        assert _restore(tgt, 2).replace(" ", "") == inp.replace(" ", "")


def test_mlm_statistics_match_the_configuration(demo_data, capsys):
    [report] = _json(capsys, [*_data(demo_data), "--objective", "mlm", "--split", "train", "-n", "1"])
    stats = report["stats"]
    assert stats["examples"] == 500 and len(stats["languages"]) > 5
    achieved = stats["achieved"]
    assert achieved["selected_fraction"] == pytest.approx(0.15, abs=0.03)
    assert achieved["mask_share"] == pytest.approx(0.8, abs=0.03)
    assert achieved["random_share"] == pytest.approx(0.1, abs=0.03)
    assert achieved["kept_share"] == pytest.approx(0.1, abs=0.03)
    # Ratios of summed counts, not means of per-example ratios.
    counts = stats["counts"]
    assert achieved["selected_fraction"] == counts["selected_fraction.numerator"] / counts["selected_fraction.denominator"]
    assert achieved["loss_fraction"] == counts["loss_positions"] / counts["label_positions"]
    # The objective's statistics hook names the settings; inspect knows none of them.
    assert stats["configured"]["selected_fraction"] == {"param": "mask_prob", "value": 0.15}
    assert stats["configured"]["kept_share"]["value"] == pytest.approx(0.1)
    assert stats["meaning"]["mask_share"] == "targets replaced by <mask>"


def test_val_examples_are_the_ones_validation_makes(demo_data):
    """Same blocks, same keys, same corruption as ``PretrainStream(split="val")``."""
    _, vocab = load_vocab(str(demo_data.tokenizer))
    manifest = Manifest.load(str(demo_data.manifest))
    objective = Denoising()
    objective.setup(vocab, 64)
    stream = PretrainStream(manifest, str(demo_data.tokenizer), vocab, [objective], batch_size=4,
                            split="val", seed=3)
    validation = {}
    for batch in stream:
        for i, key in enumerate(batch.keys):
            validation[key] = (batch.input_ids[i][batch.attention_mask[i]].tolist(),
                               batch.labels[i][batch.decoder_attention_mask[i]].tolist())
    inspected = {ex.key: (ex.input_ids.tolist(), ex.labels.tolist())
                 for _, ex in iter_examples(objective, manifest, str(demo_data.tokenizer), split="val", seed=3)}
    assert len(validation) > 20 and inspected == validation


def test_val_split_is_deterministic_and_seeded(demo_data, capsys):
    args = [*_data(demo_data), "--objective", "mlm", "-n", "2", "--stats-samples", "5"]
    first, again = _run(capsys, args)[1], _run(capsys, args)[1]
    assert first == again
    assert _run(capsys, [*args, "--seed", "1"])[1] != first


# ------------------------------------------------------------------------------------------------ TLM
def test_tlm_shows_both_sides_and_its_statistics(demo_data, capsys):
    [report] = _json(capsys, [*_data(demo_data), "-c", TLM, "--split", "train", "-n", "4"])
    assert report["class_path"] == "polytrain.objectives.tlm.TranslationLM" and report["init_args"]["swap_prob"] == 0.5
    for ex in report["examples"]:
        (src, tgt) = ex["original"]
        assert f"{src['lang']}-{tgt['lang']}" == ex["lang"]
        assert "</s> </s>" in ex["input"]  # the pair separator is visible
        restored = _restore(ex["targets"])
        assert restored in (_words(f"<s> {src['text']} </s> </s> {tgt['text']} </s>"),
                            _words(f"<s> {tgt['text']} </s> </s> {src['text']} </s>"))
    achieved = report["stats"]["achieved"]
    assert report["stats"]["examples"] == 500
    assert achieved["selected_fraction"] == pytest.approx(0.15, abs=0.03)
    assert achieved["mask_share"] == pytest.approx(0.8, abs=0.03)


# ------------------------------------------------------------------------------------------- denoising
def test_mbart_preset_labels_reconstruct_the_original(demo_data, capsys):
    code, out, _ = _run(capsys, ["-c", MBART, *_data(demo_data), "-n", "3", "--stats-samples", "3"])
    assert code == 0 and "mask_ratio=0.35" in out
    blocks = list(zip(_lines(out, "original"), _lines(out, "input"), _lines(out, "decoder input"),
                      _lines(out, "labels"), strict=True))
    assert len(blocks) == 3
    for original, inp, dec, labels in blocks:
        tag = re.search(r"<lang:[a-z]+>$", labels).group(0)
        assert labels == f"{original.replace(' | ', ' ')} </s> {tag}"
        assert dec == f"{tag} {original.replace(' | ', ' ')} </s>"
        assert inp.endswith(f" </s> {tag}") and "<mask>" in inp


def test_mbart_statistics_match_the_configuration(demo_data, capsys):
    [report] = _json(capsys, ["-c", MBART, *_data(demo_data), "--split", "train", "-n", "0"])
    stats = report["stats"]
    assert stats["examples"] == 500 and report["examples"] == []
    achieved = stats["achieved"]
    # mBART's units: 35 % of the words, Poisson(3.5) spans counted in words.
    assert achieved["masked_word_fraction"] == pytest.approx(0.35, abs=0.02)
    assert stats["configured"]["masked_word_fraction"] == {"param": "mask_ratio", "value": 0.35}
    # Each <mask> stands for a Poisson(3.5) span of words; cutting each block's last span to the
    # budget pulls the mean below lambda by about (lambda / 2) / (spans per block), a lot for the
    # demo's short documents (docs/objectives.md).
    spans, blocks = stats["counts"]["masks_per_example.numerator"], stats["counts"]["examples"]
    assert achieved["words_per_mask"] == pytest.approx(3.5 - 1.75 * blocks / spans, abs=0.15)
    assert stats["configured"]["words_per_mask"] == {"param": "poisson_lambda", "value": 3.5}
    assert achieved["loss_fraction"] == 1.0
    assert achieved["input_length"] < achieved["label_length"]
    assert "selected_fraction" not in achieved  # encoder statistics do not apply


# ---------------------------------------------------------------------------------------- rendering
@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_original_text_reads_like_the_shard_text(demo_data, capsys, lang):
    """Latin, Cyrillic and Han (no spaces): the first val block's sentences are the document's lines."""
    [report] = _json(capsys, [*_data(demo_data), "--objective", "mlm", "--lang", lang, "-n", "1",
                              "--stats-samples", "1"])
    example = report["examples"][0]
    manifest = Manifest.load(str(demo_data.manifest))
    shard = manifest.shards("mono", "val", lang)[0]
    doc = next(read_shard(manifest.shard_url(shard), "mono", StreamStats()))
    assert example["key"] == f"{lang}/{doc.key}/0"
    lines = [" ".join(unicodedata.normalize("NFKC", line).split()) for line in doc.texts["txt"].split("\n")]
    sentences = [s.removesuffix(" </s>") for s in example["original"][0]["text"].split(" | ")]
    shown = min(len(lines), len(sentences) - 1)  # the block may cut its last sentence
    assert shown >= 1 and sentences[:shown] == lines[:shown]
    if lang == "zh":
        assert " " not in sentences[0]


# ------------------------------------------------------------------------------------------- plugins
@pytest.mark.filterwarnings("ignore:SpanCorruption")  # a 2000-piece vocabulary has text in the reserved ids
def test_plugin_objective_is_inspected_like_a_builtin(demo_data, capsys):
    pytest.importorskip("polytrain_t5span.objective")
    [report] = _json(capsys, [*_data(demo_data), "--objective", T5, "--objective.init_args.noise_density",
                              "0.2", "--split", "train", "-n", "2"])
    assert report["name"] == "t5span" and report["model_kind"] == "encoder_decoder"
    for ex in report["examples"]:
        assert "<extra_id_0>" in ex["input"] and ex["labels"].startswith("<extra_id_0> ")
        assert ex["input"].endswith("</s>") and ex["decoder_input"].startswith("<s> <extra_id_0>")
    achieved, configured = report["stats"]["achieved"], report["stats"]["configured"]
    # The plugin reports its own statistics through the hook.
    assert achieved["noise_fraction"] == pytest.approx(0.2, abs=0.03)
    assert configured["noise_fraction"] == {"param": "noise_density", "value": 0.2}
    assert achieved["tokens_per_sentinel"] == pytest.approx(3.0, abs=0.5)
    assert configured["tokens_per_sentinel"] == {"param": "mean_noise_span_length", "value": 3.0}
    assert achieved["loss_fraction"] == 1.0 and achieved["sentinels_per_example"] > 1


# ---------------------------------------------------------------------------------------------- errors
def _mono_only(demo_data: Any) -> str:
    manifest = Manifest.load(str(demo_data.manifest))
    mono = Manifest.build(manifest.shards("mono"), {}, {})
    path = Path(demo_data.manifest).parent / "manifest-mono-only.json"
    mono.save(str(path))
    return str(path)


@pytest.mark.parametrize("case", ["no-shards", "no-tokenizer", "unknown-class", "misspelled", "bad-value",
                                  "no-parallel", "unknown-lang", "no-objective"])
def test_bad_input_exits_2_with_one_line(demo_data, capsys, tmp_path, case):
    data, mlm = _data(demo_data), ["--objective", "mlm"]
    args = {
        "no-shards": ["--shards", str(tmp_path / "nowhere"), "--tokenizer", str(demo_data.tokenizer), *mlm],
        "no-tokenizer": ["--shards", str(demo_data.manifest), "--tokenizer", str(tmp_path / "t.json"), *mlm],
        "unknown-class": [*data, "--objective", "nowhere.Objective"],
        "misspelled": [*data, "--objective", "mlmx"],
        "bad-value": [*data, "--objective", "Denoising", "--objective.mask_ratio", "3"],
        "no-parallel": ["--shards", _mono_only(demo_data), "--tokenizer", str(demo_data.tokenizer), "-c", TLM],
        "unknown-lang": [*data, "--objective", "mlm", "--lang", "xx"],
        "no-objective": data,
    }[case]
    code, out, err = _run(capsys, args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("polytrain inspect: error: ")
    expected = {"no-shards": "nowhere", "no-tokenizer": "t.json", "unknown-class": "nowhere.Objective",
                "misspelled": "unknown objective 'mlmx'; registered: denoise, mlm,",
                "bad-value": "mask_ratio", "no-parallel": "parallel", "unknown-lang": "'xx'",
                "no-objective": "--objective"}[case]
    assert expected in err
