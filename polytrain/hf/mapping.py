"""The one table between polytrain's parameter names and Hugging Face's, used by export and import.

polytrain's layout is the Hugging Face layout under other names, so both directions are a
renaming (``hf_name``) of the keys of a polytrain model, plus these fix-ups:

- Position offsets: HF RoBERTa derives positions from ``input_ids`` starting at ``pad_id + 1``
  (rows ``0 .. pad_id`` unused), so HF row ``p + pad_id + 1`` is our row ``p``; HF mBART's learned
  positions are offset by 2, so HF row ``p + 2`` is our row ``p``. Unused rows are exported as zeros
  and dropped on import.
- XLM-R's ``token_type_embeddings``: with ``use_lang_embeddings`` they ARE polytrain's language
  embeddings (both are a learned row added to every token before the embedding LayerNorm; pass the
  language index as ``token_type_ids``). Without, XLM-R has one row, added to every token: export
  writes a zero row, import adds the row to every position row (the same sum, up to float rounding).
- Tied weights (token embedding = output projection) are written under every HF name; on import
  every tied name must hold the same values (polytrain cannot untie them).

Import reads the HF state dict that ``transformers`` itself loaded (``polytrain.hf.importer``), so
legacy names and tied keys are the library's business; what is left is checked here tensor by
tensor: a missing one is refused by name, never initialised silently.
"""

from __future__ import annotations

import torch
from torch import nn

from polytrain.models import Encoder, ModelConfig, Seq2Seq, build_model

MBART_POSITION_OFFSET = 2
"""transformers ``MBartLearnedPositionalEmbedding.offset`` (fairseq's padding_idx + 1)."""

XLMR_EMBEDDINGS: dict[str, str] = {
    "embed_tokens.weight": "embeddings.word_embeddings.weight",
    "embed_positions.weight": "embeddings.position_embeddings.weight",
    "embed_langs.weight": "embeddings.token_type_embeddings.weight",
    "layernorm_embedding.weight": "embeddings.LayerNorm.weight",
    "layernorm_embedding.bias": "embeddings.LayerNorm.bias",
}
"""``Encoder`` embedding names -> names inside the XLM-R body (``roberta.`` in the masked LM)."""

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
"""Inside ``layers.{i}.`` -> inside ``encoder.layer.{i}.`` of the body (then ``.weight`` / ``.bias``)."""

XLMR_HEAD = ("lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight",
             "lm_head.layer_norm.bias", "lm_head.bias")
"""``Encoder`` names that keep their name in ``XLMRobertaForMaskedLM`` (outside the body)."""

XLMR_BODY_PREFIX = "roberta."
"""Where ``XLMRobertaForMaskedLM`` keeps the ``XLMRobertaModel`` body ("" in ``XLMRobertaModel``)."""

XLMR_TIED = {"lm_head.decoder.weight": "embed_tokens.weight", "lm_head.decoder.bias": "lm_head.bias"}
"""HF names tied to a polytrain tensor (written on export, checked equal on import)."""

MBART_TOP: dict[str, str] = {
    "embed_tokens.weight": "model.shared.weight",
    "encoder_embed_positions": "model.encoder.embed_positions",
    "decoder_embed_positions": "model.decoder.embed_positions",
    "encoder_layernorm_embedding": "model.encoder.layernorm_embedding",
    "encoder_layer_norm": "model.encoder.layer_norm",
    "decoder_layernorm_embedding": "model.decoder.layernorm_embedding",
    "decoder_layer_norm": "model.decoder.layer_norm",
    "encoder_layers": "model.encoder.layers",
    "decoder_layers": "model.decoder.layers",
    "final_logits_bias": "final_logits_bias",
}
"""``Seq2Seq`` name prefixes -> ``MBartForConditionalGeneration`` prefixes; inside a layer only
``ffn.fc1`` / ``ffn.fc2`` become ``fc1`` / ``fc2``."""

