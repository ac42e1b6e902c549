"""Warm start (``--model.init_from``): the weights load as saved, new token rows follow the documented
initialisation, language rows move with their language, and every mismatch is one line."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer

from polytrain.prepare.tokenizer import train_tokenizer
from polytrain.prepare.tokenizer_extend import extend, in_memory_sample, words_of
from polytrain.shards.vocab import load_vocab
from polytrain.errors import ConfigError
from polytrain.models import ModelConfig, build_model
from polytrain.checkpoint.warm_start import read_weights, warm_state

TEXT = {
    "en": ["The cat sat on the mat.", "A world of words and worlds.", "Water boils at one hundred degrees."] * 20,
    "sw": ["Maji huchemka kwa nyuzi joto mia moja.", "Paka alikaa juu ya mkeka.", "Dunia huzunguka jua."] * 20,
}
NEW = {"de": ["Die Katze sitzt auf der Matte.", "Wasser kocht bei hundert Grad.", "Eine Welt voller Woerter."] * 20}
CONFIG = ModelConfig(kind="encoder", d_model=16, n_layers=1, n_heads=2, d_ff=32, max_positions=16,
                     use_lang_embeddings=True)


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(base, extended): the base knows en and sw; the extension adds German pieces and <lang:de>."""
    folder = tmp_path_factory.mktemp("tok")
    base = train_tokenizer(TEXT, vocab_size=420, seed=0)
    base.save(str(folder / "base.json"))
    protected = [s for lang in TEXT for s in TEXT[lang]]
    extended = extend(base, in_memory_sample(NEW), words_of(base, protected), add=40).tokenizer
    extended.save(str(folder / "extended.json"))
    return folder / "base.json", folder / "extended.json"


def _save(path: Path, model: torch.nn.Module, config: ModelConfig, tokenizer: Path) -> Path:
    """A checkpoint as ``polytrain fit`` writes it, reduced to what a warm start reads."""
    _, vocab = load_vocab(str(tokenizer))
    record = {"architecture": asdict(config), "tokenizer_sha256": vocab.sha256, "vocab_size": vocab.size,
              "languages": list(vocab.languages)}
    torch.save({"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, "polytrain": record,
                "hyper_parameters": {"tokenizer": str(tokenizer)}}, path)
    return path


def _trained(config: ModelConfig, tokenizer: Path, seed: int = 1) -> torch.nn.Module:
    _, vocab = load_vocab(str(tokenizer))
    model = build_model(config, vocab.size, len(vocab.languages), vocab.pad_id)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(seed)))
    return model


def _start(checkpoint: Path, config: ModelConfig, tokenizer: Path, how: str = "mean") -> dict[str, torch.Tensor]:
    tok, vocab = load_vocab(str(tokenizer))
    model = build_model(config, vocab.size, len(vocab.languages), vocab.pad_id)
    return warm_state(read_weights(str(checkpoint)), model, config, vocab, tok, how)  # type: ignore[arg-type]


