"""Small random models shared by the model tests."""

from __future__ import annotations

import pytest
import torch
from models_testlib import PAD, VOCAB, randomize

from polytrain.models import Encoder, ModelConfig, Seq2Seq, build_model


@pytest.fixture
def encoder_config() -> ModelConfig:
    return ModelConfig(kind="encoder", d_model=64, n_layers=2, n_heads=4, d_ff=128, max_positions=32)


@pytest.fixture
def seq2seq_config() -> ModelConfig:
    return ModelConfig(
        kind="encoder_decoder", d_model=64, n_layers=2, n_decoder_layers=2, n_heads=4, d_ff=128, max_positions=32
    )


@pytest.fixture
def encoder(encoder_config: ModelConfig) -> Encoder:
    model = build_model(encoder_config, VOCAB, 3, PAD)
    assert isinstance(model, Encoder)
    model.init_weights(torch.Generator().manual_seed(0))
    randomize(model, 1)
    return model.eval()


@pytest.fixture
def seq2seq(seq2seq_config: ModelConfig) -> Seq2Seq:
    model = build_model(seq2seq_config, VOCAB, 3, PAD)
    assert isinstance(model, Seq2Seq)
    model.init_weights(torch.Generator().manual_seed(0))
    randomize(model, 1)
    return model.eval()
