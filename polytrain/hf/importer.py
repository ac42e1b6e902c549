"""Import from Hugging Face ``transformers``: an XLM-R or mBART folder -> what ``polytrain fit`` starts from.

The folder is what ``save_pretrained`` writes (``config.json``, ``model.safetensors`` or
``pytorch_model.bin``, ``tokenizer.json``); nothing is downloaded. ``transformers`` reads the
weights (its own loader handles sharded files, legacy names and tied keys; ``.bin`` files are read
with ``weights_only=True``), ``polytrain.hf.config`` turns ``config.json`` into a ``ModelConfig``
and ``polytrain.hf.mapping`` renames the tensors with the table export uses. The output folder:

- ``model.ckpt``: the weights as a polytrain checkpoint (``state_dict`` under ``model.*`` and the
  ``polytrain`` record: architecture, tokenizer sha256), loaded by ``--model.init_from``; it holds
  no optimizer or step, so ``--ckpt_path`` refuses it.
- ``tokenizer.json``: the model's own tokenizer, byte for byte (``--data.tokenizer``).
- ``model.yaml``: the ``model.architecture`` fragment that rebuilds the network (``-c``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import yaml

from polytrain import __version__
from polytrain.shards.vocab import load_vocab
from polytrain.hf.config import ImportedArchitecture, ImportRefused, model_config_from_hf
from polytrain.hf.mapping import XLMR_BODY_PREFIX, XLMR_HEAD, from_hf_state_dict
from polytrain.models import build_model
from polytrain.types import Vocab

CHECKPOINT = "model.ckpt"
TOKENIZER = "tokenizer.json"
FRAGMENT = "model.yaml"
_DROPPED = ("pooler.",)
"""HF tensors an MLM does not use: ``XLMRobertaModel``'s sentence pooler (named in a note)."""


@dataclass
class Imported:
    """What ``import_hf`` wrote."""

    out: Path
    architecture: ImportedArchitecture
    vocab: Vocab
    notes: list[str]
    """What was not imported or initialised here (printed as warnings)."""


def read_config(folder: Path) -> dict:
    """``folder/config.json`` as a dict; one line if the folder or the file is missing."""
    if not folder.is_dir():
        raise ImportRefused(f"{folder} is not a folder: give the folder save_pretrained wrote (nothing is downloaded)")
    path = folder / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportRefused(f"{path} not found: not a transformers model folder") from None
    except json.JSONDecodeError as err:
        raise ImportRefused(f"{path}: not JSON ({err})") from None


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """transformers prints a load report and progress bars; polytrain reports what matters itself."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


def load_hf_state(folder: Path, hf_class: str, optional: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
    """The fp32 state dict of the ``hf_class`` model saved in ``folder``, read by transformers.

    Args:
        folder: a local ``save_pretrained`` folder.
        hf_class: ``transformers`` class name (``architectures[0]`` of its config).
        optional: HF name prefixes that may be missing from the files (initialised by the caller).

    Raises:
        ImportRefused: no weights file, an unsafe or corrupt file, or a tensor the class has that
            the files lack (transformers would initialise it at random).
    """
    import pickle

    import transformers

    cls = getattr(transformers, hf_class)
    try:
        with _quiet_transformers():
            model, info = cls.from_pretrained(folder, local_files_only=True, weights_only=True, dtype=torch.float32,
                                              output_loading_info=True, use_safetensors=None)
    except pickle.UnpicklingError as err:
        first = next((line for line in str(err).splitlines()[1:] if "global" in line.lower()), "not plain data")
        raise ImportRefused(f"{folder}: refused to unpickle the weights ({first.strip()}); "
                            "polytrain reads .bin files only with weights_only=True") from None
    except (OSError, ValueError, RuntimeError) as err:
        raise ImportRefused(f"{folder}: transformers could not read the weights ({str(err).splitlines()[0]})") from None
    missing = sorted(k for k in info["missing_keys"] if not k.startswith(optional))
    if missing:
        raise ImportRefused(f"{folder}: the weights lack {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} "
                            f"({len(missing)} of {hf_class}'s tensors); refusing to initialise them at random")
    absent = set(info["missing_keys"])
    return {k: v for k, v in model.state_dict().items() if k not in absent}


def _record(imported: ImportedArchitecture, vocab: Vocab, folder: Path, raw: dict) -> dict:
    """The checkpoint's ``polytrain`` record (as ``PretrainModule.on_save_checkpoint`` writes it)."""
    return {"version": __version__, "tokenizer_sha256": vocab.sha256, "vocab_size": vocab.size,
            "architecture": asdict(imported.config), "languages": list(vocab.languages),
            "imported_from": {"folder": str(folder.resolve()), "class": imported.hf_class,
                              "transformers_version": raw.get("transformers_version")}}


