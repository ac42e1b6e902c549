"""``polytrain inspect``: the command. Reads the objectives as training configs give them, then shows
each one's examples (``render``) and achieved statistics (``stats``) over the stream's samples
(``samples``).

Objectives are named and expanded exactly as ``polytrain fit`` does (``polytrain.cli``'s
``expand_objective_names``: entry-point names, moved classes, misspelled names refused), and a
refused value is reported as the CLI reports it (``polytrain.errors.config_error_line``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import yaml
from jsonargparse import ArgumentParser, Namespace

from polytrain.config_files import resolve as resolve_config
from polytrain.errors import ConfigError, config_error_line
from polytrain.inspect.samples import iter_examples
from polytrain.objectives import Objective, Vocab
from polytrain.shards.manifest import Manifest, Split
from polytrain.shards.vocab import check_languages, load_vocab

if TYPE_CHECKING:  # the stream, torch and Lightning load when examples are made, not for --help
    from polytrain.inspect.render import Renderer

PROG = "polytrain inspect"


def _instantiate(parser: ArgumentParser, cfg: Namespace) -> Namespace:
    # ``instantiate`` replaced ``instantiate_classes`` in jsonargparse 4.49 (the old name warns).
    instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes
    return instantiate(cfg)


@dataclass
class Configured:
    """One objective to inspect: the instance and the ``class_path`` / ``init_args`` it came from."""

    objective: Objective
    class_path: str
    init_args: dict[str, Any]


def _configured(parser: ArgumentParser, cfg: Namespace, where: str) -> Configured:
    """Instantiate ``cfg.objective`` (a ``{class_path, init_args}`` namespace); errors name ``where``."""
    try:
        objective = _instantiate(parser, cfg).objective
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{where}: {config_error_line(str(err))}") from None
    init = cfg.objective.get("init_args")
    return Configured(objective, cfg.objective.class_path, init.as_dict() if isinstance(init, Namespace) else {})


def objectives_from_config(items: Any, where: str, names: dict[str, str]) -> list[Configured]:
    """Instantiate a config's ``model.objectives`` list with jsonargparse, as LightningCLI does (names
    expanded by ``polytrain.cli.expand_objective_names``)."""
    from polytrain.cli import expand_objective_names

    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: model.objectives must be a non-empty list of {{class_path, init_args}}")
    try:
        items = expand_objective_names({"objectives": items}, names)["objectives"]
    except ConfigError as err:
        raise ConfigError(f"{where}: model.{err}") from None
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--objective", type=Objective)
    out = []
    for i, item in enumerate(items):
        try:
            cfg = parser.parse_object({"objective": item})
        except Exception as err:  # noqa: BLE001  # jsonargparse raises ArgumentError or plain ValueError
            raise ConfigError(f"{where}: model.objectives[{i}]: {config_error_line(str(err))}") from None
        out.append(_configured(parser, cfg, f"{where}: model.objectives[{i}]"))
    return out


def read_configs(paths: Sequence[str]) -> tuple[Any, str, dict[str, Any]]:
    """``(model.objectives, the file that set it, data defaults)`` from training config files.

    Later files override earlier ones, as with ``polytrain fit -c a.yaml -c b.yaml``. The data
    defaults are ``shards``, ``tokenizer``, ``max_length`` and ``seed`` (``seed_everything``).
    """
    items, source, data = None, "", {}
    for given in paths:
        path = resolve_config(given)  # a file, or a shipped config's name (-c objective/mlm)
        try:
            with open(path, encoding="utf-8") as f:
                cfg = yaml.safe_load(f) or {}
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from None
        if not isinstance(cfg, dict):
            raise ConfigError(f"{path}: a config is a YAML mapping, got {type(cfg).__name__}")
        model, section = cfg.get("model") or {}, cfg.get("data") or {}
        if isinstance(model, dict) and "objectives" in model:
            items, source = model["objectives"], path
        if isinstance(section, dict):
            data.update({k: section[k] for k in ("shards", "tokenizer", "max_length", "seed") if k in section})
        if cfg.get("seed_everything") is not None:
            data["seed"] = cfg["seed_everything"]
    return items, source, data


@dataclass
class Data:
    """The shards and tokenizer an inspection reads."""

    manifest: Manifest
    tokenizer: str
    """Path or URL of ``tokenizer.json``."""
    vocab: Vocab
    renderer: Renderer


def inspect_objective(item: Configured, data: Data, *, split: Split, seed: int, lang: str | None,
                      num_examples: int, stats_samples: int) -> dict[str, Any]:
    """Show ``num_examples`` examples and tally ``max(num_examples, stats_samples)`` (already set up)."""
    from polytrain.inspect.render import describe
    from polytrain.inspect.stats import Tally
    from polytrain.shards.reader import StreamStats

    obj = item.objective
    sentinels = getattr(obj, "sentinel_ids", None)
    sentinels = sentinels if isinstance(sentinels, range) and len(sentinels) else None
    # T5-style sentinels count down from the top of their range: <extra_id_0> is the highest id.
    renderer = data.renderer.with_names({i: f"<extra_id_{sentinels.stop - 1 - i}>" for i in sentinels or ()})
    tally, read_stats, shown = Tally(), StreamStats(), []
    pairs = iter_examples(obj, data.manifest, data.tokenizer, split=split, seed=seed, lang=lang, stats=read_stats)
    for i, (sample, example) in enumerate(islice(pairs, max(num_examples, stats_samples))):
        if i < num_examples:
            shown.append(describe(sample, example, renderer))
        tally.add(obj, sample, example)
    return {
        "name": obj.name, "class_path": item.class_path, "init_args": item.init_args,
        "model_kind": obj.model_kind, "data_kind": obj.data_kind,
        "split": split, "seed": seed, "max_length": obj.max_length, "lang": lang,
        "examples": shown,
        "stats": {
            "examples": tally.counts["examples"], "requested": max(num_examples, stats_samples),
            "languages": dict(sorted(tally.langs.items())), "counts": dict(sorted(tally.counts.items())),
            **tally.report(),
        },
        "skipped": {k: v for k, v in sorted(read_stats.totals.items()) if ":" not in k},
    }


# -------------------------------------------------------------------------------------------- main
def build_parser() -> ArgumentParser:
    """The ``polytrain inspect`` parser; ``--objective`` takes any ``Objective`` subclass."""
    parser = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0], exit_on_error=False)
    parser.add_subclass_arguments(Objective, "objective", required=False,
                                  help="the objective, as in configs: CLASS [--objective.init_args.X V] or "
                                       "{class_path: ..., init_args: ...}")
    parser.add_argument("-c", "--config", type=str, action="append", default=[],
                        help="training config file(s); inspects each of model.objectives and takes data.shards, "
                             "data.tokenizer, data.max_length and seed_everything as defaults")
    parser.add_argument("--shards", type=str | None, default=None, help="manifest.json (path or URL) or its folder")
    parser.add_argument("--tokenizer", type=str | None, default=None, help="tokenizer.json (path or URL)")
    parser.add_argument("--split", type=Split, default="val", help="val: the examples validation makes")
    parser.add_argument("-n", "--num-examples", type=int, default=3, help="examples to show")
    parser.add_argument("--stats-samples", type=int, default=500, help="examples the statistics are computed over")
    parser.add_argument("--max-length", type=int | None, default=None, help="model input length (default 128)")
    parser.add_argument("--seed", type=int | None, default=None, help="data seed (default 0)")
    parser.add_argument("--lang", type=str | None, default=None, help="only this language (mono) or pair (parallel)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    return parser


def _expand_argv(argv: list[str], names: dict[str, str]) -> list[str]:
    """Let a registered name (``mlm``) stand for its class path in ``--objective``'s value."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--objective" and i + 1 < len(out):
            out[i + 1] = _expand_value(out[i + 1], names)
        elif arg.startswith("--objective="):
            out[i] = "--objective=" + _expand_value(arg.partition("=")[2], names)
    return out


