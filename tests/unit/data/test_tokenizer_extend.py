"""`polytrain tokenizer extend`: old ids and old segmentations stay, the new language gets shorter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from polytrain.prepare.tokenizer import train_tokenizer
from polytrain.prepare.tokenizer_extend import extend, in_memory_sample, select_pieces, unigram_spec, words_of
from polytrain.prepare.tokenizer_layout import TokenizerTrainError
from polytrain.shards.vocab import vocab_from_tokenizer

CORPUS = Path(__file__).resolve().parents[3] / "polytrain" / "demo_corpus" / "mono"
OLD = ("ar", "de", "en", "es", "fr", "hi", "ru", "zh")
NEW = "sw"


def _lines(lang: str) -> list[str]:
    return [s for s in (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines() if s.strip()]


@pytest.fixture(scope="module")
def demo() -> dict[str, list[str]]:
    """The demo corpus' sentences by language (Swahili: the new language)."""
    return {lang: _lines(lang) for lang in (*OLD, NEW)}


@pytest.fixture(scope="module")
def base(demo: dict[str, list[str]]) -> Tokenizer:
    """A polytrain tokenizer trained on every demo language but Swahili (on part of the text: quicker,
    and the checks below run on all of it)."""
    return train_tokenizer({lang: demo[lang][:300] for lang in OLD}, vocab_size=3000, seed=0)


