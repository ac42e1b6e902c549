"""``polytrain export hf``: a training checkpoint -> a Hugging Face model folder (``export.hf.save_hf``).

The checkpoint (a file, or FSDP2's sharded folder, consolidated first) is loaded with
``weights_only=True`` (``PretrainModule.load_from_checkpoint``). The architecture and objectives
come from its hyper-parameters, the tokenizer from the path it was trained with (``--tokenizer``
when that file has moved; its sha256 must match the checkpoint's).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch

from polytrain.errors import ConfigError

PROG = "polytrain export hf"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="a .ckpt written by polytrain fit: a file (path or URL) or FSDP's sharded folder")
    p.add_argument("--out", required=True, type=Path, help="the folder to write (created if missing)")
    p.add_argument("--tokenizer", default=None,
                   help="the training tokenizer.json, if it is no longer where the checkpoint says")
    p.add_argument("--lang", default=None,
                   help="mBART layout only: the language tag the exported tokenizer appends (X </s> <lang:xx>)")
    return p.parse_args(argv)


def consolidate(folder: str, out: str) -> str:
    """Write the sharded (DCP) checkpoint ``folder`` as one Lightning checkpoint file ``out``.

    Lightning's ``ModelParallelStrategy`` saves the model and optimizer states as DCP shards and
    everything else (hyper-parameters, step, callbacks) in ``meta.pt``; this joins the model
    state to ``meta.pt`` (optimizer states are not needed for export). DCP reads its ``.metadata``
    with plain pickle: consolidate only folders you trust (docs/reliability.md).

    Raises:
        ConfigError: ``folder`` is not a complete sharded checkpoint.
    """
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    from polytrain.checkpoint import load_checkpoint

    missing = [name for name in ("meta.pt", ".metadata") if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise ConfigError(f"{folder} is a folder but not a complete sharded checkpoint (no {', '.join(missing)})")
    checkpoint = load_checkpoint(os.path.join(folder, "meta.pt"))
    dcp_to_torch_save(folder, out)
    checkpoint["state_dict"] = load_checkpoint(out)["state_dict"]
    torch.save(checkpoint, out)
    return out


def export(args: argparse.Namespace) -> Path:
    """Load ``args.checkpoint`` and write the HF folder; returns it.

    Raises:
        ConfigError: a sharded checkpoint folder, or a model or option the export cannot express.
    """
    from polytrain.export.hf import save_hf
    from polytrain.module import PretrainModule

    try:
        import transformers  # noqa: F401
    except ImportError as err:
        raise ConfigError("export needs transformers: pip install 'polytrain[hf]'") from err

    overrides = {"tokenizer": args.tokenizer} if args.tokenizer else {}
    with tempfile.TemporaryDirectory() as scratch:
        path = args.checkpoint
        if os.path.isdir(path):  # FSDP2's sharded checkpoint: consolidate it into one file first
            path = consolidate(path, os.path.join(scratch, "consolidated.ckpt"))
        module = PretrainModule.load_from_checkpoint(path, map_location="cpu", **overrides)
    assert module.model is not None
    # Denoising's layout decides the tokenizer's template (mBART: X </s> <lid>; BART: <s> X </s>).
    add_lang_token = all(getattr(o, "add_lang_token", True) for o in module.objectives)
    try:
        return save_hf(module.model, module.architecture, module.vocab, module.tokenizer_path, args.out,
                       lang=args.lang, add_lang_token=add_lang_token)
    except (ValueError, KeyError) as err:  # e.g. lang for an encoder, a language without a tag
        raise ConfigError(str(err).strip("'\"")) from err


def main(argv: list[str] | None = None) -> int:
    """``polytrain export hf``: 0 on success, 2 with one error line on bad input."""
    args = parse(argv)
    try:
        out = export(args)
    except (ConfigError, FileNotFoundError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {out} (AutoModelForMaskedLM / MBartForConditionalGeneration and AutoTokenizer load it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