def _expand_value(value: str, names: dict[str, str]) -> str:
    """``--objective``'s value with a registered name expanded, as ``polytrain fit`` expands configs."""
    from polytrain.cli import expand_objective_names

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    item = parsed if isinstance(parsed, dict) else {"class_path": parsed} if isinstance(parsed, str) else None
    if item is None:
        return value
    expanded = expand_objective_names({"objectives": [item]}, names)["objectives"][0]
    if isinstance(parsed, str):
        return str(expanded["class_path"])
    return json.dumps(expanded) if expanded != parsed else value


def _load_data(shards: str | None, tokenizer: str | None) -> Data:
    from polytrain.inspect.render import Renderer

    if not shards:
        raise ConfigError("--shards is required (or data.shards in a --config file)")
    if not tokenizer:
        raise ConfigError("--tokenizer is required (or data.tokenizer in a --config file)")
    try:
        manifest = Manifest.load(shards)
        loaded, vocab = load_vocab(tokenizer)
    except (OSError, ValueError) as err:
        raise ConfigError(config_error_line(str(err))) from None
    return Data(manifest, tokenizer, vocab, Renderer(loaded, vocab))


def _prepare(item: Configured, manifest: Manifest, vocab: Vocab, max_length: int, split: str, lang: str | None) -> None:
    """``setup`` the objective and check that the shards it reads exist (one line if not)."""
    obj = item.objective
    try:
        obj.setup(vocab, max_length)
    except ValueError as err:
        raise ConfigError(config_error_line(str(err))) from None
    kind, where = obj.data_kind, manifest.location
    shards = manifest.shards(kind, split)
    if not shards:
        raise ConfigError(f"{where}: objective {obj.name!r} ({item.class_path}) reads {kind} data, but the manifest "
                           f"has no {kind} {split} shards")
    if lang is not None and lang not in {s.lang for s in shards}:
        raise ConfigError(f"{where}: no {kind} {split} shards for {lang!r} (it has "
                           f"{', '.join(sorted({s.lang for s in shards}))})")
    langs = {x for s in shards for x in s.text_languages}
    try:
        check_languages(vocab, sorted(langs), str(where))
    except ValueError as err:
        raise ConfigError(str(err)) from None


