"""The plugin API: one documented namespace, used by the built-ins themselves, and its test helpers."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import polytrain.objectives as api
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.testing import synthetic_vocab, text_blocks, text_pairs, train_tokenizer

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")

# The frozen surface (style rule 12): adding a name is a decision, removing one a breaking change.
SURFACE = {
    "IGNORE_INDEX", "Batch", "DataKind", "Example", "ModelKind", "ModelOutput", "Objective", "SpanUnit", "Spans",
    "Statistic", "TextBlock", "TextPair", "TokenMasker", "Units", "Vocab", "check_ids", "checked_block",
    "corrupt_targets", "lang_index", "lengths_to_budget", "make_rng", "missing_units", "ordinary", "place_spans",
    "random_ordinary_tokens", "randomized_round", "sample_span_lengths", "single_text", "span_units", "starts_word",
    "target_cross_entropy", "truncate", "where", "word_spans",
}


def test_the_surface_is_frozen_and_documented_in_the_guide():
    assert set(api.__all__) == SURFACE
    for name in SURFACE:
        assert hasattr(api, name), name
        assert f"`{name}" in GUIDE, f"{name} is not documented in docs/writing-a-plugin.md"


@pytest.mark.parametrize("module", ["mlm", "tlm", "denoising"])
def test_builtin_objectives_use_only_the_plugin_api(module):
    tree = ast.parse((ROOT / "polytrain" / "objectives" / f"{module}.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m.split(".")[0] == "polytrain"} == {"polytrain.objectives"}


def test_old_import_paths_keep_working():
    from polytrain.objectives.base import Objective
    from polytrain.rng import make_rng
    from polytrain.types import IGNORE_INDEX

    assert (Objective, make_rng, IGNORE_INDEX) == (api.Objective, api.make_rng, api.IGNORE_INDEX)
    sys.modules.pop("polytrain.data.rng", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("polytrain.data.rng")
    assert old.make_rng is api.make_rng
    assert any(issubclass(w.category, DeprecationWarning) and "polytrain.rng" in str(w.message) for w in caught)


def test_synthetic_vocab_has_polytrains_layout():
    vocab = synthetic_vocab(50, ("fr", "de"), word_start=4)
    assert (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id, vocab.mask_id) == (0, 1, 2, 3, 4)
    assert vocab.languages == ("de", "fr") and vocab.lang_token_ids == (5, 6) and vocab.num_special == 7
    assert vocab.word_start.shape == (50,) and np.flatnonzero(vocab.word_start).tolist() == list(range(7, 50, 4))
    assert api.ordinary(np.arange(50), vocab).sum() == 43
    with pytest.raises(ValueError, match="word_start must have shape"):
        synthetic_vocab(50, word_start=np.zeros(3, dtype=bool))


THAI = ["ฉันกินข้าวที่บ้าน", "วันนี้อากาศดีมาก", "เขาไปโรงเรียนทุกวัน", "แมวนอนอยู่บนเก้าอี้", "เราชอบอ่านหนังสือ"]


@pytest.fixture(scope="module")
def real() -> tuple:
    """A small real tokenizer on English, Chinese and Thai (scripts with and without spaces)."""
    corpus = ROOT / "polytrain" / "demo_corpus" / "mono"
    texts = {lang: [line for line in (corpus / f"{lang}.txt").read_text(encoding="utf-8").splitlines() if line][:300]
             for lang in ("en", "zh")}
    texts["th"] = THAI * 20
    return train_tokenizer(texts, vocab_size=1200), texts


def test_text_blocks_pack_as_the_stream_does(real):
    (tokenizer, vocab), texts = real
    mlm = MaskedLM()
    mlm.setup(vocab, 64)
    documents = ["\n".join(texts["en"][i : i + 4]) for i in range(0, 40, 4)]
    blocks = text_blocks(mlm, tokenizer, documents, "en")
    assert all(len(b.ids) == 62 for b in blocks[:-1]) and 0 < len(blocks[-1].ids) <= 62  # max_length - 2
    joined = np.concatenate([b.ids for b in blocks])
    encoded = [tokenizer.encode(s, add_special_tokens=False).ids for d in documents for s in d.split("\n")]
    assert (joined == vocab.eos_id).sum() == len(documents)  # a text stream: </s> after each document
    assert joined[joined != vocab.eos_id].tolist() == [i for ids in encoded for i in ids]
    denoise = Denoising()
    denoise.setup(vocab, 64)
    whole = text_blocks(denoise, tokenizer, documents, "en")  # whole documents: no </s>, whole sentences
    assert not any((b.ids == vocab.eos_id).any() for b in whole) and all(b.sentence_ends[-1] == len(b.ids) for b in whole)
    [pair] = text_pairs(tokenizer, [("Hallo Welt.", "Hello world.")], "de", "en")
    assert pair.tgt_ids.tolist() == tokenizer.encode("Hello world.", add_special_tokens=False).ids


@pytest.mark.parametrize("lang", ["en", "zh", "th"])
def test_denoising_word_spans_use_whole_word_mlms_words_in_every_script(real, lang):
    """mBART's word spans and whole-word MLM share one definition of a word (``span_units``), also
    in Chinese (each ideograph piece starts a word) and Thai (no spaces; letters start words)."""
    (tokenizer, vocab), texts = real
    denoise = Denoising(permute_sentence_ratio=0.0)
    denoise.setup(vocab, 128)
    masker = api.TokenMasker(mask_prob=0.3, whole_word_mask=True)
    rng = api.make_rng(0, "word-spans", lang)
    words_seen = tokens_seen = 0
    for block in text_blocks(denoise, tokenizer, texts[lang][:60], lang):
        words = api.span_units(block.ids, vocab, "word")
        starts, ends = set(words.starts.tolist()), set(words.ends.tolist())
        noised = denoise.noise(block.ids, block.sentence_ends, 126, rng)
        assert set(noised.span_starts.tolist()) <= starts
        assert set((noised.span_starts + noised.span_lengths).tolist()) <= ends
        chosen = masker.select(block.ids, vocab, rng)
        inside = np.zeros(len(block.ids), dtype=bool)
        inside[chosen] = True
        assert all(inside[a:b].all() or not inside[a:b].any() for a, b in zip(words.starts, words.ends))
        words_seen += len(words)
        tokens_seen += int(api.ordinary(block.ids, vocab).sum())
    assert words_seen > 60
    if lang == "th":  # 60 unspaced sentences would be 60 "words" without the script rule
        assert words_seen > 3 * 60


@pytest.mark.parametrize("name", ["Vocab", "TextBlock", "Example"])
def test_the_guides_field_tables_list_every_field_of_the_types(name: str):
    """docs/writing-a-plugin.md, "The types": each table names exactly the dataclass's fields."""
    import dataclasses
    import re

    from polytrain import types

    section = GUIDE.split(f"**`{name}`**", 1)[1].split("\n\n**`", 1)[0]
    documented = {field for row in re.findall(r"^\| (`.+?`(?:, `.+?`)*) \|", section, flags=re.M)
                  for field in re.findall(r"`(\w+)", row)} - {"field"}
    fields = {f.name for f in dataclasses.fields(getattr(types, name))}
    methods = {m for m in documented - fields if callable(getattr(getattr(types, name), m, None))}
    assert documented - methods == fields, f"undocumented: {fields - documented}; not fields: {documented - fields - methods}"
