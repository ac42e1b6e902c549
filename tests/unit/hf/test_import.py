"""`polytrain import hf`: transformers' XLM-R and mBART-50 -> polytrain computes the same logits, and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hf_testlib import TEXTS, save_mbart50, save_xlmr

from polytrain.checkpoint.io import load_checkpoint
from polytrain.shards.vocab import load_vocab
from polytrain.hf.config import ImportRefused
from polytrain.hf.export import save_hf
from polytrain.hf.importer import import_hf
from polytrain.models import ModelConfig, build_model

transformers = pytest.importorskip("transformers")


def _polytrain_model(out: Path) -> tuple[torch.nn.Module, ModelConfig]:
    """The imported model as ``polytrain fit --model.init_from`` would build it (model.ckpt, model.yaml)."""
    import yaml

    fields = yaml.safe_load((out / "model.yaml").read_text())["model"]["architecture"]
    config = ModelConfig(**fields)
    _, vocab = load_vocab(str(out / "tokenizer.json"))
    model = build_model(config, vocab.size, len(vocab.languages), vocab.pad_id)
    state = load_checkpoint(out / "model.ckpt")["state_dict"]
    model.load_state_dict({k.removeprefix("model."): v for k, v in state.items()}, strict=True)
    return model.eval(), config


def _batch(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids of ``TEXTS`` with the model's own tokenizer (``<s> X </s>`` / ``en_XX X </s>``)."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"].bool()


def _encoder_logits(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    positions = torch.arange(ids.shape[1]).expand_as(ids)
    with torch.no_grad():
        return model(ids, mask, positions, torch.zeros_like(ids), mask).logits  # (N real tokens, V)


@pytest.fixture(scope="module")
def xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_xlmr(tmp_path_factory.mktemp("xlmr"))


@pytest.fixture(scope="module")
def mbart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_mbart50(tmp_path_factory.mktemp("mbart50"))


def test_xlmr_import_computes_what_transformers_computes(xlmr: Path, tmp_path: Path) -> None:
    imported = import_hf(xlmr, tmp_path / "out")
    assert imported.architecture.hf_class == "XLMRobertaForMaskedLM" and imported.notes == []
    model, config = _polytrain_model(tmp_path / "out")
    assert (config.kind, config.d_model, config.n_layers, config.max_positions) == ("encoder", 32, 2, 40 - 2)
    vocab = imported.vocab
    assert vocab.mask_id == vocab.size - 1 and vocab.languages == ()  # XLM-R: <mask> last, no tags
    ids, mask = _batch(xlmr)
    hf = transformers.XLMRobertaForMaskedLM.from_pretrained(xlmr).eval()
    with torch.no_grad():
        theirs = hf(input_ids=ids, attention_mask=mask.long()).logits[mask]
    ours = _encoder_logits(model, ids, mask)
    assert (ours - theirs).abs().max() <= 1e-5


def test_mbart50_import_computes_what_transformers_computes(mbart: Path, tmp_path: Path) -> None:
    imported = import_hf(mbart, tmp_path / "out")
    vocab = imported.vocab
    assert len(vocab.languages) == 52 and vocab.lang_tag("en") == "en_XX" and vocab.lang_tag("sw") == "sw_KE"
    assert vocab.special[vocab.lang_token("de")] and vocab.mask_id == vocab.size - 1
    model, config = _polytrain_model(tmp_path / "out")
    assert (config.kind, config.n_decoder_layers, config.max_positions) == ("encoder_decoder", 2, 40)
    ids, mask = _batch(mbart)
    dec = torch.tensor([[vocab.lang_token("de"), 10, 11, 12], [vocab.lang_token("en"), 20, 21, vocab.pad_id],
                        [vocab.lang_token("sw"), 30, vocab.pad_id, vocab.pad_id]])
    dec_mask = dec.ne(vocab.pad_id)
    hf = transformers.MBartForConditionalGeneration.from_pretrained(mbart).eval()
    with torch.no_grad():
        theirs = hf(input_ids=ids, attention_mask=mask.long(), decoder_input_ids=dec,
                    decoder_attention_mask=dec_mask.long()).logits[dec_mask]
        positions = torch.arange(ids.shape[1]).expand_as(ids)
        ours = model(ids, mask, positions, torch.zeros_like(ids), dec, dec_mask, dec_mask).logits
    assert (ours - theirs).abs().max() <= 1e-5


@pytest.mark.parametrize("family", ["xlmr", "mbart"])
def test_import_then_export_is_the_same_model(family: str, xlmr: Path, mbart: Path, tmp_path: Path) -> None:
    """Every exported tensor equals the original one, except the position rows HF never reads (before
    RoBERTa's pad_id + 1, mBART's 2: exported as zeros) and XLM-R's token-type row, which moves into the
    position rows (it is added to every token either way). The exported folder gives the original
    logits, and importing the export again is bit-identical to the first import."""
    source = xlmr if family == "xlmr" else mbart
    first = import_hf(source, tmp_path / "a")
    model, config = _polytrain_model(tmp_path / "a")
    save_hf(model, config, first.vocab, tmp_path / "a" / "tokenizer.json", tmp_path / "hf")
    cls = transformers.XLMRobertaForMaskedLM if family == "xlmr" else transformers.MBartForConditionalGeneration
    original = cls.from_pretrained(source).eval()
    exported = cls.from_pretrained(tmp_path / "hf").eval()
    before, after = original.state_dict(), exported.state_dict()
    assert sorted(before) == sorted(after)
    offset = first.vocab.pad_id + 1 if family == "xlmr" else 2
    type_row = before.get("roberta.embeddings.token_type_embeddings.weight", torch.zeros(1, 32))[0]
    for key in before:
        if key.endswith("position_embeddings.weight") or key.endswith("embed_positions.weight"):
            assert torch.count_nonzero(after[key][:offset]) == 0
            assert torch.equal(after[key][offset:], before[key][offset:] + type_row), key
        elif key.endswith("token_type_embeddings.weight"):
            assert torch.count_nonzero(after[key]) == 0
        else:
            assert torch.equal(before[key], after[key]), key
    ids, mask = _batch(source)
    with torch.no_grad():
        if family == "xlmr":
            logits = [m(input_ids=ids, attention_mask=mask.long()).logits for m in (original, exported)]
        else:
            logits = [m(input_ids=ids, attention_mask=mask.long(), decoder_input_ids=ids).logits
                      for m in (original, exported)]
    assert (logits[0] - logits[1])[mask].abs().max() <= 1e-5
    import_hf(tmp_path / "hf", tmp_path / "b")
    again = load_checkpoint(tmp_path / "b" / "model.ckpt")["state_dict"]
    assert all(torch.equal(v, again[k]) for k, v in load_checkpoint(tmp_path / "a" / "model.ckpt")["state_dict"].items())
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == source.joinpath("tokenizer.json").read_bytes()


def test_the_bare_xlmr_body_gets_a_fresh_mlm_head(tmp_path: Path) -> None:
    folder = save_xlmr(tmp_path / "body", cls="XLMRobertaModel")
    imported = import_hf(folder, tmp_path / "out")
    assert any("pooler.dense.weight" in note for note in imported.notes)
    assert any("lm_head.dense.weight" in note and "no MLM head" in note for note in imported.notes)
    model, _ = _polytrain_model(tmp_path / "out")
    body = transformers.XLMRobertaModel.from_pretrained(folder).eval()
    assert torch.equal(model.embed_tokens.weight, body.embeddings.word_embeddings.weight)
    assert torch.count_nonzero(model.lm_head.bias) == 0  # polytrain's initialisation of a new head


def _edit_config(folder: Path, **changes: object) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


@pytest.mark.parametrize(("changes", "message"), [
    ({"hidden_act": "gelu_new"}, "hidden_act='gelu_new'"),
    ({"position_embedding_type": "relative_key"}, "position_embedding_type='relative_key'"),
    ({"tie_word_embeddings": False}, "tie_word_embeddings=False"),
    ({"type_vocab_size": 2}, "type_vocab_size=2"),
    ({"architectures": ["BertForMaskedLM"], "model_type": "bert"}, "polytrain imports XLMRobertaForMaskedLM"),
    ({"pad_token_id": 0}, "pad_token_id=0 but tokenizer.json's <pad> is 1"),
])
def test_what_polytrain_cannot_represent_is_refused_by_name(changes: dict, message: str, xlmr: Path,
                                                             tmp_path: Path) -> None:
    import shutil

    folder = Path(shutil.copytree(xlmr, tmp_path / "model"))
    _edit_config(folder, **changes)
    with pytest.raises(ImportRefused, match=message.replace("(", r"\(").replace("[", r"\[")):
        import_hf(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written


def test_mbart_refusals_and_missing_tensors(mbart: Path, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    folder = Path(shutil.copytree(mbart, tmp_path / "model"))
    _edit_config(folder, scale_embedding=False)
    with pytest.raises(ImportRefused, match="scale_embedding=False"):
        import_hf(folder, tmp_path / "out")
    _edit_config(folder, scale_embedding=True)
    weights = load_file(folder / "model.safetensors")
    del weights["model.decoder.layers.1.fc2.weight"]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ImportRefused, match="lack model.decoder.layers.1.fc2.weight"):
        import_hf(folder, tmp_path / "out")


def test_a_pickled_bin_is_read_with_weights_only(xlmr: Path, tmp_path: Path) -> None:
    """A ``pytorch_model.bin`` that would run code on unpickling is refused, never loaded."""
    import shutil

    from payloads import malicious  # tests/payloads.py

    folder = Path(shutil.copytree(xlmr, tmp_path / "model", ignore=shutil.ignore_patterns("model.safetensors")))
    marker = tmp_path / "pwned"
    malicious(folder / "pytorch_model.bin", marker)
    with pytest.raises(ImportRefused, match="weights_only=True"):
        import_hf(folder, tmp_path / "out")
    assert not marker.exists()


def test_the_command_line_is_one_line_on_error(xlmr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from polytrain.cli import main

    assert main(["import", "hf", "--model", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("polytrain import hf: error: ") and "is not a folder" in err[0]
    assert main(["import", "hf", "--model", str(xlmr), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "--model.init_from" in printed and (tmp_path / "out" / "model.yaml").is_file()


@pytest.mark.parametrize("source", ["xlmr", "mbart"])
def test_evaluate_reads_an_imported_folder_and_its_model_ckpt(source: str, request: pytest.FixtureRequest,
                                                             tmp_path: Path) -> None:
    """``polytrain evaluate --model OUT`` (or ``OUT/model.ckpt``) judges the imported weights with the
    layout of the model's family, and takes any language where the tokenizer has no tags (XLM-R)."""
    from polytrain.evaluate.loading import load_model
    from polytrain.objectives.denoising import Denoising
    from polytrain.objectives.mlm import MaskedLM

    out = tmp_path / "imported"
    import_hf(request.getfixturevalue(source), out)
    expected, _ = _polytrain_model(out)
    for path in (out, out / "model.ckpt"):
        loaded = load_model(str(path))
        assert loaded.source == f"import {out}"
        for name, tensor in expected.state_dict().items():
            assert torch.equal(loaded.model.state_dict()[name], tensor), name
        (objective,) = loaded.objectives
        if source == "xlmr":
            assert isinstance(objective, MaskedLM) and loaded.vocab.languages == ()
            loaded.check_language("sw", "pairs.tsv")  # XLM-R tags no language: every one is taken
        else:
            assert isinstance(objective, Denoising) and objective.add_lang_token
            loaded.check_language(loaded.vocab.languages[0], "pairs.tsv")
