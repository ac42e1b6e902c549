"""``polytrain inspect``: corrupted examples of any objective next to their text, and achieved statistics.

The objective is given as in training configs (``--objective CLASS --objective.init_args.X V``, a
``{class_path, init_args}`` JSON/YAML value, or ``-c CONFIG`` with ``model.objectives``), so built-in
and plugin objectives are inspected the same way. Samples come from the shards exactly as the stream
makes them (``read_shard``, the tokenizer, ``Packer``); examples come from ``make_example`` with the
stream's generators, so ``--split val`` shows the very examples validation scores. The full story,
with real output, is in docs/inspect.md.

Rendering (``polytrain.inspect_render``) and the statistics (``polytrain.inspect_stats``) are
separate modules; this one reads the samples and objectives and runs the command.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from jsonargparse import ArgumentParser, Namespace
from tokenizers import Tokenizer

from polytrain.config_files import resolve as resolve_config
from polytrain.errors import ConfigError
from polytrain.shards.manifest import Manifest, ShardInfo, Split
from polytrain.rng import make_rng
from polytrain.shards.vocab import (
    check_languages,
    read_tokenizer_file,
    vocab_from_tokenizer,
)
from polytrain.objectives.base import Objective
from polytrain.registry import unknown_objective
from polytrain.types import Example, TextPair, Vocab

if TYPE_CHECKING:  # the stream's modules (and torch, through webdataset) load when examples are made, not for --help
    from polytrain.shards.reader import StreamStats
    from polytrain.stream.dataset import Sample
    from polytrain.stream.packing import Packer

PROG = "polytrain inspect"
_TRAIN_SHUFFLE = 100
"""Documents per language held for shuffling with ``--split train`` (a peek, not a training run)."""


class InspectError(ValueError):
    """Bad input; the message is the one line printed after ``polytrain inspect: error:``."""


# ----------------------------------------------------------------------------------------- samples
def _encode(tokenizer: Tokenizer, texts: list[str]) -> list[np.ndarray]:
    """Token ids of ``texts`` without special tokens, as the stream encodes them."""
    return [np.asarray(e.ids, dtype=np.int64) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def _language(manifest: Manifest, tokenizer: Tokenizer, shards: list[ShardInfo], packer: Packer | None,
              split: Split, seed: int, stats: StreamStats) -> Iterator[Sample]:
    """Samples of one language (or pair); ``packer`` is ``None`` for parallel data.

    Val: shards in manifest order, each packed on its own and flushed (validation's blocks).
    Train: shards once each in a seeded order, documents shuffled, one packer for all of them.
    """
    from polytrain.shards.reader import read_shard
    from polytrain.stream.dataset import shuffle_buffer

    rng = make_rng(seed, "inspect", split, shards[0].lang)
    if split == "train":
        shards = [shards[int(i)] for i in rng.permutation(len(shards))]
    for shard in shards:
        docs: Iterator[Any] = read_shard(manifest.shard_url(shard), shard.kind, stats)
        if split == "train":
            docs = shuffle_buffer(docs, _TRAIN_SHUFFLE, rng)
        for doc in docs:
            if packer is None:
                src, tgt = _encode(tokenizer, [doc.texts["src.txt"], doc.texts["tgt.txt"]])
                if len(src) and len(tgt):
                    yield TextPair(doc.key, str(shard.src_lang), str(shard.tgt_lang), src, tgt)
            else:
                yield from packer.add(doc.key, shard.lang, _encode(tokenizer, doc.texts["txt"].split("\n")))
        if packer is not None and split == "val":
            yield from packer.flush()
    if packer is not None and split == "train":
        yield from packer.flush()


def iter_examples(objective: Objective, manifest: Manifest, tokenizer: Tokenizer, *, split: Split = "val",
                  seed: int = 0, lang: str | None = None,
                  stats: StreamStats | None = None) -> Iterator[tuple[Sample, Example]]:
    """``(sample, example)`` pairs of one objective, deterministic for a given ``seed``.

    Languages (or pairs) take turns, one sample each, in sorted order, until all run out. ``val``
    yields exactly the examples validation makes (same blocks, ``make_rng(seed, "val", key)``);
    ``train`` reads each train shard once (no resampling, no language mixture) and seeds examples
    like rank 0, worker 0 of training (``make_rng(seed, "example", 0, 0, key)``).

    Args:
        objective: already ``setup(vocab, max_length)``; mono blocks leave room for its added tokens.
        manifest: the shards (loaded from a file, so shard paths resolve).
        tokenizer: the tokenizer of ``objective``'s vocabulary.
        split: ``"val"`` or ``"train"``.
        seed: the run's data seed.
        lang: only this language (mono) or pair (parallel).
        stats: where skipped-data counters go (``read_shard``'s).
    """
    from polytrain.shards.reader import StreamStats
    from polytrain.stream.packing import packer_for

    stats = stats if stats is not None else StreamStats()
    shards = [s for s in manifest.shards(objective.data_kind, split) if lang is None or s.lang == lang]
    streams = {
        name: _language(manifest, tokenizer, [s for s in shards if s.lang == name],
                        packer_for(objective),
                        split, seed, stats)
        for name in sorted({s.lang for s in shards})
    }
    while streams:
        for name in list(streams):
            sample = next(streams[name], None)
            if sample is None:
                del streams[name]
                continue
            rng = make_rng(seed, "val", sample.key) if split == "val" else make_rng(seed, "example", 0, 0, sample.key)
            yield sample, objective.make_example(sample, rng)


# ------------------------------------------------------------------------------------- objectives
_NOISE = ("Does not validate against any of the Union subtypes", "Subtypes:", "Errors:",
          "Expected a <class 'NoneType'>", "Given value", "Expected a path but")


def one_line(err: BaseException) -> str:
    """jsonargparse's multi-line error as one line, without its union-type boilerplate."""
    lines = [line.strip().lstrip("-").strip() for line in str(err).splitlines()]
    return " ".join(line for line in lines if line and not line.startswith(_NOISE)) or type(err).__name__


def _expand_names(value: Any, names: dict[str, str]) -> Any:
    """``class_path: <registered name>`` (``mlm``) -> the class path, in a parsed config value."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict) and isinstance(value.get("class_path"), str):
        return {**value, "class_path": names.get(value["class_path"], value["class_path"])}
    return value


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
        raise InspectError(f"{where}: {one_line(err)}") from None
    init = cfg.objective.get("init_args")
    return Configured(objective, cfg.objective.class_path, init.as_dict() if isinstance(init, Namespace) else {})


def objectives_from_config(items: Any, where: str, names: dict[str, str]) -> list[Configured]:
    """Instantiate a config's ``model.objectives`` list with jsonargparse, as LightningCLI does."""
    if not isinstance(items, list) or not items:
        raise InspectError(f"{where}: model.objectives must be a non-empty list of {{class_path, init_args}}")
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--objective", type=Objective)
    out = []
    for i, item in enumerate(items):
        try:
            cfg = parser.parse_object({"objective": _expand_names(item, names)})
        except Exception as err:  # noqa: BLE001  # jsonargparse raises ArgumentError or plain ValueError
            raise InspectError(f"{where}: model.objectives[{i}]: {one_line(err)}") from None
        out.append(_configured(parser, cfg, f"{where}: model.objectives[{i}]"))
    return out


def read_configs(paths: Sequence[str]) -> tuple[Any, str, dict[str, Any]]:
    """``(model.objectives, the file that set it, data defaults)`` from training config files.

    Later files override earlier ones, as with ``polytrain fit -c a.yaml -c b.yaml``. The data
    defaults are ``shards``, ``tokenizer``, ``max_length`` and ``seed`` (``seed_everything``).
    """
    items, source, data = None, "", {}
    for given in paths:
        try:
            path = resolve_config(given)  # a file, or a shipped config's name (-c objective/mlm)
            with open(path, encoding="utf-8") as f:
                cfg = yaml.safe_load(f) or {}
        except ConfigError as err:
            raise InspectError(str(err)) from None
        except OSError as err:
            raise InspectError(f"{path}: cannot read config ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise InspectError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from None
        if not isinstance(cfg, dict):
            raise InspectError(f"{path}: a config is a YAML mapping, got {type(cfg).__name__}")
        model, section = cfg.get("model") or {}, cfg.get("data") or {}
        if isinstance(model, dict) and "objectives" in model:
            items, source = model["objectives"], path
        if isinstance(section, dict):
            data.update({k: section[k] for k in ("shards", "tokenizer", "max_length", "seed") if k in section})
        if cfg.get("seed_everything") is not None:
            data["seed"] = cfg["seed_everything"]
    return items, source, data


def inspect_objective(item: Configured, manifest: Manifest, tokenizer: Tokenizer, *, split: Split, seed: int,
                      lang: str | None, num_examples: int, stats_samples: int) -> dict[str, Any]:
    """Show ``num_examples`` examples and tally ``max(num_examples, stats_samples)`` (already set up)."""
    from polytrain.inspect_render import Renderer, describe
    from polytrain.inspect_stats import Tally, configured
    from polytrain.shards.reader import StreamStats

    obj, vocab = item.objective, item.objective.vocab
    sentinels = getattr(obj, "sentinel_ids", None)
    sentinels = sentinels if isinstance(sentinels, range) and len(sentinels) else None
    # T5-style sentinels count down from the top of their range: <extra_id_0> is the highest id.
    names = {i: f"<extra_id_{sentinels.stop - 1 - i}>" for i in sentinels} if sentinels else {}
    renderer, tally, read_stats = Renderer(tokenizer, vocab, names), Tally(Counter(), Counter()), StreamStats()
    shown = []
    pairs = iter_examples(obj, manifest, tokenizer, split=split, seed=seed, lang=lang, stats=read_stats)
    for i, (sample, example) in enumerate(islice(pairs, max(num_examples, stats_samples))):
        if i < num_examples:
            shown.append(describe(sample, example, renderer))
        tally.add(sample, example, vocab, sentinels)
    achieved = tally.achieved(encoder=obj.model_kind == "encoder")
    return {
        "name": obj.name, "class_path": item.class_path, "init_args": item.init_args,
        "model_kind": obj.model_kind, "data_kind": obj.data_kind,
        "split": split, "seed": seed, "max_length": obj.max_length, "lang": lang,
        "examples": shown,
        "stats": {
            "examples": tally.counts["examples"], "requested": max(num_examples, stats_samples),
            "languages": dict(sorted(tally.langs.items())), "counts": dict(sorted(tally.counts.items())),
            "achieved": achieved,
            "configured": {k: {"param": p, "value": v} for k, (p, v) in configured(item.init_args, achieved).items()},
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
    if value in names:
        return names[value]
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    path = parsed.get("class_path") if isinstance(parsed, dict) else parsed
    if isinstance(path, str) and (problem := unknown_objective(path, names)):
        raise InspectError(problem)
    expanded = _expand_names(parsed, names)
    return json.dumps(expanded) if isinstance(parsed, dict) and expanded != parsed else value


def _load_data(shards: str | None, tokenizer_path: str | None) -> tuple[Manifest, Tokenizer, Vocab]:
    if not shards:
        raise InspectError("--shards is required (or data.shards in a --config file)")
    if not tokenizer_path:
        raise InspectError("--tokenizer is required (or data.tokenizer in a --config file)")
    try:
        manifest = Manifest.load(shards)
        tokenizer, digest = read_tokenizer_file(tokenizer_path)
        vocab = vocab_from_tokenizer(tokenizer, digest, source=tokenizer_path)
    except (OSError, ValueError) as err:
        raise InspectError(one_line(err)) from None
    return manifest, tokenizer, vocab


def _prepare(item: Configured, manifest: Manifest, vocab: Vocab, max_length: int, split: str, lang: str | None) -> None:
    """``setup`` the objective and check that the shards it reads exist (one line if not)."""
    obj = item.objective
    try:
        obj.setup(vocab, max_length)
    except ValueError as err:
        raise InspectError(one_line(err)) from None
    kind, where = obj.data_kind, manifest.location
    shards = manifest.shards(kind, split)
    if not shards:
        raise InspectError(f"{where}: objective {obj.name!r} ({item.class_path}) reads {kind} data, but the manifest "
                           f"has no {kind} {split} shards")
    if lang is not None and lang not in {s.lang for s in shards}:
        raise InspectError(f"{where}: no {kind} {split} shards for {lang!r} (it has "
                           f"{', '.join(sorted({s.lang for s in shards}))})")
    langs = {x for s in shards for x in ((s.src_lang, s.tgt_lang) if kind == "parallel" else (s.lang,)) if x}
    try:
        check_languages(vocab, sorted(langs), str(where))
    except ValueError as err:
        raise InspectError(str(err)) from None


def _run(argv: list[str] | None) -> int:
    from polytrain.registry import objectives, short_name

    parser = build_parser()
    raw = sys.argv[1:] if argv is None else argv
    if any(arg in ("-h", "--help") for arg in raw):  # before the plugins (and torch) are imported
        parser.print_help()
        return 0
    from polytrain.inspect_render import print_report

    names = {name: entry.class_path for name, entry in objectives().items()}  # imports every plugin class
    try:
        args = parser.parse_args(_expand_argv(list(raw), names))
    except SystemExit as stop:  # --help
        return stop.code if isinstance(stop.code, int) else 0
    except Exception as err:  # noqa: BLE001  # jsonargparse raises ArgumentError or plain ValueError
        raise InspectError(one_line(err)) from None
    items, source, data = read_configs(args.config)
    if args.objective is not None:
        chosen = [_configured(parser, Namespace(objective=args.objective), "--objective")]
    elif items is not None:
        chosen = objectives_from_config(items, source, names)
    else:
        raise InspectError("give --objective CLASS or a --config file with model.objectives")
    for checks in (("--num-examples", args.num_examples, 0), ("--stats-samples", args.stats_samples, 0)):
        if checks[1] < checks[2]:
            raise InspectError(f"{checks[0]} must be >= {checks[2]}, got {checks[1]}")
    manifest, tokenizer, vocab = _load_data(args.shards or data.get("shards"), args.tokenizer or data.get("tokenizer"))
    max_length = int(args.max_length if args.max_length is not None else data.get("max_length", 128))
    seed = int(args.seed if args.seed is not None else data.get("seed", 0))
    reports = []
    for item in chosen:
        item.objective.name = short_name(type(item.objective))
        _prepare(item, manifest, vocab, max_length, args.split, args.lang)
        reports.append(inspect_objective(item, manifest, tokenizer, split=args.split, seed=seed, lang=args.lang,
                                         num_examples=args.num_examples, stats_samples=args.stats_samples))
    if args.json:
        print(json.dumps({"shards": manifest.location, "objectives": reports}, ensure_ascii=False))
    else:
        for i, report in enumerate(reports):
            if i:
                print("\n")
            print_report(report, str(manifest.location))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``polytrain inspect``: 0 on success, 2 with one error line on bad input."""
    try:
        return _run(argv)
    except InspectError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
