"""`polytrain data shard`: round trip through real tar files, caps, skips, errors, determinism,
validation split, crash safety."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import warnings
from pathlib import Path

import pytest

from polytrain.prepare import tarwriter
from polytrain.shards.manifest import Manifest
from polytrain.prepare.shard import main, val_hash
from polytrain.prepare.inputs import SKIP_REASONS
from polytrain.prepare.tarwriter import tar_header, write_shard

ERROR_PREFIX = "polytrain data shard: error: "

DE_DOCS = [["Der Hund schläft.", "Die Katze nicht."], ["Ein Satz."],
           ["Straße, Größe, Äpfel.", "Zweiter Satz.", "Dritter Satz."]]
EN_DOCS = [{"text": "Hello there.\nGeneral Kenobi.", "id": "a1"}, {"text": "One line.", "id": 2},
           {"text": "Bonjour.\nÇa va ?", "lang": "fr"}]
PAIRS = [("Guten Morgen.", "Good morning."), ("Danke.", "Thank you."), ("Ja", "Yes")]


def _txt(docs: list[list[str]]) -> str:
    return "\n\n".join("\n".join(d) for d in docs) + "\n"


def _make_corpus(root: Path) -> Path:
    (root / "mono").mkdir(parents=True)
    (root / "parallel").mkdir()
    (root / "mono" / "de.txt").write_text(_txt(DE_DOCS), encoding="utf-8")
    (root / "mono" / "en.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in EN_DOCS), encoding="utf-8")
    (root / "parallel" / "de-en.tsv").write_text(
        "".join(f"{a}\t{b}\n" for a, b in PAIRS), encoding="utf-8")
    return root


def _run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def _members(path: str | Path) -> list[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def _samples(path: str | Path) -> dict[str, dict[str, bytes]]:
    """Members grouped by key (the part before the first '.'), in order."""
    out: dict[str, dict[str, bytes]] = {}
    for name, data in _members(path):
        key, ext = name.split(".", 1)
        out.setdefault(key, {})[ext] = data
    return out


def _keys(runs: list) -> list[str]:
    return [k for run in runs for k in ([run] if isinstance(run, str) else
                                        [f"{run[0]}{n:08d}" for n in range(run[1], run[1] + run[2])])]


def _documents(path: str | Path) -> dict[str, dict[str, bytes]]:
    """Documents of a shard, decoded by hand as docs/data-format.md describes the many-document
    samples: key -> its text member(s) and its metadata as a one-document sample's ``json``."""
    out: dict[str, dict[str, bytes]] = {}
    for sample_key, sample in _samples(path).items():
        meta = json.loads(sample["json"])
        keys = _keys(meta["keys"])
        assert keys[0] == sample_key
        ids = meta.get("ids", [None] * len(keys))
        source = lambda key: meta["sources"][key[:-8]]  # noqa: E731
        if "txt" in sample:
            lines, bounds = sample["txt"].decode().split("\n"), [0]
            for n in meta["sentences"]:
                bounds.append(bounds[-1] + n)
            assert bounds[-1] == len(lines) and len(keys) == len(meta["sentences"])
            for i, key in enumerate(keys):
                doc = {"lang": meta["lang"], "id": ids[i], "source": source(key), "sentences": meta["sentences"][i]}
                out[key] = {"txt": "\n".join(lines[bounds[i]:bounds[i + 1]]).encode(), "json": json.dumps(doc).encode()}
        else:
            src, tgt = sample["src.txt"].decode().split("\n"), sample["tgt.txt"].decode().split("\n")
            assert len(src) == len(tgt) == len(keys)
            for key, a, b in zip(keys, src, tgt):
                doc = {"src_lang": meta["src_lang"], "tgt_lang": meta["tgt_lang"], "source": source(key),
                       "line": int(key[-8:]) + 1}
                out[key] = {"src.txt": a.encode(), "tgt.txt": b.encode(), "json": json.dumps(doc).encode()}
    return out


