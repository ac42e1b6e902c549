"""``polytrain inspect``: corrupted examples of any objective next to their text, and achieved statistics.

The objective is given as in training configs (``--objective CLASS --objective.init_args.X V``, a
``{class_path, init_args}`` JSON/YAML value, or ``-c CONFIG`` with ``model.objectives``), so built-in
and plugin objectives are inspected the same way. Samples come from the shards exactly as the stream
makes them (``read_shard``, the tokenizer, ``Packer``); examples come from ``make_example`` with the
stream's generators, so ``--split val`` shows the very examples validation scores. The full story,
with real output, is in docs/inspect.md.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import yaml
from jsonargparse import ArgumentParser, Namespace
from tokenizers import Tokenizer

from polytrain.data.manifest import Manifest, ShardInfo
from polytrain.data.packing import Packer
from polytrain.data.rng import make_rng
from polytrain.data.stream import Split, StreamStats, read_shard, shuffle_buffer
from polytrain.data.vocab import WORD_START, check_languages, read_tokenizer_file, vocab_from_tokenizer
from polytrain.objectives.base import Objective
from polytrain.objectives.masking import example_stats
from polytrain.types import IGNORE_INDEX, Example, TextBlock, TextPair, Vocab

PROG = "polytrain inspect"
Sample = TextBlock | TextPair
Ids = Sequence[int] | np.ndarray
_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_TRAIN_SHUFFLE = 100
"""Documents per language held for shuffling with ``--split train`` (a peek, not a training run)."""


class InspectError(ValueError):
    """Bad input; the message is the one line printed after ``polytrain inspect: error:``."""


# ---------------------------------------------------------------------------------------- rendering
class Renderer:
    """Decode token ids one by one so that corruption stays visible.

    Ordinary pieces are joined with Metaspace's ``▁`` shown as a space (so Han text, which has no
    spaces, stays unspaced); consecutive byte-fallback tokens are decoded together as UTF-8 (bytes
    that do not form a character stay ``<0xNN>``); special tokens (``<s>``, ``</s>``, ``<mask>``,
    ``<lang:xx>``, and ``names`` such as sentinels) are shown verbatim with a space on either side.

    Args:
        tokenizer: the run's tokenizer.
        vocab: its ``Vocab``.
        names: extra ids to show by name, as special tokens (e.g. T5 sentinels).
    """

    def __init__(self, tokenizer: Tokenizer, vocab: Vocab, names: dict[int, str] | None = None) -> None:
        self.vocab, self.names = vocab, dict(names or {})
        self.pieces: list[str] = [""] * vocab.size
        for token, idx in tokenizer.get_vocab(with_added_tokens=True).items():
            if 0 <= idx < vocab.size:
                self.pieces[idx] = token
        self.byte_of = {i: int(m.group(1), 16) for i, p in enumerate(self.pieces) if (m := _BYTE.match(p))}

    def _special(self, idx: int) -> str | None:
        if idx == IGNORE_INDEX:
            return "·"
        if not 0 <= idx < self.vocab.size:
            return f"<id:{idx}>"
        if idx in self.names:
            return self.names[idx]
        return self.pieces[idx] if idx < self.vocab.num_special else None

    def piece(self, idx: int) -> str:
        """One token as text: a special token verbatim, else its piece with ``▁`` as a space."""
        return self._special(idx) or self.pieces[idx].replace(WORD_START, " ")

    def segments(self, ids: Ids) -> list[tuple[str, bool]]:
        """``(text, is_special)`` runs of ``ids``; byte-fallback runs are decoded together."""
        out: list[tuple[str, bool]] = []
        run: list[int] = []
        for idx in [*map(int, ids), None]:
            if idx is not None and idx in self.byte_of:
                run.append(self.byte_of[idx])
                continue
            if run:
                text = bytes(run).decode("utf-8", errors="surrogateescape")
                out.append((re.sub(r"[\udc80-\udcff]", lambda m: f"<0x{ord(m.group()) - 0xDC00:02X}>", text), False))
                run = []
            if idx is not None:
                special = self._special(idx)
                out.append((special, True) if special is not None else (self.piece(idx), False))
        return out

    def render(self, ids: Ids) -> str:
        """``ids`` as one line of text with special tokens visible."""
        return join_segments(self.segments(ids))

    def original(self, sample: Sample) -> list[tuple[str, str]]:
        """``[(lang, text)]`` of a sample: one block with sentences joined by `` | ``, or two pair sides."""
        if isinstance(sample, TextPair):
            return [(sample.src_lang, self.render(sample.src_ids)), (sample.tgt_lang, self.render(sample.tgt_ids))]
        ends = sample.sentence_ends.astype(int)
        sentences = [self.render(sample.ids[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return [(sample.lang, " | ".join(sentences))]

    def targets(self, input_ids: np.ndarray, labels: np.ndarray) -> str:
        """An encoder example's text with each target shown as ``[original→input]`` (``▁``: a bare space piece)."""
        segments: list[tuple[str, bool]] = []
        start = 0
        for pos in map(int, np.flatnonzero(labels != IGNORE_INDEX)):
            segments += self.segments(input_ids[start:pos])
            orig, now = self.piece(int(labels[pos])), self.piece(int(input_ids[pos]))
            lead = " " if orig.startswith(" ") and orig.strip() else ""
            # A bare word-start piece shows as "▁": a space alone inside brackets would be invisible.
            segments.append((f"{lead}[{orig.strip() or WORD_START}→{now.strip() or WORD_START}]", False))
            start = pos + 1
        return join_segments(segments + self.segments(input_ids[start:]))


