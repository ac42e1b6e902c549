"""``polytrain tokenizer extend``: add pieces (and language tags) for new languages to a Unigram tokenizer.

Every old id keeps its token, and the text the extension protects keeps its segmentation exactly.
Method (docs/continued-pretraining.md):

1. **Learn** candidate pieces on the new languages' text, drawn with the same alpha-sampling as
   ``polytrain tokenizer train`` (``tokenizer_text.sample_texts``), with a Unigram trainer that uses the
   base tokenizer's own normalizer and pre-tokenizer, so the pieces live in the base's space
   (``▁word``). Candidates are the learned pieces the base lacks, best score first.
2. **Score** each added piece with its learned log-probability, never below the base's lowest score
   (the ``<unk>`` score that ``tokenizers`` derives from the minimum stays the same).
3. **Select** the first ``--add`` candidates whose addition changes the segmentation of no word of
   the protected text (the old languages' text: every word is segmented with and without the new
   pieces, Viterbi per pre-tokenized word as ``tokenizers`` does). A candidate on a changed word is
   dropped and the next one is taken, until ``--add`` pieces pass or candidates run out.
   Adding pieces to a Unigram model can change the best path of old words, so this check (and not
   the scores alone) is what makes "old segmentations unchanged" exact on the protected text.
4. **Append** the pieces after the last old id, then one ``<lang:xx>`` tag per new language
   (none for a base without tags, such as XLM-R's, which marks no language).

Only Unigram tokenizers (polytrain's default, XLM-R, mBART) are extended.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenizers import AddedToken, Tokenizer, models, trainers

from polytrain.shards.manifest import Manifest
from polytrain.rng import make_rng
from polytrain.prepare.tokenizer import _atomic_write, _report_path
from polytrain.prepare.tokenizer_layout import TokenizerTrainError
from polytrain.prepare.tokenizer_report import format_report_table, tokenizer_report
from polytrain.prepare.tokenizer_text import DEFAULT_MAX_REPEAT, TextSample, group_texts, iter_shard_texts, sample_texts
from polytrain.shards.vocab import read_tokenizer_file, vocab_from_tokenizer
from polytrain.types import language_tag

PROG = "polytrain tokenizer extend"
_MAX_ROUNDS = 50


@dataclass
class Extension:
    """An extended tokenizer and how it was made."""

    tokenizer: Tokenizer
    pieces: list[tuple[str, float]]
    """Appended pieces with their scores, in id order."""
    tags: list[str] = field(default_factory=list)
    """Appended language tags, in id order."""
    candidates: int = 0
    """Learned pieces the base lacked."""
    rejected: int = 0
    """Candidates dropped because they changed the segmentation of a protected word."""
    protected_words: int = 0


def unigram_spec(tokenizer: Tokenizer, source: str = "--base") -> dict[str, Any]:
    """The tokenizer's JSON with a Unigram model; one line for any other model."""
    data = json.loads(tokenizer.to_str())
    kind = data["model"].get("type")
    if kind != "Unigram":
        raise TokenizerTrainError(f"{source}: a {kind} tokenizer; only Unigram tokenizers are extended "
                                  "(polytrain's default, XLM-R, mBART)")
    return data


def words_of(tokenizer: Tokenizer, texts: Iterable[str]) -> list[str]:
    """The distinct pre-tokenized words of ``texts`` as ``tokenizer`` normalizes and splits them, sorted."""
    normalizer, pre = tokenizer.normalizer, tokenizer.pre_tokenizer
    words: set[str] = set()
    for text in texts:
        text = normalizer.normalize_str(text) if normalizer is not None else text
        words.update(w for w, _ in (pre.pre_tokenize_str(text) if pre is not None else [(text, None)]) if w)
    return sorted(words)