def _all_samples(out: Path) -> dict[str, tuple[str, dict[str, bytes]]]:
    """document key -> (shard split, members) over every shard of a manifest."""
    m = Manifest.load(str(out))
    found: dict[str, tuple[str, dict[str, bytes]]] = {}
    for info in m.entries:
        for key, sample in _documents(m.shard_url(info)).items():
            assert key not in found, f"key {key} appears twice"
            found[key] = (info.split, sample)
    return found


def test_round_trip_txt_jsonl_tsv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _make_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    assert _run("--input", corpus, "--out", out, "--val-fraction", "0", "--min-val", "0") == 0
    assert "mono      de" in capsys.readouterr().out
    m = Manifest.load(str(out))
    listed = {info.path for info in m.entries}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.tar")}
    assert listed == on_disk and not list(out.rglob("*.tmp"))
    for info in m.entries:
        data = Path(m.shard_url(info)).read_bytes()
        assert info.bytes == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
        samples = _documents(m.shard_url(info))
        names = [n for n, _ in _members(m.shard_url(info))]
        assert all(n.endswith((".txt", ".json")) for n in names) and len(set(names)) == len(names)
        texts = [v.decode("utf-8") for s in samples.values() for k, v in s.items() if k != "json"]
        assert info.samples == len(samples) and info.chars == sum(len(t) for t in texts)
    mono = [json.loads(s["json"]) | {"text": s["txt"].decode()}
            for _, s in _all_samples(out).values() if "txt" in s]
    de_texts = [d["text"] for d in mono if d["lang"] == "de"]
    assert de_texts == ["\n".join(doc) for doc in DE_DOCS]  # sentence boundaries kept as "\n"
    en = [d for d in mono if d["lang"] == "en"]
    assert [(d["text"], d["id"], d["source"]) for d in en] == [
        ("Hello there.\nGeneral Kenobi.", "a1", "corpus/mono/en.jsonl"),
        ("One line.", 2, "corpus/mono/en.jsonl")]
    fr = [d for d in mono if d["lang"] == "fr"]
    assert [d["text"] for d in fr] == ["Bonjour.\nÇa va ?"] and fr[0]["sentences"] == 2
    par = [s for _, s in _all_samples(out).values() if "src.txt" in s]
    assert [(s["src.txt"].decode(), s["tgt.txt"].decode()) for s in par] == PAIRS
    assert [json.loads(s["json"])["line"] for s in par] == [1, 2, 3]
    assert m.totals["mono"]["de"]["train"]["samples"] == 3
    assert m.totals["mono"]["de"]["train"]["sentences"] == 6
    assert m.totals["parallel"]["de-en"]["train"]["chars"] == sum(len(a + b) for a, b in PAIRS)
    assert m.skipped[str(corpus / "mono" / "de.txt")] == dict.fromkeys(SKIP_REASONS, 0)
    assert m.options["val_fraction"] == 0 and m.options["max_samples"] == 1000


def test_keys_are_stable_and_webdataset_groups_them(tmp_path: Path) -> None:
    corpus = _make_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    assert _run("--input", corpus, "--out", out, "--val-fraction", "0", "--min-val", "0") == 0
    tag = hashlib.sha1(b"corpus/mono/de.txt").hexdigest()[:8]
    keys = set(_all_samples(out))
    assert {f"de_{tag}_{i:08d}" for i in range(3)} <= keys
    assert all(re.fullmatch(r"(de|en|fr|de-en)_[0-9a-f]{8}_\d{8}", k) for k in keys)
    wds = pytest.importorskip("webdataset")
    m = Manifest.load(str(out))
    urls = [m.shard_url(s) for s in m.entries]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = list(wds.WebDataset(urls, shardshuffle=False, empty_check=False))
    # WebDataset groups each tar sample (keyed by its first document); its json lists every document.
    assert sorted(k for s in samples for k in _keys(json.loads(s["json"])["keys"])) == sorted(keys)
    assert {s["__key__"] for s in samples} <= keys
    assert all({k for k in s if not k.startswith("__")} in ({"txt", "json"}, {"src.txt", "tgt.txt", "json"})
               for s in samples)