def test_the_same_tokenizer_loads_every_tensor_as_saved(tokenizers: tuple[Path, Path], tmp_path: Path) -> None:
    base, _ = tokenizers
    model = _trained(CONFIG, base)
    state = _start(_save(tmp_path / "a.ckpt", model, CONFIG, base), CONFIG, base)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    padded = _start(tmp_path / "a.ckpt", replace(CONFIG, pad_vocab_to_multiple_of=64), base)  # e.g. for a GPU
    size = load_vocab(str(base))[1].size
    assert padded["embed_tokens.weight"].shape[0] == -(-size // 64) * 64
    assert torch.equal(padded["embed_tokens.weight"][:size], state["embed_tokens.weight"])


def test_new_rows_are_the_mean_of_their_pieces_under_the_old_tokenizer(tokenizers: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    base, extended = tokenizers
    model = _trained(CONFIG, base)
    state = _start(_save(tmp_path / "a.ckpt", model, CONFIG, base), CONFIG, extended)
    old_tok, old = load_vocab(str(base))
    new_tok, new = load_vocab(str(extended))
    embedding, bias = model.embed_tokens.weight.detach(), model.lm_head.bias.detach()
    assert torch.equal(state["embed_tokens.weight"][: old.size], embedding)
    assert torch.equal(state["lm_head.bias"][: old.size], bias)
    ordinary = [i for i in range(old.size) if not old.special[i]]
    checked = 0
    for idx in range(old.size, new.size):
        piece = new_tok.id_to_token(idx)
        if new.special[idx]:  # <lang:de>: no pieces, the mean of the old ordinary rows
            expected, expected_bias = embedding[ordinary].mean(0), bias[ordinary].mean()
        else:
            ids = [t.id for t in old_tok.model.tokenize(piece)]
            assert ids and all(not old.special[i] for i in ids), piece  # old pieces (bytes for a new char)
            expected, expected_bias = embedding[ids].mean(0), bias[ids].mean()
            checked += 1
        assert torch.allclose(state["embed_tokens.weight"][idx], expected, atol=1e-6), piece
        assert torch.allclose(state["lm_head.bias"][idx], expected_bias, atol=1e-6), piece
    assert checked >= 5


def test_language_rows_follow_their_language(tokenizers: tuple[Path, Path], tmp_path: Path) -> None:
    """en, sw -> de, en, sw: the old rows move to their languages' new indices; de's is their mean."""
    base, extended = tokenizers
    model = _trained(CONFIG, base)
    state = _start(_save(tmp_path / "a.ckpt", model, CONFIG, base), CONFIG, extended)
    old = model.embed_langs.weight.detach()  # rows: en, sw
    assert load_vocab(str(extended))[1].languages == ("de", "en", "sw")
    assert torch.equal(state["embed_langs.weight"][1:], old)
    assert torch.allclose(state["embed_langs.weight"][0], old.mean(0))


def test_random_new_rows_are_a_new_models_rows(tokenizers: tuple[Path, Path], tmp_path: Path) -> None:
    base, extended = tokenizers
    config = replace(CONFIG, use_lang_embeddings=False, init_std=0.5)
    state = _start(_save(tmp_path / "a.ckpt", _trained(config, base), config, base), config, extended, how="random")
    size = load_vocab(str(base))[1].size
    rows = state["embed_tokens.weight"][size:]
    assert abs(rows.std().item() - 0.5) < 0.05 and abs(rows.mean().item()) < 0.05  # N(0, init_std), 41 x 16 values
    assert torch.count_nonzero(state["lm_head.bias"][size:]) == 0


def test_seq2seq_output_bias_grows_with_the_embedding(tokenizers: tuple[Path, Path], tmp_path: Path) -> None:
    base, extended = tokenizers
    config = ModelConfig(kind="encoder_decoder", d_model=16, n_layers=1, n_heads=2, d_ff=32, max_positions=16)
    model = _trained(config, base)
    state = _start(_save(tmp_path / "a.ckpt", model, config, base), config, extended)
    size = load_vocab(str(base))[1].size
    new_tok = Tokenizer.from_file(str(extended))
    old_tok = Tokenizer.from_file(str(base))
    ids = [t.id for t in old_tok.model.tokenize(new_tok.id_to_token(size))]
    assert torch.allclose(state["final_logits_bias"][size], model.final_logits_bias.detach()[ids].mean())


def test_mismatches_are_refused_in_one_line(tokenizers: tuple[Path, Path], tmp_path: Path) -> None:
    base, extended = tokenizers
    checkpoint = _save(tmp_path / "a.ckpt", _trained(CONFIG, base), CONFIG, base)
    with pytest.raises(ConfigError, match=r"another model.architecture \(n_layers 1 -> 2, d_ff 32 -> 64\)"):
        _start(checkpoint, replace(CONFIG, n_layers=2, d_ff=64), base)
    other = tmp_path / "other.json"
    train_tokenizer({**TEXT, **NEW}, vocab_size=500, seed=0).save(str(other))
    with pytest.raises(ConfigError, match="does not extend the one the weights were trained with: id 5 is"):
        _start(checkpoint, CONFIG, other)
    bigger = _save(tmp_path / "b.ckpt", _trained(CONFIG, extended), CONFIG, extended)
    with pytest.raises(ConfigError, match="not an extension"):
        _start(bigger, CONFIG, base)
    data = torch.load(checkpoint, weights_only=True)
    data["hyper_parameters"]["tokenizer"] = str(tmp_path / "gone.json")
    torch.save(data, tmp_path / "d.ckpt")
    with pytest.raises(ConfigError, match="its file is needed and .*gone.json' is not there"):
        _start(tmp_path / "d.ckpt", CONFIG, extended)
    (tmp_path / "e.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a complete checkpoint"):
        read_weights(str(tmp_path / "e.ckpt"))
    with pytest.raises(FileNotFoundError, match="not found"):
        read_weights(str(tmp_path / "nowhere.ckpt"))
