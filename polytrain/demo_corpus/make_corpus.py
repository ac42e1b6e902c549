"""Regenerate the polytrain demo corpus from the hand-written templates in ``templates/``.

The corpus text is original, written by the polytrain authors (CC0). Each language has its own
template file, written natively for that language (not translated word by word). This script
only expands the templates; it adds no words of its own.

Template syntax (``templates/{lang}.tpl``)::

    # comment
    @slot person name g        a slot list; fields after the slot name, one item per line,
    Anna | f                   fields separated by " | "
    @alias friend person       "friend" draws from the "person" list, never the same item
    @topic market              a topic; the lines below are its sentence templates, in story order
    > {person} went out.       a lead line: every document starts with one of them (if any)
    [He|She] bought (bread|rice).

    (a|b|c)     one alternative chosen at random (innermost first, so they may nest)
    [m|f]       masculine or feminine form, by the gender field "g" of the slot "person"
    [friend:m|f] the same, by the gender of the slot "friend"
    {slot}      the first field of the slot's item; {slot.field} another field. A slot is bound
                once per document, so a story keeps its protagonist, town and dish.

Parallel templates (``templates/parallel.tpl``) are blocks of ``lang: text`` lines, one block
per sentence; the k-th choice group of every language aligns with the k-th group of ``en`` (or
with group N when written ``(N:a|b)``, for languages that order the words differently), has the
same number of alternatives and takes the same index, so each alternative must be a translation
of its counterparts. Gender and number agreement that spans two groups is written inside one
group, e.g. ``(Tom forgot his|Maria forgot her) umbrella``.

Usage::

    python polytrain/demo_corpus/make_corpus.py   # rewrites mono/*.txt and parallel/*.tsv, checks the
                                        # format rules and prints the size table
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 2024
# Target sizes in characters: deliberately imbalanced (largest / smallest = 20x) so that the
# demo exercises temperature sampling over languages (XLM-R alpha = 0.3).
TARGET_CHARS = {
    "en": 300_000,
    "de": 120_000,
    "fr": 100_000,
    "es": 80_000,
    "ru": 60_000,
    "zh": 40_000,
    "ar": 30_000,
    "hi": 25_000,
    "sw": 15_000,
}
PARALLEL_LANGS = ("de", "fr", "ru", "zh")
PAIRS_PER_LANG = 400  # at most; every block contributes, so fewer if the blocks run out
MIN_SENTENCES, MAX_SENTENCES = 3, 8  # body lines per document, after its one lead line
UNCASED = {"zh", "ar", "hi"}

CHOICE = re.compile(r"\(([^()]*)\)")
GENDER = re.compile(r"\[(?:(\w+):)?([^\[\]|]*)\|([^\[\]|]*)\]")
SLOT = re.compile(r"\{(\w+)(?:\.(\w+))?\}")


@dataclass
class Topic:
    """Sentence templates of one topic, in story order."""

    leads: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


@dataclass
class Bank:
    """Everything parsed from one language's template file."""

    slots: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)


def parse_bank(path: Path) -> Bank:
    """Parse a ``{lang}.tpl`` file (syntax in the module docstring)."""
    bank = Bank()
    fields: list[str] = []
    slot: list[dict[str, str]] | None = None
    topic: Topic | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        if line.startswith("@"):
            kind, name, *rest = line[1:].split()
            slot, topic = None, None
            if kind == "slot":
                fields, slot = rest or ["text"], []
                bank.slots[name] = slot
            elif kind == "alias":
                bank.aliases[name] = rest[0]
            elif kind == "topic":
                topic = bank.topics.setdefault(name, Topic())
            else:
                raise ValueError(f"{where}: unknown directive @{kind}")
        elif slot is not None:
            values = [v.strip() for v in line.split(" | ")]
            if len(values) != len(fields):
                raise ValueError(f"{where}: expected {len(fields)} fields {fields}, got {values}")
            slot.append(dict(zip(fields, values)))
        elif topic is not None:
            if line.startswith(">"):
                topic.leads.append(line[1:].strip())
            else:
                topic.body.append(line)
        else:
            raise ValueError(f"{where}: text outside a @slot or @topic block")
    return bank