def learn_candidates(base: Tokenizer, texts: Iterable[list[str]], size: int) -> list[tuple[str, float]]:
    """Unigram pieces learned on ``texts`` (batches) in the base's normalization, which the base lacks.

    Returns:
        ``(piece, learned log-probability)``, best first (ties by piece).
    """
    spec = json.loads(base.to_str())
    learner = Tokenizer(models.Unigram())
    learner.normalizer, learner.pre_tokenizer = base.normalizer, base.pre_tokenizer
    unk = AddedToken("<unk>", special=True, normalized=False)
    trainer = trainers.UnigramTrainer(vocab_size=size, special_tokens=[unk], unk_token="<unk>", show_progress=False)
    learner.train_from_iterator(texts, trainer)
    known = {piece for piece, _ in spec["model"]["vocab"]}
    learned = json.loads(learner.to_str())["model"]["vocab"]
    fresh = [(p, round(float(s), 6)) for p, s in learned if p not in known and p != "<unk>"]
    return sorted(fresh, key=lambda ps: (-ps[1], ps[0]))


def _bare(pieces: list[tuple[str, float]], spec: dict[str, Any]) -> Tokenizer:
    """The Unigram model alone (no normalizer, pre-tokenizer or added tokens): Viterbi per word."""
    model = spec["model"]
    return Tokenizer(models.Unigram(pieces, model.get("unk_id"), model.get("byte_fallback", False)))


def _changed_pieces(spec: dict[str, Any], old: list[tuple[str, float]], trial: list[tuple[str, float]],
                    words: list[str], base_ids: list[list[int]], containing: dict[str, list[int]]) -> set[int]:
    """New ids on the segmentation of every word that ``old + trial`` segments differently.

    Only a word that contains a new piece can change: Viterbi's lattice differs only where a piece
    matches (and the ``<unk>`` score is kept), so only those words are segmented again.
    ``containing`` caches, per piece, the indices of the words that contain it.
    """
    containing.update(_words_containing({piece for piece, _ in trial} - containing.keys(), words))
    indices = sorted({i for piece, _ in trial for i in containing[piece]})
    if not indices:
        return set()
    encodings = _bare(old + trial, spec).encode_batch([words[i] for i in indices], add_special_tokens=False)
    return {t for i, enc in zip(indices, encodings) if enc.ids != base_ids[i] for t in enc.ids if t >= len(old)}


def _words_containing(pieces: set[str], words: list[str]) -> dict[str, list[int]]:
    """Per piece, the increasing indices of the ``words`` it occurs in.

    Many pieces (a first round of thousands): one pass over the words, looking up each word's
    substrings up to the longest piece, instead of one pass over all words per piece. A few
    pieces (later rounds): a scan per piece is cheaper.
    """
    if len(pieces) < 200:
        return {piece: [i for i, word in enumerate(words) if piece in word] for piece in pieces}
    found: dict[str, list[int]] = {piece: [] for piece in pieces}
    longest = max(map(len, pieces))
    for i, word in enumerate(words):
        substrings = {word[a:b] for a in range(len(word)) for b in range(a + 1, min(len(word), a + longest) + 1)}
        for piece in substrings & pieces:
            found[piece].append(i)
    return found


def select_pieces(spec: dict[str, Any], candidates: list[tuple[str, float]], words: list[str],
                  add: int) -> tuple[list[tuple[str, float]], int]:
    """The first ``add`` candidates (in order) that change the segmentation of none of ``words``.

    Returns:
        ``(chosen, rejected)``: the pieces with their scores (raised to the base's lowest score),
        and how many candidates were dropped for changing a word.
    """
    old = [(p, float(s)) for p, s in spec["model"]["vocab"]]
    floor = min(s for _, s in old)
    base_ids = [e.ids for e in _bare(old, spec).encode_batch(words, add_special_tokens=False)]
    pool = [(p, max(s, floor)) for p, s in candidates]
    chosen: list[tuple[str, float]] = []
    rejected = 0
    containing: dict[str, list[int]] = {}
    for _ in range(_MAX_ROUNDS):
        take, pool = pool[:add - len(chosen)], pool[add - len(chosen):]
        if not take:
            break
        trial = chosen + take
        while True:  # dropping pieces can only restore old paths, but check again until nothing changes
            culprits = _changed_pieces(spec, old, trial, words, base_ids, containing)
            if not culprits:
                break
            rejected += len(culprits)
            trial = [ps for i, ps in enumerate(trial) if len(old) + i not in culprits]
        chosen = trial
        if len(chosen) >= add:
            break
    return chosen, rejected


