"""Hugging Face export: the renaming is exact (logit parity) and the saved folder loads."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from models_testlib import EOS, PAD, VOCAB, make_inputs

from polytrain.export.hf import hf_config, save_hf, to_hf_state_dict
from polytrain.models import Encoder, ModelConfig, Seq2Seq, build_model
from polytrain.types import SPECIAL_TOKENS

transformers = pytest.importorskip("transformers")

BOS = 0


def _hf_model(model: torch.nn.Module, config: ModelConfig) -> torch.nn.Module:
    cls = transformers.XLMRobertaForMaskedLM if config.kind == "encoder" else transformers.MBartForConditionalGeneration
    hf = cls(hf_config(config, VOCAB, PAD, BOS, EOS))
    hf.load_state_dict(to_hf_state_dict(model, config), strict=True)
    return hf.eval()


def test_exported_keys_and_shapes_are_exactly_hugging_face(
    encoder: Encoder, encoder_config: ModelConfig, seq2seq: Seq2Seq, seq2seq_config: ModelConfig
) -> None:
    for model, config in ((encoder, encoder_config), (seq2seq, seq2seq_config)):
        cls = (
            transformers.XLMRobertaForMaskedLM
            if config.kind == "encoder"
            else transformers.MBartForConditionalGeneration
        )
        expected = cls(hf_config(config, VOCAB, PAD, BOS, EOS)).state_dict()
        exported = to_hf_state_dict(model, config)
        assert sorted(exported) == sorted(expected)
        assert {k: tuple(v.shape) for k, v in exported.items()} == {k: tuple(v.shape) for k, v in expected.items()}


def test_tied_names_share_storage(
    encoder: Encoder, encoder_config: ModelConfig, seq2seq: Seq2Seq, seq2seq_config: ModelConfig
) -> None:
    xlmr = to_hf_state_dict(encoder, encoder_config)
    ptr = encoder.embed_tokens.weight.data_ptr()
    assert xlmr["roberta.embeddings.word_embeddings.weight"].data_ptr() == ptr
    assert xlmr["lm_head.decoder.weight"].data_ptr() == ptr
    mbart = to_hf_state_dict(seq2seq, seq2seq_config)
    names = (
        "model.shared.weight",
        "model.encoder.embed_tokens.weight",
        "model.decoder.embed_tokens.weight",
        "lm_head.weight",
    )
    assert {mbart[n].data_ptr() for n in names} == {seq2seq.embed_tokens.weight.data_ptr()}


def test_position_rows_are_offset(
    encoder: Encoder, encoder_config: ModelConfig, seq2seq: Seq2Seq, seq2seq_config: ModelConfig
) -> None:
    xlmr = to_hf_state_dict(encoder, encoder_config)["roberta.embeddings.position_embeddings.weight"]
    assert torch.equal(xlmr[PAD + 1 :], encoder.embed_positions.weight)  # HF row p + pad_id + 1 = our row p
    assert torch.count_nonzero(xlmr[: PAD + 1]) == 0
    mbart = to_hf_state_dict(seq2seq, seq2seq_config)["model.decoder.embed_positions.weight"]
    assert torch.equal(mbart[2:], seq2seq.decoder_embed_positions.weight)  # HF mBART offset 2


def test_encoder_logits_match_xlm_roberta(encoder: Encoder, encoder_config: ModelConfig) -> None:
    x = make_inputs([9, 6, 3], seed=20)
    ours = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, x.attention_mask)
    hf = _hf_model(encoder, encoder_config)
    with torch.no_grad():
        theirs = hf(input_ids=x.input_ids, attention_mask=x.attention_mask.long(), output_hidden_states=True)
    real = x.attention_mask  # HF gives pads their own position row: compare real tokens only
    assert torch.allclose(ours.hidden[real], theirs.hidden_states[-1][real], atol=1e-5)
    assert torch.allclose(ours.logits, theirs.logits[real], atol=1e-5)


def test_seq2seq_logits_match_mbart(seq2seq: Seq2Seq, seq2seq_config: ModelConfig) -> None:
    x = make_inputs([8, 5], seed=21)
    dec = make_inputs([6, 4], seed=22)
    ours = seq2seq(
        x.input_ids, x.attention_mask, x.positions, x.langs, dec.input_ids, dec.attention_mask, dec.attention_mask
    )
    hf = _hf_model(seq2seq, seq2seq_config)
    with torch.no_grad():
        theirs = hf(
            input_ids=x.input_ids,
            attention_mask=x.attention_mask.long(),
            decoder_input_ids=dec.input_ids,
            decoder_attention_mask=dec.attention_mask.long(),
            output_hidden_states=True,
        )
    real = dec.attention_mask
    assert torch.allclose(ours.hidden[real], theirs.decoder_hidden_states[-1][real], atol=1e-5)
    assert torch.allclose(ours.logits, theirs.logits[real], atol=1e-5)


def test_refuses_what_hugging_face_cannot_represent(encoder_config: ModelConfig, seq2seq_config: ModelConfig) -> None:
    with_langs = replace(encoder_config, use_lang_embeddings=True)
    model = build_model(with_langs, VOCAB, 3, PAD)
    with pytest.raises(ValueError, match="language embeddings"):
        to_hf_state_dict(model, with_langs)
    with pytest.raises(ValueError, match="language embeddings"):
        hf_config(with_langs, VOCAB, PAD, BOS, EOS)
    with pytest.raises(ValueError, match="eps"):
        hf_config(replace(seq2seq_config, layer_norm_eps=1e-6), VOCAB, PAD, BOS, EOS)
    with pytest.raises(TypeError, match="needs a Seq2Seq"):
        to_hf_state_dict(build_model(encoder_config, VOCAB, 3, PAD), seq2seq_config)


def test_polytrain_does_not_import_transformers() -> None:
    code = "import sys, polytrain.models, polytrain.export.hf; sys.exit('transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _write_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = list(SPECIAL_TOKENS) + [f"w{i}" for i in range(len(SPECIAL_TOKENS), VOCAB)]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(path))


@pytest.mark.parametrize("kind", ["encoder", "encoder_decoder"])
def test_save_hf_folder_loads_and_reproduces_logits(
    kind: str,
    encoder: Encoder,
    encoder_config: ModelConfig,
    seq2seq: Seq2Seq,
    seq2seq_config: ModelConfig,
    tmp_path: Path,
) -> None:
    from tokenizers import Tokenizer

    from polytrain.data.vocab import vocab_from_tokenizer

    model, config = (encoder, encoder_config) if kind == "encoder" else (seq2seq, seq2seq_config)
    _write_tokenizer(tmp_path / "tok.json")
    vocab = vocab_from_tokenizer(Tokenizer.from_file(str(tmp_path / "tok.json")))
    out = save_hf(model, config, vocab, tmp_path / "tok.json", tmp_path / "hf")
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()

    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert tokenizer.pad_token_id == PAD and tokenizer.mask_token_id == 4
    ids = torch.tensor([tokenizer("w10 w20 w30 w40")["input_ids"]])
    assert ids.tolist() == [[10, 20, 30, 40]]
    _, ours, theirs = _logits_of_both(kind, model, out, ids)
    assert torch.allclose(ours, theirs, atol=1e-5)


def _logits_of_both(kind: str, model: torch.nn.Module, out: Path, ids: torch.Tensor) -> tuple:
    """(loaded HF model, our logits, its logits) for ``ids`` (1, T) (decoder input: 7 11 12)."""
    mask = torch.ones_like(ids, dtype=torch.bool)
    positions = torch.arange(ids.shape[1])[None]
    if kind == "encoder":
        loaded = transformers.AutoModelForMaskedLM.from_pretrained(out).eval()
        return loaded, model(ids, mask, positions, positions, mask).logits, loaded(input_ids=ids).logits[0]
    loaded = transformers.MBartForConditionalGeneration.from_pretrained(out).eval()
    dec = torch.tensor([[7, 11, 12]])
    dec_mask = torch.ones_like(dec, dtype=torch.bool)
    ours = model(ids, mask, positions, positions, dec, dec_mask, dec_mask).logits
    return loaded, ours, loaded(input_ids=ids, decoder_input_ids=dec).logits[0]


@pytest.mark.parametrize("kind", ["encoder", "encoder_decoder"])
def test_padded_vocabulary_exports_with_its_rows(kind: str, encoder_config: ModelConfig, seq2seq_config: ModelConfig,
                                                  tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    from polytrain.data.vocab import vocab_from_tokenizer

    config = replace(encoder_config if kind == "encoder" else seq2seq_config, pad_vocab_to_multiple_of=128)
    _write_tokenizer(tmp_path / "tok.json")
    vocab = vocab_from_tokenizer(Tokenizer.from_file(str(tmp_path / "tok.json")))
    model = build_model(config, vocab.size, 3, vocab.pad_id).eval()
    rows = config.padded_vocab_size(vocab.size)
    assert rows > vocab.size
    out = save_hf(model, config, vocab, tmp_path / "tok.json", tmp_path / "hf")
    loaded, ours, theirs = _logits_of_both(kind, model, out, torch.tensor([[10, 20, 30, 40]]))
    assert loaded.config.vocab_size == rows and ours.shape[-1] == rows
    assert torch.allclose(ours, theirs, atol=1e-5)
    with pytest.raises(ValueError, match="token rows"):  # a config that does not match the model
        save_hf(model, replace(config, pad_vocab_to_multiple_of=1), vocab, tmp_path / "tok.json", tmp_path / "x")
