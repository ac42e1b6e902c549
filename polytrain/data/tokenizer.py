"""``polytrain tokenizer train``: a multilingual Unigram/BPE tokenizer trained on alpha-sampled text.

Pipeline: train shards -> ``(lang, sentence)`` -> per-language character budget from the same
alpha-sampling as training (``mixture.sampling_probs``; XLM learned its BPE vocabulary on
alpha-sampled sentences, Lample & Conneau 2019 §3.1, and XLM-R followed it, fairseq#1540, so that
low-resource languages get vocabulary) -> Hugging Face ``tokenizers`` trainer -> canonical
``tokenizer.json`` plus a per-language report (fertility, UNK rate, byte fallback, coverage).

Id layout (checked by ``polytrain.data.vocab.vocab_from_tokenizer``): ``<s> <pad> </s> <unk> <mask>``
are ids 0..4, then one ``<lang:xx>`` tag per language sorted by code, then learned pieces, then (with
byte fallback) the 256 ``<0xNN>`` byte tokens. Normalizer NFKC, pre-tokenizer and decoder Metaspace
(``▁``, prepend "always"), no post-processor: objectives add special tokens themselves.
Options, report fields and limitations are documented in ``docs/tokenizer.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import fsspec
import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from polytrain.data.manifest import Manifest
from polytrain.data.mixture import format_mixture_table, natural_probs, sampling_probs
from polytrain.data.rng import make_rng
from polytrain.data.vocab import WORD_START, vocab_from_tokenizer
from polytrain.types import SPECIAL_TOKENS, language_tag

TokenizerModel = Literal["unigram", "bpe"]
PROG = "polytrain tokenizer train"
UNK = SPECIAL_TOKENS[3]
BYTE_TOKENS: tuple[str, ...] = tuple(f"<0x{b:02X}>" for b in range(256))
"""SentencePiece-style byte-fallback tokens, appended after the learned pieces."""
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
"""Scripts written without spaces between words: the report counts fertility per character."""
DEFAULT_MAX_SAMPLE_CHARS = 100_000_000
"""Default cap of the training sample. The tokenizers maintainers advise training on a sample of
~1 GB (huggingface/tokenizers#267, #316); CJK text without spaces is the memory trap (#1795)."""
DEFAULT_MAX_REPEAT = 20.0
"""Most passes over one language's text when upsampling it: more repeats add weight, no new strings."""
_SCORE_DECIMALS = 6  # Unigram scores are rounded so trainer float noise never reaches the file.
_LADDER_STEP = 1e-4  # UnigramTrainer::finalize gives pruned required chars min_score + k * 1e-4.
_BYTE_SCORE_DROP = 1000.0  # byte pieces score far below any real piece: literal "<0x41>" text stays text
_MAX_MEMBER_BYTES = 1 << 26


class TokenizerTrainError(ValueError):
    """Bad input to the tokenizer trainer; the message is one line naming what and where."""


def special_tokens_for(languages: Iterable[str]) -> list[str]:
    """``SPECIAL_TOKENS`` then one ``<lang:xx>`` tag per language, sorted: ids 0, 1, 2, ..."""
    return [*SPECIAL_TOKENS, *(language_tag(lang) for lang in sorted(set(languages)))]


def build_tokenizer(model: TokenizerModel = "unigram") -> Tokenizer:
    """An untrained tokenizer with polytrain's normalizer, pre-tokenizer and decoder.

    Args:
        model: ``"unigram"`` (SentencePiece-style, as XLM-R and mBART) or ``"bpe"``.
    """
    if model == "unigram":
        tokenizer = Tokenizer(models.Unigram())
    elif model == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    else:
        raise TokenizerTrainError(f"model must be 'unigram' or 'bpe', got {model!r}")
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD_START, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=WORD_START, prepend_scheme="always")
    return tokenizer


@dataclass
class TextSample:
    """Language-balanced training text: what the trainer sees, and how it was drawn (all by language)."""

    texts: dict[str, list[str]]
    """Kept sentences, shuffled."""
    available_chars: dict[str, int]
    """``n_l``: characters in the input."""
    probs: dict[str, float]
    """``q_l = sampling_probs(available_chars, alpha)``."""
    target_chars: dict[str, float]
    """``q_l * budget``: what the language should contribute."""
    sampled_chars: dict[str, int]
    """Characters the trainer actually sees, repeats included (short of target when capped)."""
    plan: dict[str, tuple[int, int]]
    """(full passes over ``texts``, sentences of one more partial pass)."""

    def iter_texts(self, batch: int = 1000) -> Iterator[list[str]]:
        """Batches of training sentences in sorted language order, repeated as planned."""
        for lang in sorted(self.texts):
            full, extra = self.plan[lang]
            sentences = self.texts[lang] * full + self.texts[lang][:extra]
            for start in range(0, len(sentences), batch):
                yield sentences[start:start + batch]