def test_keys_do_not_move_when_an_earlier_document_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "en.jsonl").write_bytes(b'{"text": "A."}\n\n{broken\n{"text": "B.\\nC."}\n')
    (tmp_path / "de.txt").write_bytes(b"A.\n\n\xff\n\nB.\n")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "en.jsonl", tmp_path / "de.txt", "--out", out,
                "--val-fraction", "0", "--min-val", "0") == 0
    en = hashlib.sha1(b"en.jsonl").hexdigest()[:8]
    de = hashlib.sha1(b"de.txt").hexdigest()[:8]
    texts = {k: s["txt"].decode() for k, (_, s) in _all_samples(out).items()}
    assert texts == {f"en_{en}_00000000": "A.", f"en_{en}_00000002": "B.\nC.",
                     f"de_{de}_00000000": "A.", f"de_{de}_00000002": "B."}


def test_languages_grouped_per_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "de.txt").write_text("Eins.\n\nZwei.\n", encoding="utf-8")
    (tmp_path / "b" / "de.txt").write_text("Drei.\n", encoding="utf-8")
    (tmp_path / "b" / "mixed.jsonl").write_text(
        '{"text": "Un.", "lang": "fr"}\n{"text": "Eins.", "lang": "de"}\n{"text": "日本語の文。", "lang": "ja"}\n',
        encoding="utf-8")
    (tmp_path / "b" / "notes.md").write_text("ignored", encoding="utf-8")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "a", tmp_path / "b", "--out", out, "--min-val", "0",
                "--val-fraction", "0") == 0
    m = Manifest.load(str(out))
    assert m.languages("mono") == ["de", "fr", "ja"] and m.languages("parallel") == []
    for info in m.entries:
        langs = {json.loads(s["json"])["lang"] for s in _samples(m.shard_url(info)).values()}
        assert langs == {info.lang} and info.path.startswith(f"mono/{info.lang}/")
    assert m.sizes("mono", unit="samples") == {"de": 4, "fr": 1, "ja": 1}
    assert set(m.skipped) == {str(tmp_path / "a" / "de.txt"), str(tmp_path / "b" / "de.txt"),
                              str(tmp_path / "b" / "mixed.jsonl")}


def test_size_caps(tmp_path: Path) -> None:
    docs = [[f"Satz {i} " + "x" * (200 + i % 50)] for i in range(60)] + [["y" * 9000]]
    (tmp_path / "de.txt").write_text(_txt(docs), encoding="utf-8")
    by_samples, by_bytes = tmp_path / "s", tmp_path / "b"
    assert _run("--input", tmp_path / "de.txt", "--out", by_samples, "--max-samples", "7",
                "--val-fraction", "0", "--min-val", "0") == 0
    m = Manifest.load(str(by_samples))
    assert [s.samples for s in m.entries] == [7] * 8 + [5]
    assert _run("--input", tmp_path / "de.txt", "--out", by_bytes, "--max-bytes", "8192",
                "--member-bytes", "3000", "--val-fraction", "0", "--min-val", "0") == 0
    m = Manifest.load(str(by_bytes))
    assert sum(s.samples for s in m.entries) == 61
    for info in m.entries:
        size = os.path.getsize(m.shard_url(info))
        assert size == info.bytes and (size <= 8192 or info.samples == 1)
        # A tar sample takes documents until its text reaches --member-bytes.
        assert info.samples == 1 or all(len(x["txt"]) < 3000 + 260 for x in _samples(m.shard_url(info)).values())
    # The 9000-character document is larger than the cap: alone in its shard, not dropped.
    big = [s for s in m.entries if s.bytes > 8192]
    assert len(big) == 1 and big[0].chars == 9000 and big[0].samples == 1
    # Shards are filled up to the cap, less what the writer's size bound overestimates (the json
    # and padding of the next tar sample: 2 KiB, small beside the default 64 MB).
    assert all(s.bytes > 8192 - 2048 - 1024 for s in m.entries[:-2])