class Document:
    """Renders templates with slot bindings that hold for one whole document."""

    def __init__(self, bank: Bank, rng: np.random.Generator) -> None:
        self.bank, self.rng = bank, rng
        self.bound: dict[str, dict[str, str]] = {}

    def bind(self, key: str) -> dict[str, str]:
        if key not in self.bound:
            source = self.bank.aliases.get(key, key)
            if source not in self.bank.slots:
                raise KeyError(f"unknown slot {{{key}}}")
            items = self.bank.slots[source]
            taken = [v for k, v in self.bound.items() if self.bank.aliases.get(k, k) == source]
            free = [item for item in items if item not in taken] or items
            self.bound[key] = free[int(self.rng.integers(len(free)))]
        return self.bound[key]

    def gender(self, match: re.Match[str]) -> str:
        item = self.bind(match.group(1) or "person")
        return match.group(2) if item["g"] == "m" else match.group(3)

    def choose(self, match: re.Match[str]) -> str:
        options = match.group(1).split("|")
        return options[int(self.rng.integers(len(options)))]

    def slot(self, match: re.Match[str]) -> str:
        item = self.bind(match.group(1))
        return item[match.group(2)] if match.group(2) else next(iter(item.values()))

    def render(self, template: str, cased: bool) -> str:
        text = GENDER.sub(self.gender, template)
        while CHOICE.search(text):
            text = CHOICE.sub(self.choose, text)
        text = re.sub(r"\s+", " ", SLOT.sub(self.slot, text)).strip()
        return text[:1].upper() + text[1:] if cased else text


def make_document(bank: Bank, rng: np.random.Generator, cased: bool) -> list[str]:
    """One document: a lead line, then 3 to 8 body lines of the same topic, in story order."""
    names = sorted(bank.topics)
    topic = bank.topics[names[int(rng.integers(len(names)))]]
    doc = Document(bank, rng)
    wanted = int(rng.integers(MIN_SENTENCES, MAX_SENTENCES + 1))
    count = min(wanted, len(topic.body))
    picked = sorted(rng.choice(len(topic.body), size=count, replace=False).tolist())
    lines = [topic.leads[int(rng.integers(len(topic.leads)))]] if topic.leads else []
    lines += [topic.body[i] for i in picked]
    sentences: list[str] = []
    for line in lines:
        sentence = doc.render(line, cased)
        if sentence not in sentences:
            sentences.append(sentence)
    return sentences


def make_mono(lang: str, rng: np.random.Generator) -> str:
    """Documents until the language's character target is reached."""
    bank = parse_bank(HERE / "templates" / f"{lang}.tpl")
    seen: set[str] = set()
    docs: list[str] = []
    size = 0
    while size < TARGET_CHARS[lang]:
        text = "\n".join(make_document(bank, rng, cased=lang not in UNCASED))
        if text in seen or text.count("\n") < MIN_SENTENCES - 1:
            continue
        seen.add(text)
        docs.append(text)
        size += len(text) + 2
    return "\n\n".join(docs) + "\n"


