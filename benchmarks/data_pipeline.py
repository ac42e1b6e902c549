"""Data pipeline throughput per worker: tokens/s from tar shards to packed, masked ``Batch``es.

Every row runs in this one process on one core (``torch`` threads 1, ``TOKENIZERS_PARALLELISM=false``,
``num_workers=0``: the work one DataLoader worker does, after a worker's start-up, which tunes the
garbage collector: ``polytrain.stream.workers.tune_collector``), in rounds: each
round measures every row once, in a rotated order, so that a slow phase of a shared machine hits every row; the ratios are
medians of the per-round ratios. Each row reports tokens per CPU-second of this process (what one
worker core does, even where other jobs share the machine) and tokens per wall second. Results are
quoted in docs/benchmarks.md ("Data pipeline").

Rows:

- ``tokenizer``: the ``tokenizers`` library alone encoding the training text (``encode_batch_fast``
  on groups of ``TextEncoder``'s ``CHUNK_CHARS`` characters, as the stream calls it): the ceiling of the text path.
- ``text``: ``PretrainDataModule`` on text shards (many documents per tar sample), MLM.
- ``tokens``: the same on token shards (``polytrain data tokenize``): identical batches.
- ``text-v1``: the same code on the same documents in polytrain 0.1's layout (one document per sample).
- ``before``: the code of ``--before REV`` (``git archive``) on the ``text-v1`` shards (or those
  ``--before-shards`` names), in a child process (it times itself; start-up is not counted).
- ``read-tokens``, ``read-mds``, ``read-litdata``: reading alone: the same token documents (ids and
  sentence ends) decoded in file order from polytrain's token shards, Mosaic's MDS and litdata
  (``_stores.py``); what follows reading is the same code whatever the store. MDS and litdata rows
  need ``pip install -e .[bench]`` (skipped, with the reason, when they do not import; MDS imports
  ``torchvision``, see docs/benchmarks.md) and hold the documents as many times as a row reads them,
  so that each row reads one epoch.

Usage::

    python benchmarks/data_pipeline.py                                   # the demo corpus, 3 rounds
    python benchmarks/data_pipeline.py --before d1d2fbb --rounds 5 --max-length 512 --out pipeline.json
    python benchmarks/data_pipeline.py --before 16e68ee --before-shards tokens --rows tokens before   # the token path
    python benchmarks/data_pipeline.py --rows tokenizer text tokens --merge-documents 5 --max-samples 40   # longer documents
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one core per row, as in a DataLoader worker

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "polytrain" / "demo_corpus"
ROWS = ("tokenizer", "text", "tokens", "text-v1", "before", "read-tokens", "read-mds", "read-litdata")


# ----------------------------------------------------------------------------- what every row times
def stream_row(shards: str, tok: str, args: argparse.Namespace) -> dict[str, float]:
    """``args.batches`` batches of :func:`warm_stream`, timed."""
    batches = warm_stream(shards, tok, args)
    clock = Clock()
    tokens = sum(batch.num_tokens for batch in islice(batches, args.batches))
    return clock.result(tokens)


def warm_stream(shards: str, tok: str, args: argparse.Namespace) -> Iterator[Any]:
    """The training batches of ``PretrainDataModule`` + ``MaskedLM`` (``num_workers=0``) after
    ``args.warmup`` of them. Only the API of polytrain 0.1, so that ``--before`` can run it too."""
    from polytrain.objectives.mlm import MaskedLM
    from polytrain.stream.datamodule import PretrainDataModule

    dm = PretrainDataModule(shards=shards, tokenizer=tok, max_length=args.max_length, batch_size=args.batch_size,
                            num_workers=0, shuffle_buffer=args.shuffle_buffer, seed=0)
    dm.connect([MaskedLM()])
    dm.setup("fit")
    batches = iter(dm.train_dataloader())
    for _ in islice(batches, args.warmup):
        pass
    return batches


class Clock:
    """Wall time and this process's CPU time since construction. On a shared machine the CPU time is
    the honest figure: tokens per CPU-second is what one core of a worker does, whatever else ran."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def result(self, tokens: int) -> dict[str, float]:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return {"tokens": tokens, "seconds": wall, "cpu_seconds": cpu, "tokens_per_s": tokens / wall,
                "tokens_per_cpu_s": tokens / cpu}


