"""``Encoder``: the XLM-R / RoBERTa masked language model (Conneau et al. 2020; Liu et al. 2019).

Layout (post-LN, like BERT):

    x = LayerNorm(tok_emb[ids] + pos_emb[positions] (+ lang_emb[langs]));  x = dropout(x)
    x = EncoderLayer(x) for each of n_layers      # x = LN(x + attn(x)); x = LN(x + ffn(x))
    logits = lm_head(x[target_mask])              # dense -> gelu -> LN -> tok_emb^T + bias

The MLM head runs only on the target rows: with 15 % targets the vocabulary projection, which
dominates the FLOPs of small multilingual models (V = 250k in XLM-R), costs 15 % of its dense cost.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from polytrain.models.config import ModelConfig
from polytrain.models.layers import EncoderLayer, init_weights, padding_mask
from polytrain.types import ModelOutput


class MaskedLMHead(nn.Module):
    """RoBERTa's ``lm_head``: dense d -> d, GELU, LayerNorm, then the tied vocabulary projection + bias.

    The projection weight is not owned here: it is the token embedding, passed to ``forward``,
    so the tie cannot be broken by re-materialising parameters (e.g. meta-device init).

    Args:
        d_model: hidden width.
        vocab_size: number of output classes.
        layer_norm_eps: LayerNorm epsilon.
    """

    def __init__(self, d_model: int, vocab_size: int, layer_norm_eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.layer_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, hidden: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """Args: hidden (N, d); embedding (V, d) token embedding. Returns (N, V) logits."""
        x = self.layer_norm(F.gelu(self.dense(hidden)))
        return F.linear(x, embedding, self.bias)


class Encoder(nn.Module):
    """XLM-R-style bidirectional encoder with a masked-LM head.

    Args:
        config: architecture; ``config.kind`` should be ``"encoder"``.
        vocab_size: number of tokens (``Vocab.size``); the embedding and the output have
            ``config.padded_vocab_size(vocab_size)`` rows.
        n_langs: number of language-embedding rows (``len(Vocab.languages)``); used only when
            ``config.use_lang_embeddings``.
        pad_id: ``<pad>`` id; its token-embedding row starts at zero and gets no gradient from
            the input side (as in Hugging Face).
    """

    def __init__(self, config: ModelConfig, vocab_size: int, n_langs: int, pad_id: int) -> None:
        super().__init__()
        d = config.d_model
        self.config = config
        self.vocab_size = vocab_size
        rows = config.padded_vocab_size(vocab_size)
        self.embed_tokens = nn.Embedding(rows, d, padding_idx=pad_id)
        self.embed_positions = nn.Embedding(config.max_positions, d)
        self.embed_langs = nn.Embedding(n_langs, d) if config.use_lang_embeddings else None
        self.layernorm_embedding = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(
                d,
                config.n_heads,
                config.d_ff,
                config.dropout,
                config.attention_dropout,
                config.layer_norm_eps,
                norm_first=False,  # post-LN, as in BERT/RoBERTa/XLM-R
            )
            for _ in range(config.n_layers)
        )
        self.lm_head = MaskedLMHead(d, rows, config.layer_norm_eps)
        self.init_weights()

    def init_weights(self, generator: torch.Generator | None = None) -> None:
        """(Re-)initialise every parameter (also after materialising a meta-device model).

        Args:
            generator: source of randomness; ``None`` uses torch's default generator.
        """
        init_weights(self, self.config.init_std, generator)
        with torch.no_grad():
            self.lm_head.bias.zero_()

    def encode(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        positions: torch.Tensor,
        langs: torch.Tensor,
    ) -> torch.Tensor:
        """Final hidden states.

        Args:
            input_ids: (B, T) long.
            attention_mask: (B, T) bool, True on real tokens; ``None`` when no token is padding
                (packed blocks), which lets attention run without a mask.
            positions: (B, T) long, each < ``config.max_positions`` (row p of the position
                embedding is position p; TLM restarts them for the second sentence).
            langs: (B, T) long language indices (ignored without language embeddings).

        Returns:
            (B, T, d). Rows of padded tokens are computed but meaningless.
        """
        return self.hidden_states(input_ids, attention_mask, positions, langs)[-1]

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, positions: torch.Tensor,
                      langs: torch.Tensor) -> list[torch.Tensor]:
        """The embedding output and every layer's output, as Hugging Face's ``output_hidden_states``.

        Args: as ``encode``.

        Returns:
            ``n_layers + 1`` tensors of (B, T, d): entry 0 the normalised embeddings, entry i the
            output of layer i (the last one is what ``encode`` returns).
        """
        x = self.embed_tokens(input_ids) + self.embed_positions(positions)  # (B, T, d)
        if self.embed_langs is not None:
            x = x + self.embed_langs(langs)
        x = self.dropout(self.layernorm_embedding(x))
        mask = padding_mask(attention_mask)  # (B, 1, 1, T)
        states = [x]
        for layer in self.layers:
            states.append(layer(states[-1], mask))
        return states

    def project(self, hidden: torch.Tensor) -> torch.Tensor:
        """MLM head on selected rows: (N, d) -> (N, V) logits."""
        return self.lm_head(hidden, self.embed_tokens.weight)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        positions: torch.Tensor,
        langs: torch.Tensor,
        target_mask: torch.Tensor,
    ) -> ModelOutput:
        """Hidden states and MLM logits at the target positions only.

        Args:
            input_ids, attention_mask, positions, langs: as in ``encode``, each (B, T).
            target_mask: (B, T) bool, True where a label exists (``labels != IGNORE_INDEX``).

        Returns:
            ``ModelOutput`` with ``hidden`` (B, T, d) and ``logits`` (N, V), N = target_mask.sum(),
            rows in row-major (batch, then position) order.
        """
        hidden = self.encode(input_ids, attention_mask, positions, langs)  # (B, T, d)
        # Gather first, project second: the head (and its (N, V) activation) only on targets.
        logits = self.project(hidden[target_mask])  # (B, T, d) -> (N, d) -> (N, V)
        return ModelOutput(hidden=hidden, logits=logits)