def sample_texts(texts: Iterable[tuple[str, str]], chars: Mapping[str, int], alpha: float,
                 rng: np.random.Generator, sample_chars: int | None = None,
                 max_repeat: float = DEFAULT_MAX_REPEAT) -> TextSample:
    """Draw ``q_l * budget`` characters of each language: Bernoulli-thin large ones, repeat small ones.

    One streaming pass; memory holds at most ``min(n_l, target_l)`` characters per language.

    Args:
        texts: ``(lang, sentence)`` pairs; every language must be in ``chars``.
        chars: ``n_l``, characters per language in ``texts`` (> 0 each).
        alpha: sampling exponent (``mixture.sampling_probs``); 0.3 as XLM-R.
        rng: drives the thinning and the shuffle.
        sample_chars: total budget; default ``min(sum n_l, DEFAULT_MAX_SAMPLE_CHARS)``.
        max_repeat: most passes over a small language's text.
    """
    if max_repeat < 1:
        raise TokenizerTrainError(f"max_repeat must be >= 1, got {max_repeat}")
    probs = sampling_probs(chars, alpha)
    total = sum(chars.values())
    budget = min(total, DEFAULT_MAX_SAMPLE_CHARS) if sample_chars is None else sample_chars
    if budget <= 0:
        raise TokenizerTrainError(f"sample_chars must be > 0, got {budget}")
    target = {lang: q * budget for lang, q in probs.items()}
    keep = {lang: min(1.0, target[lang] / chars[lang]) for lang in probs}
    kept: dict[str, list[str]] = {lang: [] for lang in probs}
    first: dict[str, str] = {}
    for lang, sentence in texts:
        if lang not in keep:
            raise TokenizerTrainError(f"text of language {lang!r} but no character count for it")
        first.setdefault(lang, sentence)
        if rng.random() < keep[lang]:
            kept[lang].append(sentence)
    plan: dict[str, tuple[int, int]] = {}
    sampled: dict[str, int] = {}
    for lang in sorted(kept):
        if not kept[lang] and lang in first:  # thinning may drop all of a tiny share: keep one
            kept[lang].append(first[lang])
        rng.shuffle(kept[lang])
        plan[lang], sampled[lang] = _repeat_plan(kept[lang], target[lang], chars[lang], max_repeat)
    return TextSample(texts=kept, available_chars=dict(sorted(chars.items())), probs=probs,
                      target_chars=target, sampled_chars=sampled, plan=plan)


def _repeat_plan(sentences: list[str], target: float, available: int,
                 max_repeat: float) -> tuple[tuple[int, int], int]:
    cum = np.cumsum([len(s) for s in sentences], dtype=np.int64)
    kept = int(cum[-1]) if len(cum) else 0
    if target <= available or kept == 0:
        return (1, 0), kept
    want = min(target, max_repeat * kept)
    full = int(want // kept)
    rest = want - full * kept
    extra = int(np.searchsorted(cum, rest, side="right"))  # longest prefix within the budget
    return (full, extra), full * kept + (int(cum[extra - 1]) if extra else 0)


def _make_trainer(model: TokenizerModel, vocab_size: int, specials: list[str]) -> trainers.Trainer:
    # normalized=False: NFKC (and Metaspace) never touch or split the tags (tokenizers#1408).
    added = [AddedToken(tok, special=True, normalized=False) for tok in specials]
    if model == "unigram":
        return trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=added, unk_token=UNK,
                                       show_progress=False)
    return trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=added, show_progress=False)


def train_from_sample(sample: TextSample, languages: Iterable[str] | None = None,
                      vocab_size: int = 8000, model: TokenizerModel = "unigram",
                      byte_fallback: bool = True) -> Tokenizer:
    """Train on a :class:`TextSample` and return the canonical tokenizer (layout checked).

    Args:
        sample: the language-balanced text.
        languages: languages that get a tag (default: the sample's); must include the sample's.
        vocab_size: total size including specials, tags and byte tokens.
        model: ``"unigram"`` or ``"bpe"``.
        byte_fallback: append the 256 ``<0xNN>`` tokens and encode unknown characters as bytes
            instead of ``<unk>`` (the trainers do not create them: tokenizers#1183, #1515).
    """
    langs = sorted(set(sample.texts) if languages is None else set(languages))
    untagged = sorted(set(sample.texts) - set(langs))
    if untagged:
        raise TokenizerTrainError(f"languages {untagged} have training text but no tag; add them to languages")
    specials = special_tokens_for(langs)
    reserved = len(specials) + (len(BYTE_TOKENS) if byte_fallback else 0)
    if vocab_size <= reserved:
        raise TokenizerTrainError(
            f"vocab size {vocab_size} is too small: {len(SPECIAL_TOKENS)} special tokens + {len(langs)} "
            f"language tags{' + 256 byte-fallback tokens' if byte_fallback else ''} leave no room for "
            f"learned pieces (use more than {reserved})")
    if sum(sample.sampled_chars.values()) == 0:
        raise TokenizerTrainError("no training text: every sentence is empty")
    tokenizer = build_tokenizer(model)
    trainer = _make_trainer(model, vocab_size - (len(BYTE_TOKENS) if byte_fallback else 0), specials)
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
        grouped = _group(texts_by_lang, None)
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


