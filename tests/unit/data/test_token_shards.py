"""Token shards (``polytrain data tokenize``): the format, one stream for both encodings (same batches
for the same seed), refusals, bad token members, the line cap, and a validation split drawn together
for mono and parallel data in both encodings."""

from __future__ import annotations

import json
import tarfile
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stream_fixtures import (
    EchoObjective,
    build_corpus,
    document,
    make_tokenizer,
    make_vocab,
    setup_objectives,
    shard_entry,
    write_manifest,
)
from tokenizers import Tokenizer

from polytrain.errors import ConfigError
from polytrain.objectives.base import Objective
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.objectives.tlm import TranslationLM
from polytrain.prepare import shard, tokens
from polytrain.shards.manifest import Manifest
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.stream.dataset import PretrainStream
from polytrain.types import Batch, Vocab

LANGS = ["de", "en", "sw"]


def write_inputs(root: Path, docs: dict[str, int], pairs: int) -> Path:
    """``{lang}.txt`` of ``docs[lang]`` documents of stream_fixtures words, and ``de-en.tsv``."""
    root.mkdir(parents=True)
    for k, (lang, n) in enumerate(docs.items()):
        texts = ["\n".join(document(lang, np.random.default_rng([k, i]), 5, 9)) for i in range(n)]
        (root / f"{lang}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    rows = [f"{document('de', np.random.default_rng([9, i]), 1)[0]}\t{document('en', np.random.default_rng([8, i]), 1)[0]}"
            for i in range(pairs)]
    (root / "de-en.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str, Vocab]:
    """(text shards, token shards, tokenizer, vocab): many documents per sample, several samples per shard."""
    root = tmp_path_factory.mktemp("tokens")
    inputs = write_inputs(root / "in", {"de": 60, "en": 90, "sw": 15}, 80)
    text, toks = str(root / "text"), str(root / "tokens")
    assert shard.main(["--input", str(inputs), "--out", text, "--max-samples", "20", "--member-bytes", "400",
                       "--val-fraction", "0.1"]) == 0
    tok = make_tokenizer(str(root / "tokenizer.json"), LANGS)
    assert tokens.main(["--shards", text, "--tokenizer", tok, "--out", toks, "--member-bytes", "300"]) == 0
    return text, toks, tok, make_vocab(tok)


def objectives() -> list[Objective]:
    """Every kind of stream: packed mono blocks (MLM), pairs (TLM), whole documents with sentence
    permutation (denoising), and a plugin-style objective."""
    return [MaskedLM(weight=2.0), TranslationLM(), Denoising(span_unit="token"), EchoObjective(weight=0.5)]


def stream(shards: str, tok: str, vocab: Vocab, **kw: Any) -> PretrainStream:
    args: dict[str, Any] = {"batch_size": 4, "seed": 3, "shuffle_buffer": 6}
    args.update(kw)
    return PretrainStream(Manifest.load(shards), tok, vocab, setup_objectives(objectives(), vocab, 24), **args)


def fingerprint(batches: list[Batch]) -> list[tuple[Any, ...]]:
    return [(b.objective, b.keys, b.input_ids.tolist(), b.labels.tolist(), b.positions.tolist(),
             None if b.decoder_input_ids is None else b.decoder_input_ids.tolist()) for b in batches]


def test_text_and_token_shards_give_the_same_batches(both: tuple[str, str, str, Vocab]) -> None:
    text, toks, tok, vocab = both
    train = [list(islice(iter(stream(s, tok, vocab)), 60)) for s in (text, toks)]
    assert {b.objective for b in train[0]} == {"maskedlm", "translationlm", "denoising", "echoobjective"}
    assert fingerprint(train[0]) == fingerprint(train[1])
    assert train[0][-1].state["objectives"] == train[1][-1].state["objectives"]  # the same position too
    val = [list(stream(s, tok, vocab, split="val")) for s in (text, toks)]
    assert val[0] and fingerprint(val[0]) == fingerprint(val[1])


def test_old_one_document_shards_read_and_tokenize_to_the_same_batches(tmp_path: Path) -> None:
    root = str(tmp_path / "old")
    build_corpus(root, {"de": [12, 9], "en": [20]}, {"de-en": [10]}, val={"de": [4], "de-en": [3]})
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    vocab = make_vocab(tok)
    assert Manifest.load(root).encoding == "text"  # a version 1 manifest: one document per sample
    assert tokens.main(["--shards", root, "--tokenizer", tok, "--out", str(tmp_path / "tok"), "--member-bytes", "100"]) == 0
    objs = lambda: setup_objectives([MaskedLM(), TranslationLM()], vocab, 16)  # noqa: E731
    runs = [list(islice(iter(PretrainStream(Manifest.load(s), tok, vocab, objs(), batch_size=3, shuffle_buffer=4)), 20))
            for s in (root, str(tmp_path / "tok"))]
    assert fingerprint(runs[0]) == fingerprint(runs[1])


def _members(path: str) -> list[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def test_token_shard_format_is_raw_ids_and_json_that_others_can_read(both: tuple[str, str, str, Vocab]) -> None:
    text, toks, tok, vocab = both
    m, source = Manifest.load(toks), Manifest.load(text)
    assert m.encoding == "tokens" and m.tokenizer is not None and m.tokenizer["dtype"] == "uint16"
    assert m.tokenizer["sha256"] == vocab.sha256 and m.tokenizer["vocab_size"] == vocab.size
    assert [(s.path, s.samples, s.chars, s.sentences) for s in m.entries] == [
        (s.path, s.samples, s.chars, s.sentences) for s in source.entries]  # the same documents, 1:1
    tokenizer = Tokenizer.from_file(tok)
    info = m.shards("mono", "train", "de")[0]
    members = _members(m.shard_url(info))
    assert {name.split(".", 1)[1] for name, _ in members} == {"json", "ids.u16"} and len(members) > 2
    docs: list[list[list[int]]] = []
    by_key: dict[str, dict[str, bytes]] = {}
    for name, data in members:
        key, ext = name.split(".", 1)
        by_key.setdefault(key, {})[ext] = data
    for sample in by_key.values():
        meta = json.loads(sample["json"])
        ids = np.frombuffer(sample["ids.u16"], dtype="<u2")  # what numpy, torch or any reader does
        ends = np.cumsum(meta["lengths"])
        assert ends[-1] == len(ids) and sum(meta["sentences"]) == len(meta["lengths"])
        sentences = np.split(ids, ends[:-1])
        at = 0
        for n in meta["sentences"]:
            docs.append([s.tolist() for s in sentences[at:at + n]])
            at += n
    assert sum(len(d) for d in docs) == info.sentences and len(docs) == info.samples
    # The ids are the tokenizer's, sentence by sentence, of the text shard's documents in order.
    text_lines = [line for name, data in _members(source.shard_url(source.shards("mono", "train", "de")[0]))
                  if name.endswith(".txt") for line in data.decode().split("\n")]
    assert [s for d in docs for s in d] == [e.ids for e in tokenizer.encode_batch(text_lines, add_special_tokens=False)]
    assert info.tokens == sum(len(s) for d in docs for s in d)


def test_training_with_another_tokenizer_is_refused_in_one_line(both: tuple[str, str, str, Vocab], tmp_path: Path) -> None:
    _, toks, _, _ = both
    other = make_tokenizer(str(tmp_path / "other.json"), ["de", "en", "sw", "fr"])
    with pytest.raises(ConfigError, match="token shards made with tokenizer sha256") as err:
        PretrainDataModule(shards=toks, tokenizer=other)
    assert "\n" not in str(err.value) and "polytrain data tokenize --tokenizer" in str(err.value)


def test_tokenize_errors_are_one_line(both: tuple[str, str, str, Vocab], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    text, toks, tok, _ = both
    assert tokens.main(["--shards", toks, "--tokenizer", tok, "--out", str(tmp_path / "x")]) == 2
    assert tokens.main(["--shards", text, "--tokenizer", str(tmp_path / "none.json"), "--out", str(tmp_path / "y")]) == 2
    assert tokens.main(["--shards", text, "--tokenizer", tok, "--out", text]) == 2  # not empty
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("polytrain data tokenize: error: ") for line in lines)
    assert "already token shards" in lines[0] and "none.json" in lines[1] and "not empty" in lines[2]
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def _token_shard(root: Path, samples: list[dict[str, bytes]]) -> str:
    members = [(f"{s['__key__'].decode()}.{ext}", data) for s in samples for ext, data in sorted(s.items())
               if ext != "__key__"]
    entry = shard_entry(str(root), "mono/de/val-000000.tar", "mono", "de", "val", members, samples=3)
    write_manifest(str(root), [entry])
    data = json.loads((root / "manifest.json").read_text())
    data.update(version=2, encoding="tokens", tokenizer={"sha256": "x", "vocab_size": 100, "dtype": "uint16"})
    (root / "manifest.json").write_text(json.dumps(data))
    return str(root)


def test_bad_token_samples_are_skipped_and_counted(tmp_path: Path) -> None:
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    vocab = make_vocab(tok)
    good = {"__key__": b"de_00000000", "json": b'{"keys":[["de_",0,1]],"sentences":[1],"lengths":[3]}',
            "ids.u16": np.array([10, 11, 12], "<u2").tobytes()}
    samples = [good,
               {**good, "__key__": b"de_00000001", "ids.u16": b"\x01\x02\x03"},  # not a whole number of ids
               {**good, "__key__": b"de_00000002", "ids.u16": np.array([10, 11, 60000], "<u2").tobytes()},
               {**good, "__key__": b"de_00000003", "json": b'{"keys":[["de_",3,1]],"sentences":[1],"lengths":[4]}'},
               {**good, "__key__": b"de_00000004", "json": b'{"keys":[["de_",4,1]],"sentences":[1],"lengths":[3]}'}]
    root = _token_shard(tmp_path / "s", samples)
    ds = PretrainStream(Manifest.load(root), tok, vocab, setup_objectives([EchoObjective()], vocab, 64),
                        batch_size=1, split="val")
    blocks = [k for b in ds for k in b.keys]
    assert [k.split("/")[1] for k in blocks] == ["de_00000000"]  # one block: docs 0 and 4, packed
    assert ds.stats.totals["invalid_tokens"] == 2 and ds.stats.totals["invalid_layout"] == 1


def test_a_long_line_is_cut_before_it_is_encoded_and_counted(tmp_path: Path) -> None:
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    vocab = make_vocab(tok)
    line = " ".join(["dew1"] * 30_000)  # 150,000 characters
    root = str(tmp_path / "s")
    entry = shard_entry(root, "mono/de/val-000000.tar", "mono", "de", "val",
                        [("de_x_00000000.txt", f"dew2\n{line}".encode())])
    write_manifest(root, [entry])
    ds = PretrainStream(Manifest.load(root), tok, vocab, setup_objectives([EchoObjective()], vocab, 100_000),
                        batch_size=1, split="val", max_line_chars=1000)
    (batch,) = list(ds)
    assert batch.num_tokens == 2 + 1 + 200 + 1  # <s> dew2, 1000 characters = 200 words, </s>, </s>
    assert ds.stats.totals["cut_line"] == 1 and ds.stats.totals["cut_chars"] == len(line) - 1000


def verse_inputs(root: Path) -> Path:
    """Mono documents whose sentences are also the sides of pairs (a Bible-like corpus of verses)."""
    root.mkdir(parents=True)
    verses = {lang: [" ".join(f"{lang}w{(7 * i + j) % 40}" for j in range(1 + i % 5)) + f" {lang}w{i % 40}"
                     for i in range(240)] for lang in ("de", "en")}
    for lang in ("de", "en"):  # chapters of 6 verses
        chapters = ["\n".join(verses[lang][i:i + 6]) for i in range(0, 240, 6)]
        (root / f"{lang}.txt").write_text("\n\n".join(chapters) + "\n", encoding="utf-8")
    (root / "de-en.tsv").write_text("".join(f"{d}\t{e}\n" for d, e in zip(verses["de"], verses["en"])),
                                    encoding="utf-8")
    return root


def _split_sentences(manifest: Manifest, ds: PretrainStream) -> dict[tuple[str, str], set[tuple[str, tuple[int, ...]]]]:
    """(kind, split) -> {(language, token ids of a sentence)} read through the stream's reader."""
    out: dict[tuple[str, str], set[tuple[str, tuple[int, ...]]]] = {}
    for info in manifest.entries:
        langs = [info.lang] if info.kind == "mono" else [str(info.src_lang), str(info.tgt_lang)]
        for doc in ds.read(info):
            for i, ids in enumerate(doc.split_ids()):
                out.setdefault((info.kind, info.split), set()).add((langs[min(i, len(langs) - 1)], tuple(ids.tolist())))
    return out


def test_no_validation_sentence_is_in_a_training_pair_in_text_or_token_shards(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    inputs = verse_inputs(tmp_path / "in")
    text, toks = str(tmp_path / "text"), str(tmp_path / "tokens")
    assert shard.main(["--input", str(inputs), "--out", text, "--val-fraction", "0.1", "--seed", "1"]) == 0
    assert "pair(s) to validation: they share a sentence" in capsys.readouterr().err
    tok = make_tokenizer(str(tmp_path / "tok.json"), LANGS)
    vocab = make_vocab(tok)
    assert tokens.main(["--shards", text, "--tokenizer", tok, "--out", toks]) == 0
    for shards in (text, toks):
        manifest = Manifest.load(shards)
        ds = PretrainStream(manifest, tok, vocab, setup_objectives([EchoObjective()], vocab, 64), batch_size=1)
        found = _split_sentences(manifest, ds)
        val = found[("mono", "val")] | found[("parallel", "val")]
        assert found[("mono", "val")] and found[("parallel", "train")]
        assert not val & found[("parallel", "train")], shards
        # The verses of validation chapters are validation pairs: TLM validates what MLM validates.
        assert found[("mono", "val")] <= found[("parallel", "val")]


def test_a_txt_file_without_blank_lines_warns_and_suggests_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "de.txt").write_text("".join(f"Satz {i}.\n" for i in range(50)), encoding="utf-8")
    (tmp_path / "en.txt").write_text("One.\nTwo.\n\nThree.\n", encoding="utf-8")
    assert shard.main(["--input", str(tmp_path / "de.txt"), str(tmp_path / "en.txt"), "--out", str(tmp_path / "o")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "blank line" in line]
    assert len(warnings) == 1 and "de.txt: no blank line, so its 50 lines are one document" in warnings[0]
    assert ".jsonl" in warnings[0]


def test_token_counts_in_the_manifest_allow_token_sized_mixtures(both: tuple[str, str, str, Vocab]) -> None:
    text, toks, _, _ = both
    sizes = Manifest.load(toks).sizes("mono", "train", unit="tokens")
    words = Manifest.load(text).sizes("mono", "train", unit="chars")
    # Every word of this corpus is one token of 4 or 5 characters plus a space or line end.
    assert set(sizes) == set(LANGS) and all(words[k] / 6 < sizes[k] < words[k] / 4 for k in sizes)