@pytest.fixture(scope="module")
def extended(base: Tokenizer, demo: dict[str, list[str]]) -> Tokenizer:
    learn = demo[NEW][: len(demo[NEW]) * 4 // 5]
    protected = words_of(base, (s for lang in OLD for s in demo[lang]))
    return extend(base, in_memory_sample({NEW: learn}), protected, add=200).tokenizer


def _fertility(tokenizer: Tokenizer, sentences: list[str]) -> float:
    tokens = sum(len(e.ids) for e in tokenizer.encode_batch(sentences, add_special_tokens=False))
    return tokens / sum(len(s.split()) for s in sentences)


def test_every_old_id_keeps_its_token_and_new_ids_follow(base: Tokenizer, extended: Tokenizer) -> None:
    old, new = base.get_vocab_size(with_added_tokens=True), extended.get_vocab_size(with_added_tokens=True)
    assert [base.id_to_token(i) for i in range(old)] == [extended.id_to_token(i) for i in range(old)]
    assert new == old + 200 + 1  # 200 pieces, then <lang:sw>
    assert extended.id_to_token(new - 1) == "<lang:sw>"
    vocab = vocab_from_tokenizer(extended)
    assert vocab.languages == tuple(sorted((*OLD, NEW))) and vocab.lang_token("sw") == new - 1
    assert vocab.special[new - 1] and not vocab.special[old:new - 1].any()  # pieces are ordinary, the tag is not
    assert vocab.lang_token_ids[:4] == vocab_from_tokenizer(base).lang_token_ids[:4]  # old tags keep their ids
    assert extended.encode("x<lang:sw>y", add_special_tokens=False).tokens.count("<lang:sw>") == 1


def test_old_languages_are_segmented_exactly_as_before(base: Tokenizer, extended: Tokenizer,
                                                       demo: dict[str, list[str]]) -> None:
    for lang in OLD:
        before = [e.ids for e in base.encode_batch(demo[lang], add_special_tokens=False)]
        after = [e.ids for e in extended.encode_batch(demo[lang], add_special_tokens=False)]
        changed = [s for s, b, a in zip(demo[lang], before, after) if a != b]
        assert not changed, f"{lang}: {len(changed)} sentences changed, e.g. {changed[0]!r}"


def test_the_new_language_needs_fewer_tokens_per_word(base: Tokenizer, extended: Tokenizer,
                                                      demo: dict[str, list[str]]) -> None:
    held_out = demo[NEW][len(demo[NEW]) * 4 // 5:]  # not in the learning text
    before, after = _fertility(base, held_out), _fertility(extended, held_out)
    assert after < 0.8 * before, (before, after)
    new_ids = {e for enc in extended.encode_batch(held_out, add_special_tokens=False) for e in enc.ids
               if e >= base.get_vocab_size(with_added_tokens=True)}
    assert len(new_ids) > 50  # many of the added pieces are used on unseen Swahili


def test_unprotected_scores_would_change_old_words(base: Tokenizer, demo: dict[str, list[str]]) -> None:
    """Why the selection checks words: added pieces with their learned scores do change old
    segmentations (here, of the old languages' words), and the check removes exactly those."""
    spec = unigram_spec(base)
    old_words = words_of(base, (s for lang in OLD for s in demo[lang]))
    candidates = [(p, s) for p, s in _learned(base, demo)]
    unchecked, _ = select_pieces(spec, candidates, [], 200)
    checked, rejected = select_pieces(spec, candidates, old_words, 200)
    assert rejected > 0 and len(checked) == 200
    changed = [w for w, a, b in zip(old_words, *(_segment(base, pieces, old_words) for pieces in ([], unchecked)))
               if a != b]
    assert len(changed) > 100, len(changed)  # e.g. German and Spanish words that start like Swahili ones
    assert _segment(base, checked, old_words) == _segment(base, [], old_words)


def _segment(base: Tokenizer, pieces: list[tuple[str, float]], words: list[str]) -> list[list[int]]:
    from polytrain.prepare.tokenizer_extend import append_tokens

    bare = append_tokens(base, pieces, [])
    bare.normalizer = bare.pre_tokenizer = None
    return [e.ids for e in bare.encode_batch(words, add_special_tokens=False)]


def _learned(base: Tokenizer, demo: dict[str, list[str]]) -> list[tuple[str, float]]:
    from polytrain.prepare.tokenizer_extend import learn_candidates

    return learn_candidates(base, in_memory_sample({NEW: demo[NEW]}).iter_texts(), 1200)


def test_scores_never_go_below_the_base_minimum(base: Tokenizer, extended: Tokenizer) -> None:
    """tokenizers scores <unk> below the lowest piece: keeping that minimum keeps <unk> paths as they were."""
    old = json.loads(base.to_str())["model"]["vocab"]
    new = json.loads(extended.to_str())["model"]["vocab"]
    assert min(s for _, s in new) == min(s for _, s in old)
    assert new[: len(old)] == old


def test_only_unigram_is_extended(tmp_path: Path) -> None:
    bpe = train_tokenizer({"en": ["a small text", "another small text"] * 20}, vocab_size=300, model="bpe")
    with pytest.raises(TokenizerTrainError, match="a BPE tokenizer; only Unigram"):
        extend(bpe, in_memory_sample({"sw": ["maji ni uhai"] * 20}), [], add=10)


def test_an_xlmr_tokenizer_keeps_its_layout_and_gets_no_tags(demo: dict[str, list[str]]) -> None:
    """XLM-R's layout (<mask> last, no tags): pieces go after <mask>, which keeps its id; no tag is added."""
    pytest.importorskip("transformers")
    from hf_testlib import xlmr_tokenizer

    base = Tokenizer.from_str(xlmr_tokenizer().backend_tokenizer.to_str())
    protected = words_of(base, demo["en"] + demo["de"])
    extended = extend(base, in_memory_sample({"fr": demo["fr"]}), protected, add=50).tokenizer
    before, after = vocab_from_tokenizer(base), vocab_from_tokenizer(extended)
    assert before.languages == after.languages == () and after.mask_id == before.mask_id == before.size - 1
    assert after.size == before.size + 50 and not after.special[before.size:].any()
    for lang in ("en", "de"):
        assert ([e.ids for e in base.encode_batch(demo[lang], add_special_tokens=False)]
                == [e.ids for e in extended.encode_batch(demo[lang], add_special_tokens=False)])


@pytest.mark.parametrize("n_pieces", [50, 1500])  # a scan per piece, and one pass with a substring index
def test_the_words_containing_each_piece_are_found_in_both_ways(n_pieces: int) -> None:
    import random

    from polytrain.prepare.tokenizer_extend import _words_containing

    rng = random.Random(n_pieces)
    letters = "abcdefgh\u2581"
    words = ["\u2581" + "".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    pieces = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 8))) for _ in range(n_pieces)}
    assert _words_containing(pieces, words) == {p: [i for i, w in enumerate(words) if p in w] for p in pieces}
