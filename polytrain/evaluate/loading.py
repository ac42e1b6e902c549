"""Load what ``polytrain evaluate`` judges into one ``LoadedModel``, whatever form it comes in.

Forms, tried in this order by :func:`load_model`:

- a training checkpoint file (``.ckpt``, a path or URL): ``PretrainModule.load_from_checkpoint``
  (``weights_only=True``); architecture, objectives and ``max_length`` from its hyper-parameters;
- an FSDP2 sharded checkpoint folder (``meta.pt`` + DCP shards): ``hf.command.load_sharded``;
- a Hugging Face folder written by ``polytrain export hf`` (``config.json``): read back as
  ``polytrain import hf`` reads one (``hf.config.model_config_from_hf``, ``hf.mapping.from_hf_state_dict``),
  with the objective the export's tokenizer template implies (``MaskedLM`` for XLM-R; ``Denoising`` with or without mBART's language tag);
- a folder written by ``polytrain import hf`` (``model.ckpt``, ``tokenizer.json``): the weights as
  a warm start reads them (``checkpoint.warm_start.read_weights``), the architecture from their
  record, ``MaskedLM``'s layout for an encoder and ``Denoising``'s (mBART's language code when the
  tokenizer has codes) for an encoder-decoder. Its ``model.ckpt`` given alone means the folder.

Each form is one small function returning a ``LoadedModel``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from polytrain.errors import ConfigError, EvalError  # noqa: F401  # EvalError: the evaluate modules import it from here
from polytrain.models import build_model
from polytrain.models.config import ModelConfig
from polytrain.objectives.base import Objective, plain_layout
from polytrain.objectives.masking import lang_index
from polytrain.types import Vocab


@dataclass
class LoadedModel:
    """A model ready to evaluate, with everything needed to feed it text.

    Attributes:
        model: the ``Encoder`` or ``Seq2Seq``, on the CPU, in eval mode.
        architecture: its ``ModelConfig``.
        vocab: the tokenizer-derived ``Vocab`` it was trained with.
        tokenizer: the tokenizer; :meth:`encode` adds no special tokens (objectives lay them out).
        objectives: the objectives it was trained with, ``setup(vocab, max_length)``.
        max_length: the longest input, special tokens included (training's ``data.max_length``).
        source: what was loaded, for messages and the JSON result.
        heads: the objectives' own modules (``Objective.head``) by objective name, trained with the model.
    """

    model: nn.Module
    architecture: ModelConfig
    vocab: Vocab
    tokenizer: Tokenizer
    objectives: list[Objective]
    max_length: int
    source: str
    heads: dict[str, nn.Module] = field(default_factory=dict)

    def to(self, device: str | torch.device) -> LoadedModel:
        """Move the model and the objectives' heads to ``device``; returns ``self``."""
        self.model.to(device)
        for head in self.heads.values():
            head.to(device)
        return self

    @property
    def device(self) -> torch.device:
        """Where the model's parameters are (batches go there)."""
        return next(self.model.parameters()).device

    @property
    def kind(self) -> str:
        """``"encoder"`` or ``"encoder_decoder"``."""
        return self.architecture.kind

    @property
    def layout(self) -> Objective:
        """The first objective with a plain-sentence layout (``Objective.plain_example``).

        Raises:
            EvalError: no objective of the model has one (e.g. a plugin without the hook).
        """
        layout = plain_layout(self.objectives)
        if layout is not None:
            return layout
        names = ", ".join(type(o).__name__ for o in self.objectives)
        raise EvalError(f"{self.source}: none of its objectives ({names}) defines plain_example, so how it reads "
                        "a plain sentence is unknown (docs/writing-a-plugin.md)")

    @property
    def room(self) -> int:
        """Most tokens of one sentence that :attr:`layout` takes; longer ones are cut (and counted)."""
        return self.max_length - self.layout.added_tokens

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids of each text, without special tokens, as the training stream tokenizes
        (``encode_texts``: the same encoder, line cap included)."""
        from polytrain.stream.dataset import encode_texts

        return encode_texts(self.tokenizer, list(texts))

    def check_language(self, lang: str, where: str) -> None:
        """Refuse, in one line naming ``where``, a language without a tag in a tokenizer that tags
        languages (``lang_index``; a tokenizer without tags, XLM-R's, takes every language)."""
        try:
            lang_index(self.vocab, lang, where)
        except KeyError:
            raise EvalError(f"{where}: language {lang!r} is not one the model knows "
                            f"(its tokenizer has {', '.join(self.vocab.languages)})") from None


def _from_module(module: nn.Module, source: str) -> LoadedModel:
    from polytrain.module import PretrainModule

    assert isinstance(module, PretrainModule) and module.model is not None
    max_length = int(module.hparams.get("max_length", module.architecture.max_positions))
    return LoadedModel(module.model.eval(), module.architecture, module.vocab, module.tokenizer,
                       list(module.objectives), max_length, source, dict(module.heads.eval().items()))


def _checkpoint_file(path: str, tokenizer: str | None) -> LoadedModel | None:
    if os.path.isdir(path):
        return None
    from polytrain.checkpoint.warm_start import IMPORTED_WEIGHTS

    if os.path.basename(path) == IMPORTED_WEIGHTS:  # an imported folder's weights: no Lightning checkpoint
        return _imported_folder(os.path.dirname(path) or ".", tokenizer)
    from polytrain.module import PretrainModule

    overrides = {"tokenizer": tokenizer} if tokenizer else {}
    module = PretrainModule.load_from_checkpoint(path, map_location="cpu", **overrides)
    return _from_module(module, f"checkpoint {path}")


def _sharded_checkpoint(path: str, tokenizer: str | None) -> LoadedModel | None:
    from polytrain.checkpoint.io import SHARDED_META
    from polytrain.hf.command import load_sharded

    if not os.path.isfile(os.path.join(path, SHARDED_META)):
        return None
    module = load_sharded(path, **({"tokenizer": tokenizer} if tokenizer else {}))
    return _from_module(module, f"sharded checkpoint {path}")


def _exported_folder(path: str, tokenizer: str | None) -> LoadedModel | None:
    """A folder written by ``polytrain export hf``."""
    from polytrain.hf.config import model_config_from_hf
    from polytrain.hf.importer import load_hf_state
    from polytrain.hf.mapping import from_hf_state_dict
    from polytrain.shards.vocab import read_tokenizer_file, vocab_from_tokenizer

    folder = Path(path)
    if not (folder / "config.json").is_file():
        return None
    settings = _json(folder / "tokenizer_config.json")
    if "polytrain_tokenizer_sha256" not in settings:
        raise EvalError(f"{path}: not a folder written by polytrain export hf (tokenizer_config.json has no "
                        "polytrain_tokenizer_sha256); evaluate takes polytrain checkpoints and their exports")
    tok, _ = read_tokenizer_file(tokenizer or str(folder / "tokenizer.json"))
    vocab = vocab_from_tokenizer(tok, settings["polytrain_tokenizer_sha256"], source=str(folder / "tokenizer.json"))
    n_langs = len(vocab.languages)
    try:  # the import's reading of an HF folder (polytrain.hf): the same table the export wrote with
        config = model_config_from_hf(_json(folder / "config.json"), vocab.size, vocab.pad_id, n_langs).config
        hf_state = load_hf_state(folder, "XLMRobertaForMaskedLM" if config.kind == "encoder"
                                 else "MBartForConditionalGeneration")
        state, _ = from_hf_state_dict(hf_state, config, vocab.size, n_langs, vocab.pad_id)
    except ValueError as err:  # ImportRefused, or a tensor from_hf_state_dict cannot place: one line
        raise EvalError(f"{folder}: {err}") from None
    except ImportError:  # transformers reads the folder, as polytrain import hf does
        raise EvalError(f"{folder}: reading an exported folder needs transformers: pip install 'polytrain[hf]'") from None
    model = build_model(config, vocab.size, n_langs, vocab.pad_id)
    model.load_state_dict(state, strict=True)
    objective = _export_objective(config, tok)
    objective.setup(vocab, config.max_positions)
    return LoadedModel(model.eval(), config, vocab, tok, [objective], config.max_positions, f"export {path}")


def _imported_folder(path: str, tokenizer: str | None) -> LoadedModel | None:
    """A folder written by ``polytrain import hf``."""
    from polytrain.checkpoint.warm_start import IMPORTED_TOKENIZER, IMPORTED_WEIGHTS, read_weights
    from polytrain.objectives.denoising import Denoising
    from polytrain.objectives.mlm import MaskedLM
    from polytrain.shards.vocab import load_vocab

    if not os.path.isfile(os.path.join(path, IMPORTED_WEIGHTS)):
        return None
    try:
        saved = read_weights(path)
        config = ModelConfig(**saved.record["architecture"])
    except (ConfigError, KeyError, TypeError) as err:
        raise EvalError(f"{path}: not a folder polytrain import hf wrote ({err})") from None
    tokenizer = tokenizer or os.path.join(path, IMPORTED_TOKENIZER)
    tok, vocab = load_vocab(tokenizer)
    if vocab.sha256 != saved.record.get("tokenizer_sha256"):
        raise EvalError(f"{path}: the tokenizer {tokenizer} is not the one imported with these weights")
    model = build_model(config, vocab.size, len(vocab.languages), vocab.pad_id)
    model.load_state_dict(saved.state, strict=True)
    objective = MaskedLM() if config.kind == "encoder" else Denoising(add_lang_token=bool(vocab.languages))
    objective.setup(vocab, config.max_positions)
    return LoadedModel(model.eval(), config, vocab, tok, [objective], config.max_positions, f"import {path}")


def _export_objective(config: ModelConfig, tokenizer: Tokenizer) -> Objective:
    """The objective whose layout the exported tokenizer's template writes (``hf.export.encoder_templates``)."""
    from polytrain.objectives.denoising import Denoising
    from polytrain.objectives.mlm import MaskedLM

    if config.kind == "encoder":
        return MaskedLM()
    post = json.loads(tokenizer.to_str()).get("post_processor") or {}
    first = (post.get("single") or [{}])[0]
    return Denoising(add_lang_token="Sequence" in first)  # mBART's template starts with the text, BART's with <s>


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"{path}: missing") from None
    except ValueError as err:
        raise EvalError(f"{path}: not JSON ({err})") from None


def _with_max_length(loaded: LoadedModel, max_length: int) -> LoadedModel:
    if not 2 < max_length <= loaded.architecture.max_positions:
        raise EvalError(f"--max-length {max_length}: {loaded.source} takes 3 to {loaded.architecture.max_positions} "
                        "tokens")
    for objective in loaded.objectives:
        objective.setup(loaded.vocab, max_length)
    loaded.max_length = max_length
    return loaded


_FORMS: tuple[Callable[[str, str | None], LoadedModel | None], ...] = (
    _sharded_checkpoint, _exported_folder, _imported_folder, _checkpoint_file,
)


def load_model(path: str, tokenizer: str | None = None, max_length: int | None = None) -> LoadedModel:
    """Load ``path`` in whichever form it is (module docstring), on the CPU, in eval mode.

    Args:
        path: a checkpoint file or URL, a sharded checkpoint folder, an exported HF folder, or a
            folder written by ``polytrain import hf`` (or its ``model.ckpt``).
        tokenizer: the training ``tokenizer.json`` if it is no longer where the checkpoint says
            (its sha256 must match the checkpoint's).
        max_length: longest input in tokens, special tokens included; default: a checkpoint's
            training ``data.max_length`` (positions beyond it were never trained), an export's
            ``max_positions`` (the export does not record the training length).

    Raises:
        EvalError: ``path`` is a folder of no known form, or what it holds cannot be used.
        FileNotFoundError: nothing at ``path``.
    """
    if "://" not in path and not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint or model folder")
    for form in _FORMS:
        loaded = form(path, tokenizer)
        if loaded is not None:
            return _with_max_length(loaded, max_length) if max_length else loaded
    raise EvalError(f"{path}: a folder that is neither a sharded checkpoint (meta.pt), a Hugging Face "
                    "folder written by polytrain export hf (config.json) nor one written by polytrain import hf "
                    "(model.ckpt)")