def test_many_documents_per_sample_keep_shards_of_short_documents_near_their_text(tmp_path: Path) -> None:
    rng = __import__("random").Random(0)
    docs = [[" ".join(rng.choice(["river", "Fluss", "wide", "breit", "boat"]) for _ in range(rng.randint(3, 25)))]
            for _ in range(3000)]  # one sentence of 15-150 characters each, like a file of fortunes
    (tmp_path / "en.txt").write_text(_txt(docs), encoding="utf-8")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "en.txt", "--out", out, "--max-samples", "100000") == 0
    m = Manifest.load(str(out))
    text_bytes = sum(len(" ".join(d).encode()) for d in docs)
    assert sum(s.bytes for s in m.entries) <= 1.3 * text_bytes  # one tar member pair per document: ~10x
    assert sum(s.samples for s in m.entries) == 3000


def test_long_documents_are_cut_at_sentence_boundaries(tmp_path: Path) -> None:
    sentences = [f"s{i}" for i in range(400)]  # 1 document without blank lines; short sentences
    (tmp_path / "en.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    (tmp_path / "fr.jsonl").write_text(json.dumps({"text": "\n".join(sentences), "id": 1}) + "\n",
                                       encoding="utf-8")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "en.txt", tmp_path / "fr.jsonl", "--out", out,
                "--max-line-chars", "100", "--max-doc-chars", "500", "--val-fraction", "0",
                "--min-val", "0") == 0
    for lang in ("en", "fr"):
        texts = [s["txt"].decode() for key, (_, s) in _all_samples(out).items()
                 if key.startswith(lang)]
        assert all(len(t) <= 500 for t in texts) and len(texts) > 1
        # Greedy: a chunk ends only when the next sentence would not fit.
        assert all(len(a) + 1 + len(b.split("\n")[0]) > 500 for a, b in zip(texts, texts[1:]))
        assert "\n".join(texts).split("\n") == sentences  # nothing lost, order kept


def _bad_corpus(root: Path) -> None:
    root.mkdir()
    de = [b"Guter Satz.", b"Kaputt \xff\xfe.", b"x" * 101, b"NUL\x00byte", b"Noch gut.", b"",
          b"\xc3\x28", b"\x1b[31m escape", b"", b"Dritter gut."]
    (root / "de.txt").write_bytes(b"\n".join(de) + b"\n")
    en = [b'{"text": "Good one.\\nSecond."}', b"{not json", b'{"id": 1}', b'{"text": 5}',
          b'{"text": "   "}', b'{"text": "x", "lang": "EN!"}', b'{"text": "bad \\ud800 surrogate"}',
          b"\xff", b"", b'{"text": "Vale.", "lang": "es"}', b"[1, 2]"]
    (root / "en.jsonl").write_bytes(b"\n".join(en) + b"\n")
    (root / "data.jsonl").write_bytes(b'{"text": "No language."}\n{"text": "Oui.", "lang": "fr"}\n')
    tsv = [b"Hallo\tHello", b"no tab here", b"a\tb\tc", b"\tonly right", b"only left\t ", b"\t",
           b"lang\t" + b"y" * 101, b"bell\x07\tx", b"Ja\r", b"Gut\tGood\r", b"\xff\tx"]
    (root / "de-en.tsv").write_bytes(b"\n".join(tsv) + b"\n")


