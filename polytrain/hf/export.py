"""Export to Hugging Face ``transformers``: ``Encoder`` -> ``XLMRobertaForMaskedLM``, ``Seq2Seq`` ->
``MBartForConditionalGeneration``.

The weights are renamed by ``polytrain.hf.mapping`` (the table import reads too) and the config is
written by ``polytrain.hf.config.hf_config``. ``transformers`` is an optional extra: it is imported
inside the functions, never at import time. An exported encoder reproduces polytrain's logits for
inputs with positions ``0 .. T-1`` and right padding (HF computes positions itself; pass
``position_ids = p + pad_id + 1`` for TLM's restarted positions).

A model with language embeddings (XLM's ``use_lang_embeddings``) is exported to
``XLMRobertaForMaskedLM`` with one token type per language: RoBERTa's token-type embedding is added
exactly where polytrain adds the language embedding, so ``token_type_ids`` = the language index
(``config.json``'s ``token_type_languages``) reproduces it. transformers' ``XLMWithLMHeadModel``
has language embeddings too, but its output layer is a bare projection, without the dense +
GELU + LayerNorm transform of polytrain's (RoBERTa's) MLM head, so it cannot give the same logits.

The exported tokenizer adds the special tokens the objectives add (``encoder_templates``), so
``AutoTokenizer`` gives the training ids: ``<s> A </s>`` (MLM), ``<s> A </s> </s> B </s>`` (TLM),
``A </s> <lang:xx>`` (mBART denoising, one tag fixed at export) or ``<s> A </s>`` (BART).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenizers import Tokenizer
from torch import nn

from polytrain.hf.config import hf_config
from polytrain.hf.mapping import to_hf_state_dict
from polytrain.models import ModelConfig
from polytrain.types import SPECIAL_TOKENS, Vocab

if TYPE_CHECKING:
    from transformers import PreTrainedModel

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
    - ``kind="encoder_decoder"``: the tag is the tokenizer's own (``<lang:xx>``, or mBART-50's
      ``xx_XX`` for an imported tokenizer).
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
    tag = [] if lang is None else [vocab.lang_tag(lang)]
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
    hf_cfg = hf_config(config, rows, vocab.pad_id, vocab.bos_id, vocab.eos_id, len(vocab.languages))
    if config.use_lang_embeddings:  # token type i is language i (module docstring)
        hf_cfg.token_type_languages = list(vocab.languages)
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
    _give_default_mode(out)
    _write_tokenizer(vocab, tokenizer_path, out, config.max_positions, templates)
    return out


def _give_default_mode(folder: Path) -> None:
    """Give the files ``save_pretrained`` wrote through a temporary file (``model.safetensors``,
    mode 0600) the mode of any new file, ``0o666 & ~umask``, so the export can be shared."""
    umask = os.umask(0)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mode & 0o777 == 0o600:
            path.chmod(0o666 & ~umask)