MBART_TIED = {name: "embed_tokens.weight"
              for name in ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight")}


def _prefix_rename(key: str, table: dict[str, str]) -> str | None:
    """``key`` with the longest matching table prefix (a whole name or a dotted prefix) replaced."""
    for ours in sorted(table, key=len, reverse=True):
        if key == ours or key.startswith(ours + "."):
            return table[ours] + key[len(ours):]
    return None


def hf_name(kind: str, key: str, body_prefix: str = XLMR_BODY_PREFIX) -> str:
    """The Hugging Face name of polytrain parameter ``key`` of a ``kind`` model.

    Args:
        kind: ``"encoder"`` (XLM-R) or ``"encoder_decoder"`` (mBART).
        key: a key of the polytrain model's ``state_dict``.
        body_prefix: encoder only: ``"roberta."`` for ``XLMRobertaForMaskedLM``, ``""`` for ``XLMRobertaModel``.

    Raises:
        KeyError: ``key`` has no Hugging Face name.
    """
    if kind == "encoder":
        if key in XLMR_HEAD:
            return key
        if key in XLMR_EMBEDDINGS:
            return body_prefix + XLMR_EMBEDDINGS[key]
        if key.startswith("layers."):
            _, index, rest = key.split(".", 2)
            renamed = _prefix_rename(rest, XLMR_LAYER)
            if renamed is not None:
                return f"{body_prefix}encoder.layer.{index}.{renamed}"
    else:
        renamed = _prefix_rename(key, MBART_TOP)
        if renamed is not None:
            return renamed.replace(".ffn.fc1.", ".fc1.").replace(".ffn.fc2.", ".fc2.")
    raise KeyError(f"no Hugging Face name for the {kind} parameter {key!r}")


def _offset_rows(weight: torch.Tensor, offset: int) -> torch.Tensor:
    """(P, d) -> (offset + P, d): ``offset`` zero rows, then ``weight``."""
    return torch.cat([weight.new_zeros(offset, weight.shape[1]), weight])


def position_offset(kind: str, pad_id: int) -> int:
    """HF position row of polytrain's position 0: ``pad_id + 1`` (XLM-R) or 2 (mBART)."""
    return pad_id + 1 if kind == "encoder" else MBART_POSITION_OFFSET


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
    embedding = model.get_submodule("embed_tokens")
    assert isinstance(embedding, nn.Embedding) and embedding.padding_idx is not None  # both models set it
    offset = position_offset(config.kind, embedding.padding_idx)
    state = {k: v.detach() for k, v in model.state_dict().items()}
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith("embed_positions.weight"):
            value = _offset_rows(value, offset)
        elif key == "final_logits_bias":
            value = value[None]  # (V,) -> (1, V)
        out[hf_name(config.kind, key)] = value
    tied = XLMR_TIED if config.kind == "encoder" else MBART_TIED
    out.update({name: state[ours] for name, ours in tied.items()})
    if config.kind == "encoder" and not config.use_lang_embeddings:  # one token-type row, added to every token
        out[hf_name("encoder", "embed_langs.weight")] = embedding.weight.new_zeros(1, embedding.weight.shape[1])
    return out


def expected_shapes(config: ModelConfig, vocab_size: int, n_langs: int, pad_id: int) -> dict[str, torch.Size]:
    """Every parameter of the polytrain model of this shape, with its shape (built on the meta device)."""
    with torch.device("meta"):
        model = build_model(config, vocab_size, n_langs, pad_id)
    return {key: value.shape for key, value in model.state_dict().items()}


def from_hf_state_dict(hf_state: dict[str, torch.Tensor], config: ModelConfig, vocab_size: int, n_langs: int,
                       pad_id: int, body_prefix: str = XLMR_BODY_PREFIX,
                       optional: tuple[str, ...] = ()) -> tuple[dict[str, torch.Tensor], list[str]]:
    """A polytrain state dict from a Hugging Face one (the inverse of ``to_hf_state_dict``).

    Args:
        hf_state: the HF model's ``state_dict()`` (tied names included or not).
        config, vocab_size, n_langs, pad_id: the polytrain model to fill.
        body_prefix: see ``hf_name``.
        optional: polytrain keys that may be absent (the caller initialises them; e.g. the MLM
            head when the HF model is a bare ``XLMRobertaModel``).

    Returns:
        ``(state, unused)``: tensors for ``load_state_dict`` (missing only the ``optional`` keys
        that were absent) and the HF names nothing was read from.

    Raises:
        ValueError: a tensor is missing, has another shape, or a tied name holds other values;
            one line naming the HF tensor.
    """
    offset = position_offset(config.kind, pad_id)
    used: set[str] = set()
    state: dict[str, torch.Tensor] = {}
    for key, shape in expected_shapes(config, vocab_size, n_langs, pad_id).items():
        name = hf_name(config.kind, key, body_prefix)
        if name not in hf_state:
            if key in optional:
                continue
            raise ValueError(f"the Hugging Face model has no tensor {name} (polytrain's {key}): refusing to "
                             "initialise it at random")
        used.add(name)
        value = hf_state[name]
        if key.endswith("embed_positions.weight"):
            value = value[offset:]
        elif key == "final_logits_bias":
            value = value.reshape(-1)  # (1, V) -> (V,)
        if value.shape != shape:
            raise ValueError(f"{name} has shape {tuple(hf_state[name].shape)}, polytrain's {key} needs "
                             f"{tuple(shape)}{' after dropping the first ' + str(offset) + ' rows' if 'positions' in key else ''}")
        state[key] = value.detach().clone()
    _fold_token_type(hf_state, config, state, used, body_prefix)
    _check_tied(hf_state, config, state, used)
    return state, sorted(set(hf_state) - used)


def _fold_token_type(hf_state: dict[str, torch.Tensor], config: ModelConfig, state: dict[str, torch.Tensor],
                     used: set[str], body_prefix: str) -> None:
    """XLM-R without language embeddings: add the single token-type row to every position row."""
    if config.kind != "encoder" or config.use_lang_embeddings:
        return
    name = hf_name("encoder", "embed_langs.weight", body_prefix)
    if name not in hf_state:
        raise ValueError(f"the Hugging Face model has no tensor {name}")
    rows = hf_state[name]
    if rows.shape[0] != 1:
        raise ValueError(f"{name} has {rows.shape[0]} token types; polytrain reads them as language embeddings only "
                         "when the tokenizer has one language tag per row")
    used.add(name)
    state["embed_positions.weight"] = state["embed_positions.weight"] + rows[0]  # same sum, one add fewer


def _check_tied(hf_state: dict[str, torch.Tensor], config: ModelConfig, state: dict[str, torch.Tensor],
                used: set[str]) -> None:
    tied = XLMR_TIED if config.kind == "encoder" else MBART_TIED
    for name, ours in tied.items():
        if name not in hf_state or ours not in state:
            continue
        used.add(name)
        if not torch.equal(hf_state[name].reshape(state[ours].shape), state[ours]):
            raise ValueError(f"{name} differs from {hf_name(config.kind, ours)}: the model does not tie its output "
                             "layer to its input embedding, and polytrain's models always do")
