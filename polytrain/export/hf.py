"""Export to Hugging Face ``transformers``: ``Encoder`` -> ``XLMRobertaForMaskedLM``, ``Seq2Seq`` ->
``MBartForConditionalGeneration``.

polytrain's parameter layout is the Hugging Face layout under other names, so export is a
renaming (the tables below) plus three fix-ups:

- Position offsets: HF RoBERTa derives positions from ``input_ids`` starting at ``pad_id + 1``
  (rows ``0 .. pad_id`` unused), so HF row ``p + pad_id + 1`` is our row ``p``; HF mBART's learned
  positions are offset by 2, so HF row ``p + 2`` is our row ``p``. Unused rows are zero.
- XLM-R has a ``token_type_embeddings`` table that polytrain does not: one zero row.
- Tied weights (token embedding = output projection) are written under every HF name.

``transformers`` is an optional extra: it is imported inside the functions, never at import time.
An exported encoder reproduces polytrain's logits for inputs with positions ``0 .. T-1`` and
right padding (HF computes positions itself, so TLM's restarted positions are not expressible).

The exported tokenizer adds the special tokens the objectives add (``encoder_templates``), so
``AutoTokenizer`` gives the training ids: ``<s> A </s>`` (MLM), ``<s> A </s> </s> B </s>`` (TLM),
``A </s> <lang:xx>`` (mBART denoising, one tag fixed at export) or ``<s> A </s>`` (BART).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from tokenizers import Tokenizer
from torch import nn

from polytrain.models import Encoder, ModelConfig, Seq2Seq
from polytrain.types import SPECIAL_TOKENS, Vocab, language_tag

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedModel

_MBART_POSITION_OFFSET = 2  # transformers MBartLearnedPositionalEmbedding.offset

XLMR_TOP: dict[str, str] = {
    "embed_tokens.weight": "roberta.embeddings.word_embeddings.weight",
    "layernorm_embedding.weight": "roberta.embeddings.LayerNorm.weight",
    "layernorm_embedding.bias": "roberta.embeddings.LayerNorm.bias",
    "lm_head.dense.weight": "lm_head.dense.weight",
    "lm_head.dense.bias": "lm_head.dense.bias",
    "lm_head.layer_norm.weight": "lm_head.layer_norm.weight",
    "lm_head.layer_norm.bias": "lm_head.layer_norm.bias",
    "lm_head.bias": "lm_head.bias",
}
"""``Encoder`` names outside the layers -> ``XLMRobertaForMaskedLM`` names (positions: see module doc)."""

XLMR_LAYER: dict[str, str] = {
    "self_attn.q_proj": "attention.self.query",
    "self_attn.k_proj": "attention.self.key",
    "self_attn.v_proj": "attention.self.value",
    "self_attn.out_proj": "attention.output.dense",
    "self_attn_layer_norm": "attention.output.LayerNorm",
    "ffn.fc1": "intermediate.dense",
    "ffn.fc2": "output.dense",
    "final_layer_norm": "output.LayerNorm",
}
"""Inside ``layers.{i}.`` -> inside ``roberta.encoder.layer.{i}.`` (then ``.weight`` / ``.bias``)."""

MBART_TOP: dict[str, str] = {
    "embed_tokens.weight": "model.shared.weight",
    "encoder_layernorm_embedding": "model.encoder.layernorm_embedding",
    "encoder_layer_norm": "model.encoder.layer_norm",
    "decoder_layernorm_embedding": "model.decoder.layernorm_embedding",
    "decoder_layer_norm": "model.decoder.layer_norm",
    "encoder_layers": "model.encoder.layers",
    "decoder_layers": "model.decoder.layers",
}
"""``Seq2Seq`` name prefixes -> ``MBartForConditionalGeneration`` prefixes; inside a layer only
``ffn.fc1`` / ``ffn.fc2`` become ``fc1`` / ``fc2``."""

_MBART_TIED = ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight")


def _check_exportable(config: ModelConfig) -> None:
    """Refuse what the Hugging Face classes cannot represent, with one clear line."""
    if config.use_lang_embeddings:
        raise ValueError(
            "export: XLM-R has no language embeddings; a model with use_lang_embeddings=True "
            "cannot be exported to XLMRobertaForMaskedLM"
        )
    if config.kind == "encoder_decoder" and config.layer_norm_eps != 1e-5:
        raise ValueError(
            f"export: HF mBART's LayerNorms use eps=1e-5, the model has layer_norm_eps={config.layer_norm_eps}"
        )


def hf_config(config: ModelConfig, vocab_size: int, pad_id: int, bos_id: int, eos_id: int) -> PretrainedConfig:
    """The ``transformers`` config of the exported model.

    Args:
        config: polytrain architecture.
        vocab_size, pad_id, bos_id, eos_id: from the tokenizer's ``Vocab``.

    Returns:
        ``XLMRobertaConfig`` for ``kind="encoder"``, ``MBartConfig`` for ``kind="encoder_decoder"``.
        mBART's ``decoder_start_token_id`` is left unset: pass the target language tag.
    """
    from transformers import MBartConfig, XLMRobertaConfig

    _check_exportable(config)
    if config.kind == "encoder":
        return XLMRobertaConfig(
            vocab_size=vocab_size,
            hidden_size=config.d_model,
            num_hidden_layers=config.n_layers,
            num_attention_heads=config.n_heads,
            intermediate_size=config.d_ff,
            hidden_act="gelu",  # exact erf GELU, as polytrain's F.gelu
            hidden_dropout_prob=config.dropout,
            attention_probs_dropout_prob=config.attention_dropout,
            max_position_embeddings=config.max_positions + pad_id + 1,  # RoBERTa positions start at pad_id + 1
            type_vocab_size=1,
            layer_norm_eps=config.layer_norm_eps,
            initializer_range=config.init_std,
            pad_token_id=pad_id,
            bos_token_id=bos_id,
            eos_token_id=eos_id,
            tie_word_embeddings=True,
        )
    return MBartConfig(
        vocab_size=vocab_size,
        d_model=config.d_model,
        encoder_layers=config.n_layers,
        decoder_layers=config.num_decoder_layers,
        encoder_attention_heads=config.n_heads,
        decoder_attention_heads=config.n_heads,
        encoder_ffn_dim=config.d_ff,
        decoder_ffn_dim=config.d_ff,
        activation_function="gelu",
        dropout=config.dropout,
        attention_dropout=config.attention_dropout,
        activation_dropout=0.0,  # polytrain has no dropout inside the FFN
        max_position_embeddings=config.max_positions,  # HF adds its offset of 2 rows itself
        init_std=config.init_std,
        scale_embedding=True,  # mBART multiplies token embeddings by sqrt(d_model)
        forced_eos_token_id=eos_id,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        tie_word_embeddings=True,
    )


def _offset_rows(weight: torch.Tensor, offset: int) -> torch.Tensor:
    """(P, d) -> (offset + P, d): ``offset`` zero rows, then ``weight``."""
    return torch.cat([weight.new_zeros(offset, weight.shape[1]), weight])


def _rename_layer_key(key: str, table: dict[str, str]) -> str:
    """``self_attn.q_proj.weight`` -> ``attention.self.query.weight`` (prefix lookup in ``table``)."""
    for ours, theirs in table.items():
        if key.startswith(ours + "."):
            return theirs + key[len(ours) :]
    raise KeyError(key)


def _xlmr_state_dict(state: dict[str, torch.Tensor], pad_id: int) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key in XLMR_TOP:
            out[XLMR_TOP[key]] = value
        elif key == "embed_positions.weight":
            out["roberta.embeddings.position_embeddings.weight"] = _offset_rows(value, pad_id + 1)
        elif key.startswith("layers."):
            _, index, rest = key.split(".", 2)
            out[f"roberta.encoder.layer.{index}.{_rename_layer_key(rest, XLMR_LAYER)}"] = value
        else:
            raise KeyError(f"export: no XLM-R name for parameter {key!r}")
    embedding = state["embed_tokens.weight"]
    out["roberta.embeddings.token_type_embeddings.weight"] = embedding.new_zeros(1, embedding.shape[1])
    out["lm_head.decoder.weight"] = embedding  # tied to the token embedding
    out["lm_head.decoder.bias"] = state["lm_head.bias"]  # HF ties decoder.bias to lm_head.bias
    return out


def _mbart_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key == "final_logits_bias":
            out["final_logits_bias"] = value[None]  # (V,) -> (1, V)
        elif key in ("encoder_embed_positions.weight", "decoder_embed_positions.weight"):
            side = key.split("_", 1)[0]  # "encoder" / "decoder"
            out[f"model.{side}.embed_positions.weight"] = _offset_rows(value, _MBART_POSITION_OFFSET)
        else:
            prefix = next((p for p in MBART_TOP if key == p or key.startswith(p + ".")), None)
            if prefix is None:
                raise KeyError(f"export: no mBART name for parameter {key!r}")
            renamed = MBART_TOP[prefix] + key[len(prefix) :]
            out[renamed.replace(".ffn.fc1.", ".fc1.").replace(".ffn.fc2.", ".fc2.")] = value
    for name in _MBART_TIED:
        out[name] = state["embed_tokens.weight"]
    return out


def to_hf_state_dict(model: nn.Module, config: ModelConfig) -> dict[str, torch.Tensor]:
    """The model's parameters under Hugging Face names, ready for ``load_state_dict(strict=True)``.

    Args:
        model: an ``Encoder`` or ``Seq2Seq`` (unsharded; gather a sharded model first).
        config: its ``ModelConfig``.

    Returns:
        Detached tensors keyed by ``XLMRobertaForMaskedLM`` / ``MBartForConditionalGeneration``
        names; tied names map to the same tensor.
    """
    expected = Encoder if config.kind == "encoder" else Seq2Seq
    if not isinstance(model, expected):
        raise TypeError(f"export: config.kind={config.kind!r} needs a {expected.__name__}, got {type(model).__name__}")
    state = {k: v.detach() for k, v in model.state_dict().items()}
    _check_exportable(config)
    if isinstance(model, Encoder):
        pad_id = model.embed_tokens.padding_idx
        assert pad_id is not None  # Encoder always sets it
        return _xlmr_state_dict(state, pad_id)
    return _mbart_state_dict(state)


_LSTRIP_TOKEN = SPECIAL_TOKENS[4]  # <mask>: lstrip=True as in HF's XLM-R and mBART tokenizer configs


def encoder_templates(
    vocab: Vocab, kind: str, lang: str | None = None, add_lang_token: bool = True
) -> tuple[list[str], list[str]]:
    """The (single, pair) templates that lay out an encoder input as training does.

    A template is a list of pieces: ``"$A"``/``"$B"`` stand for a text's tokens, anything else
    is a special token inserted there.

    - ``kind="encoder"``: ``<s> $A </s>`` is ``MaskedLM``'s layout and ``<s> $A </s> </s> $B </s>``
      is ``TranslationLM``'s (also HF ``XLMRobertaTokenizer``'s); TLM's restarted positions and
      language ids are not in the ids (module docstring).
    - ``kind="encoder_decoder"``, ``add_lang_token=True``: ``$A </s> <lang:xx>`` is ``Denoising``'s
      mBART encoder input (and its labels); a template holds one fixed tag, so ``lang=None`` gives
      ``$A </s>`` and the caller appends the tag. Pair: ``$A $B </s> <lang:xx>`` (HF
      ``MBartTokenizer``; denoising has no pairs).
    - ``kind="encoder_decoder"``, ``add_lang_token=False``: ``<s> $A </s>`` is ``Denoising``'s BART
      encoder input (and its labels); pair as for the encoder (HF ``BartTokenizer``).

    Args:
        vocab: the training ``Vocab`` (``lang`` must have a tag in it).
        kind: ``ModelConfig.kind``.
        lang: encoder-decoder with ``add_lang_token`` only: the language whose tag ends the input.
        add_lang_token: encoder-decoder only: ``Denoising.add_lang_token`` the model was trained with.
    """
    bos, _, eos, _, _ = SPECIAL_TOKENS
    if lang is not None and (kind == "encoder" or not add_lang_token):
        raise ValueError(f"export: lang={lang!r} only applies to an encoder-decoder with add_lang_token=True")
    if kind == "encoder" or not add_lang_token:
        return [bos, "$A", eos], [bos, "$A", eos, eos, "$B", eos]
    if lang is not None:
        vocab.lang_token(lang)  # KeyError naming the tokenizer's languages
    tag = [] if lang is None else [language_tag(lang)]
    return ["$A", eos, *tag], ["$A", "$B", eos, *tag]


def _template_processing(template: tuple[list[str], list[str]], token_ids: dict[str, int]) -> dict[str, Any]:
    """``tokenizers``' ``TemplateProcessing`` as JSON, every piece with type id 0.

    Written as JSON because its string form ``"<s>:0 $A:0"`` cannot hold a ``:`` in a token
    (``<lang:xx>``). Type id 0 throughout: XLM-R has a single token-type row.
    """

    def pieces(names: list[str]) -> list[dict[str, Any]]:
        return [
            {"Sequence": {"id": name[1:], "type_id": 0}}
            if name.startswith("$")
            else {"SpecialToken": {"id": name, "type_id": 0}}
            for name in names
        ]

    single, pair = template
    specials = sorted({name for name in single + pair if not name.startswith("$")})
    return {
        "type": "TemplateProcessing",
        "single": pieces(single),
        "pair": pieces(pair),
        "special_tokens": {name: {"id": name, "ids": [token_ids[name]], "tokens": [name]} for name in specials},
    }


def _export_tokenizer_json(tokenizer_path: str | Path, template: tuple[list[str], list[str]]) -> str:
    """The training tokenizer with the template post-processor, ``<mask>`` lstrip and Metaspace "first".

    Plain text (no special tokens in it) encodes to the same pieces as in training. The two
    fix-ups only act around special tokens typed in the text: ``lstrip`` drops the space before
    ``<mask>`` (no lone ``▁`` before it), and prepend scheme "first" adds ``▁`` only at the start of
    the text, not after every special token (``<mask>.`` gives ``<mask> .``, not ``<mask> ▁ .``).
    Training masks ids, so a masked word never leaves a ``▁`` of its own.
    """
    data = json.loads(Path(tokenizer_path).read_text(encoding="utf-8"))
    for token in data.get("added_tokens", []):
        if token["content"] == _LSTRIP_TOKEN:
            token["lstrip"] = True
    pre = data.get("pre_tokenizer") or {}
    if pre.get("type") == "Metaspace" and pre.get("prepend_scheme") == "always":
        pre["prepend_scheme"] = "first"
    token_ids = Tokenizer.from_str(json.dumps(data, ensure_ascii=False)).get_vocab(with_added_tokens=True)
    data["post_processor"] = _template_processing(template, token_ids)
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False)).to_str(pretty=True)  # parsed: checked


def _write_tokenizer(
    vocab: Vocab, tokenizer_path: str | Path, out_dir: Path, max_positions: int, templates: tuple[list[str], list[str]]
) -> None:
    """Write ``tokenizer.json`` (``_export_tokenizer_json``) and its ``tokenizer_config.json``."""
    (out_dir / "tokenizer.json").write_text(_export_tokenizer_json(tokenizer_path, templates), encoding="utf-8")
    bos, pad, eos, unk, mask = SPECIAL_TOKENS
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "pad_token": pad,
        "eos_token": eos,
        "unk_token": unk,
        "mask_token": mask,
        "model_max_length": max_positions,
        # No token_type_ids: XLM-R has one type row and mBART's forward takes none (HF's own
        # XLMRobertaTokenizer and MBartTokenizer list these two inputs only).
        "model_input_names": ["input_ids", "attention_mask"],
        "polytrain_tokenizer_sha256": vocab.sha256,  # of the training tokenizer file, before the fix-ups
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n", encoding="utf-8")


def save_hf(
    model: nn.Module,
    config: ModelConfig,
    vocab: Vocab,
    tokenizer_path: str | Path,
    out_dir: str | Path,
    *,
    lang: str | None = None,
    add_lang_token: bool = True,
) -> Path:
    """Write a Hugging Face model folder: ``config.json``, ``model.safetensors``, tokenizer files.

    Loads with ``AutoModelForMaskedLM`` (encoder) or ``MBartForConditionalGeneration`` and
    ``AutoTokenizer``; the tokenizer adds the special tokens as training did (``encoder_templates``).

    Args:
        model: an unsharded ``Encoder`` or ``Seq2Seq``.
        config: its ``ModelConfig``.
        vocab: the tokenizer-derived ``Vocab`` the model was trained with.
        tokenizer_path: the ``tokenizers`` JSON file.
        out_dir: created if missing.
        lang: encoder-decoder with ``add_lang_token`` only: the language tag the tokenizer appends
            (``X </s> <lang:xx>``) and ``generate`` starts the decoder with (``decoder_start_token_id``);
            None leaves both to the caller.
        add_lang_token: encoder-decoder only: the model's ``Denoising.add_lang_token`` (False: BART's
            ``<s> X </s>``).

    Returns:
        ``out_dir`` as a ``Path``.
    """
    from transformers import MBartForConditionalGeneration, XLMRobertaForMaskedLM

    state = to_hf_state_dict(model, config)
    embedding = model.get_submodule("embed_tokens")
    assert isinstance(embedding, nn.Embedding)
    rows = config.padded_vocab_size(vocab.size)
    if (embedding.num_embeddings, embedding.padding_idx) != (rows, vocab.pad_id):
        raise ValueError(
            f"export: the model has {embedding.num_embeddings} token rows and pad id {embedding.padding_idx}, "
            f"the vocab {vocab.size} tokens ({rows} rows padded) and pad id {vocab.pad_id}"
        )
    # A padded vocabulary is exported as is: Hugging Face models may have more rows than their
    # tokenizer has tokens (the tokenizer never produces the extra ids).
    hf_cfg = hf_config(config, rows, vocab.pad_id, vocab.bos_id, vocab.eos_id)
    templates = encoder_templates(vocab, config.kind, lang, add_lang_token)  # fail before writing anything
    if lang is not None:  # mBART layout: the decoder starts with the target language's tag, as in training
        hf_cfg.decoder_start_token_id = vocab.lang_token(lang)
    hf_model: PreTrainedModel
    if config.kind == "encoder":
        hf_model = XLMRobertaForMaskedLM(hf_cfg)  # type: ignore[arg-type]  # hf_config made an XLMRobertaConfig
    else:
        hf_model = MBartForConditionalGeneration(hf_cfg)  # type: ignore[arg-type]  # ...an MBartConfig
    hf_model.load_state_dict(state, strict=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hf_model.save_pretrained(out)
    _write_tokenizer(vocab, tokenizer_path, out, config.max_positions, templates)
    return out


# ----------------------------------------------------------------------------- back from an export
def model_config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    """The ``ModelConfig`` of an exported folder's ``config.json`` (the inverse of ``hf_config``).

    Raises:
        ValueError: a ``model_type`` other than ``xlm-roberta`` / ``mbart``.
    """
    if hf.get("model_type") == "xlm-roberta":
        return ModelConfig(
            kind="encoder", d_model=hf["hidden_size"], n_layers=hf["num_hidden_layers"],
            n_heads=hf["num_attention_heads"], d_ff=hf["intermediate_size"],
            max_positions=hf["max_position_embeddings"] - hf["pad_token_id"] - 1,  # RoBERTa's offset
            dropout=hf["hidden_dropout_prob"], attention_dropout=hf["attention_probs_dropout_prob"],
            layer_norm_eps=hf["layer_norm_eps"], init_std=hf["initializer_range"],
            pad_vocab_to_multiple_of=hf["vocab_size"],  # the rows as exported, padding included
        )
    if hf.get("model_type") == "mbart":
        return ModelConfig(
            kind="encoder_decoder", d_model=hf["d_model"], n_layers=hf["encoder_layers"],
            n_decoder_layers=hf["decoder_layers"], n_heads=hf["encoder_attention_heads"],
            d_ff=hf["encoder_ffn_dim"], max_positions=hf["max_position_embeddings"], dropout=hf["dropout"],
            attention_dropout=hf["attention_dropout"], init_std=hf["init_std"],
            pad_vocab_to_multiple_of=hf["vocab_size"],
        )
    raise ValueError(f"model_type {hf.get('model_type')!r} is not one polytrain exports (xlm-roberta, mbart)")


def from_hf_state_dict(state: dict[str, torch.Tensor], config: ModelConfig, pad_id: int) -> dict[str, torch.Tensor]:
    """polytrain parameter names from an exported folder's weights (the inverse of ``to_hf_state_dict``).

    The copies written for tied weights and XLM-R's zero ``token_type_embeddings`` are dropped;
    position rows lose their offset. ``Encoder``/``Seq2Seq.load_state_dict(strict=True)`` then
    checks that nothing is missing.
    """
    ours: dict[str, torch.Tensor] = {}
    if config.kind == "encoder":
        top = {theirs: mine for mine, theirs in XLMR_TOP.items()}
        layer = {theirs: mine for mine, theirs in XLMR_LAYER.items()}
        for key, value in state.items():
            if key in top:
                ours[top[key]] = value
            elif key == "roberta.embeddings.position_embeddings.weight":
                ours["embed_positions.weight"] = value[pad_id + 1 :]
            elif key.startswith("roberta.encoder.layer."):
                index, rest = key.removeprefix("roberta.encoder.layer.").split(".", 1)
                ours[f"layers.{index}.{_rename_layer_key(rest, layer)}"] = value
        return ours
    prefixes = {theirs: mine for mine, theirs in MBART_TOP.items()}
    for key, value in state.items():
        if key == "final_logits_bias":
            ours[key] = value[0]  # (1, V) -> (V,)
        elif key in ("model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"):
            ours[f"{key.split('.')[1]}_embed_positions.weight"] = value[_MBART_POSITION_OFFSET:]
        elif key not in _MBART_TIED and (prefix := next((p for p in prefixes if key == p or key.startswith(p + ".")),
                                                         None)):
            renamed = prefixes[prefix] + key[len(prefix):]
            ours[renamed.replace(".fc1.", ".ffn.fc1.").replace(".fc2.", ".ffn.fc2.")] = value
    return ours


def read_hf_weights(folder: Path) -> dict[str, torch.Tensor]:
    """``model.safetensors`` (or ``pytorch_model.bin``, read with ``weights_only=True``) of ``folder``."""
    if (folder / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return load_file(str(folder / "model.safetensors"))
    if (folder / "pytorch_model.bin").is_file():
        return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"{folder}: no model.safetensors or pytorch_model.bin")