def tokenizer_row(texts: list[list[str]], tok: str, tokens: int) -> dict[str, float]:
    """The tokenizer alone on groups of sentences (each group one ``encode_batch_fast`` call), timed
    from its second pass over them, for passes until at least ``tokens`` tokens (as many as a stream
    row times: rows of equal length meet the same slow and fast phases of a shared machine). A new
    tokenizer's first pass is 10-25 % slower (its word cache fills), and the stream rows are timed
    after their warm-up batches too."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(tok)
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
    for group in texts:
        encode(group, add_special_tokens=False)
    clock, done = Clock(), 0
    while done < tokens:
        for group in texts:
            done += sum(len(e.ids) for e in encode(group, add_special_tokens=False))
    return clock.result(done)


def read_row(read: Callable[[], Iterator[tuple[int, np.ndarray, np.ndarray]]], tokens: int) -> dict[str, float]:
    """Read documents from ``read`` (again and again) until ``tokens`` token ids have been decoded."""
    clock, seen = Clock(), 0
    while seen < tokens:
        for _, ids, _ in read():
            seen += len(ids)
    return clock.result(seen)


# ----------------------------------------------------------------------------- inputs
def build_inputs(work: Path, args: argparse.Namespace) -> dict[str, str]:
    """Text shards (this code's writer), a tokenizer, token shards, and the same documents in the
    one-document layout of polytrain 0.1 with a version 1 manifest."""
    from polytrain.prepare import shard, tokenizer, tokens

    text, tok = str(work / "text"), str(work / "tokenizer.json")
    corpus = [str(DEMO / "mono"), str(DEMO / "parallel")] if args.corpus is None else args.corpus
    if args.merge_documents > 1:
        corpus = [merged_documents(path, work / "merged" / str(i), args.merge_documents) for i, path in enumerate(corpus)]
    if shard.main(["--input", *corpus, "--out", text, "--max-samples", str(args.max_samples)]) != 0:
        sys.exit("benchmark: sharding failed")
    if args.tokenizer:
        tok = args.tokenizer
    elif tokenizer.main(["--shards", text, "--out", tok, "--vocab-size", "8000"]) != 0:
        sys.exit("benchmark: tokenizer training failed")
    if tokens.main(["--shards", text, "--tokenizer", tok, "--out", str(work / "tokens")]) != 0:
        sys.exit("benchmark: tokenizing failed")
    return {"text": text, "tokens": str(work / "tokens"), "text-v1": one_document_layout(text, str(work / "v1")),
            "tokenizer": tok}


def merged_documents(path: str, out: Path, n: int) -> str:
    """A copy of the ``.txt`` files in folder ``path`` with every ``n`` consecutive documents (blank-line
    separated) made one: the same text in documents ``n`` times as long. Other files are copied."""
    out.mkdir(parents=True)
    for source in sorted(Path(path).iterdir()):
        if source.suffix != ".txt":
            (out / source.name).write_bytes(source.read_bytes())
            continue
        docs = [d.strip("\n") for d in source.read_text(encoding="utf-8").split("\n\n") if d.strip()]
        merged = ["\n".join(docs[i:i + n]) for i in range(0, len(docs), n)]
        (out / source.name).write_text("\n\n".join(merged) + "\n", encoding="utf-8")
    return str(out)


def one_document_layout(text: str, out: str) -> str:
    """The documents of ``text`` rewritten one per tar sample, with a version 1 manifest."""
    from polytrain.prepare.tarwriter import write_shard
    from polytrain.shards.manifest import Manifest
    from polytrain.shards.reader import StreamStats, read_documents

    source, entries = Manifest.load(text), []
    for info in source.entries:
        members = ({"txt": "\n".join(d.sentences or []).encode()} if info.kind == "mono" else
                   {"src.txt": (d.sentences or [""])[0].encode(), "tgt.txt": (d.sentences or ["", ""])[1].encode()}
                   for d in read_documents(source.shard_url(info), info.kind, StreamStats()))
        path = os.path.join(out, *info.path.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        stats = write_shard(path, ({"__key__": f"{info.lang}_{i:08d}", **m} for i, m in enumerate(members)))
        entries.append({**info.to_dict(), "bytes": stats.bytes, "sha256": stats.sha256})
    data = {**source.to_dict(), "version": 1, "shards": entries}
    del data["encoding"], data["tokenizer"]
    Path(out, "manifest.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out


def training_texts(text: str) -> list[list[str]]:
    """The mono training sentences of ``text`` in groups as the stream encodes them: about
    ``CHUNK_CHARS`` characters, and a shard's last group ends with it."""
    from polytrain.shards.manifest import Manifest
    from polytrain.shards.reader import StreamStats, read_documents
    from polytrain.shards.tokenize import CHUNK_CHARS

    manifest, groups = Manifest.load(text), []
    for info in manifest.shards("mono", "train"):
        group, size = [], 0
        for doc in read_documents(manifest.shard_url(info), "mono", StreamStats()):
            group += doc.sentences or []
            size += sum(len(s) for s in doc.sentences or [])
            if size >= CHUNK_CHARS:
                groups.append(group)
                group, size = [], 0
        if group:
            groups.append(group)
    return groups


def token_documents(tokens: str) -> tuple[list[str], list[tuple[int, np.ndarray, np.ndarray]]]:
    """(languages, every mono training document of the token shards as (language index, ids, ends))."""
    from polytrain.shards.manifest import Manifest
    from polytrain.shards.reader import StreamStats, read_documents

    manifest = Manifest.load(tokens)
    langs = manifest.languages("mono")
    docs = [(langs.index(info.lang), d.ids, d.ends) for info in manifest.shards("mono", "train")  # type: ignore[misc]
            for d in read_documents(manifest.shard_url(info), "mono", StreamStats(), "tokens")]
    return langs, docs  # type: ignore[return-value]


def read_tokens(tokens: str) -> Callable[[], Iterator[tuple[int, np.ndarray, np.ndarray]]]:
    """polytrain's token shards read in manifest and file order (the reader of the ``tokens`` row)."""
    from polytrain.shards.manifest import Manifest
    from polytrain.shards.reader import StreamStats, read_documents

    manifest = Manifest.load(tokens)
    langs = manifest.languages("mono")

    def docs() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for info in manifest.shards("mono", "train"):
            lang = langs.index(info.lang)
            for d in read_documents(manifest.shard_url(info), "mono", StreamStats(), "tokens"):
                yield lang, d.ids, d.ends  # type: ignore[misc]
    return docs


def before_tree(rev: str, work: Path) -> str:
    """The source tree of ``rev`` (``git archive``), to run the ``before`` row with."""
    out = work / f"before-{rev}"
    out.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return str(out)


def before_row(tree: str, shards: str, tok: str, args: argparse.Namespace) -> dict[str, float]:
    """``stream_row`` with the code of ``tree``, in a child process."""
    from polytrain.stream.workers import WORKER_GEN0_THRESHOLD

    argv = [sys.executable, __file__, "--child-stream", shards, "--child-gen0", str(WORKER_GEN0_THRESHOLD),
            "--tokenizer", tok, "--batches", str(args.batches),
            "--warmup", str(args.warmup), "--max-length", str(args.max_length), "--batch-size", str(args.batch_size),
            "--shuffle-buffer", str(args.shuffle_buffer)]
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True, cwd=tree).stdout
    return json.loads(out.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- rounds and report
def stores(work: Path, tokens: str, names: list[str], tokens_per_row: int,
           batch_size: int) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    """The readers of the ``read-*`` rows that can run, and why the others cannot."""
    import _stores

    readers: dict[str, Callable[[], Any]] = {"read-tokens": read_tokens(tokens)}
    skipped: dict[str, str] = {}
    _, docs = token_documents(tokens)
    # The other stores hold the documents as many times as one row reads them, so that a row is one
    # pass (epoch): their iterators start threads and plan partitions at every epoch, a cost a real
    # corpus pays once, and the demo's 0.2 M tokens would pay it 20 times per row.
    copies = -(-tokens_per_row // max(1, sum(len(ids) for _, ids, _ in docs)))
    for name in names:
        reason = _stores.available(name)
        if reason is not None:
            skipped[f"read-{name}"] = reason
            continue
        path = str(work / name)
        if name == "mds":
            _stores.write_mds(docs * copies, path)
            readers["read-mds"] = _stores.read_mds(path, batch_size)
        else:
            _stores.write_litdata(docs * copies, path)
            readers["read-litdata"] = _stores.read_litdata(path)
    return readers, skipped


def run_rounds(jobs: dict[str, Callable[[], dict[str, float]]], rounds: int) -> dict[str, list[dict[str, float]]]:
    """Every job once per round, the order rotated by one each round."""
    names, results = list(jobs), {name: [] for name in jobs}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            results[name].append(jobs[name]())
            got = results[name][-1]
            print(f"round {r + 1}/{rounds}: {name:<13} {got['tokens_per_s']:>12,.0f} tokens/s "
                  f"{got['tokens_per_cpu_s']:>12,.0f} tokens/CPU-s", file=sys.stderr)
    return results


def round_jobs(work: Path, inputs: dict[str, str],
               args: argparse.Namespace) -> tuple[dict[str, Callable[[], dict[str, float]]], dict[str, str]]:
    """The rows to time in rounds, and the rows that cannot run (and why)."""
    tok = inputs["tokenizer"]
    jobs: dict[str, Callable[[], dict[str, float]]] = {}
    texts = training_texts(inputs["text"]) if "tokenizer" in args.rows else []
    for name in ("text", "tokens", "text-v1"):
        if name in args.rows:
            jobs[name] = lambda shards=inputs[name]: stream_row(shards, tok, args)
    if "tokenizer" in args.rows:
        jobs["tokenizer"] = lambda: tokenizer_row(texts, tok, args.batches * args.batch_size * args.max_length)
    if args.before and "before" in args.rows:
        tree = before_tree(args.before, work)
        jobs["before"] = lambda: before_row(tree, inputs[args.before_shards], tok, args)
    readers, skipped = stores(work, inputs["tokens"], [r[5:] for r in args.rows if r in ("read-mds", "read-litdata")],
                              args.read_tokens, args.batch_size)
    for name, read in readers.items():
        if name in args.rows:
            jobs[name] = lambda read=read: read_row(read, args.read_tokens)
    return jobs, skipped


RATIOS = (("tokens", "text"), ("text", "tokenizer"), ("text", "text-v1"), ("text", "before"), ("tokens", "before"),
          ("read-tokens", "read-mds"), ("read-tokens", "read-litdata"))


def _total(runs: list[dict[str, float]]) -> float:
    """Tokens per CPU-second over all the runs of a row together."""
    return sum(r["tokens"] for r in runs) / sum(r["cpu_seconds"] for r in runs)


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def report(results: dict[str, list[dict[str, float]]], skipped: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
    """Per row: tokens per CPU-second and per wall second (median, range); paired ratios of the
    CPU figures (median of the per-round ratios, with their range)."""
    rows = {name: {"cpu": _spread([r["tokens_per_cpu_s"] for r in runs]), "wall": _spread([r["tokens_per_s"] for r in runs]),
                   "cpu_total": _total(runs), "rounds": len(runs)} for name, runs in results.items()}
    ratios = {f"{a}/{b}": {**_spread([x["tokens_per_cpu_s"] / y["tokens_per_cpu_s"] for x, y in zip(results[a], results[b])]),
                           "of_totals": _total(results[a]) / _total(results[b])}
              for a, b in RATIOS if a in results and b in results}
    return {"machine": info, "rows": rows, "ratios": ratios, "skipped": skipped}


def markdown(found: dict[str, Any]) -> str:
    lines = ["| row | tokens per CPU-second (median) | min - max | all rounds together | tokens per wall second (median) "
             "| rounds |", "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {r['cpu']['median']:,.0f} | {r['cpu']['min']:,.0f} - {r['cpu']['max']:,.0f} | "
              f"{r['cpu_total']:,.0f} | {r['wall']['median']:,.0f} | {r['rounds']} |" for name, r in found["rows"].items()]
    lines += ["", "| ratio of tokens per CPU-second (paired per round) | median | min - max | of all rounds together |",
              "|---|---|---|---|"]
    lines += [f"| {name} | {r['median']:.2f} | {r['min']:.2f} - {r['max']:.2f} | {r['of_totals']:.2f} |"
              for name, r in found["ratios"].items()]
    lines += [f"\nnot run: {name}: {why}" for name, why in found["skipped"].items()]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", nargs="+", help="inputs for polytrain data shard (default: the demo corpus)")
    p.add_argument("--merge-documents", type=int, default=1, metavar="N", help="make every N consecutive documents "
                   "of each .txt file of the corpus one (longer documents, the same text)")
    p.add_argument("--tokenizer", help="tokenizer.json (default: train an 8,000-token Unigram on the corpus)")
    p.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS)
    p.add_argument("--before", metavar="REV", help="git revision of the 'before' row (omitted: no such row)")
    p.add_argument("--before-shards", choices=("text-v1", "text", "tokens"), default="text-v1",
                   help="the shards the 'before' row reads (text-v1: the layout every revision reads; text or "
                        "tokens: for a revision that reads them, to compare the same path)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--batches", type=int, default=150, help="timed batches per row and round")
    p.add_argument("--warmup", type=int, default=50, help="untimed batches first (fill the shuffle buffers, so that "
                   "the timed batches tokenize as many tokens as they hold)")
    p.add_argument("--shuffle-buffer", type=int, default=200)
    p.add_argument("--max-samples", type=int, default=200, help="documents per shard when sharding")
    p.add_argument("--read-tokens", type=int, default=5_000_000, help="token ids each read-* row decodes")
    p.add_argument("--out", help="also write the results as JSON here")
    p.add_argument("--child-stream", metavar="SHARDS", help=argparse.SUPPRESS)  # the 'before' row's child
    p.add_argument("--child-gen0", type=int, default=700, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(1)
    if args.child_stream:
        # What tune_collector does at a worker's start (older revisions lack it; the parent passes its threshold).
        gc.freeze()
        gc.set_threshold(args.child_gen0, *gc.get_threshold()[1:])
        print(json.dumps(stream_row(args.child_stream, args.tokenizer, args)))
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine_info

    from polytrain.stream.workers import tune_collector

    info = machine_info(1)
    with tempfile.TemporaryDirectory(prefix="polytrain-bench-") as tmp:
        work = Path(tmp)
        inputs = build_inputs(work, args)
        jobs, skipped = round_jobs(work, inputs, args)
        tune_collector()  # as a worker's start-up does
        results = run_rounds(jobs, args.rounds)
    info["load_average_at_end"] = list(os.getloadavg())
    info.update(max_length=args.max_length, batch_size=args.batch_size, batches=args.batches, before=args.before)
    found = report(results, skipped, info)
    print(f"# {info['cpu']}, {info['cpus_usable']} usable cores, python {info['python']}, torch {info['torch']}, "
          f"load average {info['load_average_at_start'][0]:.1f} at start, {info['load_average_at_end'][0]:.1f} at end; "
          f"max_length {args.max_length}, batch_size {args.batch_size}, MaskedLM")
    print(markdown(found))
    if args.out:
        Path(args.out).write_text(json.dumps(found, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
