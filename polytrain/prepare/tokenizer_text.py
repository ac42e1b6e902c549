"""The text of ``polytrain tokenizer train``: sentences read from shards and the training sample.

``iter_shard_texts`` yields ``(lang, sentence)`` from a manifest's shards; ``sample_texts`` draws
each language's character budget from them with the same alpha-sampling as training
(``mixture.sampling_probs``), repeating small languages and thinning large ones, in one pass.
"""

from __future__ import annotations

import sys
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import fsspec
import numpy as np

from polytrain.shards.manifest import Manifest
from polytrain.shards.mixture import sampling_probs
from polytrain.prepare.tokenizer_layout import TokenizerTrainError

PROG = "polytrain tokenizer train"
DEFAULT_MAX_SAMPLE_CHARS = 100_000_000
"""Default cap of the training sample. The tokenizers maintainers advise training on a sample of
~1 GB (huggingface/tokenizers#267, #316); CJK text without spaces is the memory trap (#1795)."""
DEFAULT_MAX_REPEAT = 20.0
"""Most passes over one language's text when upsampling it: more repeats add weight, no new strings."""
_MAX_MEMBER_BYTES = 1 << 26
MAX_SENTENCE_CHARS = 20_000
"""Longer "sentences" (a minified dump, a text without newlines) are skipped and counted as
``overlong_line``: the trainers' memory grows with the longest string (huggingface/tokenizers#1795).
The same cap as ``polytrain data shard --max-line-chars``'s default."""


# ----------------------------------------------------------------------------- sampling
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
        skipped: if given, counts members skipped as ``invalid_utf8`` or ``oversized``, and lines
            skipped as ``overlong_line`` (by reason).
    """
    man = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    if man.encoding != "text":
        raise TokenizerTrainError(f"{man.location}: token shards hold ids, not text: train the tokenizer on the "
                                  "text shards they were made from")
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
                        yield from _sentences(sides[ext], text, f"{url}: member {member.name}", counts)
        except (tarfile.TarError, EOFError) as err:
            raise TokenizerTrainError(f"{url}: not a readable tar shard ({err})") from None
        except FileNotFoundError:
            raise TokenizerTrainError(f"{url}: shard listed in the manifest is missing") from None


def _sentences(lang: str, text: str, where: str, counts: dict[str, int]) -> Iterator[tuple[str, str]]:
    for sentence in text.split("\n"):
        if len(sentence) > MAX_SENTENCE_CHARS:
            warn(f"{where}: a line of {len(sentence)} characters, over {MAX_SENTENCE_CHARS}: skipped")
            counts["overlong_line"] = counts.get("overlong_line", 0) + 1
        elif sentence.strip():
            yield lang, sentence


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, url: str,
                 counts: dict[str, int]) -> str | None:
    if member.size > _MAX_MEMBER_BYTES:
        warn(f"{url}: member {member.name} is {member.size} bytes, over {_MAX_MEMBER_BYTES}: skipped")
        counts["oversized"] = counts.get("oversized", 0) + 1
        return None
    handle = tar.extractfile(member)
    data = handle.read() if handle is not None else b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        warn(f"{url}: member {member.name} is not UTF-8 ({err.reason} at byte {err.start}): skipped")
        counts["invalid_utf8"] = counts.get("invalid_utf8", 0) + 1
        return None


def warn(message: str) -> None:
    """Print one ``polytrain tokenizer train: warning: ...`` line to stderr."""
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def group_texts(pairs: Iterable[tuple[str, str]], max_chars: int | None) -> dict[str, list[str]]:
    """Sentences by language (sorted), at most about ``max_chars`` characters of each (``None``: all)."""
    out: dict[str, list[str]] = {}
    used: dict[str, int] = {}
    for lang, sentence in pairs:
        if max_chars is not None and used.get(lang, 0) >= max_chars:
            continue
        out.setdefault(lang, []).append(sentence)
        used[lang] = used.get(lang, 0) + len(sentence)
    return dict(sorted(out.items()))
