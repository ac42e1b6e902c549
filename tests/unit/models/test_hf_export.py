"""Hugging Face export: the renaming is exact (logit parity) and the saved folder loads."""

from __future__ import annotations

import json

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from models_testlib import EOS, PAD, VOCAB, make_inputs, randomize

from polytrain.hf.config import hf_config
from polytrain.hf.export import encoder_templates, save_hf
from polytrain.hf.mapping import to_hf_state_dict
from polytrain.shards.vocab import vocab_from_tokenizer
from polytrain.models import Encoder, ModelConfig, Seq2Seq, build_model
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.objectives.tlm import TranslationLM
from polytrain.types import SPECIAL_TOKENS, Example, TextBlock, TextPair, Vocab

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


def test_language_embeddings_export_as_xlm_roberta_token_types(encoder_config: ModelConfig) -> None:
    """XLM's language embeddings are RoBERTa's token types: same logits with token_type_ids = languages,
    also with TLM's restarted positions passed as position_ids (HF row p + pad_id + 1)."""
    with_langs = replace(encoder_config, use_lang_embeddings=True)
    model = build_model(with_langs, VOCAB, 3, PAD)
    model.init_weights(torch.Generator().manual_seed(0))
    randomize(model, 2)
    model.eval()
    x = make_inputs([9, 7, 4], seed=23)
    positions = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 3, 4], [0, 1, 2, 0, 1, 2, 3, 0, 0], [0, 1, 2, 3, 0, 0, 0, 0, 0]])
    ours = model(x.input_ids, x.attention_mask, positions, x.langs, x.attention_mask)
    hf = transformers.XLMRobertaForMaskedLM(hf_config(with_langs, VOCAB, PAD, BOS, EOS, n_langs=3))
    hf.load_state_dict(to_hf_state_dict(model, with_langs), strict=True)
    assert hf.config.type_vocab_size == 3
    with torch.no_grad():
        theirs = hf.eval()(input_ids=x.input_ids, attention_mask=x.attention_mask.long(), token_type_ids=x.langs,
                           position_ids=positions + PAD + 1).logits
        plain = hf(input_ids=x.input_ids, attention_mask=x.attention_mask.long()).logits  # every token type 0
    real = x.attention_mask
    assert torch.allclose(ours.logits, theirs[real], atol=1e-5)
    assert not torch.allclose(ours.logits, plain[real], atol=1e-3)  # the language rows matter


def test_refuses_what_hugging_face_cannot_represent(encoder_config: ModelConfig, seq2seq_config: ModelConfig) -> None:
    with pytest.raises(ValueError, match="eps"):
        hf_config(replace(seq2seq_config, layer_norm_eps=1e-6), VOCAB, PAD, BOS, EOS)
    with pytest.raises(TypeError, match="needs a Seq2Seq"):
        to_hf_state_dict(build_model(encoder_config, VOCAB, 3, PAD), seq2seq_config)


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

    from polytrain.shards.vocab import vocab_from_tokenizer

    model, config = (encoder, encoder_config) if kind == "encoder" else (seq2seq, seq2seq_config)
    _write_tokenizer(tmp_path / "tok.json")
    vocab = vocab_from_tokenizer(Tokenizer.from_file(str(tmp_path / "tok.json")))
    out = save_hf(model, config, vocab, tmp_path / "tok.json", tmp_path / "hf")
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()

    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert tokenizer.pad_token_id == PAD and tokenizer.mask_token_id == 4
    ids = torch.tensor([tokenizer("w10 w20 w30 w40", add_special_tokens=False)["input_ids"]])
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

    from polytrain.shards.vocab import vocab_from_tokenizer

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


# ----------------------------------------------------------------------------- exported tokenizer
# A real polytrain tokenizer (Unigram, Metaspace, language tags), trained on a few sentences, so that
# the exported tokenizer can be compared with what the objectives feed the model.
CORPUS = {
    "en": ["Hello world. The cat sat on the mat.", "A world of words and worlds."] * 20,
    "de": ["Hallo Welt. Die Katze sitzt.", "Eine Welt voller Woerter."] * 20,
}
TEXTS = ["Hello world.", "The cat sat on the mat.", "A world of words", "  two  spaces ", "Hallo Welt, Katze!"]
KEEP_ALL = {"mask_prob": 1.0, "mask_replace_prob": 0.0, "random_replace_prob": 0.0}
"""Every token is a target and every target is kept: ``input_ids`` are the ids before masking."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Vocab]:
    from polytrain.prepare.tokenizer import train_tokenizer

    path = tmp_path_factory.mktemp("tok") / "tok.json"
    train_tokenizer(CORPUS, vocab_size=400, seed=0).save(str(path))
    from tokenizers import Tokenizer

    return path, vocab_from_tokenizer(Tokenizer.from_file(str(path)))


def _export(config: ModelConfig, trained: tuple[Path, Vocab], out: Path, **kwargs: object) -> torch.nn.Module:
    """Save a fresh model of ``config`` sized for the trained tokenizer; returns the model."""
    path, vocab = trained
    model = build_model(config, vocab.size, len(vocab.languages), vocab.pad_id)
    model.init_weights(torch.Generator().manual_seed(0))
    randomize(model, 1)  # logits far from uniform, so a different input shows
    save_hf(model.eval(), config, vocab, path, out, **kwargs)  # type: ignore[arg-type]
    return model


def _training_ids(trained: tuple[Path, Vocab], text: str) -> np.ndarray:
    """(T,) what polytrain's data stream makes of ``text``: pieces, no special tokens."""
    from tokenizers import Tokenizer

    return np.asarray(Tokenizer.from_file(str(trained[0])).encode(text, add_special_tokens=False).ids, np.int64)