# ----------------------------------------------------------------------------- shards
def iter_shard_texts(manifest: Manifest | str, split: str = "train",
                     skipped: dict[str, int] | None = None) -> Iterator[tuple[str, str]]:
    """``(lang, sentence)`` for every non-empty sentence of the ``split`` shards, in manifest order.

    Mono ``{key}.txt`` members are split on ``"\\n"``; parallel ``{key}.src.txt``/``{key}.tgt.txt``
    are attributed to the shard's ``src_lang``/``tgt_lang``. Other members (``.json``) are not read.
    Shards are read with plain ``tarfile``; nothing is extracted to disk or unpickled.

    Args:
        manifest: a :class:`Manifest` or its path/folder/URL.
        split: ``"train"`` or ``"val"``.
        skipped: if given, counts members skipped as ``invalid_utf8`` or ``oversized`` (by reason).
    """
    man = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    counts = skipped if skipped is not None else {}
    for shard in man.shards(split=split):
        sides = ({"txt": shard.lang} if shard.kind == "mono"
                 else {"src.txt": shard.src_lang or "", "tgt.txt": shard.tgt_lang or ""})
        url = man.shard_url(shard)
        try:
            with fsspec.open(url, "rb") as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
                for member in tar:
                    ext = member.name.rsplit("/", 1)[-1].partition(".")[2]
                    if not member.isfile() or ext not in sides:
                        continue
                    text = _read_member(tar, member, url, counts)
                    if text is not None:
                        lang = sides[ext]
                        yield from ((lang, s) for s in text.split("\n") if s.strip())
        except (tarfile.TarError, EOFError) as err:
            raise TokenizerTrainError(f"{url}: not a readable tar shard ({err})") from None
        except FileNotFoundError:
            raise TokenizerTrainError(f"{url}: shard listed in the manifest is missing") from None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, url: str,
                 counts: dict[str, int]) -> str | None:
    if member.size > _MAX_MEMBER_BYTES:
        _warn(f"{url}: member {member.name} is {member.size} bytes, over {_MAX_MEMBER_BYTES}: skipped")
        counts["oversized"] = counts.get("oversized", 0) + 1
        return None
    handle = tar.extractfile(member)
    data = handle.read() if handle is not None else b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        _warn(f"{url}: member {member.name} is not UTF-8 ({err.reason} at byte {err.start}): skipped")
        counts["invalid_utf8"] = counts.get("invalid_utf8", 0) + 1
        return None


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _group(pairs: Iterable[tuple[str, str]], max_chars: int | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    used: dict[str, int] = {}
    for lang, sentence in pairs:
        if max_chars is not None and used.get(lang, 0) >= max_chars:
            continue
        out.setdefault(lang, []).append(sentence)
        used[lang] = used.get(lang, 0) + len(sentence)
    return dict(sorted(out.items()))


# ----------------------------------------------------------------------------- report
def _base_lang(lang: str) -> str:
    return lang.replace("-", "_").split("_")[0].lower()


def _language_stats(tokenizer: Tokenizer, lang: str, sentences: list[str], size: int, unk_id: int,
                    byte_ids: np.ndarray) -> dict[str, Any]:
    per_char = _base_lang(lang) in NO_SPACE_LANGUAGES
    encodings = tokenizer.encode_batch(sentences, add_special_tokens=False)
    ids = np.asarray([i for enc in encodings for i in enc.ids], dtype=np.int64)
    if per_char:
        types = {c for s in sentences for c in s if not c.isspace()}
        units = sum(1 for s in sentences for c in s if not c.isspace())
    else:
        types = {w for s in sentences for w in s.split()}
        units = sum(len(s.split()) for s in sentences)
    ordered = sorted(types)
    bad = {unk_id, *byte_ids.tolist()}
    covered = sum(1 for enc in tokenizer.encode_batch(ordered, add_special_tokens=False)
                  if bad.isdisjoint(enc.ids))
    n_unk = int(np.sum(ids == unk_id))
    n_bytes = int(np.isin(ids, byte_ids).sum())
    distinct = int(np.unique(ids).size)
    return {
        "sentences": len(sentences),
        "chars": sum(map(len, sentences)),
        "unit": "char" if per_char else "word",
        "units": units,
        "tokens": int(ids.size),
        "fertility": ids.size / units if units else None,
        "unk_tokens": n_unk,
        "unk_rate": n_unk / ids.size if ids.size else 0.0,
        "byte_fallback_tokens": n_bytes,
        "byte_fallback_rate": n_bytes / ids.size if ids.size else 0.0,
        "distinct_tokens": distinct,
        "vocab_used": distinct / size,
        "types": len(ordered),
        "types_covered": covered / len(ordered) if ordered else None,
    }


def tokenizer_report(tokenizer: Tokenizer, texts_by_lang: Mapping[str, Iterable[str]],
                     max_chars: int | None = None) -> dict[str, Any]:
    """Per-language quality of a tokenizer on held-out text.

    Per language (see ``docs/tokenizer.md``): ``fertility`` (tokens per whitespace word, or per
    non-space character where ``unit`` is ``"char"``: zh, ja, th, lo, km, my), ``unk_rate`` and
    ``byte_fallback_rate`` (share of tokens), ``vocab_used`` (distinct ids used / vocabulary size),
    ``types_covered`` (share of distinct words, or characters, encoded without ``<unk>`` or bytes).

    Args:
        tokenizer: a tokenizer with polytrain's id layout.
        texts_by_lang: sentences per language.
        max_chars: read at most about this many characters per language.
    """
    vocab = vocab_from_tokenizer(tokenizer, source="tokenizer")
    byte_ids = np.asarray([i for i in map(tokenizer.token_to_id, BYTE_TOKENS) if i is not None], dtype=np.int64)
    langs: dict[str, Any] = {}
    for lang in sorted(texts_by_lang):
        sentences = _group(((lang, s) for s in texts_by_lang[lang]), max_chars).get(lang, [])
        langs[lang] = _language_stats(tokenizer, lang, sentences, vocab.size, vocab.unk_id, byte_ids)
    return {"vocab_size": vocab.size, "num_special": vocab.num_special,
            "languages_with_tags": list(vocab.languages), "byte_fallback": bool(byte_ids.size),
            "languages": langs}


def format_report_table(report: Mapping[str, Any]) -> str:
    """The per-language part of a :func:`tokenizer_report` as a plain-text table."""
    rows = [["lang", "text", "tok/unit", "unk", "bytes", "vocab used", "types covered"]]
    for lang, st in report["languages"].items():
        fert = "-" if st["fertility"] is None else f"{st['fertility']:.2f}/{st['unit']}"
        cov = "-" if st["types_covered"] is None else f"{100 * st['types_covered']:.1f}%"
        rows.append([lang, str(st.get("text", "")), fert, f"{100 * st['unk_rate']:.2f}%",
                     f"{100 * st['byte_fallback_rate']:.2f}%", f"{100 * st['vocab_used']:.1f}%", cov])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(r, widths))).rstrip() for r in rows)


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


