"""ModelConfig validation and build_model dispatch."""

from __future__ import annotations

import pytest

from polytrain.models import Encoder, ModelConfig, Seq2Seq, build_model


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"d_model": 100, "n_heads": 3}, "d_model"),
        ({"d_model": 0}, "d_model"),
        ({"n_layers": 0}, "n_layers"),
        ({"n_heads": -1}, "n_heads"),
        ({"d_ff": 0}, "d_ff"),
        ({"max_positions": 0}, "max_positions"),
        ({"n_decoder_layers": 2}, "n_decoder_layers"),  # encoder has no decoder
        ({"kind": "encoder_decoder", "n_decoder_layers": -1}, "n_decoder_layers"),
        ({"kind": "encoder_decoder", "use_lang_embeddings": True}, "use_lang_embeddings"),
        ({"kind": "decoder"}, "kind"),
        ({"dropout": 1.0}, "dropout"),
        ({"attention_dropout": -0.1}, "attention_dropout"),
        ({"layer_norm_eps": 0.0}, "layer_norm_eps"),
        ({"init_std": 0.0}, "init_std"),
    ],
)
def test_invalid_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"ModelConfig\.{field}\b"):
        ModelConfig(**kwargs)  # type: ignore[arg-type]


def test_decoder_layers_default_to_encoder_layers() -> None:
    assert ModelConfig(kind="encoder_decoder", n_layers=3).num_decoder_layers == 3
    assert ModelConfig(kind="encoder_decoder", n_layers=3, n_decoder_layers=1).num_decoder_layers == 1
    assert ModelConfig(d_model=64, n_heads=4).head_dim == 16


def test_build_model_dispatches_on_kind() -> None:
    small = {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "max_positions": 16}
    encoder = build_model(ModelConfig(**small), vocab_size=50, n_langs=2, pad_id=1)  # type: ignore[arg-type]
    seq2seq = build_model(ModelConfig(kind="encoder_decoder", **small), 50, 2, 1)  # type: ignore[arg-type]
    assert isinstance(encoder, Encoder) and len(encoder.layers) == 1
    assert isinstance(seq2seq, Seq2Seq) and len(seq2seq.encoder_layers) == len(seq2seq.decoder_layers) == 1


@pytest.mark.parametrize(
    ("vocab_size", "n_langs", "pad_id", "lang_emb", "message"),
    [
        (0, 1, 0, False, "vocab_size"),
        (50, 1, 50, False, "pad_id"),
        (50, 0, 1, True, "n_langs"),
    ],
)
def test_build_model_rejects_bad_sizes(
    vocab_size: int, n_langs: int, pad_id: int, lang_emb: bool, message: str
) -> None:
    config = ModelConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, use_lang_embeddings=lang_emb)
    with pytest.raises(ValueError, match=message):
        build_model(config, vocab_size, n_langs, pad_id)


def test_vocabulary_padding_rounds_up_to_the_multiple() -> None:
    assert ModelConfig().padded_vocab_size(250_002) == 250_002
    padded = ModelConfig(pad_vocab_to_multiple_of=128)
    assert padded.padded_vocab_size(250_002) == 250_112  # XLM-R's vocabulary, as configs/model/base.yaml pads it
    assert padded.padded_vocab_size(256) == 256 and padded.padded_vocab_size(257) == 384
    with pytest.raises(ValueError, match="pad_vocab_to_multiple_of must be a positive integer"):
        ModelConfig(pad_vocab_to_multiple_of=0)


def test_shape_changes_compare_shapes_not_knobs():
    from dataclasses import asdict

    from polytrain.models.config import shape_changes

    seq2seq = ModelConfig(kind="encoder_decoder", n_layers=3, n_decoder_layers=3)
    same = asdict(ModelConfig(kind="encoder_decoder", n_layers=3))  # n_decoder_layers 0 = n_layers
    assert shape_changes(same, seq2seq, 2048) == []
    padded = ModelConfig(pad_vocab_to_multiple_of=64)
    assert shape_changes(asdict(ModelConfig(pad_vocab_to_multiple_of=8)), padded, 2048) == []  # 2048 rows both
    assert shape_changes(asdict(ModelConfig(pad_vocab_to_multiple_of=8)), padded, 2050) == ["vocab_rows 2056 -> 2112"]
    assert shape_changes(asdict(ModelConfig(n_layers=2, d_ff=64)), ModelConfig(), 100) == [
        "n_layers 2 -> 4", "d_ff 64 -> 1024"]
    assert shape_changes({**asdict(ModelConfig()), "dropout": 0.3, "new_field": 1}, ModelConfig(), 100) == []
    assert shape_changes({"d_model": 30, "n_heads": 4}, ModelConfig(), 100) == []  # unreadable record: not judged