def test_bad_input_is_skipped_and_counted_exactly(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _bad_corpus(tmp_path / "in")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "in", "--out", out, "--max-line-chars", "100",
                "--val-fraction", "0", "--min-val", "0") == 0
    m = Manifest.load(str(out))
    zero = dict.fromkeys(SKIP_REASONS, 0)
    base = str(tmp_path / "in")
    assert m.skipped == {
        f"{base}/data.jsonl": zero | {"missing_lang": 1},
        f"{base}/de-en.tsv": zero | {"missing_tab": 3, "empty_side": 3, "overlong_line": 1,
                                     "control_char": 1, "invalid_utf8": 1},
        # The second block has only bad lines: its lines and the empty document are counted.
        f"{base}/de.txt": zero | {"invalid_utf8": 2, "overlong_line": 1, "control_char": 2,
                                  "empty_document": 1},
        # Whitespace-only text, and a text whose only sentence was skipped: 2 empty documents.
        f"{base}/en.jsonl": zero | {"invalid_json": 4, "empty_document": 2, "invalid_lang": 1,
                                    "invalid_utf8": 2},
    }
    samples = _all_samples(out)
    texts = sorted(s.get("txt", s.get("src.txt", b"")).decode() for _, s in samples.values())
    assert texts == sorted(["Guter Satz.\nNoch gut.", "Dritter gut.", "Good one.\nSecond.",
                            "Vale.", "Oui.", "Hallo", "Gut"])
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if ": warning: " in line]
    assert len(warned) == 4 and all(line.startswith("polytrain data shard: warning: ")
                                    for line in warned)
    assert f"{base}/de.txt: skipped invalid_utf8=2, control_char=2, overlong_line=1, " \
           "empty_document=1" in err[[i for i, x in enumerate(err) if "de.txt" in x][0]]