def _run(argv: list[str] | None) -> int:
    from polytrain.registry import objectives, short_name

    parser = build_parser()
    raw = sys.argv[1:] if argv is None else argv
    if any(arg in ("-h", "--help") for arg in raw):  # before the plugins (and torch) are imported
        parser.print_help()
        return 0
    from polytrain.inspect.render import print_report

    names = {name: entry.class_path for name, entry in objectives().items()}  # imports every plugin class
    try:
        args = parser.parse_args(_expand_argv(list(raw), names))
    except SystemExit as stop:  # --help
        return stop.code if isinstance(stop.code, int) else 0
    except Exception as err:  # noqa: BLE001  # jsonargparse raises ArgumentError or plain ValueError
        raise ConfigError(config_error_line(str(err))) from None
    items, source, data = read_configs(args.config)
    if args.objective is not None:
        chosen = [_configured(parser, Namespace(objective=args.objective), "--objective")]
    elif items is not None:
        chosen = objectives_from_config(items, source, names)
    else:
        raise ConfigError("give --objective CLASS or a --config file with model.objectives")
    for checks in (("--num-examples", args.num_examples, 0), ("--stats-samples", args.stats_samples, 0)):
        if checks[1] < checks[2]:
            raise ConfigError(f"{checks[0]} must be >= {checks[2]}, got {checks[1]}")
    loaded = _load_data(args.shards or data.get("shards"), args.tokenizer or data.get("tokenizer"))
    max_length = int(args.max_length if args.max_length is not None else data.get("max_length", 128))
    seed = int(args.seed if args.seed is not None else data.get("seed", 0))
    reports = []
    for item in chosen:
        item.objective.name = short_name(type(item.objective))
        _prepare(item, loaded.manifest, loaded.vocab, max_length, args.split, args.lang)
        reports.append(inspect_objective(item, loaded, split=args.split, seed=seed, lang=args.lang,
                                         num_examples=args.num_examples, stats_samples=args.stats_samples))
    location = loaded.manifest.location
    if args.json:
        print(json.dumps({"shards": location, "objectives": reports}, ensure_ascii=False))
    else:
        for i, report in enumerate(reports):
            if i:
                print("\n")
            print_report(report, str(location))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``polytrain inspect``: 0 on success, 2 with one error line on bad input."""
    try:
        return _run(argv)
    except ConfigError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
