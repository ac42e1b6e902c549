"""``polytrain tokenizer train``: a multilingual Unigram/BPE tokenizer trained on alpha-sampled text.

Pipeline: train shards -> ``(lang, sentence)`` -> per-language character budget from the same
alpha-sampling as training (``mixture.sampling_probs``; XLM learned its BPE vocabulary on
alpha-sampled sentences, Lample & Conneau 2019 §3.1, and XLM-R followed it, fairseq#1540, so that
low-resource languages get vocabulary) -> Hugging Face ``tokenizers`` trainer -> canonical
``tokenizer.json`` plus a per-language report (fertility, UNK rate, byte fallback, coverage).

The id layout and the untrained pipeline are in ``polytrain.prepare.tokenizer_layout``, reading and
sampling the text in ``polytrain.prepare.tokenizer_text`` and the report in
``polytrain.prepare.tokenizer_report``; this module trains and canonicalizes, and is the command.
Options, report fields and limitations are documented in ``docs/tokenizer.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tokenizers import AddedToken, Tokenizer, trainers

from polytrain.shards.manifest import Manifest
from polytrain.shards.mixture import format_mixture_table, natural_probs
from polytrain.progress import Progress, add_progress_option
from polytrain.rng import make_rng
from polytrain.prepare.tokenizer_layout import (
    BYTE_TOKENS,
    UNK,
    TokenizerModel,
    TokenizerTrainError,
    build_tokenizer,
    special_tokens_for,
)
from polytrain.prepare.tokenizer_report import format_report_table, tokenizer_report
from polytrain.prepare.tokenizer_text import (
    DEFAULT_MAX_REPEAT,
    DEFAULT_MAX_SAMPLE_CHARS,
    PROG,
    TextSample,
    group_texts,
    iter_shard_texts,
    sample_texts,
    warn,
)
from polytrain.shards.vocab import vocab_from_tokenizer
from polytrain.types import SPECIAL_TOKENS

_SCORE_DECIMALS = 6  # Unigram scores are rounded so trainer float noise never reaches the file.
_LADDER_STEP = 1e-4  # UnigramTrainer::finalize gives pruned required chars min_score + k * 1e-4.
_BYTE_SCORE_DROP = 1000.0  # byte pieces score far below any real piece: literal "<0x41>" text stays text


def check_vocab_size(vocab_size: int, n_langs: int, byte_fallback: bool) -> int:
    """Refuse a ``vocab_size`` that leaves no room for learned pieces; returns the reserved ids."""
    reserved = len(SPECIAL_TOKENS) + n_langs + (len(BYTE_TOKENS) if byte_fallback else 0)
    if vocab_size <= reserved:
        raise TokenizerTrainError(
            f"vocab size {vocab_size} is too small: {len(SPECIAL_TOKENS)} special tokens + {n_langs} "
            f"language tags{' + 256 byte-fallback tokens' if byte_fallback else ''} leave no room for "
            f"learned pieces (use more than {reserved})")
    return reserved


def _make_trainer(model: TokenizerModel, vocab_size: int, specials: list[str],
                  show_progress: bool = False) -> trainers.Trainer:
    # normalized=False: NFKC (and Metaspace) never touch or split the tags (tokenizers#1408).
    added = [AddedToken(tok, special=True, normalized=False) for tok in specials]
    if model == "unigram":
        return trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=added, unk_token=UNK,
                                       show_progress=show_progress)
    return trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=added, show_progress=show_progress)


def train_from_sample(sample: TextSample, languages: Iterable[str] | None = None,
                      vocab_size: int = 8000, model: TokenizerModel = "unigram",
                      byte_fallback: bool = True, show_progress: bool = False) -> Tokenizer:
    """Train on a :class:`TextSample` and return the canonical tokenizer (layout checked).

    Args:
        sample: the language-balanced text.
        languages: languages that get a tag (default: the sample's); must include the sample's.
        vocab_size: total size including specials, tags and byte tokens.
        model: ``"unigram"`` or ``"bpe"``.
        byte_fallback: append the 256 ``<0xNN>`` tokens and encode unknown characters as bytes
            instead of ``<unk>`` (the trainers do not create them: tokenizers#1183, #1515).
        show_progress: the ``tokenizers`` trainer draws its progress bars on stderr (terminals).
    """
    langs = sorted(set(sample.texts) if languages is None else set(languages))
    untagged = sorted(set(sample.texts) - set(langs))
    if untagged:
        raise TokenizerTrainError(f"languages {untagged} have training text but no tag; add them to languages")
    specials = special_tokens_for(langs)
    reserved = check_vocab_size(vocab_size, len(langs), byte_fallback)
    if sum(sample.sampled_chars.values()) == 0:
        raise TokenizerTrainError("no training text: every sentence is empty")
    tokenizer = build_tokenizer(model)
    trainer = _make_trainer(model, vocab_size - (len(BYTE_TOKENS) if byte_fallback else 0), specials, show_progress)
    try:
        tokenizer.train_from_iterator(sample.iter_texts(), trainer)
    except Exception as err:  # tokenizers raises plain Exception, e.g. when the alphabet does not fit
        alphabet = len({c for batch in sample.iter_texts() for s in batch for c in s})
        raise TokenizerTrainError(f"training failed with vocab size {vocab_size}: {err} (the text has "
                                  f"{alphabet} distinct characters, {reserved} ids are reserved: use a vocab "
                                  f"size of at least about {reserved + alphabet})") from None
    tokenizer = _canonicalize(tokenizer, len(specials), byte_fallback)
    vocab = vocab_from_tokenizer(tokenizer, source="trained tokenizer")
    if list(vocab.languages) != langs:  # the trainer must honour the special-token order
        raise RuntimeError(f"trained tokenizer has tags for {list(vocab.languages)}, expected {langs}")
    return tokenizer


def _canonicalize(tokenizer: Tokenizer, num_special: int, byte_fallback: bool) -> Tokenizer:
    """Make the file a function of the text: canonical piece order and scores, then byte tokens.

    The tokenizers trainers iterate hash maps, so ties and the last float digits of Unigram scores
    vary from run to run (tokenizers#1794, PR #2066); here scores are rounded and ties sorted.
    """
    data = json.loads(tokenizer.to_str())
    spec = data["model"]
    if spec["type"] == "Unigram":
        pieces = _canonical_unigram([(p, float(s)) for p, s in spec["vocab"]], num_special)
        if byte_fallback:
            floor = min(s for _, s in pieces[num_special:])
            known = {p for p, _ in pieces}
            pieces += [(b, round(floor - _BYTE_SCORE_DROP, _SCORE_DECIMALS))
                       for b in BYTE_TOKENS if b not in known]
        spec["vocab"] = [[p, s] for p, s in pieces]
        spec["unk_id"] = SPECIAL_TOKENS.index(UNK)
    elif byte_fallback:  # BPE: ids are already deterministic; append the byte tokens
        nxt = max(spec["vocab"].values()) + 1
        for b in BYTE_TOKENS:
            if b not in spec["vocab"]:
                spec["vocab"][b], nxt = nxt, nxt + 1
    spec["byte_fallback"] = byte_fallback
    if byte_fallback:
        metaspace = data["decoder"]
        data["decoder"] = {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, metaspace]}
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def _canonical_unigram(pieces: list[tuple[str, float]], num_special: int) -> list[tuple[str, float]]:
    head = [(p, 0.0) for p, _ in pieces[:num_special]]
    rest = pieces[num_special:]
    if not rest:
        return head
    floor = min(s for _, s in rest)

    def on_ladder(score: float) -> bool:
        k = (score - floor) / _LADDER_STEP
        return abs(k - round(k)) < 1e-6

    # finalize() hands out floor + k * 1e-4 to characters EM pruned, in hash-set order: reassign
    # those scores by character so the same characters always get the same scores.
    ladder = [i for i, (p, s) in enumerate(rest) if len(p) == 1 and on_ladder(s)]
    scores = sorted((rest[i][1] for i in ladder), reverse=True)
    for i, char, score in zip(ladder, sorted(rest[i][0] for i in ladder), scores):
        rest[i] = (char, score)
    rounded = [(p, round(s, _SCORE_DECIMALS)) for p, s in rest]
    return head + sorted(rounded, key=lambda ps: (-ps[1], ps[0]))


def train_tokenizer(texts_by_lang: Mapping[str, Iterable[str]] | Iterable[tuple[str, str]],
                    languages: Iterable[str] | None = None, vocab_size: int = 8000,
                    model: TokenizerModel = "unigram", alpha: float = 0.3,
                    sample_chars: int | None = None, seed: int = 0, byte_fallback: bool = True,
                    max_repeat: float = DEFAULT_MAX_REPEAT) -> Tokenizer:
    """Train polytrain's tokenizer on alpha-sampled multilingual text (in-memory convenience).

    Args:
        texts_by_lang: ``{lang: sentences}`` or ``(lang, sentence)`` pairs.
        languages: languages that get a ``<lang:xx>`` tag (default: those with text).
        vocab_size: total vocabulary size (specials, tags and byte tokens included).
        model: ``"unigram"`` or ``"bpe"``.
        alpha: language sampling exponent; 0.3 per XLM-R (Conneau et al. 2020).
        sample_chars: characters to train on (default: all, at most ``DEFAULT_MAX_SAMPLE_CHARS``).
        seed: seeds the sampling (``make_rng(seed, "tokenizer-sample")``).
        byte_fallback: see :func:`train_from_sample`.
        max_repeat: see :func:`sample_texts`.
    """
    if isinstance(texts_by_lang, Mapping):
        grouped = {lang: list(texts_by_lang[lang]) for lang in sorted(texts_by_lang)}
    else:
        grouped = group_texts(texts_by_lang, None)
    chars = {lang: sum(map(len, ss)) for lang, ss in grouped.items()}
    empty = sorted(lang for lang, n in chars.items() if n == 0)
    if not chars or len(empty) == len(chars):
        raise TokenizerTrainError("no training text: every language is empty")
    if empty:
        raise TokenizerTrainError(f"languages {empty} have no training text")
    flat = ((lang, s) for lang in chars for s in grouped[lang])
    sample = sample_texts(flat, chars, alpha, make_rng(seed, "tokenizer-sample"), sample_chars, max_repeat)
    return train_from_sample(sample, chars if languages is None else languages, vocab_size, model,
                             byte_fallback)


# ----------------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Train a multilingual Unigram/BPE tokenizer "
                                "on alpha-sampled shard text, with language tags and a per-language report.")
    p.add_argument("--shards", required=True, help="shard folder or its manifest.json")
    p.add_argument("--out", required=True, help="tokenizer file to write (e.g. tok.json); "
                   "the report goes to tok.report.json")
    p.add_argument("--vocab-size", type=int, default=8000, help="total size incl. specials, tags, bytes")
    p.add_argument("--model", choices=["unigram", "bpe"], default="unigram")
    p.add_argument("--alpha", type=float, default=0.3, help="language sampling exponent (XLM-R: 0.3)")
    p.add_argument("--sample-chars", type=int, default=None,
                   help=f"characters to train on (default: all, at most {DEFAULT_MAX_SAMPLE_CHARS:,})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--byte-fallback", action=argparse.BooleanOptionalAction, default=True,
                   help="add <0xNN> tokens so no character becomes <unk>")
    p.add_argument("--max-repeat", type=float, default=DEFAULT_MAX_REPEAT,
                   help="most passes over a small language's text when upsampling it")
    p.add_argument("--report-chars", type=int, default=1_000_000,
                   help="characters per language the report encodes")
    add_progress_option(p)
    return p


def _report_path(out: str) -> str:
    return (out[:-5] if out.endswith(".json") else out) + ".report.json"


def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check_args(args: argparse.Namespace) -> None:
    if args.vocab_size <= 0:
        raise TokenizerTrainError(f"--vocab-size must be > 0, got {args.vocab_size}")
    if not (math.isfinite(args.alpha) and args.alpha >= 0):
        raise TokenizerTrainError(f"--alpha must be a number >= 0, got {args.alpha}")
    if args.sample_chars is not None and args.sample_chars <= 0:
        raise TokenizerTrainError(f"--sample-chars must be > 0, got {args.sample_chars}")
    if args.report_chars <= 0:
        raise TokenizerTrainError(f"--report-chars must be > 0, got {args.report_chars}")
    folder = os.path.dirname(os.path.abspath(args.out))
    if os.path.isdir(args.out):
        raise TokenizerTrainError(f"--out {args.out} is a folder; name the tokenizer file (e.g. tok.json)")
    if not os.path.isdir(folder):
        raise TokenizerTrainError(f"--out {args.out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise TokenizerTrainError(f"--out {args.out}: folder {folder} is not writable")


def _reading(texts: Iterable[tuple[str, str]], progress: Progress, what: str, total: int) -> Iterator[tuple[str, str]]:
    """``texts``, reporting the characters read so far (``total``: the manifest's count, about)."""
    chars = 0
    for lang, sentence in texts:
        chars += len(sentence)
        progress.update(lambda: f"{what}: {chars:,} of about {total:,} characters ({chars / max(total, 1):.0%})")
        yield lang, sentence


def _run(args: argparse.Namespace) -> dict[str, Any]:
    _check_args(args)
    progress = Progress(PROG, args.progress_every)
    man = Manifest.load(args.shards)
    total = sum(shard.chars for shard in man.shards(split="train"))
    languages = man.text_languages()
    if not languages:
        raise TokenizerTrainError(f"{man.location}: the manifest lists no shards")
    check_vocab_size(args.vocab_size, len(languages), args.byte_fallback)  # before reading any text
    chars: dict[str, int] = dict.fromkeys(languages, 0)
    for lang, sentence in _reading(iter_shard_texts(man, "train"), progress, "pass 1/2, counting", total):  # n_l
        chars[lang] += len(sentence)
    if not any(chars.values()):
        raise TokenizerTrainError(f"{man.location}: the train shards hold no text")
    for lang in sorted(lang for lang, n in chars.items() if n == 0):
        warn(f"language {lang!r} has no train text: it gets a tag but no sampled vocabulary")
    chars = {lang: n for lang, n in chars.items() if n > 0}
    skipped: dict[str, int] = {}
    sample = sample_texts(_reading(iter_shard_texts(man, "train", skipped), progress, "pass 2/2, sampling", total),
                          chars, args.alpha, make_rng(args.seed, "tokenizer-sample"), args.sample_chars,
                          args.max_repeat)
    print(f"language mixture (alpha={args.alpha}; observed = characters the trainer sees):")
    print(format_mixture_table(chars, sample.probs, sample.sampled_chars, unit="chars"))
    print(f"training {args.model} tokenizer, vocab size {args.vocab_size}, on "
          f"{sum(sample.sampled_chars.values()):,} characters ...", flush=True)
    with progress.heartbeat(f"training the {args.model} model"):  # in Rust: no progress to report but the time
        tokenizer = train_from_sample(sample, languages, args.vocab_size, args.model, args.byte_fallback,
                                      show_progress=progress.interactive)
    progress.done(f"trained {tokenizer.get_vocab_size(with_added_tokens=True)} tokens; writing the report")
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    if size != args.vocab_size:
        warn(f"the vocabulary has {size} entries, not the requested {args.vocab_size} (too little "
              "text for more pieces, or an alphabet larger than the room left)")
    val = group_texts(iter_shard_texts(man, "val"), args.report_chars)
    texts = {lang: val.get(lang) or sample.texts.get(lang, []) for lang in languages}
    report = tokenizer_report(tokenizer, texts, args.report_chars)
    for lang, stats in report["languages"].items():
        stats["text"] = "val" if val.get(lang) else "train"
    return _finish(args, tokenizer, sample, report, skipped, man)


def _finish(args: argparse.Namespace, tokenizer: Tokenizer, sample: TextSample,
            report: dict[str, Any], skipped: dict[str, int], man: Manifest) -> dict[str, Any]:
    data = tokenizer.to_str(pretty=True).encode("utf-8")
    natural = natural_probs(sample.available_chars)
    seen = sum(sample.sampled_chars.values())
    report["sampling"] = {lang: {
        "chars": n, "natural_share": natural[lang], "prob": sample.probs[lang],
        "target_chars": sample.target_chars[lang], "sampled_chars": sample.sampled_chars[lang],
        "observed_share": sample.sampled_chars[lang] / seen,
        "passes": sample.plan[lang][0] + (1 if sample.plan[lang][1] else 0),
    } for lang, n in sample.available_chars.items()}
    report["options"] = {"model": args.model, "vocab_size": args.vocab_size, "alpha": args.alpha,
                         "sample_chars": args.sample_chars, "seed": args.seed,
                         "byte_fallback": args.byte_fallback, "max_repeat": args.max_repeat}
    report["manifest"] = {"location": man.location, "sha256": man.sha256, "skipped": skipped}
    report["tokenizer_sha256"] = hashlib.sha256(data).hexdigest()
    print(format_report_table(report))
    _atomic_write(args.out, data)
    _atomic_write(_report_path(args.out),
                  (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {args.out} ({report['vocab_size']} tokens, sha256 {report['tokenizer_sha256'][:12]}) "
          f"and {_report_path(args.out)}")
    return report


def main(argv: list[str] | None = None) -> int:
    """``polytrain tokenizer train ...``; returns the exit code (2 on bad input, with one line)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or an argparse usage error (2, already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        _run(args)
    except (ValueError, OSError) as err:  # ManifestError and TokenizerTrainError are ValueErrors
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    return 0