def append_tokens(base: Tokenizer, pieces: list[tuple[str, float]], tags: list[str]) -> Tokenizer:
    """``base`` with ``pieces`` then ``tags`` (special added tokens, never normalized) after its last id."""
    data = unigram_spec(base)
    vocab = data["model"]["vocab"]
    first = base.get_vocab_size(with_added_tokens=True)
    if len(vocab) != first:
        raise TokenizerTrainError(f"--base: {first - len(vocab)} added tokens lie outside the Unigram model; "
                                  "ids could not be appended after them")
    vocab.extend([p, s] for p, s in pieces)
    for i, tag in enumerate(tags):
        vocab.append([tag, 0.0])
        data["added_tokens"].append({"id": first + len(pieces) + i, "content": tag, "single_word": False,
                                     "lstrip": False, "rstrip": False, "normalized": False, "special": True})
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def extend(base: Tokenizer, sample: TextSample, protected_words: list[str], add: int) -> Extension:
    """Extend ``base`` with ``add`` pieces learned on ``sample`` (module docstring).

    Args:
        base: a Unigram tokenizer.
        sample: the new languages' alpha-sampled text (``tokenizer_text.sample_texts``).
        protected_words: ``words_of`` the old-language text whose segmentation must not change.
        add: pieces to add (fewer if too few candidates pass); 0 adds only the language tags.

    Returns:
        The extended tokenizer; new languages get a ``<lang:xx>`` tag when the base has tags.
    """
    spec = unigram_spec(base)
    if not any(sample.sampled_chars.values()):
        raise TokenizerTrainError("no text of the new languages to learn pieces from")
    candidates = learn_candidates(base, sample.iter_texts(), size=max(4 * add, 1000)) if add else []
    pieces, rejected = select_pieces(spec, candidates, protected_words, add) if add else ([], 0)
    vocab = vocab_from_tokenizer(base, source="--base")
    new = sorted(lang for lang, n in sample.sampled_chars.items() if n)
    tags = [language_tag(lang) for lang in new if lang not in vocab.languages] if vocab.languages else []
    return Extension(append_tokens(base, pieces, tags), pieces, tags, len(candidates), rejected,
                     len(protected_words))


def in_memory_sample(texts: Mapping[str, list[str]], alpha: float = 0.3, seed: int = 0) -> TextSample:
    """The learning sample of in-memory ``{lang: sentences}`` (the command streams shards instead)."""
    chars = {lang: sum(map(len, s)) for lang, s in texts.items() if s}
    flat = ((lang, s) for lang in sorted(chars) for s in texts[lang])
    return sample_texts(flat, chars, alpha, make_rng(seed, "tokenizer-extend"), None, DEFAULT_MAX_REPEAT)


# ----------------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Append pieces learned on new languages' shards (and their "
                                "language tags) to a Unigram tokenizer; every old id and the protected text's "
                                "segmentation stay the same.")
    p.add_argument("--base", required=True, help="the tokenizer.json to extend (polytrain's, or an imported one)")
    p.add_argument("--shards", required=True, help="shard folder or manifest.json with the new languages' text")
    p.add_argument("--add", required=True, type=int, help="pieces to add (0: only the new languages' tags)")
    p.add_argument("--out", required=True, help="the extended tokenizer file (its report goes to OUT.report.json)")
    p.add_argument("--langs", default=None,
                   help="comma-separated new languages to learn pieces from (default: the shard languages "
                        "the base has no tag for)")
    p.add_argument("--protect", default=None,
                   help="shards whose text must keep its segmentation (default: the --shards text of the other "
                        "languages)")
    p.add_argument("--alpha", type=float, default=0.3, help="language sampling exponent of the learning text")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report-chars", type=int, default=1_000_000, help="characters per language the report encodes")
    return p


def _new_languages(args: argparse.Namespace, man: Manifest, tagged: tuple[str, ...]) -> list[str]:
    present = man.text_languages()
    if args.langs is not None:
        langs = sorted({x.strip() for x in args.langs.split(",") if x.strip()})
        missing = sorted(set(langs) - set(present))
        if missing:
            raise TokenizerTrainError(f"--langs {missing} have no shards in {man.location} (it has {present})")
        return langs
    if not tagged:
        raise TokenizerTrainError("--base has no language tags (an XLM-R tokenizer marks no language): name the new "
                                  f"languages with --langs (the shards have {present})")
    langs = [lang for lang in present if lang not in tagged]
    if not langs:
        raise TokenizerTrainError(f"every language of {man.location} already has a tag in --base: name the "
                                  "languages to learn pieces from with --langs")
    return langs