@pytest.mark.parametrize("case", [
    "empty_input", "missing_file", "unknown_option", "out_not_empty", "unknown_extension",
    "bad_pair", "no_language", "missing_out", "bad_option_value", "pair_without_tsv",
    "same_name", "not_a_number",
])
def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             case: str) -> None:
    corpus = _make_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    (tmp_path / "bad.txt").write_bytes(b"\xff\n\x00\n")
    (tmp_path / "notes.txt").write_text("Hello.\n", encoding="utf-8")
    (tmp_path / "de.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "de.txt").write_text("Hallo.\n", encoding="utf-8")
    cases: dict[str, list[str | Path]] = {
        "empty_input": ["--input", tmp_path / "bad.txt", "--lang", "de", "--out", out],
        "missing_file": ["--input", tmp_path / "nope.txt", "--out", out],
        "unknown_option": ["--input", corpus, "--out", out, "--shards-per-lang", "3"],
        "out_not_empty": ["--input", corpus, "--out", corpus],
        "unknown_extension": ["--input", tmp_path / "de.csv", "--out", out],
        "bad_pair": ["--input", corpus, "--out", out, "--pair", "deen"],
        "no_language": ["--input", tmp_path / "notes.txt", "--out", out],
        "missing_out": ["--input", corpus],
        "bad_option_value": ["--input", corpus, "--out", out, "--val-fraction", "1.5"],
        "pair_without_tsv": ["--input", tmp_path / "notes.txt", "--lang", "en", "--pair", "de-en",
                             "--out", out],
        "same_name": ["--input", corpus / "mono" / "de.txt", tmp_path / "x" / "de.txt",
                      "--out", out],
        "not_a_number": ["--input", corpus, "--out", out, "--max-samples", "many"],
    }
    argv = cases[case]
    assert _run(*argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    # One error line, last; only an empty input is preceded by the per-file skip warnings that
    # explain it.
    assert lines[-1].startswith(ERROR_PREFIX) and "\n" not in lines[-1], captured.err
    assert len(lines) == 1 or (case == "empty_input" and all(": warning: " in x for x in lines[:-1]))
    assert captured.out == ""
    assert not out.exists()  # a user error writes nothing


def test_error_messages_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("Hello.\n", encoding="utf-8")
    assert _run("--input", tmp_path / "notes.txt", "--out", tmp_path / "o") == 2
    assert "notes.txt: cannot tell the language" in capsys.readouterr().err
    assert _run("--input", tmp_path / "missing", "--out", tmp_path / "o") == 2
    assert "missing: input not found" in capsys.readouterr().err
    assert _run("--input", tmp_path / "notes.txt", "--lang", "en", "--out", tmp_path / "o",
                "--bogus") == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "polytrain data shard" in capsys.readouterr().out


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    corpus = _make_corpus(tmp_path / "corpus")
    _bad_corpus(tmp_path / "corpus" / "bad")
    outs = [tmp_path / "o1", tmp_path / "o2"]
    for out in outs:
        assert _run("--input", corpus, "--out", out, "--max-samples", "2") == 0
    assert _run("--input", corpus, "--out", outs[1], "--max-samples", "2", "--overwrite") == 0

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(outs[0]) == files(outs[1]) and len(files(outs[0])) > 5
    for path in outs[0].rglob("*.tar"):
        with tarfile.open(path) as tar:
            for info in tar.getmembers():
                assert (info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode) == (
                    0, 0, 0, "", "", 0o644)


def _split_corpus(root: Path) -> None:
    root.mkdir()
    (root / "de.txt").write_text(_txt([[f"Dokument {i}."] for i in range(400)]), encoding="utf-8")
    (root / "fr.txt").write_text(_txt([[f"Document {i}."] for i in range(3)]), encoding="utf-8")
    (root / "es.txt").write_text(_txt([[f"Documento {i}."] for i in range(2)]), encoding="utf-8")
    (root / "it.txt").write_text("Uno.\n", encoding="utf-8")
    (root / "de-en.tsv").write_text("".join(f"a{i}\tb{i}\n" for i in range(50)), encoding="utf-8")


def _val_keys(out: Path) -> tuple[set[str], set[str]]:
    samples = _all_samples(out)
    return ({k for k, (split, _) in samples.items() if split == "val"},
            {k for k, (split, _) in samples.items() if split == "train"})


def test_validation_split(tmp_path: Path) -> None:
    _split_corpus(tmp_path / "in")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "in", "--out", out, "--val-fraction", "0.1",
                "--min-val", "2", "--seed", "3") == 0
    val, train = _val_keys(out)
    assert not val & train
    m = Manifest.load(str(out))
    counts = {lang: (t["train"]["samples"], t["val"]["samples"])
              for lang, t in m.totals["mono"].items()}
    # Tiny languages: min-val wins, but train always keeps one document; one document -> train.
    assert counts["fr"] == (1, 2) and counts["es"] == (1, 1) and counts["it"] == (1, 0)
    # A large language: val is exactly the keys whose hash falls under val_fraction.
    de_keys = {k for k in val | train if k.startswith("de_")}
    expected = {k for k in de_keys if val_hash(3, k) < int(0.1 * 2**64)}
    assert {k for k in val if k.startswith("de_")} == expected
    assert 20 <= len(expected) <= 60  # Binomial(400, 0.1): mean 40, sd 6
    assert 1 <= m.totals["parallel"]["de-en"]["val"]["samples"] <= 15
    # Deterministic, and a function of the keys: other languages do not move de's split.
    (tmp_path / "in" / "it.txt").unlink()
    out2 = tmp_path / "out2"
    assert _run("--input", tmp_path / "in", "--out", out2, "--val-fraction", "0.1",
                "--min-val", "2", "--seed", "3") == 0
    assert {k for k in _val_keys(out2)[0] if k.startswith("de_")} == expected
    # Another seed, another split.
    out3 = tmp_path / "out3"
    assert _run("--input", tmp_path / "in", "--out", out3, "--val-fraction", "0.1",
                "--seed", "4") == 0
    assert {k for k in _val_keys(out3)[0] if k.startswith("de_")} != expected


def test_min_val_takes_lowest_hashes(tmp_path: Path) -> None:
    (tmp_path / "sw.txt").write_text(_txt([[f"Hati {i}."] for i in range(30)]), encoding="utf-8")
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "sw.txt", "--out", out, "--val-fraction", "0",
                "--min-val", "4") == 0
    val, train = _val_keys(out)
    assert len(val) == 4 and len(train) == 26
    assert max(val_hash(0, k) for k in val) < min(val_hash(0, k) for k in train)


