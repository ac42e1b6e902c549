"""polytrain tokenizer train: id layout, atomic tags, round trips, determinism, alpha sampling, CLI.

The corpus is synthetic (seeded) text in five scripts: Latin (en, de), Cyrillic (ru), Han (zh, no
spaces), Arabic (ar) and Devanagari (hi), deliberately imbalanced; hi is the smallest language.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from polytrain.shards.mixture import sampling_probs
from polytrain.rng import make_rng
from polytrain.prepare.tokenizer import main, train_tokenizer
from polytrain.prepare.tokenizer_layout import (
    BYTE_TOKENS,
    TokenizerTrainError,
    special_tokens_for,
)
from polytrain.prepare.tokenizer_report import format_report_table, tokenizer_report
from polytrain.prepare.tokenizer_text import iter_shard_texts, sample_texts
from polytrain.shards.vocab import vocab_from_tokenizer
from polytrain.types import SPECIAL_TOKENS, language_tag

ALPHABETS = {
    "en": "abcdefghiklmnoprstuvwy",
    "de": "abdeghiklmnorstuwzäöüß",
    "ru": "абвгдежзиклмнопрстуфхчшыюя",
    "zh": "我你他们的是在有人这中大为上个国和不了到说时要就出会可也",
    "ar": "ابتجحدرسعفقكلمنهوي",
    "hi": "कखगचजटडतदनपबमयरलवसह",
}
HI_MATRAS = "ािीुेो"
SENTENCES = {"en": 600, "de": 400, "ru": 300, "zh": 200, "ar": 100, "hi": 40}
LANGS = sorted(SENTENCES)
VOCAB = 800


def _word(rng: np.random.Generator, lang: str) -> str:
    letters = ALPHABETS[lang]
    out = []
    for _ in range(int(rng.integers(1, 4))):  # syllables
        out.append(letters[int(rng.integers(len(letters)))])
        if lang == "hi":
            out.append(HI_MATRAS[int(rng.integers(len(HI_MATRAS)))])
        elif lang != "zh":
            out.append(letters[int(rng.integers(len(letters)))])
    return "".join(out)


def make_corpus(seed: int, scale: float = 1.0) -> dict[str, list[str]]:
    """Zipf-distributed words from a 300-word lexicon per language (fixed by ``lang``)."""
    corpus: dict[str, list[str]] = {}
    for lang, n in SENTENCES.items():
        lexicon = [_word(make_rng(7, "lexicon", lang, i), lang) for i in range(300)]
        weights = 1.0 / np.arange(1, 301)
        rng = make_rng(seed, "sentences", lang)
        sep = "" if lang == "zh" else " "
        end = "。" if lang == "zh" else "."
        corpus[lang] = [sep.join(rng.choice(lexicon, size=int(rng.integers(5, 12)), p=weights / weights.sum()))
                        + end for _ in range(int(n * scale))]
    return corpus


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[str]]:
    texts = make_corpus(seed=1)
    texts["en"].append("code <0x41> is a b c d x 0 1 2 4")  # the characters of byte-token names
    return texts


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[str]]:
    return make_corpus(seed=2, scale=0.25)


@pytest.fixture(scope="module", params=["unigram", "bpe"])
def trained(request: pytest.FixtureRequest, corpus: dict[str, list[str]]) -> Tokenizer:
    return train_tokenizer(corpus, vocab_size=VOCAB, model=request.param, seed=0)


# ----------------------------------------------------------------------------- layout and atomicity
def test_id_layout_is_accepted_by_vocab(trained: Tokenizer) -> None:
    vocab = vocab_from_tokenizer(trained)
    assert vocab.languages == tuple(LANGS)
    assert (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id, vocab.mask_id) == (0, 1, 2, 3, 4)
    assert vocab.lang_token_ids == tuple(range(5, 5 + len(LANGS)))
    assert vocab.num_special == 5 + len(LANGS)
    assert vocab.size == trained.get_vocab_size(with_added_tokens=True) <= VOCAB
    assert special_tokens_for(["zh", "ar", "zh"]) == [*SPECIAL_TOKENS, "<lang:ar>", "<lang:zh>"]
    assert trained.post_processor is None  # objectives add special tokens themselves


@pytest.mark.parametrize("context", ["{t}", "hello{t}world", "{t}x", "x\n{t}", "a {t} b", "{t}{t}", "ＡＢ{t}ﬁ"])
def test_specials_and_tags_are_one_token_with_stable_ids(trained: Tokenizer, context: str) -> None:
    for expected_id, token in enumerate(special_tokens_for(LANGS)):
        ids = trained.encode(context.format(t=token), add_special_tokens=False).ids
        assert ids.count(expected_id) == context.count("{t}"), (token, context, ids)
        assert trained.token_to_id(token) == expected_id
        # Not split into pieces: no other id reproduces the token's text.
        assert token not in trained.decode([i for i in ids if i != expected_id], skip_special_tokens=False)
    assert trained.decode(trained.encode("a<lang:de>b<mask>").ids, skip_special_tokens=True) == "a b"


# ----------------------------------------------------------------------------- round trips
def test_round_trip_every_script(trained: Tokenizer, heldout: dict[str, list[str]]) -> None:
    vocab = vocab_from_tokenizer(trained)
    extra = ["Ｆｕｌｌ-ｗｉｄｔｈ １２３ and the ﬁ ligature", "tab\tand  two spaces ", "我们，他们。",
             "émoji 😀 👩\u200d💻 ok", "ภาษาไทย never seen", "Ελληνικά ἀρχή", "NUL\x00char"]
    for lang, sentences in heldout.items():
        for text in sentences[:20] + extra:
            ids = trained.encode(text, add_special_tokens=False).ids
            assert trained.decode(ids) == unicodedata.normalize("NFKC", text), (lang, text)
            assert vocab.unk_id not in ids  # byte fallback: unseen characters become <0xNN>
    # Documented Metaspace limit: text that already starts with a space is not given another "▁",
    # but the decoder strips one, so exactly one leading space is lost.
    assert trained.decode(trained.encode("  two").ids) == " two"


def test_byte_fallback_tokens_exist_and_are_used(trained: Tokenizer) -> None:
    ids = [trained.token_to_id(b) for b in BYTE_TOKENS]
    assert None not in ids and ids == list(range(ids[0], ids[0] + 256))
    assert ids[-1] == trained.get_vocab_size(with_added_tokens=True) - 1
    tokens = trained.encode("😀", add_special_tokens=False).tokens
    assert tokens[-4:] == ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]


def test_literal_byte_token_text_stays_text(trained: Tokenizer) -> None:
    text = "ab <0x42> cd"  # every character is known: must not decode as "B"
    assert trained.decode(trained.encode(text).ids) == text


def test_without_byte_fallback_unknowns_are_unk(corpus: dict[str, list[str]]) -> None:
    tok = train_tokenizer(corpus, vocab_size=500, byte_fallback=False)
    assert tok.token_to_id("<0x41>") is None
    assert tok.encode("😀", add_special_tokens=False).ids[-1] == 3
    report = tokenizer_report(tok, {"th": ["ภาษาไทย ภาษา"], "en": corpus["en"][:10]})
    assert report["byte_fallback"] is False
    assert report["languages"]["th"]["unk_rate"] >= 0.5  # "▁", <unk>, "▁", <unk>
    assert report["languages"]["th"]["types_covered"] == 0.0
    assert report["languages"]["en"]["unk_rate"] == 0.0


# ----------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("model", ["unigram", "bpe"])
def test_same_input_and_seed_give_identical_file(corpus: dict[str, list[str]], model: str) -> None:
    files = {train_tokenizer(corpus, vocab_size=VOCAB, model=model, seed=3).to_str() for _ in range(3)}
    assert len(files) == 1  # the trainers' hash-map order is canonicalized away


def test_seed_changes_the_sample(corpus: dict[str, list[str]]) -> None:
    chars = {lang: sum(map(len, s)) for lang, s in corpus.items()}
    pairs = [(lang, s) for lang in LANGS for s in corpus[lang]]
    a = sample_texts(pairs, chars, 0.3, make_rng(0, "t"), sample_chars=20_000)
    b = sample_texts(pairs, chars, 0.3, make_rng(0, "t"), sample_chars=20_000)
    c = sample_texts(pairs, chars, 0.3, make_rng(1, "t"), sample_chars=20_000)
    assert a.texts == b.texts and a.plan == b.plan
    assert a.texts != c.texts


# ----------------------------------------------------------------------------- alpha sampling
def test_sampled_shares_follow_alpha(corpus: dict[str, list[str]]) -> None:
    chars = {lang: sum(map(len, s)) for lang, s in corpus.items()}
    pairs = [(lang, s) for lang in LANGS for s in corpus[lang]]
    budget = sum(chars.values())
    sample = sample_texts(pairs, chars, 0.3, make_rng(0, "t"))  # default budget: all characters
    q = sampling_probs(chars, 0.3)
    seen = sum(sample.sampled_chars.values())
    assert seen == pytest.approx(budget, rel=0.03)
    for lang in LANGS:
        assert sample.target_chars[lang] == pytest.approx(q[lang] * budget)
        assert sample.sampled_chars[lang] / seen == pytest.approx(q[lang], rel=0.08), lang
    # hi is upsampled by repetition (all of it kept, several passes); en is thinned.
    assert sample.texts["hi"] and sorted(sample.texts["hi"]) == sorted(corpus["hi"])
    assert sample.plan["hi"][0] >= 2
    assert sample.sampled_chars["en"] < chars["en"]


def test_max_repeat_caps_upsampling(corpus: dict[str, list[str]]) -> None:
    chars = {lang: sum(map(len, s)) for lang, s in corpus.items()}
    pairs = [(lang, s) for lang in LANGS for s in corpus[lang]]
    sample = sample_texts(pairs, chars, 0.0, make_rng(0, "t"), max_repeat=1.5)
    assert sample.sampled_chars["hi"] <= 1.5 * chars["hi"]
    assert sample.plan["hi"][0] == 1 and sample.plan["hi"][1] > 0
    with pytest.raises(TokenizerTrainError, match="max_repeat"):
        sample_texts(pairs, chars, 0.3, make_rng(0, "t"), max_repeat=0.5)


def test_alpha_gives_the_smallest_language_more_vocabulary(corpus: dict[str, list[str]],
                                                           heldout: dict[str, list[str]]) -> None:
    fertility = {}
    for alpha in (0.3, 1.0):
        tok = train_tokenizer(corpus, vocab_size=500, alpha=alpha, seed=0)
        report = tokenizer_report(tok, {"hi": heldout["hi"]})
        fertility[alpha] = report["languages"]["hi"]["fertility"]
    assert fertility[0.3] < 0.9 * fertility[1.0]


# ----------------------------------------------------------------------------- report
def test_report_fields(trained: Tokenizer, heldout: dict[str, list[str]]) -> None:
    report = tokenizer_report(trained, heldout, max_chars=2000)
    assert report["vocab_size"] == trained.get_vocab_size(with_added_tokens=True)
    assert report["languages_with_tags"] == LANGS and report["byte_fallback"] is True
    assert list(report["languages"]) == LANGS
    for lang, st in report["languages"].items():
        assert st["unit"] == ("char" if lang == "zh" else "word")
        total = sum(map(len, heldout[lang]))
        # Stops after the sentence that reaches max_chars (or at the end of the text).
        assert st["chars"] == total if total < 2000 else 2000 <= st["chars"] < 2000 + 100
        assert 0 < st["fertility"] < 10
        assert st["tokens"] == pytest.approx(st["fertility"] * st["units"])
        assert st["unk_rate"] == 0.0 and 0.0 <= st["byte_fallback_rate"] < 0.01
        assert 0 < st["vocab_used"] < 1 and 0 < st["distinct_tokens"] <= st["tokens"]
        assert st["types_covered"] == 1.0  # same alphabets as training
    table = format_report_table(report).splitlines()
    assert table[0].split()[0] == "lang" and len(table) == 1 + len(LANGS)
    assert "/char" in table[LANGS.index("zh") + 1]


# ----------------------------------------------------------------------------- errors
def test_api_errors(corpus: dict[str, list[str]]) -> None:
    with pytest.raises(TokenizerTrainError, match="too small"):
        train_tokenizer(corpus, vocab_size=267)  # 11 specials + 256 bytes
    with pytest.raises(TokenizerTrainError, match="distinct characters, 267 ids are reserved"):
        train_tokenizer(corpus, vocab_size=280)  # room for 13 pieces, alphabet of 150 characters
    with pytest.raises(TokenizerTrainError, match=r"\['ar'\] have no training text"):
        train_tokenizer({"en": ["hello"], "ar": [""]}, vocab_size=300)
    with pytest.raises(TokenizerTrainError, match="no training text"):
        train_tokenizer({"en": []}, vocab_size=300)
    with pytest.raises(TokenizerTrainError, match="no tag"):
        train_tokenizer({"en": ["hello"]}, languages=["de"], vocab_size=300)
    with pytest.raises(TokenizerTrainError, match="'unigram' or 'bpe'"):
        train_tokenizer({"en": ["hello"]}, model="wordpiece", vocab_size=300)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- shards and CLI
def _tar(path: Path, samples: list[dict[str, str]]) -> tuple[int, int]:
    """Write a shard per docs/data-format.md; returns (chars, bytes)."""
    buf = io.BytesIO()
    chars = 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for sample in samples:
            for ext, text in sorted(sample.items()):
                if ext == "__key__":
                    continue
                data = text.encode("utf-8")
                chars += len(text) if ext.endswith("txt") else 0
                info = tarfile.TarInfo(f"{sample['__key__']}.{ext}")
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return chars, len(buf.getvalue())


def write_shards(root: Path, mono: dict[str, dict[str, list[list[str]]]],
                 parallel: dict[str, list[tuple[str, str]]]) -> Path:
    """mono[lang][split] = documents (lists of sentences); parallel["de-en"] = train pairs."""
    entries = []
    for lang, splits in sorted(mono.items()):
        for split, docs in splits.items():
            rel = f"mono/{lang}/{split}-000000.tar"
            samples = [{"__key__": f"{lang}_00000000_{i:08d}", "txt": "\n".join(doc),
                        "json": json.dumps({"lang": lang, "id": None, "source": f"{lang}.txt",
                                            "sentences": len(doc)})} for i, doc in enumerate(docs)]
            chars, size = _tar(root / rel, samples)
            entries.append({"path": rel, "kind": "mono", "lang": lang, "split": split,
                            "samples": len(docs), "chars": chars, "bytes": size,
                            "sha256": hashlib.sha256((root / rel).read_bytes()).hexdigest(), "tokens": None})
    for pair, pairs in sorted(parallel.items()):
        src, tgt = pair.split("-")
        rel = f"parallel/{pair}/train-000000.tar"
        samples = [{"__key__": f"{src}-{tgt}_00000000_{i:08d}", "src.txt": s, "tgt.txt": t,
                    "json": json.dumps({"src_lang": src, "tgt_lang": tgt, "source": f"{pair}.tsv",
                                        "line": i + 1})} for i, (s, t) in enumerate(pairs)]
        chars, size = _tar(root / rel, samples)
        entries.append({"path": rel, "kind": "parallel", "lang": pair, "src_lang": src, "tgt_lang": tgt,
                        "split": "train", "samples": len(pairs), "chars": chars, "bytes": size,
                        "sha256": hashlib.sha256((root / rel).read_bytes()).hexdigest(), "tokens": None})
    manifest = {"format": "polytrain-shards", "version": 1, "created_by": "test", "shards": entries,
                "totals": {}, "skipped": {}, "options": {}}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return root / "manifest.json"


def _docs(sentences: list[str], per_doc: int = 4) -> list[list[str]]:
    return [sentences[i:i + per_doc] for i in range(0, len(sentences), per_doc)]


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, list[str]],
              heldout: dict[str, list[str]]) -> Path:
    root = tmp_path_factory.mktemp("shards")
    mono = {lang: {"train": _docs(corpus[lang])} for lang in ("de", "ru", "zh", "hi")}
    for lang in ("de", "zh"):
        mono[lang]["val"] = _docs(heldout[lang])
    pairs = list(zip(corpus["de"][:80], corpus["en"][:80]))  # "en" only appears in a pair
    write_shards(root, mono, {"de-en": pairs})
    return root


def test_iter_shard_texts_reads_both_sides(shard_dir: Path, corpus: dict[str, list[str]]) -> None:
    got: dict[str, list[str]] = {}
    for lang, sentence in iter_shard_texts(str(shard_dir / "manifest.json")):
        got.setdefault(lang, []).append(sentence)
    assert sorted(got) == ["de", "en", "hi", "ru", "zh"]
    assert got["en"] == corpus["en"][:80]
    assert got["de"] == corpus["de"] + corpus["de"][:80]  # mono, then the pair's src side
    assert got["hi"] == corpus["hi"]


def test_cli_end_to_end_on_shards(shard_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tok.json"
    argv = ["--shards", str(shard_dir), "--out", str(out), "--vocab-size", str(VOCAB), "--seed", "1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "sampled q" in printed and "tok/unit" in printed and "wrote" in printed
    tok = Tokenizer.from_file(str(out))
    vocab = vocab_from_tokenizer(tok)
    assert vocab.languages == ("de", "en", "hi", "ru", "zh")
    assert tok.encode(language_tag("en"), add_special_tokens=False).ids == [vocab.lang_token("en")]
    report = json.loads((tmp_path / "tok.report.json").read_text(encoding="utf-8"))
    assert report["tokenizer_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert {lang: st["text"] for lang, st in report["languages"].items()} == {
        "de": "val", "en": "train", "hi": "train", "ru": "train", "zh": "val"}
    sampling = report["sampling"]
    assert sum(s["observed_share"] for s in sampling.values()) == pytest.approx(1.0)
    assert sampling["hi"]["prob"] > sampling["hi"]["natural_share"]  # upsampled at alpha 0.3
    assert report["options"]["alpha"] == 0.3 and report["manifest"]["skipped"] == {}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    # Same shards and seed: byte-identical tokenizer file.
    again = tmp_path / "again.json"
    assert main(argv[:2] + ["--out", str(again)] + argv[4:]) == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--vocab-size", "100"], "too small"),
        (["--alpha", "-1"], "--alpha"),
        (["--sample-chars", "0"], "--sample-chars"),
    ],
)
def test_cli_bad_options(shard_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         extra: list[str], message: str) -> None:
    code = main(["--shards", str(shard_dir), "--out", str(tmp_path / "t.json"), *extra])
    out, err = capsys.readouterr()
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "language mixture" not in out  # refused before reading the text (no table, no sampling)
    assert not (tmp_path / "t.json").exists()


def test_cli_bad_inputs(tmp_path: Path, shard_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> str:
        assert main(list(argv)) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("polytrain tokenizer train: error:")
        return err

    assert "manifest not found" in run("--shards", str(tmp_path / "nope"), "--out", str(tmp_path / "t.json"))
    assert "does not exist" in run("--shards", str(shard_dir), "--out", str(tmp_path / "no" / "t.json"))
    assert "is a folder" in run("--shards", str(shard_dir), "--out", str(tmp_path))
    empty = write_shards(tmp_path / "empty", {"de": {"train": [["", "  "]]}}, {})
    assert "hold no text" in run("--shards", str(empty), "--out", str(tmp_path / "t.json"))
    broken = tmp_path / "broken"
    write_shards(broken, {"de": {"train": [["hallo welt"]]}}, {})
    (broken / "mono/de/train-000000.tar").write_bytes(b"not a tar file" * 100)
    assert "not a readable tar shard" in run("--shards", str(broken), "--out", str(tmp_path / "t.json"))
    assert main(["--shards", str(shard_dir)]) == 2  # argparse: --out is required
    assert "--out" in capsys.readouterr().err


def test_non_utf8_member_is_skipped_and_counted(tmp_path: Path) -> None:
    manifest = write_shards(tmp_path, {"de": {"train": [["gut"], ["auch gut"]]}}, {})
    shard = tmp_path / "mono/de/train-000000.tar"
    data = shard.read_bytes().replace(b"auch gut", b"auch \xff\xfe")
    shard.write_bytes(data)
    skipped: dict[str, int] = {}
    assert list(iter_shard_texts(str(manifest), skipped=skipped)) == [("de", "gut")]
    assert skipped == {"invalid_utf8": 1}


def test_whole_words_split_at_spaces_and_at_cjk_ideographs(trained: Tokenizer,
                                                           heldout: dict[str, list[str]]) -> None:
    """Chinese puts no spaces between words: without ideograph word starts a whole sentence would be
    one "word" for whole-word masking. Each piece that begins with an ideograph starts a word (BERT's
    tokenize_chinese_chars), Metaspace pieces start words everywhere, other continuations do not."""
    from polytrain.shards.vocab import WORD_START, starts_word
    from polytrain.objectives.masking import word_spans

    assert starts_word("▁the") and starts_word("北京") and starts_word("\U00020001")
    assert not starts_word("ing") and not starts_word("。") and not starts_word("です") and not starts_word("")
    vocab = vocab_from_tokenizer(trained)
    sentence = heldout["zh"][0]
    ids = np.array(trained.encode(sentence).ids)
    pieces = [trained.id_to_token(int(i)) for i in ids]
    ideographs = sum(p.lstrip(WORD_START)[:1] not in ("", "。") for p in pieces)
    starts, _ = word_spans(np.ones(len(ids), dtype=bool), vocab.word_start[ids])
    assert len(starts) >= ideographs - 1 > 1, pieces  # words of a piece or so, not one per sentence
    english = np.array(trained.encode(heldout["en"][0]).ids)
    en_starts, _ = word_spans(np.ones(len(english), dtype=bool), vocab.word_start[english])
    assert len(en_starts) == len(heldout["en"][0].split()), [trained.id_to_token(int(i)) for i in english]


def test_thai_lao_khmer_myanmar_pieces_start_words_unless_they_begin_with_a_mark() -> None:
    """These scripts put no spaces between words either: a piece that begins with one of their
    letters is a word (as a CJK piece), so whole-word masking does not mask whole clauses; a piece
    that begins with a combining vowel or tone mark continues the word before it."""
    from polytrain.shards.vocab import starts_word
    from polytrain.objectives.masking import word_spans

    letters = ["กิน", "ข้าว", "ກິນ", "ញុំ", "မြန်", "ร", "เก"]  # เ: a vowel written before its consonant
    marks = ["ั", "่", "ິ", "្", "ြ", "ี้", "าร", "ำ", "ะ", "າ"]  # combining marks, following vowels
    assert all(starts_word(p) for p in letters) and not any(starts_word(p) for p in marks)
    # "▁ฉัน" "กิน" "ข้" + two pieces of combining marks: a Thai run without spaces is 3 words, not 1
    pieces = ["▁ฉัน", "กิน", "ข้", "่", "ั"]
    starts, ends = word_spans(np.ones(len(pieces), dtype=bool), np.array([starts_word(p) for p in pieces]))
    assert starts.tolist() == [0, 1, 2] and ends.tolist() == [1, 2, 5]