def _fragment(imported: ImportedArchitecture, folder: Path, out: Path) -> str:
    fields = {k: v for k, v in asdict(imported.config).items() if v is not None}
    body = yaml.safe_dump({"model": {"architecture": fields}}, sort_keys=False)
    return (f"# {imported.hf_class} from {folder.resolve()}, imported by polytrain import hf.\n"
            f"# Warm-start a run with: -c {out / FRAGMENT} --data.tokenizer {out / TOKENIZER} --model.init_from {out}\n"
            + body)


def import_hf(folder: str | Path, out: str | Path) -> Imported:
    """Convert the transformers folder ``folder`` into ``out`` (module docstring); returns what was written.

    Raises:
        ImportRefused: anything polytrain cannot represent exactly, before ``out`` is written.
    """
    folder, out = Path(folder), Path(out)
    raw = read_config(folder)
    tokenizer_path = folder / TOKENIZER
    if not tokenizer_path.is_file():
        raise ImportRefused(f"{tokenizer_path} not found: save the tokenizer into the folder too "
                            "(AutoTokenizer.from_pretrained(...).save_pretrained(folder))")
    _, vocab = load_vocab(str(tokenizer_path))
    try:
        imported = model_config_from_hf(raw, vocab.size, vocab.pad_id, len(vocab.languages))
    except ImportRefused as err:  # "config.json: ..." -> where that file is
        raise ImportRefused(f"{folder / str(err)}") from None
    bare = imported.hf_class == "XLMRobertaModel"
    hf_state = load_hf_state(folder, imported.hf_class, optional=_DROPPED if bare else ())
    try:
        state, unused = from_hf_state_dict(hf_state, imported.config, vocab.size, len(vocab.languages), vocab.pad_id,
                                           body_prefix="" if bare else XLMR_BODY_PREFIX,
                                           optional=XLMR_HEAD if bare else ())
    except ValueError as err:
        raise ImportRefused(f"{folder}: {err}") from None
    notes = list(imported.notes)
    dropped = sorted(k for k in unused if k.startswith(_DROPPED))
    if dropped:
        notes.append(f"not imported: {', '.join(dropped)} ({imported.hf_class}'s sentence pooler; an MLM has none)")
    unknown = sorted(set(unused) - set(dropped))
    if unknown:
        raise ImportRefused(f"{folder}: tensors polytrain has no place for: {', '.join(unknown[:5])}")
    model = build_model(imported.config, vocab.size, len(vocab.languages), vocab.pad_id)
    model.init_weights(torch.Generator().manual_seed(0))  # only what the HF model lacks keeps these values
    fresh = model.load_state_dict(state, strict=False).missing_keys
    if fresh:
        notes.append(f"initialised as polytrain initialises a new model: {', '.join(fresh)} "
                     f"({imported.hf_class} has no MLM head)")
    _write(out, model.state_dict(), _record(imported, vocab, folder, raw), tokenizer_path, _fragment(imported, folder, out))
    return Imported(out, imported, vocab, notes)


def _write(out: Path, state: dict[str, torch.Tensor], record: dict, tokenizer_path: Path, fragment: str) -> None:
    from polytrain.checkpoint.io import atomic_torch_save

    if out.exists() and not out.is_dir():
        raise ImportRefused(f"--out {out} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    atomic_torch_save({"state_dict": {f"model.{k}": v for k, v in state.items()}, "polytrain": record},
                      os.fspath(out / CHECKPOINT))
    (out / TOKENIZER).write_bytes(tokenizer_path.read_bytes())
    (out / FRAGMENT).write_text(fragment, encoding="utf-8")
