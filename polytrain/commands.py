"""The ``polytrain`` console script: which words run which command.

Only the module of the command that runs is imported. ``polytrain --help``, the ``--help`` of
every tool and the data preparation commands (``data shard``, ``tokenizer train``, ``configs``)
therefore start without torch or Lightning, in a fraction of a second instead of the ~4 s their
imports take (``tests/integration/test_cli_startup.py``). ``fit`` and ``validate`` are
LightningCLI's (``polytrain.cli``), whose ``--help`` is read from Lightning's ``Trainer``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from polytrain import __version__

TOOLS: dict[tuple[str, ...], tuple[str, str]] = {
    ("data", "shard"): ("polytrain.prepare.shard:main", "raw text/jsonl/tsv -> WebDataset tar shards + manifest.json"),
    ("data", "tokenize"): ("polytrain.prepare.tokens:main", "text shards -> token shards (uint16/uint32 ids, the stream's tokenization done once)"),
    ("tokenizer", "train"): ("polytrain.prepare.tokenizer:main", "train a multilingual Unigram/BPE tokenizer on shards"),
    ("tokenizer", "extend"): ("polytrain.prepare.tokenizer_extend:main",
                              "append pieces and tags for new languages to a tokenizer (old ids kept)"),
    ("configs", "list"): ("polytrain.config_files:list_main", "the config fragments shipped with polytrain"),
    ("configs", "show"): ("polytrain.config_files:show_main", "print a shipped config fragment (e.g. model/tiny)"),
    ("plugins", "list"): ("polytrain.plugins:main", "list objectives found through entry points, with provenance"),
    ("slurm",): ("polytrain.distributed.slurm:main", "render (and with --submit, submit) an sbatch script for polytrain fit with requeue"),
    ("demo",): ("polytrain.demo:main", "shard the bundled corpus, train a tokenizer and a tiny MLM on CPU"),
    ("inspect",): ("polytrain.inspect:main", "show corrupted examples of an objective next to the original text"),
    ("export", "hf"): ("polytrain.hf.command:export_main", "write a Hugging Face model folder from a checkpoint"),
    ("import", "hf"): ("polytrain.hf.command:import_main",
                       "convert a transformers XLM-R / mBART folder into weights, tokenizer and config to start from"),
    ("evaluate",): ("polytrain.evaluate.command:main", "judge a trained model: loss, retrieval, classify, translate"),
    ("report",): ("polytrain.evaluate.report:main", "plots and a markdown summary of a run folder"),
}
"""Subcommands that are not Trainer methods: words -> ("module:function(argv) -> exit code", help)."""

TRAINER_COMMANDS = {
    "fit": "train a model (polytrain fit -c base -c model/tiny -c objective/mlm ...)",
    "validate": "run validation on a checkpoint",
}
"""LightningCLI's subcommands, all run by ``TRAINER``. Not ``test``: pretraining has no test split
or test_step (``validate`` runs the held-out shards)."""
TRAINER = "polytrain.cli:main"

HELP = ("-h", "--help")


def usage() -> str:
    """``polytrain --help``: every command with one line."""
    lines = [f"polytrain {__version__}: multilingual MLM / TLM / denoising pretraining", "", "usage: polytrain COMMAND ...", ""]
    lines += [f"  {name:<18} {text}" for name, text in TRAINER_COMMANDS.items()]
    lines += [f"  {' '.join(words):<18} {text}" for words, (_, text) in TOOLS.items()]
    lines += ["", "Run 'polytrain COMMAND --help' for the options of a command."]
    return "\n".join(lines)


def group_usage(group: str) -> str:
    """``polytrain <group> --help`` for a word that only starts commands (``data``, ``tokenizer``, ...)."""
    lines = [f"usage: polytrain {group} COMMAND ...", ""]
    lines += [f"  {' '.join(words):<18} {text}" for words, (_, text) in TOOLS.items() if words[0] == group]
    lines += ["", f"Run 'polytrain {group} COMMAND --help' for the options of a command."]
    return "\n".join(lines)


def load(target: str) -> Callable[[list[str] | None], int]:
    """The function ``"module:function"`` names; imports that module only (the commands are data
    here: ``polytrain.cli`` hands other commands back to :func:`main` without an import cycle)."""
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def find_tool(argv: list[str]) -> tuple[Callable[[list[str] | None], int], list[str]] | None:
    """The function of the tool ``argv`` names and the arguments left for it, or ``None``."""
    for words, (target, _) in TOOLS.items():
        if tuple(argv[: len(words)]) == words:
            return load(target), argv[len(words):]
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``polytrain`` console script; returns the exit code."""
    from_sys = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in HELP:
        print(usage())
        return 0
    if argv[0] == "--version":
        print(__version__)
        return 0
    if argv[0] in TRAINER_COMMANDS:
        return load(TRAINER)(None if from_sys else argv)  # LightningCLI reads (and records) sys.argv itself
    tool = find_tool(argv)
    if tool is not None:
        func, rest = tool
        return func(rest)
    if any(words[0] == argv[0] and len(words) > 1 for words in TOOLS):  # a group word: data, tokenizer, ...
        if len(argv) > 1 and argv[1] in HELP:
            print(group_usage(argv[0]))
            return 0
        what = f"unknown command 'polytrain {argv[0]} {argv[1]}'" if len(argv) > 1 else "missing command"
        print(f"polytrain {argv[0]}: error: {what}\n\n{group_usage(argv[0])}", file=sys.stderr)
        return 2
    print(f"polytrain: error: unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