def parse_parallel(path: Path) -> list[dict[str, str]]:
    """Blocks of ``lang: text`` lines separated by blank lines."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            if current:
                blocks.append(current)
            current = {}
            continue
        lang, text = line.split(":", 1)
        current[lang.strip()] = text.strip()
    return blocks


def aligned_groups(text: str, where: str) -> list[tuple[int, list[str]]]:
    """Choice groups of one line as (index of the aligned "en" group, alternatives)."""
    groups = []
    for position, body in enumerate(CHOICE.findall(text)):
        label = re.match(r"(\d+):", body)
        index = int(label.group(1)) - 1 if label else position
        groups.append((index, (body[label.end() :] if label else body).split("|")))
    if len({index for index, _ in groups}) != len(groups):
        raise ValueError(f"{where}: two choice groups align with the same 'en' group")
    return groups


def expand_block(block: dict[str, str], where: str) -> list[dict[str, str]]:
    """Every combination of the aligned choice groups of one parallel block."""
    shape = [len(options) for _, options in aligned_groups(block["en"], where)]
    groups = {lang: aligned_groups(text, f"{where} {lang}") for lang, text in block.items()}
    for lang, lang_groups in groups.items():
        if sorted((i, len(o)) for i, o in lang_groups) != list(enumerate(shape)):
            raise ValueError(f"{where}: choice groups of {lang!r} do not align with 'en'")
    rows = []
    for combo in itertools.product(*[range(n) for n in shape]):
        row = {}
        for lang, text in block.items():
            picks = iter([options[combo[index]] for index, options in groups[lang]])
            row[lang] = CHOICE.sub(lambda _: next(picks), text)
        rows.append(row)
    return rows


def make_parallel(lang: str, blocks: list[dict[str, str]], rng: np.random.Generator) -> str:
    """``{lang}\\t{en}`` lines: an even share of distinct pairs from every block, then the rest
    filled at random from the combinations left over, up to ``PAIRS_PER_LANG``."""
    pools = [expand_block(b, f"parallel block {i}") for i, b in enumerate(blocks) if lang in b]
    per_block = PAIRS_PER_LANG // len(pools)
    taken: list[tuple[str, str]] = []
    spare: list[tuple[str, str]] = []
    for pool in pools:
        order = rng.permutation(len(pool)).tolist()
        taken += [(pool[i][lang], pool[i]["en"]) for i in order[:per_block]]
        spare += [(pool[i][lang], pool[i]["en"]) for i in order[per_block:]]
    extra = rng.permutation(len(spare))[: max(0, PAIRS_PER_LANG - len(taken))]
    pairs = list(dict.fromkeys(taken + [spare[i] for i in extra.tolist()]))
    order = rng.permutation(len(pairs)).tolist()
    return "".join(f"{pairs[i][0]}\t{pairs[i][1]}\n" for i in order)


def lang_rng(name: str) -> np.random.Generator:
    """One generator per output file, so that editing one language leaves the others unchanged."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode("utf-8"))])


SCRIPTS = {"en": "Latin", "de": "Latin", "fr": "Latin", "es": "Latin", "sw": "Latin",
           "ru": "Cyrillic", "zh": "Han", "ar": "Arabic", "hi": "Devanagari"}


def check_and_report() -> str:
    """Check the format rules of the written files; return a Markdown table of their sizes."""
    rows = ["| file | script | characters | bytes | documents | lines (sentences or pairs) |",
            "|---|---|---:|---:|---:|---:|"]
    sizes = {}
    for lang in TARGET_CHARS:
        path = HERE / "mono" / f"{lang}.txt"
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        assert not raw.startswith(b"\xef\xbb\xbf") and text.endswith("\n"), path
        assert "\t" not in text and "\n\n\n" not in text and not text.startswith("\n"), path
        docs = text.rstrip("\n").split("\n\n")
        lines = sum(len(d.split("\n")) for d in docs)
        assert lines / len(docs) >= MIN_SENTENCES, path
        sizes[lang] = len(text)
        rows.append(f"| mono/{lang}.txt | {SCRIPTS[lang]} | {len(text):,} | {len(raw):,} "
                    f"| {len(docs):,} | {lines:,} |")
    assert max(sizes.values()) >= 10 * min(sizes.values()), sizes
    for lang in PARALLEL_LANGS:
        path = HERE / "parallel" / f"{lang}-en.tsv"
        raw = path.read_bytes()
        lines = raw.decode("utf-8").splitlines()
        assert all(line.count("\t") == 1 and all(line.split("\t")) for line in lines), path
        assert len(lines) >= 300, path
        script = f"{SCRIPTS[lang]} + Latin"
        rows.append(f"| parallel/{lang}-en.tsv | {script} | {len(raw.decode()):,} | {len(raw):,} "
                    f"| - | {len(lines):,} |")
    return "\n".join(rows)


def main() -> None:
    (HERE / "mono").mkdir(exist_ok=True)
    (HERE / "parallel").mkdir(exist_ok=True)
    for lang in TARGET_CHARS:
        text = make_mono(lang, lang_rng(lang))
        (HERE / "mono" / f"{lang}.txt").write_text(text, encoding="utf-8")
    blocks = parse_parallel(HERE / "templates" / "parallel.tpl")
    for lang in PARALLEL_LANGS:
        text = make_parallel(lang, blocks, lang_rng(f"{lang}-en"))
        (HERE / "parallel" / f"{lang}-en.tsv").write_text(text, encoding="utf-8")
    print(check_and_report())


if __name__ == "__main__":
    main()
