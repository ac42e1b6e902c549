"""The XLM-R-style Encoder: shapes, masking, the target-only head, tying, initialisation."""

from __future__ import annotations

import pytest
import torch
from models_testlib import PAD, VOCAB, make_inputs
from torch.nn import functional as F

from polytrain.models import Encoder, EncoderLayer, ModelConfig, build_model


def test_shapes(encoder: Encoder) -> None:
    x = make_inputs([7, 4, 5], seed=0)
    target_mask = torch.zeros_like(x.attention_mask)
    target_mask[0, [1, 3]] = True
    target_mask[2, 0] = True
    out = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, target_mask)
    assert out.hidden.shape == (3, 7, 64)
    assert out.logits.shape == (3, VOCAB)
    assert torch.equal(encoder.encode(x.input_ids, x.attention_mask, x.positions, x.langs), out.hidden)


def test_padded_tokens_do_not_change_real_outputs(encoder: Encoder) -> None:
    x = make_inputs([6, 3], seed=1, width=8)
    base = encoder.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
    pad = ~x.attention_mask
    changed = x.input_ids.masked_fill(pad, 77)  # garbage behind the padding mask
    moved = x.positions.masked_fill(pad, 5)
    after = encoder.encode(changed, x.attention_mask, moved, x.langs)
    assert torch.allclose(after[x.attention_mask], base[x.attention_mask], atol=1e-6)
    # ...whereas changing a real token does reach the other real tokens (the check can fail).
    real_changed = x.input_ids.clone()
    real_changed[1, 2] = 77
    other = encoder.encode(real_changed, x.attention_mask, x.positions, x.langs)
    assert not torch.allclose(other[1, :2], base[1, :2], atol=1e-4)


def test_padding_matches_unpadded_single_sequence(encoder: Encoder) -> None:
    x = make_inputs([6, 3], seed=2)
    batched = encoder.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
    alone = encoder.encode(x.input_ids[1:, :3], x.attention_mask[1:, :3], x.positions[1:, :3], x.langs[1:, :3])
    assert torch.allclose(batched[1, :3], alone[0], atol=1e-5)


def test_no_mask_equals_an_all_true_mask(encoder: Encoder) -> None:
    x = make_inputs([6, 6], seed=4)  # no padding: what Batch.key_padding_mask() turns into None
    target_mask = x.attention_mask.clone()
    with_mask = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, target_mask)
    without = encoder(x.input_ids, None, x.positions, x.langs, target_mask)
    assert torch.allclose(without.hidden, with_mask.hidden, atol=1e-6)
    assert torch.allclose(without.logits, with_mask.logits, atol=1e-6)
    # ...but dropping the mask of a padded batch does change the real outputs (the check can fail).
    padded = make_inputs([6, 3], seed=4)
    masked = encoder.encode(padded.input_ids, padded.attention_mask, padded.positions, padded.langs)
    unmasked = encoder.encode(padded.input_ids, None, padded.positions, padded.langs)
    assert not torch.allclose(unmasked[1, :3], masked[1, :3], atol=1e-4)


def test_head_on_targets_equals_head_on_all_then_select(encoder: Encoder) -> None:
    x = make_inputs([8, 5, 7], seed=3)
    gen = torch.Generator().manual_seed(0)
    target_mask = (torch.rand(x.attention_mask.shape, generator=gen) < 0.3) & x.attention_mask
    labels = torch.randint(0, VOCAB, (int(target_mask.sum()),), generator=gen)
    out = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, target_mask)
    full = encoder.project(out.hidden.reshape(-1, 64)).view(3, 8, VOCAB)  # (B, T, V)
    selected = full[target_mask]  # row-major (batch, then position)
    assert out.logits.shape == selected.shape
    assert torch.allclose(out.logits, selected, atol=1e-6)
    assert torch.allclose(F.cross_entropy(out.logits, labels), F.cross_entropy(selected, labels), atol=1e-6)


def test_output_projection_is_the_token_embedding(encoder: Encoder) -> None:
    vocab_sized = [n for n, p in encoder.named_parameters(remove_duplicate=False) if p.shape == (VOCAB, 64)]
    assert vocab_sized == ["embed_tokens.weight"]  # no second (V, d) matrix to drift apart
    x = make_inputs([5], seed=4)
    target = torch.ones_like(x.attention_mask)
    unused = sorted(set(range(5, VOCAB)) - set(x.input_ids.flatten().tolist()))[0]
    out = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, target)
    out.logits[:, unused].sum().backward()
    grad = encoder.embed_tokens.weight.grad
    assert grad is not None and grad[unused].abs().sum() > 0  # reached only through the output side
    with torch.no_grad():
        encoder.embed_tokens.weight[unused] += 1.0
        moved = encoder(x.input_ids, x.attention_mask, x.positions, x.langs, target).logits
    assert not torch.allclose(moved[:, unused], out.logits[:, unused].detach())