def _example(objective: MaskedLM | TranslationLM | Denoising, vocab: Vocab, sample: TextBlock | TextPair) -> Example:
    objective.setup(vocab, 64)
    return objective.make_example(sample, np.random.default_rng(0))


def _block(ids: np.ndarray, lang: str = "en") -> TextBlock:
    return TextBlock(key="k", lang=lang, ids=ids, sentence_ends=np.array([len(ids)]))


def test_exported_tokenizer_encodes_a_text_as_mlm(
    encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path
) -> None:
    _export(encoder_config, trained, tmp_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    for text in TEXTS:
        pieces = _training_ids(trained, text)
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == pieces.tolist(), text
        mlm = _example(MaskedLM(**KEEP_ALL), trained[1], _block(pieces))
        encoded = tokenizer(text)
        assert encoded["input_ids"] == mlm.input_ids.tolist(), text  # <s> text </s>
        assert sorted(encoded) == ["attention_mask", "input_ids"]  # no token_type_ids


def test_exported_tokenizer_encodes_a_pair_as_tlm(
    encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path
) -> None:
    _export(encoder_config, trained, tmp_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    a, b = "Hello world.", "Hallo Welt."
    pair = TextPair("k", "en", "de", _training_ids(trained, a), _training_ids(trained, b))
    tlm = _example(TranslationLM(**KEEP_ALL, swap_prob=0.0), trained[1], pair)
    encoded = tokenizer(a, b, return_token_type_ids=True)
    assert encoded["input_ids"] == tlm.input_ids.tolist()  # <s> a </s> </s> b </s>
    assert set(encoded["token_type_ids"]) == {0}  # XLM-R has a single token-type row


def test_mask_in_text_leaves_no_stray_word_start(
    encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path
) -> None:
    _export(encoder_config, trained, tmp_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    vocab = trained[1]
    for text, filled in (("Hello world <mask>.", "Hello world world."), ("<mask> world.", "world world.")):
        ids = tokenizer(text)["input_ids"]
        tokens = tokenizer.convert_ids_to_tokens(ids)
        at = tokens.index("<mask>")
        assert "\u2581" not in tokens[at - 1 : at + 2], text  # no lone ▁ piece on either side
        # Training masks ids: the masked word's ▁-piece becomes <mask>, nothing else changes.
        expected = _example(MaskedLM(**KEEP_ALL), vocab, _block(_training_ids(trained, filled))).input_ids
        where = [i for i, t in enumerate(tokenizer(text, add_special_tokens=False)["input_ids"]) if t == vocab.mask_id]
        assert len(where) == 1
        assert tokenizer.convert_ids_to_tokens([int(expected[where[0] + 1])])[0].startswith("\u2581")
        expected[where[0] + 1] = vocab.mask_id  # + 1: after <s>
        assert ids == expected.tolist(), text


def test_fill_mask_pipeline_sees_the_training_input(
    encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path
) -> None:
    model = _export(encoder_config, trained, tmp_path).eval()
    vocab = trained[1]
    expected = _example(MaskedLM(**KEEP_ALL), vocab, _block(_training_ids(trained, "Hello world world."))).input_ids
    world = transformers.AutoTokenizer.from_pretrained(tmp_path).convert_tokens_to_ids("\u2581world")
    expected[np.flatnonzero(expected == world)[-1]] = vocab.mask_id  # <s> ▁H e ll o ▁world <mask> . </s>
    ids = torch.from_numpy(expected)[None]  # (1, T)
    mask = ids == vocab.mask_id
    positions = torch.arange(ids.shape[1])[None]
    with torch.no_grad():
        ours = model(ids, torch.ones_like(mask), positions, torch.zeros_like(positions), mask).logits  # (1, V)
    fill = transformers.pipeline("fill-mask", model=str(tmp_path), tokenizer=str(tmp_path))
    best = fill("Hello world <mask>.", top_k=3)
    assert [r["token"] for r in best] == ours[0].topk(3).indices.tolist()
    scores = torch.tensor([r["score"] for r in best])
    assert torch.allclose(scores, ours[0].softmax(-1).topk(3).values, rtol=1e-4, atol=0)
    inputs = fill.tokenizer("Hello world <mask>.", return_tensors="pt")
    with torch.no_grad():
        theirs = fill.model(**inputs).logits[inputs["input_ids"] == vocab.mask_id]  # (1, V)
    assert torch.allclose(theirs, ours, atol=1e-5)


@pytest.mark.parametrize(("add_lang_token", "lang"), [(True, "de"), (True, None), (False, None)])
def test_exported_mbart_tokenizer_encodes_as_denoising(
    add_lang_token: bool, lang: str | None, seq2seq_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path
) -> None:
    _export(seq2seq_config, trained, tmp_path, lang=lang, add_lang_token=add_lang_token)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    text = "Hallo Welt, Katze!"
    keep = Denoising(mask_ratio=0.0, permute_sentence_ratio=0.0, add_lang_token=add_lang_token)
    example = _example(keep, trained[1], _block(_training_ids(trained, text), "de"))
    encoded = tokenizer(text, text_target=text)
    if lang is None and add_lang_token:  # no tag fixed at export: the caller appends it
        expected, labels = example.input_ids[:-1], example.labels[:-1]
    else:
        expected, labels = example.input_ids, example.labels
    assert encoded["input_ids"] == expected.tolist()  # X </s> <lang:de>, or <s> X </s> for BART
    assert encoded["labels"] == labels.tolist()
    if lang is not None or not add_lang_token:  # what MBartForConditionalGeneration feeds its decoder
        from transformers.models.mbart.modeling_mbart import shift_tokens_right

        shifted = shift_tokens_right(torch.tensor([encoded["labels"]]), trained[1].pad_id)
        assert shifted[0].tolist() == example.decoder_input_ids.tolist()  # <lang:de> X </s>, or </s> <s> X
    start = json.loads((tmp_path / "config.json").read_text())["decoder_start_token_id"]
    assert start == (trained[1].lang_token(lang) if lang is not None else None)  # generate() starts with the tag


def test_templates_refuse_a_language_they_cannot_use(trained: tuple[Path, Vocab]) -> None:
    vocab = trained[1]
    single, pair = encoder_templates(vocab, "encoder_decoder", "en")
    assert (single, pair) == (["$A", "</s>", "<lang:en>"], ["$A", "$B", "</s>", "<lang:en>"])
    with pytest.raises(ValueError, match="only applies"):
        encoder_templates(vocab, "encoder", "en")
    with pytest.raises(ValueError, match="only applies"):
        encoder_templates(vocab, "encoder_decoder", "en", add_lang_token=False)
    with pytest.raises(KeyError, match="no tag"):
        encoder_templates(vocab, "encoder_decoder", "fr")


def test_a_language_embedding_model_exports_to_a_folder_transformers_reads(
        encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path) -> None:
    """End to end (save_hf, then from_pretrained): the folder names its languages in
    ``token_type_languages`` and gives polytrain's logits with token_type_ids = language index."""
    _, vocab = trained
    model = _export(replace(encoder_config, use_lang_embeddings=True), trained, tmp_path / "hf")
    saved = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert saved["token_type_languages"] == list(vocab.languages) == ["de", "en"]
    assert saved["type_vocab_size"] == 2
    ids = torch.tensor([[vocab.bos_id, *_training_ids(trained, "Hallo Welt. Die Katze sitzt."), vocab.eos_id]])
    mask = torch.ones_like(ids, dtype=torch.bool)
    positions = torch.arange(ids.shape[1])[None]
    loaded = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "hf").eval()
    for lang in vocab.languages:
        langs = torch.full_like(ids, vocab.lang_index(lang))
        with torch.no_grad():
            ours = model(ids, mask, positions, langs, mask).logits
            theirs = loaded(input_ids=ids, token_type_ids=langs).logits[0]
        assert torch.allclose(ours, theirs, atol=1e-5), lang


def test_evaluating_an_export_without_transformers_is_one_line(
        encoder_config: ModelConfig, trained: tuple[Path, Vocab], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from polytrain.evaluate.loading import EvalError, load_model

    _export(encoder_config, trained, tmp_path / "hf")
    monkeypatch.setitem(sys.modules, "transformers", None)  # what an install without the hf extra gives
    with pytest.raises(EvalError, match=r"needs transformers: pip install 'polytrain\[hf\]'"):
        load_model(str(tmp_path / "hf"))
