"""Warm start (``--model.init_from``): a new run whose weights come from a checkpoint or an import.

Only the weights are read: the optimizer, the learning-rate schedule, the data stream and the step
counter start fresh (``--ckpt_path`` resumes all of those instead). Sources:

- a ``.ckpt`` file written by ``polytrain fit`` (or a URL), read with ``weights_only=True``;
- FSDP2's sharded checkpoint folder (``meta.pt`` + DCP shards; only the model's tensors are read);
- a folder written by ``polytrain import hf`` (``model.ckpt`` + ``tokenizer.json``).

Before any step the saved architecture is compared with the run's (one line naming every field
that differs) and the tokenizers are compared: the same file, or an extension of the saved one
(every old id the same token, new ids appended: ``polytrain tokenizer extend``). For an extension
the new embedding rows, and the tied output layer's rows and bias, are initialised by
``new_row_init``: the mean of the rows of the new piece's segmentation under the saved tokenizer
("mean"), or at random as a new model's rows ("random", as Glot500). Language-embedding rows move
with their language; a new language's row is the mean of the old ones (or random).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import torch
from tokenizers import Tokenizer
from torch import nn

from polytrain.checkpoint.io import SHARDED_META, load_checkpoint
from polytrain.checkpoint.resume import sharded_folder_problem
from polytrain.shards.vocab import load_vocab
from polytrain.errors import ConfigError
from polytrain.models import ModelConfig, build_model
from polytrain.models.config import shape_changes
from polytrain.types import Vocab

NewRowInit = Literal["mean", "random"]
IMPORTED_WEIGHTS = "model.ckpt"
IMPORTED_TOKENIZER = "tokenizer.json"
_TOKEN_ROWS = ("embed_tokens.weight", "lm_head.bias", "final_logits_bias")
"""Model tensors with one row (or entry) per token: grown for an extended tokenizer."""
_LANG_ROWS = "embed_langs.weight"


@dataclass
class SavedWeights:
    """The weights of a warm-start source and what they were trained with."""

    state: dict[str, torch.Tensor]
    """The model's tensors, keyed as ``model.state_dict()`` (no ``model.`` prefix)."""
    record: dict
    """The checkpoint's ``polytrain`` record: ``architecture``, ``tokenizer_sha256``, ``vocab_size``, ``languages``."""
    tokenizer: str | None
    """The tokenizer file the weights were trained with, if known (needed to extend it)."""
    source: str


def _model_tensors(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("model."): v for k, v in state_dict.items() if k.startswith("model.")}


def _trained_tokenizer(checkpoint: dict) -> str | None:
    return (checkpoint.get("hyper_parameters") or {}).get("tokenizer")