def _manifest_languages(man: Manifest) -> list[str]:
    langs = set(man.languages("mono"))
    for shard in man.shards(kind="parallel"):
        langs.update(x for x in (shard.src_lang, shard.tgt_lang) if x)
    return sorted(langs)


def _run(args: argparse.Namespace) -> dict[str, Any]:
    _check_args(args)
    man = Manifest.load(args.shards)
    languages = _manifest_languages(man)
    if not languages:
        raise TokenizerTrainError(f"{man.location}: the manifest lists no shards")
    chars: dict[str, int] = dict.fromkeys(languages, 0)
    for lang, sentence in iter_shard_texts(man, "train"):  # pass 1: exact n_l per language
        chars[lang] += len(sentence)
    if not any(chars.values()):
        raise TokenizerTrainError(f"{man.location}: the train shards hold no text")
    for lang in sorted(lang for lang, n in chars.items() if n == 0):
        _warn(f"language {lang!r} has no train text: it gets a tag but no sampled vocabulary")
    chars = {lang: n for lang, n in chars.items() if n > 0}
    skipped: dict[str, int] = {}
    sample = sample_texts(iter_shard_texts(man, "train", skipped), chars, args.alpha,
                          make_rng(args.seed, "tokenizer-sample"), args.sample_chars, args.max_repeat)
    print(f"language mixture (alpha={args.alpha}; observed = characters the trainer sees):")
    print(format_mixture_table(chars, sample.probs, sample.sampled_chars, unit="chars"))
    print(f"training {args.model} tokenizer, vocab size {args.vocab_size}, on "
          f"{sum(sample.sampled_chars.values()):,} characters ...", flush=True)
    tokenizer = train_from_sample(sample, languages, args.vocab_size, args.model, args.byte_fallback)
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    if size != args.vocab_size:
        _warn(f"the vocabulary has {size} entries, not the requested {args.vocab_size} (too little "
              "text for more pieces, or an alphabet larger than the room left)")
    val = _group(iter_shard_texts(man, "val"), args.report_chars)
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
