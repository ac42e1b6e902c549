"""Models: the XLM-R-like ``Encoder`` and the mBART-like ``Seq2Seq``. Math only.

Build one with ``build_model(config, vocab_size, n_langs, pad_id)``; the tokenizer-derived sizes
are arguments, not config fields, so they are never copied by hand.
"""

from __future__ import annotations

from polytrain.models.config import ModelConfig
from polytrain.models.encoder import Encoder, MaskedLMHead
from polytrain.models.layers import TRANSFORMER_LAYERS, DecoderLayer, EncoderLayer, FeedForward, MultiHeadAttention
from polytrain.models.seq2seq import Seq2Seq

__all__ = [
    "TRANSFORMER_LAYERS",
    "DecoderLayer",
    "Encoder",
    "EncoderLayer",
    "FeedForward",
    "MaskedLMHead",
    "ModelConfig",
    "MultiHeadAttention",
    "Seq2Seq",
    "build_model",
]


def build_model(config: ModelConfig, vocab_size: int, n_langs: int, pad_id: int) -> Encoder | Seq2Seq:
    """Build the model ``config.kind`` names.

    Args:
        config: the architecture.
        vocab_size: number of tokens (``Vocab.size``).
        n_langs: number of languages (``len(Vocab.languages)``); needs >= 1 when
            ``config.use_lang_embeddings``.
        pad_id: the ``<pad>`` id, in ``[0, vocab_size)``.

    Returns:
        ``Encoder`` for ``kind="encoder"``, ``Seq2Seq`` for ``kind="encoder_decoder"``.
    """
    if vocab_size < 1:
        raise ValueError(f"build_model: vocab_size must be >= 1, got {vocab_size}")
    if not 0 <= pad_id < vocab_size:
        raise ValueError(f"build_model: pad_id={pad_id} is not a token id (vocab_size={vocab_size})")
    if n_langs < 0 or (config.use_lang_embeddings and n_langs < 1):
        raise ValueError(
            f"build_model: n_langs={n_langs}, but use_lang_embeddings={config.use_lang_embeddings} "
            "needs at least one language"
        )
    if config.kind == "encoder":
        return Encoder(config, vocab_size, n_langs, pad_id)
    return Seq2Seq(config, vocab_size, n_langs, pad_id)
