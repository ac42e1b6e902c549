"""Transformer building blocks shared by ``Encoder`` (XLM-R) and ``Seq2Seq`` (mBART).

Parameter names follow fairseq/Hugging Face BART (``q_proj``, ``self_attn_layer_norm``,
``encoder_attn``, ``final_layer_norm``) so that export to Hugging Face is a renaming
(``polytrain.hf.mapping``). Math only: no precision, sharding or checkpointing code here.

Masks are boolean and True where attention is allowed, as
``torch.nn.functional.scaled_dot_product_attention`` expects.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def padding_mask(attention_mask: torch.Tensor | None) -> torch.Tensor | None:
    """Key padding mask for attention.

    Args:
        attention_mask: (B, Tk) bool, True on real tokens; ``None`` when every token is real.

    Returns:
        (B, 1, 1, Tk) bool, broadcast over heads and queries; ``None`` for ``None``, which lets
        ``scaled_dot_product_attention`` use its mask-free kernels (FlashAttention on GPUs).
    """
    if attention_mask is None:
        return None
    return attention_mask[:, None, None, :]  # (B, Tk) -> (B, 1, 1, Tk)


def causal_padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Causal mask combined with a key padding mask, for decoder self-attention.

    Query ``i`` may attend to key ``j`` iff ``j <= i`` and key ``j`` is a real token. With right
    padding every real query keeps at least itself, so no row of a real token is fully masked.

    Args:
        attention_mask: (B, T) bool, True on real tokens.

    Returns:
        (B, 1, T, T) bool.
    """
    length = attention_mask.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool, device=attention_mask.device).tril()  # (T, T)
    return causal[None, None] & padding_mask(attention_mask)  # (1, 1, T, T) & (B, 1, 1, T)


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017), self- or cross-attention.

    Args:
        d_model: model width; split into ``n_heads`` heads of ``d_model // n_heads``.
        n_heads: number of heads.
        attention_dropout: dropout on the attention probabilities (training only).
    """

    def __init__(self, d_model: int, n_heads: int, attention_dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.attention_dropout = attention_dropout
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        x = x.view(batch, length, self.n_heads, self.head_dim)  # (B, T, d) -> (B, T, H, hd)
        return x.transpose(1, 2)  # (B, T, H, hd) -> (B, H, T, hd)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, memory: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Attend from ``x`` to itself, or to ``memory`` (cross-attention) when given.

        Args:
            x: (B, Tq, d) queries.
            mask: bool, broadcastable to (B, H, Tq, Tk); True where attention is allowed;
                ``None`` attends everywhere.
            memory: (B, Tk, d) keys/values for cross-attention; ``None`` for self-attention.

        Returns:
            (B, Tq, d).
        """
        source = x if memory is None else memory
        q = self._split_heads(self.q_proj(x))  # (B, H, Tq, hd)
        k = self._split_heads(self.k_proj(source))  # (B, H, Tk, hd)
        v = self._split_heads(self.v_proj(source))  # (B, H, Tk, hd)
        dropout_p = self.attention_dropout if self.training else 0.0
        # Default scale 1/sqrt(hd), as in Vaswani et al. 2017 and the HF references.
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)  # (B, H, Tq, hd)
        batch, _, length, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, length, -1)  # (B, H, Tq, hd) -> (B, Tq, H, hd) -> (B, Tq, d)
        return self.out_proj(out)


class FeedForward(nn.Module):
    """Position-wise feed-forward block: ``fc2(gelu(fc1(x)))``.

    GELU is the exact (erf) form, Hugging Face's ``"gelu"`` for XLM-R and mBART.

    Args:
        d_model: input and output width.
        d_ff: inner width.
    """

    def __init__(self, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., d) -> (..., d)."""
        return self.fc2(F.gelu(self.fc1(x)))


class EncoderLayer(nn.Module):
    """Bidirectional Transformer layer: self-attention then feed-forward, each with a residual.

    Args:
        d_model: model width.
        n_heads: attention heads.
        d_ff: feed-forward inner width.
        dropout: dropout on each residual branch before it is added.
        attention_dropout: dropout on attention probabilities.
        layer_norm_eps: LayerNorm epsilon.
        norm_first: ``False`` = post-LN (BERT/RoBERTa/XLM-R: ``x = LN(x + f(x))``);
            ``True`` = pre-LN (mBART: ``x = x + f(LN(x))``).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        attention_dropout: float,
        layer_norm_eps: float,
        norm_first: bool,
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.ffn = FeedForward(d_model, d_ff)
        self.final_layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Args: x (B, T, d); mask (B, 1, 1, T) bool key padding mask or ``None``. Returns (B, T, d)."""
        if self.norm_first:
            x = x + self.dropout(self.self_attn(self.self_attn_layer_norm(x), mask))
            return x + self.dropout(self.ffn(self.final_layer_norm(x)))
        x = self.self_attn_layer_norm(x + self.dropout(self.self_attn(x, mask)))
        return self.final_layer_norm(x + self.dropout(self.ffn(x)))


class DecoderLayer(nn.Module):
    """Pre-LN decoder layer (mBART): causal self-attention, cross-attention, feed-forward.

    Args:
        d_model: model width.
        n_heads: attention heads (self- and cross-attention).
        d_ff: feed-forward inner width.
        dropout: dropout on each residual branch before it is added.
        attention_dropout: dropout on attention probabilities.
        layer_norm_eps: LayerNorm epsilon.
    """

    def __init__(
        self, d_model: int, n_heads: int, d_ff: int, dropout: float, attention_dropout: float, layer_norm_eps: float
    ) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.encoder_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.encoder_attn_layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.ffn = FeedForward(d_model, d_ff)
        self.final_layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, self_mask: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor | None
    ) -> torch.Tensor:
        """Run one decoder layer.

        Args:
            x: (B, Td, d) decoder states.
            self_mask: (B, 1, Td, Td) bool causal + padding mask (``causal_padding_mask``).
            memory: (B, Ts, d) encoder output.
            memory_mask: (B, 1, 1, Ts) bool encoder key padding mask, or ``None`` (no padding).

        Returns:
            (B, Td, d).
        """
        x = x + self.dropout(self.self_attn(self.self_attn_layer_norm(x), self_mask))
        x = x + self.dropout(self.encoder_attn(self.encoder_attn_layer_norm(x), memory_mask, memory))
        return x + self.dropout(self.ffn(self.final_layer_norm(x)))


TRANSFORMER_LAYERS: tuple[type[nn.Module], ...] = (EncoderLayer, DecoderLayer)
"""The per-layer module classes; distributed code wraps (shards, checkpoints) each instance."""


@torch.no_grad()
def init_weights(module: nn.Module, std: float, generator: torch.Generator | None = None) -> None:
    """Initialise ``module`` and its children like Hugging Face BERT/BART ``_init_weights``.

    Linear and embedding weights ~ N(0, std), biases 0, an embedding's ``padding_idx`` row 0,
    LayerNorm weight 1 and bias 0. Other parameters (e.g. output biases) are left to the owner.

    Args:
        module: the root module.
        std: standard deviation of the normal initialisation.
        generator: source of randomness; ``None`` uses torch's default generator (which
            Lightning's ``seed_everything`` seeds).
    """
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            nn.init.normal_(sub.weight, 0.0, std, generator=generator)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, nn.Embedding):
            nn.init.normal_(sub.weight, 0.0, std, generator=generator)
            if sub.padding_idx is not None:
                sub.weight[sub.padding_idx].zero_()
        elif isinstance(sub, nn.LayerNorm):
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)