def join_segments(segments: Sequence[tuple[str, bool]]) -> str:
    """Concatenate ``(text, is_special)`` segments, keeping special tokens apart by one space."""
    out: list[str] = []
    space_next = False
    for text, special in segments:
        if (special or space_next) and out and not out[-1].endswith(" ") and not text.startswith(" "):
            out.append(" ")
        out.append(text)
        space_next = special
    return "".join(out).strip()


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
    stats = stats if stats is not None else StreamStats()
    shards = [s for s in manifest.shards(objective.data_kind, split) if lang is None or s.lang == lang]
    block = objective.max_length - objective.added_tokens
    streams = {
        name: _language(manifest, tokenizer, [s for s in shards if s.lang == name],
                        Packer(block, objective.vocab.eos_id) if objective.data_kind == "mono" else None,
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


# -------------------------------------------------------------------------------------- statistics
def _missing(text: np.ndarray, input_ids: np.ndarray, num_special: int) -> int:
    """Ordinary tokens of ``text`` absent from ``input_ids``, as a multiset difference.

    Order-free, so sentence permutation does not count; a token replaced by ``<mask>``, a sentinel
    or a random token does, and so does one the objective truncated away.
    """
    ua, ca = np.unique(text[text >= num_special], return_counts=True)
    ub, cb = np.unique(input_ids[input_ids >= num_special], return_counts=True)
    present = np.zeros(len(ua), dtype=np.int64)
    if len(ub):
        at = np.minimum(np.searchsorted(ub, ua), len(ub) - 1)
        hit = ub[at] == ua
        present[hit] = cb[at[hit]]
    return int(np.maximum(ca - present, 0).sum())


_ACHIEVED: dict[str, tuple[str, str, str]] = {
    # key: (numerator, denominator, meaning)
    "selected_fraction": ("targets", "candidates", "targets / ordinary tokens"),
    "mask_share": ("masked", "targets", "targets replaced by <mask>"),
    "random_share": ("random", "targets", "targets replaced by a random token"),
    "kept_share": ("kept", "targets", "targets left unchanged"),
    "missing_fraction": ("missing_tokens", "text_tokens", "text tokens missing from the encoder input"),
    "mask_tokens_per_example": ("mask_tokens", "examples", "<mask> tokens in the encoder input"),
    "sentinels_per_example": ("sentinel_tokens", "examples", "sentinel tokens in the encoder input"),
    "tokens_per_mask": ("missing_tokens", "mask_like_tokens", "missing tokens per <mask>/sentinel"),
    "input_length": ("encoder_tokens", "examples", "encoder input tokens per example"),
    "decoder_length": ("decoder_tokens", "examples", "decoder input tokens per example"),
    "label_length": ("label_positions", "examples", "label positions per example"),
    "loss_fraction": ("loss_positions", "label_positions", "label positions with a loss"),
    "length_ratio": ("encoder_tokens", "loss_positions", "encoder input / target tokens"),
}
_CONFIGURED: dict[str, tuple[str, ...]] = {
    "selected_fraction": ("mask_prob",),
    "mask_share": ("mask_replace_prob",),
    "random_share": ("random_replace_prob",),
    "missing_fraction": ("mask_ratio", "noise_density"),
    "tokens_per_mask": ("poisson_lambda", "mean_noise_span_length"),
}


@dataclass
class Tally:
    """Counts summed over examples; fractions are ratios of sums (not means of per-example ratios)."""

    counts: Counter[str]
    langs: Counter[str]

    def add(self, sample: Sample, example: Example, vocab: Vocab, sentinels: range | None) -> None:
        """Count one example: ``masking.example_stats`` counts plus the objective-agnostic ones."""
        text = sample.ids if isinstance(sample, TextBlock) else np.concatenate([sample.src_ids, sample.tgt_ids])
        c = self.counts
        c.update({k: v for k, v in example_stats(example, vocab).items() if not k.endswith(("fraction", "ratio"))})
        ids = example.input_ids
        sentinel = int(((ids >= sentinels.start) & (ids < sentinels.stop)).sum()) if sentinels else 0
        c.update({
            "examples": 1, "encoder_tokens": len(example.input_ids), "label_positions": len(example.labels),
            "loss_positions": int((example.labels != IGNORE_INDEX).sum()),
            "decoder_tokens": 0 if example.decoder_input_ids is None else len(example.decoder_input_ids),
            "text_tokens": int((text >= vocab.num_special).sum()),
            "missing_tokens": _missing(text, example.input_ids, vocab.num_special),
            "sentinel_tokens": sentinel,
            "mask_like_tokens": int((example.input_ids == vocab.mask_id).sum()) + sentinel,
        })
        self.langs[example.lang] += 1

    def achieved(self, encoder: bool) -> dict[str, float]:
        """The achieved statistics that apply (encoder: the target split; encoder-decoder: spans)."""
        skip = {"decoder_length", "length_ratio", "mask_tokens_per_example", "sentinels_per_example",
                "tokens_per_mask"} if encoder else {"selected_fraction", "mask_share", "random_share", "kept_share"}
        if not self.counts["sentinel_tokens"]:
            skip.add("sentinels_per_example")
        elif not self.counts["mask_tokens"]:  # sentinels instead of <mask> (T5)
            skip.add("mask_tokens_per_example")
        return {key: self.counts[num] / self.counts[den] if self.counts[den] else 0.0
                for key, (num, den, _) in _ACHIEVED.items() if key not in skip}


def configured(init_args: dict[str, Any], achieved: dict[str, float]) -> dict[str, tuple[str, float]]:
    """``{achieved key: (parameter, value)}`` for the objective's settings that map to a statistic."""
    out: dict[str, tuple[str, float]] = {}
    for key, params in _CONFIGURED.items():
        for param in params:
            value = init_args.get(param)
            if key in achieved and isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = (param, float(value))
    if {"mask_replace_prob", "random_replace_prob"} <= init_args.keys() and "kept_share" in achieved:
        out["kept_share"] = ("1 - mask_replace_prob - random_replace_prob",
                             round(1.0 - init_args["mask_replace_prob"] - init_args["random_replace_prob"], 10))
    if init_args.get("replace_length", 1) != 1:  # spans become 0 or many <mask> tokens: no span length to see
        out.pop("tokens_per_mask", None)
    return out


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
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                cfg = yaml.safe_load(f) or {}
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


# ------------------------------------------------------------------------------------------ report
def describe(sample: Sample, example: Example, renderer: Renderer) -> dict[str, Any]:
    """One example as text: original, encoder input and (encoder) targets or (seq2seq) decoder side."""
    out: dict[str, Any] = {
        "key": example.key, "lang": example.lang,
        "original": [{"lang": lang, "text": text} for lang, text in renderer.original(sample)],
        "input": renderer.render(example.input_ids),
    }
    if example.decoder_input_ids is None:
        out["targets"] = renderer.targets(example.input_ids, example.labels)
    else:
        out["decoder_input"] = renderer.render(example.decoder_input_ids)
        out["labels"] = renderer.render(example.labels)
    out["ids"] = {"input_ids": example.input_ids.tolist(), "labels": example.labels.tolist()}
    if example.decoder_input_ids is not None:
        out["ids"]["decoder_input_ids"] = example.decoder_input_ids.tolist()
    return out


def inspect_objective(item: Configured, manifest: Manifest, tokenizer: Tokenizer, *, split: Split, seed: int,
                      lang: str | None, num_examples: int, stats_samples: int) -> dict[str, Any]:
    """Show ``num_examples`` examples and tally ``max(num_examples, stats_samples)`` (already set up)."""
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


def _print_report(report: dict[str, Any], location: str) -> None:
    """The human-readable report of one objective."""
    args = " ".join(f"{k}={v}" for k, v in report["init_args"].items())
    print(f"== {report['name']}: {report['class_path']} ({report['model_kind']}, {report['data_kind']} data)")
    print(f"   {args}")
    print(f"   {report['split']} split of {location}, max_length {report['max_length']}, seed {report['seed']}"
          + (f", lang {report['lang']}" if report["lang"] else ""))
    for i, ex in enumerate(report["examples"], 1):
        print(f"\n--- example {i}/{len(report['examples'])}: {ex['key']} ({ex['lang']}), "
              f"{len(ex['ids']['input_ids'])} input tokens")
        pair = len(ex["original"]) > 1
        for side in ex["original"]:
            print(f"{'original ' + side['lang'] if pair else 'original':<13} {side['text']}")
        for label, field in (("input", "input"), ("targets", "targets"), ("decoder input", "decoder_input"),
                             ("labels", "labels")):
            if field in ex:
                print(f"{label:<13} {ex[field]}")
    _print_stats(report)


def _print_stats(report: dict[str, Any]) -> None:
    stats = report["stats"]
    note = "" if stats["examples"] >= stats["requested"] else \
        f" (the {report['split']} split has no more{'; try --split train' if report['split'] == 'val' else ''})"
    langs = ", ".join(f"{k} {v}" for k, v in stats["languages"].items())
    print(f"\n--- achieved over {stats['examples']} examples{note}: {langs}")
    print(f"{'statistic':<24} {'configured':>10} {'achieved':>9}  meaning")
    for key, value in stats["achieved"].items():
        conf = stats["configured"].get(key)
        meaning = _ACHIEVED[key][2] + (f" ({conf['param']})" if conf else "")
        print(f"{key:<24} {'' if conf is None else format(conf['value'], '.3f'):>10} {value:>9.3f}  {meaning}")
    if report["skipped"]:
        print("skipped while reading: " + ", ".join(f"{v} {k}" for k, v in report["skipped"].items()))


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

    names = {name: entry.class_path for name, entry in objectives().items()}  # imports every plugin class
    parser = build_parser()
    raw = sys.argv[1:] if argv is None else argv
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
            _print_report(report, str(manifest.location))
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
