"""``Seq2Seq``: the mBART denoising encoder-decoder (Liu et al. 2020), layout of HF ``MBartModel``.

Layout (pre-LN):

    embed(ids, pos) = layernorm_embedding(sqrt(d) * tok_emb[ids] + pos_emb[pos]);  dropout
    memory = encoder_layer_norm(EncoderLayer(...)(embed(src, positions)))     # x = x + f(LN(x))
    hidden = decoder_layer_norm(DecoderLayer(...)(embed(tgt_in, 0..Td-1), memory))
    logits = hidden[target_mask] @ tok_emb^T + final_logits_bias

One token embedding is shared by the encoder input, the decoder input and the output projection.
Encoder and decoder have their own position embeddings and embedding LayerNorms, as in mBART.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from polytrain.models.config import ModelConfig
from polytrain.models.layers import DecoderLayer, EncoderLayer, causal_padding_mask, init_weights, padding_mask
from polytrain.types import ModelOutput


class Seq2Seq(nn.Module):
    """mBART-style encoder-decoder with a tied output projection.

    Args:
        config: architecture; ``config.kind`` should be ``"encoder_decoder"``.
        vocab_size: number of tokens (``Vocab.size``); the embedding and the output have
            ``config.padded_vocab_size(vocab_size)`` rows, and ``generate`` emits only the first
            ``vocab_size``.
        n_langs: number of languages; unused (mBART marks languages with tag tokens), accepted so
            that both models are built the same way.
        pad_id: ``<pad>`` id (zero embedding row at init; fills finished sequences in ``generate``).
    """

    def __init__(self, config: ModelConfig, vocab_size: int, n_langs: int, pad_id: int) -> None:
        super().__init__()
        d = config.d_model
        eps = config.layer_norm_eps
        self.config = config
        self.pad_id = pad_id
        self.vocab_size = vocab_size
        rows = config.padded_vocab_size(vocab_size)
        self.embed_scale = math.sqrt(d)  # mBART scale_embedding=True (fairseq: embed_scale = sqrt(d))
        self.embed_tokens = nn.Embedding(rows, d, padding_idx=pad_id)
        self.encoder_embed_positions = nn.Embedding(config.max_positions, d)
        self.encoder_layernorm_embedding = nn.LayerNorm(d, eps=eps)
        self.encoder_layers = nn.ModuleList(
            EncoderLayer(d, config.n_heads, config.d_ff, config.dropout, config.attention_dropout, eps, norm_first=True)
            for _ in range(config.n_layers)
        )
        self.encoder_layer_norm = nn.LayerNorm(d, eps=eps)
        self.decoder_embed_positions = nn.Embedding(config.max_positions, d)
        self.decoder_layernorm_embedding = nn.LayerNorm(d, eps=eps)
        self.decoder_layers = nn.ModuleList(
            DecoderLayer(d, config.n_heads, config.d_ff, config.dropout, config.attention_dropout, eps)
            for _ in range(config.num_decoder_layers)
        )
        self.decoder_layer_norm = nn.LayerNorm(d, eps=eps)
        self.final_logits_bias = nn.Parameter(torch.zeros(rows))
        self.dropout = nn.Dropout(config.dropout)
        self.init_weights()

    def init_weights(self, generator: torch.Generator | None = None) -> None:
        """(Re-)initialise every parameter (also after materialising a meta-device model).

        Args:
            generator: source of randomness; ``None`` uses torch's default generator.
        """
        init_weights(self, self.config.init_std, generator)
        with torch.no_grad():
            self.final_logits_bias.zero_()

    def _embed(
        self, ids: torch.Tensor, positions: torch.Tensor, pos_emb: nn.Embedding, norm: nn.LayerNorm
    ) -> torch.Tensor:
        """(B, T) ids and positions -> (B, T, d) normalised embeddings (dropout applied)."""
        x = self.embed_tokens(ids) * self.embed_scale + pos_emb(positions)  # (B, T, d)
        return self.dropout(norm(x))

    def encode(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        positions: torch.Tensor,
        langs: torch.Tensor,
    ) -> torch.Tensor:
        """Encoder output (the decoder's memory).

        Args:
            input_ids: (B, Ts) long.
            attention_mask: (B, Ts) bool, True on real tokens; ``None`` when none is padding.
            positions: (B, Ts) long, each < ``config.max_positions``.
            langs: (B, Ts) long; unused (no language embeddings in mBART).

        Returns:
            (B, Ts, d), after the final encoder LayerNorm.
        """
        return self.hidden_states(input_ids, attention_mask, positions, langs)[-1]

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, positions: torch.Tensor,
                      langs: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's embedding output and every encoder layer's output, as Hugging Face's
        ``encoder_hidden_states``: the last entry is taken after the final encoder LayerNorm.

        Args: as ``encode``.

        Returns:
            ``n_layers + 1`` tensors of (B, Ts, d); entry i is the output of encoder layer i
            (pre-LN residual stream), the last one is what ``encode`` returns.
        """
        x = self._embed(input_ids, positions, self.encoder_embed_positions, self.encoder_layernorm_embedding)
        mask = padding_mask(attention_mask)  # (B, 1, 1, Ts)
        states = [x]
        for layer in self.encoder_layers:
            states.append(layer(states[-1], mask))
        states[-1] = self.encoder_layer_norm(states[-1])
        return states

    def decode(
        self,
        decoder_input_ids: torch.Tensor,
        decoder_attention_mask: torch.Tensor,
        memory: torch.Tensor,
        memory_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """Decoder output for teacher-forced inputs; decoder positions are 0 .. Td-1.

        Args:
            decoder_input_ids: (B, Td) long, right-padded.
            decoder_attention_mask: (B, Td) bool, True on real tokens.
            memory: (B, Ts, d) from ``encode``.
            memory_mask: (B, Ts) bool, the encoder's ``attention_mask`` (``None``: no padding).

        Returns:
            (B, Td, d), after the final decoder LayerNorm.
        """
        length = decoder_input_ids.shape[1]
        positions = torch.arange(length, device=decoder_input_ids.device).expand_as(decoder_input_ids)  # (B, Td)
        x = self._embed(decoder_input_ids, positions, self.decoder_embed_positions, self.decoder_layernorm_embedding)
        self_mask = causal_padding_mask(decoder_attention_mask)  # (B, 1, Td, Td)
        cross_mask = padding_mask(memory_mask)  # (B, 1, 1, Ts)
        for layer in self.decoder_layers:
            x = layer(x, self_mask, memory, cross_mask)
        return self.decoder_layer_norm(x)

    def project(self, hidden: torch.Tensor) -> torch.Tensor:
        """Tied output projection: (..., d) -> (..., V) logits."""
        return F.linear(hidden, self.embed_tokens.weight, self.final_logits_bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        positions: torch.Tensor,
        langs: torch.Tensor,
        decoder_input_ids: torch.Tensor,
        decoder_attention_mask: torch.Tensor,
        target_mask: torch.Tensor,
    ) -> ModelOutput:
        """Teacher-forced decoder states and logits at the target positions only.

        Args:
            input_ids, attention_mask, positions, langs: encoder inputs, each (B, Ts) (see ``encode``).
            decoder_input_ids: (B, Td) long, targets shifted right.
            decoder_attention_mask: (B, Td) bool.
            target_mask: (B, Td) bool, True where a label exists.

        Returns:
            ``ModelOutput`` with ``hidden`` (B, Td, d) and ``logits`` (N, V) in row-major order.
        """
        memory = self.encode(input_ids, attention_mask, positions, langs)  # (B, Ts, d)
        hidden = self.decode(decoder_input_ids, decoder_attention_mask, memory, attention_mask)  # (B, Td, d)
        logits = self.project(hidden[target_mask])  # (B, Td, d) -> (N, d) -> (N, V)
        return ModelOutput(hidden=hidden, logits=logits)

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        positions: torch.Tensor,
        langs: torch.Tensor,
        decoder_start_ids: torch.Tensor,
        eos_id: int,
        max_new_tokens: int,
    ) -> torch.Tensor:
        """Greedy decoding (recomputes the decoder over the whole prefix each step; no cache).

        Call it in eval mode (dropout is not switched off here).

        Args:
            input_ids, attention_mask, positions, langs: encoder inputs, each (B, Ts).
            decoder_start_ids: (B,) long first decoder token (mBART: the target language tag).
            eos_id: token that ends a sequence.
            max_new_tokens: most tokens generated after the start token.

        Returns:
            (B, L) long with L <= max_new_tokens + 1: the start token, then the generated tokens;
            a sequence that emitted ``eos_id`` is filled with ``pad_id`` afterwards. Decoding stops
            early once every sequence has emitted ``eos_id``.
        """
        if max_new_tokens + 1 > self.config.max_positions:
            raise ValueError(
                f"generate: max_new_tokens={max_new_tokens} needs {max_new_tokens + 1} decoder positions, "
                f"the model has max_positions={self.config.max_positions}"
            )
        memory = self.encode(input_ids, attention_mask, positions, langs)  # (B, Ts, d)
        out = decoder_start_ids[:, None]  # (B,) -> (B, 1)
        done = torch.zeros_like(decoder_start_ids, dtype=torch.bool)  # (B,)
        for _ in range(max_new_tokens):
            hidden = self.decode(out, torch.ones_like(out, dtype=torch.bool), memory, attention_mask)  # (B, t, d)
            next_ids = self.project(hidden[:, -1])[:, : self.vocab_size].argmax(-1)  # (B, d) -> (B, V) -> (B,), no padding rows
            next_ids = next_ids.masked_fill(done, self.pad_id)
            out = torch.cat([out, next_ids[:, None]], dim=1)  # (B, t) -> (B, t + 1)
            done = done | next_ids.eq(eos_id)
            if bool(done.all()):
                break
        return out
