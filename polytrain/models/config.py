"""``ModelConfig``: the shape of a polytrain model, as typed fields whose docstrings become CLI help.

The vocabulary size, number of languages and padding id come from the tokenizer
(``polytrain.types.Vocab``) and are passed to ``polytrain.models.build_model``, so they are never
copied into a YAML file by hand (``vocab_size`` exists only as a checked assertion).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal


@dataclass
class ModelConfig:
    """Architecture hyper-parameters shared by the XLM-R-like encoder and the mBART-like seq2seq model.

    Defaults are a small model (d 256, 4 layers) that trains on a CPU; the shipped presets under
    ``configs/model/`` set the published sizes (XLM-R base: d 768, 12 layers, 12 heads, d_ff 3072).
    """

    kind: Literal["encoder", "encoder_decoder"] = "encoder"
    """``encoder``: XLM-R layout (post-LN, MLM head) for MLM/TLM. ``encoder_decoder``: mBART layout
    (pre-LN encoder and decoder) for denoising."""
    d_model: int = 256
    """Hidden size of every layer (and of the token embeddings)."""
    n_layers: int = 4
    """Number of encoder layers."""
    n_decoder_layers: int = 0
    """Number of decoder layers (``encoder_decoder`` only); 0 means the same as ``n_layers``."""
    n_heads: int = 4
    """Attention heads per layer; must divide ``d_model``."""
    d_ff: int = 1024
    """Inner size of the feed-forward block (4 * d_model in BERT, XLM-R and mBART)."""
    max_positions: int = 512
    """Number of positions the model accepts (rows of the learned position embedding); every
    position id must be < max_positions. 512 in XLM-R and mBART."""
    dropout: float = 0.1
    """Dropout on embeddings and on every residual branch (0.1 in XLM-R and mBART)."""
    attention_dropout: float = 0.1
    """Dropout on attention probabilities (0.1 in XLM-R; mBART-cc25 uses 0.0)."""
    use_lang_embeddings: bool = False
    """Add a learned language embedding to every input token (XLM, Lample & Conneau 2019).
    ``encoder`` only; XLM-R and mBART have none (they mark languages with tag tokens)."""
    layer_norm_eps: float = 1e-5
    """Epsilon of every LayerNorm (1e-5 in XLM-R and mBART)."""
    init_std: float = 0.02
    """Standard deviation of the normal initialisation of linear and embedding weights (BERT's 0.02)."""
    pad_vocab_to_multiple_of: int = 1
    """Round the embedding and output rows up to a multiple of this (1: exactly the tokenizer's size).
    The extra rows are never an input or a target, and ``generate`` never emits them; they only make
    the vocabulary GEMMs tensor-core friendly. On an H200, padding XLM-R's 250,002 rows to 250,112
    (a multiple of 128) made the base model's training step 17 % faster (docs/distributed.md).
    Megatron-LM pads the same way (``make_vocab_size_divisible_by``, 128 by default)."""
    vocab_size: int | None = None
    """Leave unset: the size is derived from the tokenizer. If set, it must equal the tokenizer's
    size (``PretrainModule`` checks this before training, naming both values)."""

    def __post_init__(self) -> None:
        self._check_positive("d_model", "n_layers", "n_heads", "d_ff", "max_positions", "pad_vocab_to_multiple_of")
        if self.kind not in ("encoder", "encoder_decoder"):
            raise ValueError(f"ModelConfig.kind must be 'encoder' or 'encoder_decoder', got {self.kind!r}")
        if self.d_model % self.n_heads != 0:
            raise ValueError(
                f"ModelConfig.d_model ({self.d_model}) must be divisible by ModelConfig.n_heads ({self.n_heads})"
            )
        if self.n_decoder_layers < 0:
            raise ValueError(f"ModelConfig.n_decoder_layers must be >= 0, got {self.n_decoder_layers}")
        if self.kind == "encoder" and self.n_decoder_layers != 0:
            raise ValueError(
                f"ModelConfig.n_decoder_layers={self.n_decoder_layers} is set but kind='encoder' has no decoder"
            )
        if self.kind == "encoder_decoder" and self.use_lang_embeddings:
            raise ValueError(
                "ModelConfig.use_lang_embeddings=True needs kind='encoder' (mBART marks languages with tag tokens)"
            )
        for name in ("dropout", "attention_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"ModelConfig.{name} must be in [0, 1), got {value}")
        for name in ("layer_norm_eps", "init_std"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ModelConfig.{name} must be > 0, got {getattr(self, name)}")

    def _check_positive(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {value!r}")

    def padded_vocab_size(self, vocab_size: int) -> int:
        """Rows of the embedding and output projection for a tokenizer of ``vocab_size`` tokens."""
        multiple = self.pad_vocab_to_multiple_of
        return -(-vocab_size // multiple) * multiple

    def shape(self, vocab_size: int) -> dict[str, object]:
        """What fixes the parameters (their shapes, and how heads split them) for a tokenizer of
        ``vocab_size`` tokens: weights saved under another shape cannot be loaded into this one."""
        return {"kind": self.kind, "d_model": self.d_model, "n_layers": self.n_layers,
                "decoder_layers": self.num_decoder_layers if self.kind == "encoder_decoder" else 0,
                "n_heads": self.n_heads, "d_ff": self.d_ff, "max_positions": self.max_positions,
                "use_lang_embeddings": self.use_lang_embeddings, "vocab_rows": self.padded_vocab_size(vocab_size)}

    @property
    def head_dim(self) -> int:
        """Size of one attention head."""
        return self.d_model // self.n_heads

    @property
    def num_decoder_layers(self) -> int:
        """Number of decoder layers after resolving ``n_decoder_layers == 0`` to ``n_layers``."""
        return self.n_decoder_layers or self.n_layers



def shape_changes(saved: dict[str, object], current: ModelConfig, vocab_size: int) -> list[str]:
    """How ``current`` differs in shape (``ModelConfig.shape``) from a checkpoint's record of its
    config (``dataclasses.asdict``), as ``"name saved -> current"``; both for ``vocab_size`` tokens
    (the tokenizer is checked on its own). A record this version cannot read gives no changes."""
    known = {f.name for f in fields(ModelConfig)}
    try:
        before = ModelConfig(**{k: v for k, v in saved.items() if k in known}).shape(vocab_size)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    after = current.shape(vocab_size)
    return [f"{name} {before[name]!r} -> {after[name]!r}" for name in after if before[name] != after[name]]