def test_language_embeddings_only_when_enabled(encoder_config: ModelConfig) -> None:
    x = make_inputs([5, 5], seed=5)
    other_langs = (x.langs + 1) % 3
    for enabled in (False, True):
        config = ModelConfig(**{**encoder_config.__dict__, "use_lang_embeddings": enabled})
        model = build_model(config, VOCAB, 3, PAD).eval()
        a = model.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
        b = model.encode(x.input_ids, x.attention_mask, x.positions, other_langs)
        assert torch.allclose(a, b) is (not enabled)
        assert (model.embed_langs is not None) is enabled


def test_positions_are_explicit(encoder: Encoder) -> None:
    x = make_inputs([6], seed=6)
    restarted = torch.tensor([[0, 1, 2, 0, 1, 2]])  # TLM restarts positions for the second sentence
    a = encoder.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
    b = encoder.encode(x.input_ids, x.attention_mask, restarted, x.langs)
    c = encoder.encode(x.input_ids, x.attention_mask, restarted.clone(), x.langs)
    assert not torch.allclose(a, b, atol=1e-4)
    assert torch.equal(b, c)


def test_initialisation_like_hugging_face(encoder_config: ModelConfig) -> None:
    model = build_model(encoder_config, VOCAB, 3, PAD)
    assert isinstance(model, Encoder)
    assert torch.count_nonzero(model.embed_tokens.weight[PAD]) == 0
    assert torch.count_nonzero(model.lm_head.bias) == 0
    layer = model.layers[0]
    assert isinstance(layer, EncoderLayer)
    assert torch.count_nonzero(layer.self_attn.q_proj.bias) == 0
    assert torch.equal(layer.final_layer_norm.weight, torch.ones(64))
    # 64 x 64 = 4096 draws of N(0, 0.02): the sample std is within 5 % with overwhelming probability.
    assert abs(layer.self_attn.q_proj.weight.std().item() - 0.02) < 0.001
    model.init_weights(torch.Generator().manual_seed(3))
    first = model.embed_positions.weight.clone()
    model.init_weights(torch.Generator().manual_seed(3))
    assert torch.equal(first, model.embed_positions.weight)


def test_post_layer_norm_output(encoder_config: ModelConfig) -> None:
    """Post-LN: the last operation is a LayerNorm, so fresh-model outputs are per-token standardised."""
    model = build_model(encoder_config, VOCAB, 3, PAD).eval()
    x = make_inputs([6], seed=7)
    hidden = model.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
    assert torch.allclose(hidden.mean(-1), torch.zeros(1, 6), atol=1e-5)
    assert torch.allclose(hidden.var(-1, unbiased=False), torch.ones(1, 6), atol=1e-3)


def test_dropout_only_in_training(encoder: Encoder) -> None:
    x = make_inputs([6], seed=8)
    args = (x.input_ids, x.attention_mask, x.positions, x.langs)
    assert torch.equal(encoder.encode(*args), encoder.encode(*args))
    encoder.train()
    assert not torch.allclose(encoder.encode(*args), encoder.encode(*args))


def test_position_beyond_max_positions_fails(encoder: Encoder) -> None:
    x = make_inputs([3], seed=9)
    with pytest.raises(IndexError):  # max_positions=32: row 32 does not exist
        encoder.encode(x.input_ids, x.attention_mask, torch.tensor([[0, 1, 32]]), x.langs)


def test_padded_vocabulary_adds_output_rows_only(encoder_config: ModelConfig) -> None:
    from dataclasses import replace

    padded = build_model(replace(encoder_config, pad_vocab_to_multiple_of=128), VOCAB, 3, PAD)
    rows = padded.embed_tokens.num_embeddings
    assert rows % 128 == 0 and rows > VOCAB and padded.lm_head.bias.shape == (rows,)
    x = make_inputs([5, 4], seed=30)
    out = padded(x.input_ids, x.attention_mask, x.positions, x.langs, x.attention_mask)
    assert out.logits.shape == (int(x.attention_mask.sum()), rows)
