"""``polytrain export hf`` and ``polytrain import hf``: the two commands between polytrain and transformers.

``export hf``: a training checkpoint -> a Hugging Face model folder (``polytrain.hf.export.save_hf``).
The checkpoint (a file, or FSDP2's sharded folder: ``load_sharded``) is loaded with
``weights_only=True`` (``PretrainModule.load_from_checkpoint``). The architecture and objectives
come from its hyper-parameters, the tokenizer from the path it was trained with (``--tokenizer``
when that file has moved; its sha256 must match the checkpoint's).

``import hf``: a transformers XLM-R / mBART folder -> weights, tokenizer and config fragment that
``polytrain fit --model.init_from`` starts from (``polytrain.hf.importer.import_hf``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polytrain.errors import ConfigError

if TYPE_CHECKING:
    from polytrain.module import PretrainModule

PROG = "polytrain export hf"
IMPORT_PROG = "polytrain import hf"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True,
                   help="a .ckpt written by polytrain fit: a file (path or URL) or FSDP's sharded folder")
    p.add_argument("--out", required=True, type=Path, help="the folder to write (created if missing)")
    p.add_argument("--tokenizer", default=None,
                   help="the training tokenizer.json, if it is no longer where the checkpoint says")
    p.add_argument("--lang", default=None,
                   help="mBART layout only: the language tag the exported tokenizer appends (X </s> <lang:xx>)")
    return p.parse_args(argv)


def load_sharded(folder: str, **overrides: Any) -> PretrainModule:
    """The ``PretrainModule`` of an FSDP2 sharded checkpoint ``folder``, with its full weights on the CPU.

    Lightning's ``ModelParallelStrategy`` saves the model and optimizer states as DCP shards and
    everything else (hyper-parameters, step, callbacks) in ``meta.pt``. The module is built from
    ``meta.pt`` and only its own tensors are read from the shards: no optimizer state, no full copy
    on disk. DCP reads the folder's ``.metadata`` with plain pickle: it is checked first
    (``checkpoint.io.dcp_metadata_problem``, docs/reliability.md).

    Raises:
        ConfigError: ``folder`` is not a complete sharded checkpoint.
    """
    import torch
    import torch.distributed.checkpoint as dcp

    from polytrain.checkpoint.io import SHARDED_META, load_checkpoint
    from polytrain.checkpoint.resume import sharded_folder_problem
    from polytrain.module import PretrainModule

    from polytrain.callbacks.checkpoint import tokenizer_for

    problem = sharded_folder_problem(folder)
    if problem is not None:
        raise ConfigError(f"{folder}: {problem}")
    if "tokenizer" not in overrides and (copy := tokenizer_for(folder)) is not None:
        overrides = {**overrides, "tokenizer": copy}  # the temporary meta-only file below has no run next to it
    checkpoint = load_checkpoint(os.path.join(folder, SHARDED_META))
    checkpoint["state_dict"] = {}  # the weights come from the shards below
    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*missing_keys|.*Found keys")  # strict=False: all are missing
        meta_only = os.path.join(scratch, "meta.ckpt")
        torch.save(checkpoint, meta_only)
        module = PretrainModule.load_from_checkpoint(meta_only, map_location="cpu", strict=False, **overrides)
    state = {"state_dict": module.state_dict()}
    dcp.load(state, checkpoint_id=folder)  # in place, into the module's own tensors
    module.load_state_dict(state["state_dict"])
    return module


def export(args: argparse.Namespace) -> Path:
    """Load ``args.checkpoint`` and write the HF folder; returns it.

    Raises:
        ConfigError: a sharded checkpoint folder, or a model or option the export cannot express.
    """
    from polytrain.hf.export import save_hf
    from polytrain.module import PretrainModule

    _needs_transformers()
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ConfigError(f"--out {args.out} is a file; give a folder (new, or an export to replace)")
    overrides = {"tokenizer": args.tokenizer} if args.tokenizer else {}
    if os.path.isdir(args.checkpoint):  # FSDP2's sharded checkpoint
        module = load_sharded(args.checkpoint, **overrides)
    else:
        module = PretrainModule.load_from_checkpoint(args.checkpoint, map_location="cpu", **overrides)
    assert module.model is not None
    # Denoising's layout decides the tokenizer's template (mBART: X </s> <lid>; BART: <s> X </s>).
    add_lang_token = all(getattr(o, "add_lang_token", True) for o in module.objectives)
    if module.architecture.kind == "encoder_decoder" and add_lang_token and args.lang is None:
        print(f"{PROG}: warning: the model was trained on 'X </s> <lang:xx>' inputs and starts its decoder with "
              "<lang:xx>; without --lang the exported tokenizer writes 'X </s>' and config.json sets no "
              "decoder_start_token_id: add the tag yourself (docs/models.md)", file=sys.stderr)
    try:
        return save_hf(module.model, module.architecture, module.vocab, module.tokenizer_path, args.out,
                       lang=args.lang, add_lang_token=add_lang_token)
    except (ValueError, KeyError) as err:  # e.g. lang for an encoder, a language without a tag
        raise ConfigError(str(err).strip("'\"")) from err


def _needs_transformers() -> None:
    try:
        import transformers  # noqa: F401
    except ImportError as err:
        raise ConfigError("this command needs transformers: pip install 'polytrain[hf]'") from err


def export_main(argv: list[str] | None = None) -> int:
    """``polytrain export hf``: 0 on success, 2 with one error line on bad input."""
    args = parse(argv)
    try:
        out = export(args)
    except (ConfigError, FileNotFoundError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    written = json.loads((out / "config.json").read_text(encoding="utf-8"))["architectures"][0]
    print(f"{PROG}: wrote {out}: {written} and its tokenizer ({written}.from_pretrained and "
          "AutoTokenizer.from_pretrained load them)")
    return 0


def import_main(argv: list[str] | None = None) -> int:
    """``polytrain import hf``: 0 on success, 2 with one error line on bad input or a refused model."""
    p = argparse.ArgumentParser(prog=IMPORT_PROG, description="Convert a local transformers XLM-R or mBART folder "
                                "(save_pretrained) into weights, tokenizer and config fragment for polytrain fit.")
    p.add_argument("--model", required=True, type=Path, help="the folder save_pretrained wrote (with tokenizer.json)")
    p.add_argument("--out", required=True, type=Path, help="the folder to write (created if missing)")
    args = p.parse_args(argv)
    from polytrain.hf.importer import CHECKPOINT, FRAGMENT, TOKENIZER, import_hf  # torch: not for --help

    try:
        _needs_transformers()
        imported = import_hf(args.model, args.out)
    except (ConfigError, FileNotFoundError) as err:
        print(f"{IMPORT_PROG}: error: {err}", file=sys.stderr)
        return 2
    for note in imported.notes:
        print(f"{IMPORT_PROG}: warning: {note}", file=sys.stderr)
    arch, vocab, out = imported.architecture, imported.vocab, imported.out
    print(f"{IMPORT_PROG}: {arch.hf_class} -> {out}/{CHECKPOINT} ({arch.config.kind}, d_model {arch.config.d_model}, "
          f"{arch.config.n_layers} layers), {out}/{TOKENIZER} ({vocab.size} tokens, "
          f"{len(vocab.languages)} language tags), {out}/{FRAGMENT}")
    print(f"start from it: polytrain fit -c configs/base.yaml -c {out}/{FRAGMENT} -c configs/objective/... "
          f"--data.shards ... --data.tokenizer {out}/{TOKENIZER} --model.init_from {out}")
    return 0
