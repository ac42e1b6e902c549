"""``polytrain data tokenize``: text shards -> token shards (token ids, many documents per tar sample).

Every text shard becomes one token shard at the same relative path, holding the same documents in
the same order, tokenized by ``polytrain.shards.tokenize.TextEncoder`` (the stream's own encoder),
so training on either gives the same batches (docs/streaming.md). A token sample holds documents
until its ids reach ``--member-bytes`` (about 1 MB), as raw little-endian ``uint16`` (vocabularies
up to 65,536) or ``uint32`` arrays with a ``.json`` of keys and boundaries
(``polytrain.shards.documents``). The manifest records the encoding and the tokenizer's sha256;
training with another tokenizer is refused. Shards are written to ``NAME.tar.tmp`` and renamed when
complete, the manifest last (as ``polytrain data shard`` does).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
from tokenizers import Tokenizer

from polytrain.errors import ConfigError
from polytrain.prepare.shard import OneLineParser, check_out, prepare_out, run_command
from polytrain.prepare.tarwriter import TarFile, encode_sample
from polytrain.progress import Progress, add_progress_option
from polytrain.shards.documents import Document, token_dtype, token_members
from polytrain.shards.manifest import MANIFEST_NAME, Manifest, ShardInfo
from polytrain.shards.reader import StreamStats, read_documents
from polytrain.shards.tokenize import TextEncoder
from polytrain.shards.vocab import check_languages, read_tokenizer_file, vocab_from_tokenizer

PROG = "polytrain data tokenize"


class TokenizeError(ValueError):
    """A user error (one line): unreadable manifest or tokenizer, token shards as input, bad folder."""


@dataclass(frozen=True)
class TokenizeOptions:
    """How text becomes token shards (stored in the manifest's ``options.tokenize``)."""

    member_bytes: int = 1_000_000
    """A tar sample holds documents until their ids reach this many bytes."""
    max_line_chars: int = 20_000
    """Longer sentences are cut to this length before encoding, as ``data.max_line_chars`` does."""


@dataclass
class _Tally:
    """What one token shard holds."""

    docs: int = 0
    chars: int = 0
    sentences: int = 0
    tokens: int = 0

    def add(self, text: list[str], doc: Document, kind: str) -> None:
        self.docs += 1
        # The text shard's count: mono text is its sentences joined by "\n"; a pair, both sides.
        self.chars += sum(len(s) for s in text) + (len(text) - 1 if kind == "mono" else 0)
        self.sentences += len(text) if kind == "mono" else 1
        self.tokens += len(doc.ids)  # type: ignore[arg-type]


def _tokenized(docs: Iterator[Document], encoder: TextEncoder, counts: Counter[str]) -> Iterator[tuple[list[str], Document]]:
    """(text sentences, tokenized document) pairs, documents encoded in large groups
    (``TextEncoder.documents``, which yields them in order: their texts wait in a queue)."""
    texts: deque[list[str]] = deque()

    def remembered() -> Iterator[Document]:
        for doc in docs:
            texts.append(doc.sentences or [])
            yield doc

    for doc in encoder.documents(remembered(), lambda name, n: counts.update({name: n})):
        yield texts.popleft(), doc


def tokenize_shard(manifest: Manifest, shard: ShardInfo, out: str, encoder: TextEncoder, dtype: np.dtype,
                   opts: TokenizeOptions, counts: Counter[str]) -> ShardInfo:
    """Write the token shard of one text shard under ``out``; return its manifest entry."""
    stats = StreamStats()
    docs = read_documents(manifest.shard_url(shard), shard.kind, stats, "text")  # the stream's member limit
    langs = ({"lang": shard.lang} if shard.kind == "mono"
             else {"src_lang": str(shard.src_lang), "tgt_lang": str(shard.tgt_lang)})
    path = os.path.join(out, *shard.path.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tar, tally, pending, size = TarFile(path), _Tally(), [], 0
    try:
        for text, doc in _tokenized(docs, encoder, counts):
            tally.add(text, doc, shard.kind)
            pending.append(doc)
            size += len(doc.ids) * dtype.itemsize  # type: ignore[arg-type]
            if size >= opts.member_bytes:
                tar.write(encode_sample({"__key__": pending[0].key, **token_members(shard.kind, langs, pending, dtype)}))
                pending, size = [], 0
        if pending:
            tar.write(encode_sample({"__key__": pending[0].key, **token_members(shard.kind, langs, pending, dtype)}))
        nbytes, sha = tar.finish()
    except BaseException:
        tar.abort()
        raise
    counts.update({k: v for k, v in stats.totals.items() if ":" not in k})
    return ShardInfo(path=shard.path, kind=shard.kind, lang=shard.lang, split=shard.split, samples=tally.docs,
                     chars=tally.chars, bytes=nbytes, sha256=sha, sentences=tally.sentences, tokens=tally.tokens,
                     src_lang=shard.src_lang, tgt_lang=shard.tgt_lang)


def tokenize_shards(shards: str, tokenizer: str, out: str, options: TokenizeOptions | None = None,
                    overwrite: bool = False, log: TextIO | None = None, progress: Progress | None = None) -> Manifest:
    """Tokenize every shard of the text manifest ``shards`` into ``out``; see the module docstring.
    ``progress`` (``polytrain.progress``) hears of every shard done.

    Raises:
        TokenizeError: a user error; nothing has been written to ``out`` when it is raised.
    """
    opts = options or TokenizeOptions()
    source, tok, digest = _inputs(shards, tokenizer)
    check_out(out, overwrite)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    dtype, encoder = token_dtype(vocab_size), TextEncoder(tok, opts.max_line_chars, chunk_chars=1 << 20)
    prepare_out(out)
    entries, counts = [], Counter[str]()
    total, done = sum(s.bytes for s in source.entries), 0
    for shard in source.entries:
        entries.append(tokenize_shard(source, shard, out, encoder, dtype, opts, counts))
        done += shard.bytes
        if progress is not None:
            progress.update(lambda: f"{len(entries)}/{len(source.entries)} shards, {done / 1e6:,.1f} of "
                                    f"{total / 1e6:,.1f} MB of text ({done / max(total, 1):.0%})")
        lost = shard.samples - entries[-1].samples
        if lost:
            print(f"{PROG}: warning: {source.shard_url(shard)}: {lost} of its {shard.samples} documents could "
                  "not be read (see the warning above); the token shard has the others", file=log or sys.stderr)
    tokenizer_info: dict[str, Any] = {"sha256": digest, "vocab_size": vocab_size, "dtype": dtype.name,
                      "source": os.path.basename(tokenizer)}
    options_out = {**source.options, "tokenize": {"member_bytes": opts.member_bytes,
                                                  "max_line_chars": opts.max_line_chars,
                                                  "text_manifest_sha256": source.sha256, "counts": dict(counts)}}
    manifest = Manifest.build(entries, source.skipped, options_out, encoding="tokens", tokenizer=tokenizer_info)
    manifest.save(os.path.join(out, MANIFEST_NAME))
    manifest.location = os.path.join(out, MANIFEST_NAME)
    if progress is not None:
        progress.done(f"wrote {len(entries)} token shards")
    return manifest


def _inputs(shards: str, tokenizer: str) -> tuple[Manifest, Tokenizer, str]:
    """The text manifest and the tokenizer (with its sha256), checked: one line on any problem."""
    try:
        source = Manifest.load(shards)
        tok, digest = read_tokenizer_file(tokenizer)
        check_languages(vocab_from_tokenizer(tok, digest, tokenizer), source.text_languages(), str(source.location))
    except (ConfigError, OSError) as err:
        raise TokenizeError(str(err)) from None
    if source.encoding != "text":
        raise TokenizeError(f"{source.location}: already token shards (tokenize the text shards they came from)")
    return source, tok, digest


def format_summary(manifest: Manifest, source_bytes: int) -> str:
    """Per language: documents, tokens, bytes; then the totals against the text shards."""
    rows = [("kind", "lang", "docs", "tokens", "bytes")]
    for kind, langs in manifest.totals.items():
        for lang in langs:
            shards = manifest.shards(kind, lang=lang)
            rows.append((kind, lang, str(sum(s.samples for s in shards)), str(sum(s.tokens or 0 for s in shards)),
                         str(sum(s.bytes for s in shards))))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    total = sum(s.bytes for s in manifest.entries)
    lines.append(f"{len(manifest.entries)} shards, {total} bytes ({total / max(1, source_bytes):.2f}x the text "
                 f"shards), {manifest.tokenizer['dtype']} ids -> {manifest.location}")  # type: ignore[index]
    counts = manifest.options["tokenize"]["counts"]
    if any(counts.values()):
        lines.append("counted: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()) if v))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The ``polytrain data tokenize`` argument parser."""
    d = TokenizeOptions()
    p = OneLineParser(prog=PROG, description="Text shards -> token shards (raw uint16/uint32 ids + json, many "
                "documents per tar sample). Format: docs/data-format.md.")
    p.add_argument("--shards", required=True, metavar="TEXT_SHARDS", help="text shard folder or manifest.json")
    p.add_argument("--tokenizer", required=True, help="tokenizer.json (polytrain tokenizer train)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--member-bytes", type=int, default=d.member_bytes,
                   help=f"bytes of ids per tar sample (default {d.member_bytes})")
    p.add_argument("--max-line-chars", type=int, default=d.max_line_chars,
                   help=f"cut longer sentences before encoding, as data.max_line_chars (default {d.max_line_chars})")
    p.add_argument("--overwrite", action="store_true", help="replace token shards in a non-empty --out")
    add_progress_option(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``polytrain data tokenize``; returns the exit code (0 ok, 2 user error, 1 I/O error)."""

    def work() -> str:
        args = build_parser().parse_args(argv)
        if args.member_bytes < 1 or args.max_line_chars < 1:
            raise TokenizeError("--member-bytes and --max-line-chars must be >= 1")
        opts = TokenizeOptions(member_bytes=args.member_bytes, max_line_chars=args.max_line_chars)
        manifest = tokenize_shards(args.shards, args.tokenizer, args.out, opts, overwrite=args.overwrite,
                                   progress=Progress(PROG, args.progress_every))
        return format_summary(manifest, sum(s.bytes for s in Manifest.load(args.shards).entries))
    return run_command(PROG, work, (TokenizeError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