def test_crash_never_leaves_a_manifest_or_partial_shard(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "de.txt").write_text(_txt([[f"Satz {i}."] for i in range(50)]), encoding="utf-8")
    clean, out = tmp_path / "clean", tmp_path / "out"
    argv: list[str | Path] = ["--input", tmp_path / "de.txt", "--out", out, "--max-samples", "5"]
    assert _run("--input", tmp_path / "de.txt", "--out", clean, "--max-samples", "5") == 0
    finish = tarwriter.TarFile.finish
    calls = {"n": 0}

    def crash_on_second_shard(self: tarwriter.TarFile) -> tuple[int, str]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash while closing a shard")
        return finish(self)

    monkeypatch.setattr(tarwriter.TarFile, "finish", crash_on_second_shard)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _run(*argv)
    monkeypatch.undo()
    assert not (out / "manifest.json").exists()
    finished = list(out.rglob("*.tar"))
    assert len(finished) == 1 and not list(out.rglob("*.tmp"))
    assert len(_documents(finished[0])) == 5  # complete: 5 documents (in one tar sample)
    # Simulate a kill -9 that left temporary files behind; --overwrite clears everything.
    (out / "mono" / "de" / "train-000009.tar.tmp").write_bytes(b"partial")
    (out / "manifest.json.tmp").write_bytes(b"{")
    assert _run(*argv) == 2  # not empty, no --overwrite
    assert _run(*argv, "--overwrite") == 0
    assert not list(out.rglob("*.tmp"))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == sorted(
        p.relative_to(clean) for p in clean.rglob("*"))
    assert (out / "manifest.json").read_bytes() == (clean / "manifest.json").read_bytes()


def test_disk_error_is_one_line_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "de.txt").write_text(_txt([[f"Satz {i}."] for i in range(20)]), encoding="utf-8")

    def full(self: tarwriter.TarFile, data: bytes) -> None:
        raise OSError(28, "No space left on device", self.tmp)

    monkeypatch.setattr(tarwriter.TarFile, "write", full)
    out = tmp_path / "out"
    assert _run("--input", tmp_path / "de.txt", "--out", out) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0]
    assert not (out / "manifest.json").exists() and not list(out.rglob("*.tmp"))


def test_overwrite_refuses_foreign_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _make_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.pdf").write_bytes(b"precious")
    assert _run("--input", corpus, "--out", out, "--overwrite") == 2
    assert "thesis.pdf" in capsys.readouterr().err
    assert (out / "thesis.pdf").read_bytes() == b"precious"


