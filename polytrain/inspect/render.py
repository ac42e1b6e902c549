"""Rendering for ``polytrain inspect``: token ids back to text with corruption visible, and the text report.

``Renderer`` decodes ids one by one (special tokens and byte-fallback runs shown as such),
``describe`` turns one example into its original text, input and targets, and ``print_report``
prints an objective's examples and achieved statistics as docs/inspect.md shows them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from polytrain.objectives import IGNORE_INDEX, Example, TextPair, Vocab
from polytrain.shards.vocab import WORD_START
from polytrain.stream.dataset import Sample

Ids = Sequence[int] | np.ndarray
_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


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

    def with_names(self, names: dict[int, str]) -> Renderer:
        """This renderer, also showing ``names`` as special tokens (e.g. an objective's sentinels)."""
        other = copy.copy(self)
        other.names = {**self.names, **names}
        return other

    def _special(self, idx: int) -> str | None:
        if idx == IGNORE_INDEX:
            return "·"
        if not 0 <= idx < self.vocab.size:
            return f"<id:{idx}>"
        if idx in self.names:
            return self.names[idx]
        return self.pieces[idx] if self.vocab.special[idx] else None

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
                out.append((_decode_bytes(run), False))
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


def _decode_bytes(run: list[int]) -> str:
    """Byte-fallback tokens as text: UTF-8 characters where they form printable ones, ``<0xNN>`` for
    bytes that form no character or an invisible one (a control character such as a random ``<0x01>``
    replacement), so that every byte stays visible and reads as its token does."""
    text = bytes(run).decode("utf-8", errors="surrogateescape")
    return "".join(f"<0x{ord(c) - 0xDC00:02X}>" if "\udc80" <= c <= "\udcff"
                   else c if c.isprintable() or c == " " else "".join(f"<0x{b:02X}>" for b in c.encode())
                   for c in text)


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


def print_report(report: dict[str, Any], location: str) -> None:
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
        meaning = stats["meaning"][key] + (f" ({conf['param']})" if conf else "")
        print(f"{key:<24} {'' if conf is None else format(conf['value'], '.3f'):>10} {value:>9.3f}  {meaning}")
    if report["skipped"]:
        print("skipped while reading: " + ", ".join(f"{v} {k}" for k, v in report["skipped"].items()))
