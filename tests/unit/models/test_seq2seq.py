"""The mBART-style Seq2Seq: shapes, causal and padding masks, the target-only head, greedy generation."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from models_testlib import EOS, PAD, VOCAB, Inputs, make_inputs

from polytrain.models import ModelConfig, Seq2Seq


def _decoder_inputs(lengths: list[int], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = make_inputs(lengths, seed)
    return x.input_ids, x.attention_mask


def _hidden(model: Seq2Seq, x: Inputs, dec_ids: torch.Tensor, dec_mask: torch.Tensor) -> torch.Tensor:
    return model(x.input_ids, x.attention_mask, x.positions, x.langs, dec_ids, dec_mask, dec_mask).hidden


def test_shapes_and_encode_decode_compose(seq2seq: Seq2Seq) -> None:
    x = make_inputs([7, 4], seed=0)
    dec_ids, dec_mask = _decoder_inputs([5, 3], seed=1)
    target_mask = dec_mask.clone()
    target_mask[0, 0] = False
    out = seq2seq(x.input_ids, x.attention_mask, x.positions, x.langs, dec_ids, dec_mask, target_mask)
    assert out.hidden.shape == (2, 5, 64)
    assert out.logits.shape == (int(target_mask.sum()), VOCAB)
    memory = seq2seq.encode(x.input_ids, x.attention_mask, x.positions, x.langs)
    assert memory.shape == (2, 7, 64)
    assert torch.equal(seq2seq.decode(dec_ids, dec_mask, memory, x.attention_mask), out.hidden)


def test_no_encoder_mask_equals_an_all_true_mask(seq2seq: Seq2Seq) -> None:
    x = make_inputs([6, 6], seed=5)
    dec_ids, dec_mask = _decoder_inputs([4, 2], seed=6)
    with_mask = seq2seq(x.input_ids, x.attention_mask, x.positions, x.langs, dec_ids, dec_mask, dec_mask)
    without = seq2seq(x.input_ids, None, x.positions, x.langs, dec_ids, dec_mask, dec_mask)
    assert torch.allclose(without.hidden, with_mask.hidden, atol=1e-6)
    assert torch.allclose(without.logits, with_mask.logits, atol=1e-6)


def test_decoder_is_causal(seq2seq: Seq2Seq) -> None:
    x = make_inputs([6], seed=2)
    dec_ids, dec_mask = _decoder_inputs([6], seed=3)
    base = _hidden(seq2seq, x, dec_ids, dec_mask)
    later = dec_ids.clone()
    later[0, 4] = (later[0, 4] + 1) % VOCAB
    after = _hidden(seq2seq, x, later, dec_mask)
    assert torch.allclose(after[0, :4], base[0, :4], atol=1e-6)  # earlier positions cannot see it
    assert not torch.allclose(after[0, 4:], base[0, 4:], atol=1e-4)  # the changed one and later ones do


def test_encoder_padding_does_not_change_decoder(seq2seq: Seq2Seq) -> None:
    x = make_inputs([6, 3], seed=4)
    dec_ids, dec_mask = _decoder_inputs([4, 4], seed=5)
    base = _hidden(seq2seq, x, dec_ids, dec_mask)
    garbage = Inputs(x.input_ids.masked_fill(~x.attention_mask, 99), x.attention_mask, x.positions, x.langs)
    assert torch.allclose(_hidden(seq2seq, garbage, dec_ids, dec_mask), base, atol=1e-6)
    # A real source token does reach the decoder (cross-attention is wired up).
    real = Inputs(x.input_ids.clone(), x.attention_mask, x.positions, x.langs)
    real.input_ids[1, 1] = 99
    assert not torch.allclose(_hidden(seq2seq, real, dec_ids, dec_mask)[1], base[1], atol=1e-4)


def test_decoder_padding_does_not_change_real_positions(seq2seq: Seq2Seq) -> None:
    x = make_inputs([5, 5], seed=6)
    dec_ids, dec_mask = _decoder_inputs([6, 2], seed=7)
    base = _hidden(seq2seq, x, dec_ids, dec_mask)
    changed = dec_ids.masked_fill(~dec_mask, 42)
    assert torch.allclose(_hidden(seq2seq, x, changed, dec_mask)[dec_mask], base[dec_mask], atol=1e-6)


def test_head_on_targets_equals_head_on_all_then_select(seq2seq: Seq2Seq) -> None:
    x = make_inputs([5, 6], seed=8)
    dec_ids, dec_mask = _decoder_inputs([7, 4], seed=9)
    target_mask = dec_mask.clone()
    target_mask[:, ::3] = False
    out = seq2seq(x.input_ids, x.attention_mask, x.positions, x.langs, dec_ids, dec_mask, target_mask)
    selected = seq2seq.project(out.hidden)[target_mask]  # (B, Td, V) -> (N, V), row-major
    assert torch.allclose(out.logits, selected, atol=1e-6)


def test_one_embedding_is_input_and_output(seq2seq: Seq2Seq) -> None:
    vocab_sized = [n for n, p in seq2seq.named_parameters(remove_duplicate=False) if p.shape == (VOCAB, 64)]
    assert vocab_sized == ["embed_tokens.weight"]
    x = make_inputs([4], seed=10)
    dec_ids, dec_mask = _decoder_inputs([3], seed=11)
    unused = sorted(set(range(5, VOCAB)) - set(x.input_ids.tolist()[0]) - set(dec_ids.tolist()[0]))[0]
    out = seq2seq(x.input_ids, x.attention_mask, x.positions, x.langs, dec_ids, dec_mask, dec_mask)
    out.logits[:, unused].sum().backward()
    grad = seq2seq.embed_tokens.weight.grad
    assert grad is not None and grad[unused].abs().sum() > 0


def _naive_greedy(model: Seq2Seq, x: Inputs, start: int, steps: int) -> list[int]:
    """Argmax loop over full forward passes for ONE unpadded sequence, never stopping."""
    out = [start]
    for _ in range(steps):
        dec = torch.tensor([out])
        mask = torch.ones_like(dec, dtype=torch.bool)
        logits = model(x.input_ids, x.attention_mask, x.positions, x.langs, dec, mask, mask).logits  # (t, V)
        out.append(int(logits[-1].argmax()))
    return out


def _truncate_at(tokens: list[int], eos: int, width: int) -> list[int]:
    """What generate returns for one row: up to and including the first eos, then pad to width."""
    if eos in tokens[1:]:
        tokens = tokens[: tokens.index(eos, 1) + 1]
    return tokens + [PAD] * (width - len(tokens))


def test_generate_matches_naive_argmax_loop(seq2seq_config: ModelConfig) -> None:
    # A sharper random model (large init) so that greedy outputs vary from token to token.
    model = Seq2Seq(replace(seq2seq_config, init_std=0.5), VOCAB, 3, PAD).eval()
    model.init_weights(torch.Generator().manual_seed(5))
    lengths, starts = [6, 4, 5], [7, 8, 9]
    x = make_inputs(lengths, seed=12)
    alone = [  # each row on its own, without padding
        Inputs(
            x.input_ids[i : i + 1, :n],
            x.attention_mask[i : i + 1, :n],
            x.positions[i : i + 1, :n],
            x.langs[i : i + 1, :n],
        )
        for i, n in enumerate(lengths)
    ]
    naive = [_naive_greedy(model, row, start, steps=8) for row, start in zip(alone, starts, strict=True)]
    eos = naive[0][2]  # the token row 0 emits at step 2 plays eos
    got = model.generate(x.input_ids, x.attention_mask, x.positions, x.langs, torch.tensor(starts), eos, 8)
    assert got.tolist() == [_truncate_at(row, eos, got.shape[1]) for row in naive]
    assert got.shape[1] == max(len(_truncate_at(row, eos, 0)) for row in naive)
    ended = [eos in row[1:] for row in naive]
    assert any(ended) and not all(ended)  # both the pad-after-eos and the run-to-the-limit paths


def test_generate_stops_when_every_sequence_ended(seq2seq: Seq2Seq) -> None:
    with torch.no_grad():
        seq2seq.final_logits_bias[EOS] = 1e4  # eos always wins
    x = make_inputs([5, 3], seed=13)
    got = seq2seq.generate(x.input_ids, x.attention_mask, x.positions, x.langs, torch.tensor([7, 8]), EOS, 10)
    assert got.tolist() == [[7, EOS], [8, EOS]]


def test_generate_refuses_more_positions_than_the_model_has(seq2seq: Seq2Seq) -> None:
    x = make_inputs([3], seed=14)
    with pytest.raises(ValueError, match="max_positions=32"):
        seq2seq.generate(x.input_ids, x.attention_mask, x.positions, x.langs, torch.tensor([7]), EOS, 32)


def test_padded_vocabulary_rows_are_never_generated(seq2seq_config: ModelConfig) -> None:
    model = Seq2Seq(replace(seq2seq_config, pad_vocab_to_multiple_of=128), VOCAB, 3, PAD).eval()
    rows = model.embed_tokens.num_embeddings
    assert rows % 128 == 0 and rows > VOCAB and model.final_logits_bias.shape == (rows,)
    with torch.no_grad():
        model.final_logits_bias[VOCAB:] = 1e4  # the padding rows would win every argmax
    x = make_inputs([5, 3], seed=15)
    got = model.generate(x.input_ids, x.attention_mask, x.positions, x.langs, torch.tensor([7, 8]), EOS, 6)
    assert got.shape[1] >= 2 and int(got.max()) < VOCAB
