"""Architecture hyper-parameters between ``ModelConfig`` and Hugging Face ``config.json``.

``hf_config`` writes the ``transformers`` config of an export; ``model_config_from_hf`` reads an
XLM-R or mBART ``config.json`` into the ``ModelConfig`` that reproduces it, and refuses, in one line
naming the field, anything polytrain's models would compute differently (another position scheme,
activation, normalisation placement or untied output layer). ``transformers`` is imported inside
the functions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polytrain.errors import ConfigError
from polytrain.models import ModelConfig

if TYPE_CHECKING:
    from transformers import PretrainedConfig

SUPPORTED = {
    "XLMRobertaForMaskedLM": ("xlm-roberta", "encoder"),
    "XLMRobertaModel": ("xlm-roberta", "encoder"),
    "MBartForConditionalGeneration": ("mbart", "encoder_decoder"),
}
"""Hugging Face classes ``polytrain import hf`` reads: name -> (``model_type``, ``ModelConfig.kind``)."""

MBART_LAYER_NORM_EPS = 1e-5
"""transformers' mBART LayerNorms use torch's default eps (not a config field)."""


class ImportRefused(ConfigError):
    """The Hugging Face model has something polytrain cannot represent exactly; one line naming it."""


def hf_config(config: ModelConfig, vocab_size: int, pad_id: int, bos_id: int, eos_id: int,
              n_langs: int = 0) -> PretrainedConfig:
    """The ``transformers`` config of the exported model.

    Args:
        config: polytrain architecture.
        vocab_size, pad_id, bos_id, eos_id: from the tokenizer's ``Vocab`` (``vocab_size``: model rows).
        n_langs: language-embedding rows (``len(Vocab.languages)``); with ``use_lang_embeddings``
            they become XLM-R's token types (``type_vocab_size``).

    Returns:
        ``XLMRobertaConfig`` for ``kind="encoder"``, ``MBartConfig`` for ``kind="encoder_decoder"``.
        mBART's ``decoder_start_token_id`` is left unset: pass the target language tag.
    """
    from transformers import MBartConfig, XLMRobertaConfig

    # Both: the tokenizer's ids, and an output layer tied to the input embedding.
    ids = {"vocab_size": vocab_size, "pad_token_id": pad_id, "bos_token_id": bos_id, "eos_token_id": eos_id,
           "tie_word_embeddings": True}
    if config.kind == "encoder":
        return XLMRobertaConfig(
            hidden_size=config.d_model, num_hidden_layers=config.n_layers, num_attention_heads=config.n_heads,
            intermediate_size=config.d_ff,
            hidden_act="gelu",  # exact erf GELU, as polytrain's F.gelu
            hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.attention_dropout,
            max_position_embeddings=config.max_positions + pad_id + 1,  # RoBERTa positions start at pad_id + 1
            type_vocab_size=n_langs if config.use_lang_embeddings else 1,  # language embeddings = token types
            layer_norm_eps=config.layer_norm_eps, initializer_range=config.init_std, **ids,
        )
    if config.layer_norm_eps != MBART_LAYER_NORM_EPS:
        raise ValueError(f"export: HF mBART's LayerNorms use eps={MBART_LAYER_NORM_EPS}, "
                         f"the model has layer_norm_eps={config.layer_norm_eps}")
    return MBartConfig(
        d_model=config.d_model, encoder_layers=config.n_layers, decoder_layers=config.num_decoder_layers,
        encoder_attention_heads=config.n_heads, decoder_attention_heads=config.n_heads,
        encoder_ffn_dim=config.d_ff, decoder_ffn_dim=config.d_ff, activation_function="gelu",
        dropout=config.dropout, attention_dropout=config.attention_dropout,
        activation_dropout=0.0,  # polytrain has no dropout inside the FFN
        max_position_embeddings=config.max_positions,  # HF adds its offset of 2 rows itself
        init_std=config.init_std,
        scale_embedding=True,  # mBART multiplies token embeddings by sqrt(d_model)
        forced_eos_token_id=eos_id, **ids,
    )


@dataclass
class ImportedArchitecture:
    """What ``model_config_from_hf`` read from a ``config.json``."""

    hf_class: str
    """The ``transformers`` class (``architectures[0]``)."""
    config: ModelConfig
    """The polytrain architecture that computes what the HF model computes."""
    notes: list[str] = field(default_factory=list)
    """Differences that do not change the function, only training (printed as warnings)."""


def _require(raw: dict[str, Any], key: str, allowed: tuple[Any, ...], why: str, default: Any = None) -> None:
    value = raw.get(key, default)
    if value not in allowed:
        raise ImportRefused(f"config.json: {key}={value!r}, polytrain needs {' or '.join(map(repr, allowed))} ({why})")


def _hf_class(raw: dict[str, Any]) -> str:
    names = raw.get("architectures") or []
    name = names[0] if names else None
    if name not in SUPPORTED:
        supported = ", ".join(SUPPORTED)
        raise ImportRefused(f"config.json: architectures={names!r} (model_type {raw.get('model_type')!r}); "
                            f"polytrain imports {supported}")
    model_type = SUPPORTED[name][0]
    if raw.get("model_type") != model_type:
        raise ImportRefused(f"config.json: model_type={raw.get('model_type')!r} does not match {name} ({model_type!r})")
    return name


def vocab_rows_multiple(rows: int, vocab_size: int) -> int:
    """``pad_vocab_to_multiple_of`` that gives ``rows`` embedding rows for ``vocab_size`` tokens.

    Raises:
        ImportRefused: the model has fewer rows than the tokenizer has tokens, or a row count no
            power-of-two multiple gives.
    """
    if rows < vocab_size:
        raise ImportRefused(f"config.json: vocab_size={rows} but tokenizer.json has {vocab_size} tokens: "
                            "the tokenizer makes ids the model has no row for")
    multiple = 1
    while -(-vocab_size // multiple) * multiple != rows:
        multiple *= 2
        if multiple > rows:
            raise ImportRefused(f"config.json: vocab_size={rows} rows for {vocab_size} tokens is no padding "
                                "polytrain can rebuild (pad_vocab_to_multiple_of is a multiple)")
    return multiple


def _xlmr(raw: dict[str, Any], pad_id: int, n_tags: int) -> tuple[ModelConfig, list[str]]:
    _require(raw, "hidden_act", ("gelu",), "polytrain's feed-forward uses the exact erf GELU")
    _require(raw, "position_embedding_type", ("absolute",), "learned absolute positions", "absolute")
    _require(raw, "is_decoder", (False,), "a bidirectional encoder", False)
    _require(raw, "add_cross_attention", (False,), "no cross-attention in an encoder", False)
    types = raw.get("type_vocab_size", 2)
    if types != 1 and types != n_tags:
        raise ImportRefused(f"config.json: type_vocab_size={types}; polytrain reads one token type (XLM-R), or one "
                            f"per language tag as language embeddings, and tokenizer.json has {n_tags} tags")
    positions = raw["max_position_embeddings"] - pad_id - 1  # RoBERTa's rows 0..pad_id are never used
    if positions < 1:
        raise ImportRefused(f"config.json: max_position_embeddings={raw['max_position_embeddings']} leaves no "
                            f"position after RoBERTa's offset of pad_token_id + 1 = {pad_id + 1}")
    config = ModelConfig(
        kind="encoder", d_model=raw["hidden_size"], n_layers=raw["num_hidden_layers"],
        n_heads=raw["num_attention_heads"], d_ff=raw["intermediate_size"], max_positions=positions,
        dropout=raw.get("hidden_dropout_prob", 0.1), attention_dropout=raw.get("attention_probs_dropout_prob", 0.1),
        use_lang_embeddings=types > 1, layer_norm_eps=raw.get("layer_norm_eps", 1e-12),
        init_std=raw.get("initializer_range", 0.02),
    )
    return config, []


def _mbart(raw: dict[str, Any]) -> tuple[ModelConfig, list[str]]:
    _require(raw, "activation_function", ("gelu",), "polytrain's feed-forward uses the exact erf GELU")
    _require(raw, "scale_embedding", (True,), "polytrain's mBART multiplies token embeddings by sqrt(d_model)")
    for a, b in (("encoder_attention_heads", "decoder_attention_heads"), ("encoder_ffn_dim", "decoder_ffn_dim")):
        if raw.get(a) != raw.get(b):
            raise ImportRefused(f"config.json: {a}={raw.get(a)} but {b}={raw.get(b)}: polytrain's encoder and "
                                "decoder share n_heads and d_ff")
    notes = [f"config.json: {key}={raw[key]} is not applied (polytrain has no {what}); the function is the same, "
             "training differs slightly"
             for key, what in (("activation_dropout", "dropout inside the feed-forward"),
                               ("encoder_layerdrop", "LayerDrop"), ("decoder_layerdrop", "LayerDrop"))
             if raw.get(key)]
    config = ModelConfig(
        kind="encoder_decoder", d_model=raw["d_model"], n_layers=raw["encoder_layers"],
        n_decoder_layers=raw["decoder_layers"], n_heads=raw["encoder_attention_heads"], d_ff=raw["encoder_ffn_dim"],
        max_positions=raw["max_position_embeddings"], dropout=raw.get("dropout", 0.1),
        attention_dropout=raw.get("attention_dropout", 0.0), layer_norm_eps=MBART_LAYER_NORM_EPS,
        init_std=raw.get("init_std", 0.02),
    )
    return config, notes


def model_config_from_hf(raw: dict[str, Any], vocab_size: int, pad_id: int, n_tags: int) -> ImportedArchitecture:
    """The ``ModelConfig`` that reproduces the model of a ``config.json``.

    Args:
        raw: the parsed ``config.json``.
        vocab_size: tokens of the model's ``tokenizer.json``.
        pad_id: its ``<pad>`` id (must be the config's ``pad_token_id``).
        n_tags: its language tags (XLM-R token types are read as language embeddings if they match).

    Raises:
        ImportRefused: an unsupported class, or a setting polytrain cannot reproduce; one line.
    """
    name = _hf_class(raw)
    _require(raw, "tie_word_embeddings", (True,), "polytrain's output layer is the input embedding", True)
    if raw.get("pad_token_id") != pad_id:
        raise ImportRefused(f"config.json: pad_token_id={raw.get('pad_token_id')} but tokenizer.json's <pad> is {pad_id}")
    try:
        config, notes = _xlmr(raw, pad_id, n_tags) if SUPPORTED[name][1] == "encoder" else _mbart(raw)
    except KeyError as err:
        raise ImportRefused(f"config.json: no {err.args[0]!r}, which {name} needs") from None
    except ImportRefused:
        raise
    except ValueError as err:  # ModelConfig's own checks (e.g. heads not dividing d_model)
        raise ImportRefused(f"config.json: {err}") from None
    config.pad_vocab_to_multiple_of = vocab_rows_multiple(raw.get("vocab_size", vocab_size), vocab_size)
    return ImportedArchitecture(name, config, notes)