def _sentences(man: Manifest, langs: Iterable[str], splits: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    wanted = set(langs)
    return ((lang, s) for split in splits for lang, s in iter_shard_texts(man, split) if lang in wanted)


def _learning_sample(man: Manifest, langs: list[str], alpha: float, seed: int) -> TextSample:
    chars = dict.fromkeys(langs, 0)
    for lang, sentence in _sentences(man, langs, ("train",)):  # pass 1: n_l, as tokenizer train
        chars[lang] += len(sentence)
    empty = sorted(lang for lang, n in chars.items() if not n)
    if empty:
        raise TokenizerTrainError(f"{man.location}: languages {empty} have no train text to learn pieces from")
    return sample_texts(_sentences(man, langs, ("train",)), chars, alpha, make_rng(seed, "tokenizer-extend"))


def _report(base: Tokenizer, extended: Tokenizer, man: Manifest, langs: list[str], chars: int) -> dict[str, Any]:
    texts = group_texts(_sentences(man, langs, ("val", "train")), chars)  # val first; train where there is none
    return {"before": tokenizer_report(base, texts, chars), "after": tokenizer_report(extended, texts, chars)}


def _run(args: argparse.Namespace) -> dict[str, Any]:
    if args.add < 0:
        raise TokenizerTrainError(f"--add must be >= 0, got {args.add}")
    base, base_sha = read_tokenizer_file(args.base)
    spec_vocab = vocab_from_tokenizer(base, base_sha, source=args.base)
    man = Manifest.load(args.shards)
    new = _new_languages(args, man, spec_vocab.languages)
    protect_man = Manifest.load(args.protect) if args.protect else man
    old = [lang for lang in protect_man.text_languages() if args.protect or lang not in new]
    if not old:
        raise TokenizerTrainError(f"{man.location} has only the new languages {new}: give old-language text whose "
                                  "segmentation must not change with --protect SHARDS")
    words = words_of(base, (s for _, s in _sentences(protect_man, old, ("train", "val"))))
    sample = _learning_sample(man, new, args.alpha, args.seed)
    print(f"learning up to {args.add} pieces for {new} on {sum(sample.sampled_chars.values()):,} characters; "
          f"protecting {len(words):,} distinct words of {old} ...", flush=True)
    result = extend(base, sample, words, args.add)
    report = _report(base, result.tokenizer, man, sorted(set(new) | set(old) & set(man.text_languages())),
                     args.report_chars)
    report.update(base=args.base, base_sha256=base_sha, base_size=spec_vocab.size, new_languages=new,
                  protected_languages=old, protected_words=result.protected_words, candidates=result.candidates,
                  rejected=result.rejected, added_pieces=len(result.pieces), added_tags=result.tags)
    return _finish(args, result, report)


def _finish(args: argparse.Namespace, result: Extension, report: dict[str, Any]) -> dict[str, Any]:
    data = result.tokenizer.to_str(pretty=True).encode("utf-8")
    print("before:\n" + format_report_table(report["before"]))
    print("after:\n" + format_report_table(report["after"]))
    if len(result.pieces) < args.add:
        print(f"{PROG}: warning: {len(result.pieces)} pieces added, not {args.add} ({result.candidates} learned "
              f"candidates, {result.rejected} dropped for changing a protected word)", file=sys.stderr)
    _atomic_write(args.out, data)
    _atomic_write(_report_path(args.out), (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {args.out}: {report['base_size']} + {len(result.pieces)} pieces + {len(result.tags)} tags "
          f"({', '.join(result.tags) or 'no tags'}); ids 0..{report['base_size'] - 1} unchanged, "
          f"{result.protected_words:,} protected words segmented as before")
    return report


def main(argv: list[str] | None = None) -> int:
    """``polytrain tokenizer extend ...``; returns the exit code (2 on bad input, with one line)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        _run(args)
    except (ValueError, OSError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    return 0