def _read_sharded(folder: str) -> SavedWeights:
    """Only the model's tensors of an FSDP2 sharded folder, allocated from its record's architecture."""
    import torch.distributed.checkpoint as dcp

    meta = load_checkpoint(os.path.join(folder, SHARDED_META))
    record = meta.get("polytrain") or {}
    try:
        config = ModelConfig(**record["architecture"])
        langs = len(record.get("languages") or [])
        model = build_model(config, int(record["vocab_size"]), langs, pad_id=0)  # pad id: no shape depends on it
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigError(f"{folder}: its {SHARDED_META} records no architecture polytrain can rebuild ({err})") from None
    state = {"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}
    dcp.load(state, checkpoint_id=folder)  # in place; only these keys are read
    return SavedWeights(_model_tensors(state["state_dict"]), record, _trained_tokenizer(meta), folder)


def read_weights(path: str) -> SavedWeights:
    """The model weights of ``path`` (module docstring) on the CPU.

    Raises:
        ConfigError: not a polytrain checkpoint, sharded folder or imported folder; one line.
        FileNotFoundError: nothing at ``path``.
    """
    if os.path.isdir(path):
        imported = os.path.join(path, IMPORTED_WEIGHTS)
        if os.path.isfile(imported):
            checkpoint = load_checkpoint(imported)
            return SavedWeights(_model_tensors(checkpoint["state_dict"]), checkpoint.get("polytrain") or {},
                                os.path.join(path, IMPORTED_TOKENIZER), path)
        problem = sharded_folder_problem(path)
        if problem is not None:
            raise ConfigError(f"model.init_from {path}: neither an imported folder ({IMPORTED_WEIGHTS}) nor a "
                              f"complete sharded checkpoint ({problem})")
        return _read_sharded(path)
    if "://" not in path and not os.path.exists(path):
        raise FileNotFoundError(f"model.init_from: {path} not found")
    checkpoint = load_checkpoint(path)
    state = _model_tensors(checkpoint.get("state_dict") or {})
    if not state:
        raise ConfigError(f"model.init_from {path}: no model.* weights in it (not a polytrain checkpoint)")
    return SavedWeights(state, checkpoint.get("polytrain") or {}, _trained_tokenizer(checkpoint), path)


def check_architecture(saved: SavedWeights, config: ModelConfig, vocab_size: int) -> None:
    """Refuse weights of another shape in one line naming every field that differs (vocabulary excepted)."""
    if not saved.record.get("architecture"):
        raise ConfigError(f"model.init_from {saved.source}: it records no architecture (not written by polytrain)")
    # Token rows are the tokenizer's business (checked on their own); padding rows are fresh either way.
    changed = [c for c in shape_changes(saved.record["architecture"], config, vocab_size) if not c.startswith("vocab_rows")]
    if changed:
        raise ConfigError(f"model.init_from {saved.source} is of another model.architecture ({', '.join(changed)}); "
                          "use its architecture (an imported folder has it in model.yaml)")


def saved_tokenizer(saved: SavedWeights, vocab: Vocab) -> tuple[Tokenizer, Vocab] | None:
    """The tokenizer the weights were trained with, when the run's tokenizer is another file; checked.

    Returns:
        ``None`` for the same file; else the saved tokenizer and its ``Vocab``.

    Raises:
        ConfigError: the saved tokenizer is unknown or changed, or the run's tokenizer does not
            extend it (an old id that means another token, or fewer tokens).
    """
    sha = saved.record.get("tokenizer_sha256")
    if sha == vocab.sha256:
        return None
    where = f"model.init_from {saved.source} was trained with tokenizer sha256 {str(sha)[:12]}"
    if not saved.tokenizer or "://" not in saved.tokenizer and not os.path.isfile(saved.tokenizer):
        raise ConfigError(f"{where}, the run's has {vocab.sha256[:12]}; to extend that tokenizer its file "
                          f"is needed and {saved.tokenizer!r} is not there")
    tokenizer, base = load_vocab(saved.tokenizer)
    if base.sha256 != sha:
        raise ConfigError(f"{where}, but {saved.tokenizer} now has sha256 {base.sha256[:12]}: it changed since")
    if base.size >= vocab.size:
        raise ConfigError(f"{where} ({base.size} tokens); the run's tokenizer ({vocab.size} tokens) is another "
                          "one, not an extension (polytrain tokenizer extend appends tokens)")
    return tokenizer, base


def check_extension(base: Tokenizer, base_vocab: Vocab, new: Tokenizer) -> None:
    """Every id of ``base`` must be the same token in ``new``; one line naming the first that is not."""
    for idx in range(base_vocab.size):
        old, now = base.id_to_token(idx), new.id_to_token(idx)
        if old != now:
            raise ConfigError(f"the run's tokenizer does not extend the one the weights were trained with: id {idx} "
                              f"is {old!r} there and {now!r} here (polytrain tokenizer extend keeps every old id)")


def piece_sources(base: Tokenizer, base_vocab: Vocab, new: Tokenizer, vocab: Vocab) -> list[list[int]]:
    """For each new id ``base.size .. vocab.size - 1``: the ordinary old ids of its segmentation by the
    saved tokenizer's model (``▁`` pieces as they are, without normalisation or pre-tokenisation);
    empty for a new special token or language tag, or a piece made only of ``<unk>``."""
    sources = []
    for idx in range(base_vocab.size, vocab.size):
        piece = new.id_to_token(idx)
        if vocab.special[idx] or piece is None:
            sources.append([])
            continue
        ids = [t.id for t in base.model.tokenize(piece)]
        sources.append([i for i in ids if 0 <= i < base_vocab.size and not base_vocab.special[i]])
    return sources


def _new_rows(old: torch.Tensor, sources: list[list[int]], fallback: torch.Tensor, how: NewRowInit,
              std: float, generator: torch.Generator) -> torch.Tensor:
    """(len(sources), *old.shape[1:]): the mean of ``old[ids]`` per new token, ``fallback`` without ids,
    or N(0, std) rows (zeros for a 1-D bias) with ``how="random"``."""
    shape = (len(sources), *old.shape[1:])
    if how == "random":
        if old.dim() == 1:
            return old.new_zeros(shape)
        return torch.randn(shape, generator=generator, dtype=old.dtype).mul_(std)
    return torch.stack([old[ids].mean(0) if ids else fallback for ids in sources]) if sources else old.new_zeros(shape)


def _grow(old: torch.Tensor, current: torch.Tensor, base_size: int, new: torch.Tensor) -> torch.Tensor:
    """``current`` (the fresh model's tensor, its padding rows kept) with the old rows, then ``new``."""
    out = current.detach().clone()
    out[:base_size] = old[:base_size]
    out[base_size:base_size + len(new)] = new
    return out


def warm_state(saved: SavedWeights, model: nn.Module, config: ModelConfig, vocab: Vocab, tokenizer: Tokenizer,
               how: NewRowInit = "mean", generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The state dict that starts ``model`` (built for ``vocab``) from ``saved``, checked.

    Args:
        saved: ``read_weights`` of the source.
        model: the freshly built model (its own tensors fill the padding rows).
        config: its architecture.
        vocab, tokenizer: the run's tokenizer.
        how: initialisation of new token and language rows (module docstring).
        generator: randomness of ``how="random"``.

    Raises:
        ConfigError: another architecture, a tokenizer that does not extend the saved one, or
            a tensor with an unexpected shape; one line.
    """
    check_architecture(saved, config, vocab.size)
    current = model.state_dict()
    extension = saved_tokenizer(saved, vocab)
    state = dict(saved.state)
    generator = generator or torch.Generator().manual_seed(0)
    base_size, sources, ordinary = vocab.size, [], torch.ones(vocab.size, dtype=torch.bool)
    if extension is not None:
        base, base_vocab = extension
        check_extension(base, base_vocab, tokenizer)
        base_size, sources = base_vocab.size, piece_sources(base, base_vocab, tokenizer, vocab)
        ordinary = ~torch.from_numpy(base_vocab.special)
    for key in _TOKEN_ROWS:  # old rows kept, new rows initialised, padding rows (if any) the fresh model's
        if key in state:
            old = state[key][:base_size]
            rows = _new_rows(old, sources, old[ordinary].mean(0), how, config.init_std, generator)
            state[key] = _grow(old, current[key], base_size, rows)
    if _LANG_ROWS in state:
        state[_LANG_ROWS] = _language_rows(state[_LANG_ROWS], saved.record.get("languages") or [], vocab, how,
                                           config.init_std, generator)
    for key, value in current.items():
        if key not in state or state[key].shape != value.shape:
            got = "missing" if key not in state else f"of shape {tuple(state[key].shape)}"
            raise ConfigError(f"model.init_from {saved.source}: {key} is {got}, the model needs {tuple(value.shape)}")
    return state


def _language_rows(old: torch.Tensor, old_langs: list[str], vocab: Vocab, how: NewRowInit, std: float,
                   generator: torch.Generator) -> torch.Tensor:
    """Language-embedding rows in the run's language order: each old language keeps its row."""
    if list(vocab.languages) == list(old_langs) or not old_langs:  # unchanged, or unknown: shapes are checked
        return old
    new = [lang for lang in vocab.languages if lang not in old_langs]
    fresh = dict(zip(new, _new_rows(old, [list(range(len(old_langs)))] * len(new), old.mean(0), how, std, generator)))
    return torch.stack([old[old_langs.index(lang)] if lang in old_langs else fresh[lang] for lang in vocab.languages])