def test_write_shard_helper(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    stats = write_shard(str(path), [{"__key__": "k1", "txt": b"a", "json": b"{}"},
                                    {"__key__": "k2", "pyd": b"\x80\x04N."}])
    assert stats.samples == 2 and stats.bytes == path.stat().st_size
    assert stats.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [n for n, _ in _members(path)] == ["k1.json", "k1.txt", "k2.pyd"]
    with pytest.raises(ValueError, match="key"):
        write_shard(str(tmp_path / "y.tar"), [{"__key__": "a.b", "txt": b"x"}])
    assert not (tmp_path / "y.tar").exists() and not (tmp_path / "y.tar.tmp").exists()


@pytest.mark.parametrize("name", ["a.txt", "de_3fa9c2e1_00000042.json", "x" * 100, "x" * 101,
                                  "zh_Hans-en_XX_0123abcd_00000009.src.txt", "ü.txt"])
@pytest.mark.parametrize("size", [0, 1, 511, 512, 10**6, 8**11 - 1, 8**11])
def test_tar_header_matches_tarfile(name: str, size: int) -> None:
    header = tar_header(name, size)
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = (
        size, 0, 0o644, 0, 0, "", "")
    expected = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")
    if expected[329:345] != b"\0" * 16:
        pytest.skip("this Python's tarfile writes device numbers for regular files")
    assert header == expected
    parsed = tarfile.TarInfo.frombuf(header[-512:], "utf-8", "strict")  # checksum is verified
    if len(header) == 512:
        assert (parsed.name, parsed.size, parsed.mtime, parsed.mode, parsed.uid, parsed.uname,
                parsed.type) == (name, size, 0, 0o644, 0, "", tarfile.REGTYPE)


SCRIPTS = {
    "en": ["The river is wide.", "Boats pass slowly."],
    "ru": ["Река широкая.", "Лодки плывут медленно."],
    "zh": ["河很宽。", "船慢慢地经过。"],
    "ar": ["النهر واسع.", "تمر القوارب ببطء."],
    "hi": ["नदी चौड़ी है।", "नावें धीरे-धीरे गुजरती हैं।"],
    "sw": ["Mto ni mpana 🌊.", "Mashua zinapita polepole."],
}


def test_generated_multilingual_corpus(tmp_path: Path) -> None:
    root = tmp_path / "gen"
    (root / "mono").mkdir(parents=True)
    expected: dict[str, list[str]] = {}
    for lang, sents in SCRIPTS.items():
        docs = [[f"{s} {i}" for s in sents] for i in range(25)]
        expected[lang] = ["\n".join(d) for d in docs]
        if lang in ("zh", "ar"):  # some languages as jsonl, with CRLF line endings in one
            lines = [json.dumps({"text": t, "id": i}, ensure_ascii=False) for i, t in enumerate(expected[lang])]
            (root / "mono" / f"{lang}.jsonl").write_bytes("\r\n".join(lines).encode("utf-8"))
        else:
            (root / "mono" / f"{lang}.txt").write_text(_txt(docs), encoding="utf-8")
    en, ru = SCRIPTS["en"][0], SCRIPTS["ru"][0]
    (root / "en-ru.tsv").write_text("".join(f"{en} {i}\t{ru} {i}\n" for i in range(30)),
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert _run("--input", root, "--out", out, "--max-samples", "8", "--val-fraction", "0.1") == 0
    m = Manifest.load(str(out))
    assert m.languages("mono") == sorted(SCRIPTS) and m.languages("parallel") == ["en-ru"]
    got: dict[str, list[str]] = {}
    for key, (_, sample) in sorted(_all_samples(out).items()):
        if "txt" in sample:
            got.setdefault(json.loads(sample["json"])["lang"], []).append(sample["txt"].decode())
    for lang in SCRIPTS:
        assert sorted(got[lang]) == sorted(expected[lang])
        assert all(t.splitlines() == t.split("\n") for t in got[lang])
        assert m.totals["mono"][lang]["val"]["samples"] >= 1
        assert sum(m.sizes("mono", split, "chars")[lang] for split in ("train", "val")) == sum(
            len(t) for t in expected[lang])
    assert all(s.samples <= 8 for s in m.entries)


DEMO = Path(__file__).resolve().parents[3] / "polytrain" / "demo_corpus"


def test_demo_corpus_shards_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run("--input", DEMO / "mono", DEMO / "parallel", "--out", out) == 0
    m = Manifest.load(str(out))
    assert len(m.languages("mono")) >= 8 and len(m.languages("parallel")) >= 3
    assert sum(s.samples for s in m.entries) > 0
    assert not any(any(c.values()) for c in m.skipped.values())  # the demo corpus is clean
