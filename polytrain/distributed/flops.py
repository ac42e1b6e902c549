"""Model FLOPs of a training step and the peak FLOP/s of accelerators: the two halves of MFU.

MFU (model FLOP utilisation, Chowdhery et al. 2022, PaLM, App. B) = model FLOPs per second / peak.
"Model FLOPs" count the matrix multiplications the model needs, not what the hardware happens to
run: no recomputation (activation checkpointing is not counted), no padding rows, and the MLM head
only on the target positions, where polytrain computes it (``polytrain.models.encoder``).

Per training step, with forward = 2 FLOPs per multiply-add and backward = 2 x forward (so training
= 6 FLOPs per multiply-add; Kaplan et al. 2020 §2.1), for an encoder with ``L`` layers of width
``d``, feed-forward width ``f``, vocabulary ``V``, ``n`` real input tokens in a batch padded to
length ``T``, and ``m`` target positions::

    layers    = 6 * L * (4 d^2 + 2 d f) * n     # q, k, v, out projections; fc1, fc2
    attention = 12 * L * d * T * n              # Q K^T and A V: each real query against T keys
    head      = 6 * (d^2 + d V) * m             # MLM dense + tied vocabulary projection, targets only

``6 * L * (4 d^2 + 2 d f)`` is ``6 N`` with N the non-embedding matmul weights, and the attention
term is the ``12 L d T`` of nanoGPT's ``estimate_mfu`` / PaLM App. B (no causal halving; SDPA with
a mask computes the full square). Embedding lookups, LayerNorm, softmax, GELU, biases and the
optimizer are not matmuls and are not counted. The encoder-decoder formula is in
``training_flops``. tests/unit/test_flops.py checks both against a hand count and
``torch.utils.flop_counter.FlopCounterMode``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from polytrain.models.config import ModelConfig

# Dense (no 2:4 sparsity) bf16/fp16 tensor-core peaks, FLOP/s. NVIDIA datasheets print the sparse
# figure, twice these; Lightning's table lists H200 at that sparse 2.0e15 (performance-anchors.md F4).
PEAK_BF16_FLOPS: dict[str, float] = {
    # NVIDIA H200 datasheet (nvdam.widen.net/s/nb5zzzsjdf): BF16 1,979 TFLOPS SXM, 1,671 NVL, sparse.
    "h200 sxm": 989.5e12,
    "h200 nvl": 835.5e12,
    # NVIDIA H100 datasheet (resources.nvidia.com/en-us-tensor-core): 1,979 SXM, 1,513 PCIe, sparse.
    "h100 sxm": 989.5e12,
    "h100 pcie": 756.5e12,
    # NVIDIA A100 datasheet: BF16 312 TFLOPS dense (SXM and PCIe).
    "a100": 312e12,
    # NVIDIA L4 datasheet: BF16 242 TFLOPS sparse.
    "l4": 121e12,
}


def chip_of(device_name: str) -> str | None:
    """The ``PEAK_BF16_FLOPS`` key of a ``torch.cuda.get_device_name()`` string, or ``None``.

    The H200 reports itself as plain ``"NVIDIA H200"`` (the SXM part; the NVL part says so), and
    SXM H100s as ``"NVIDIA H100 80GB HBM3"``, so both are mapped explicitly.
    """
    name = device_name.lower()
    if "h200" in name:
        return "h200 nvl" if "nvl" in name else "h200 sxm"
    if "h100" in name:
        if "pcie" in name:
            return "h100 pcie"
        return None if "nvl" in name else "h100 sxm"
    if "a100" in name:
        return "a100"
    if re.search(r"\bl4\b", name):
        return "l4"
    return None


def peak_bf16_flops(device_name: str) -> float | None:
    """Dense bf16 peak FLOP/s of the named device, or ``None`` if it is not in ``PEAK_BF16_FLOPS``."""
    chip = chip_of(device_name)
    return None if chip is None else PEAK_BF16_FLOPS[chip]


@dataclass(frozen=True)
class TrainingFlops:
    """Model FLOPs of one training step (forward + backward), by part."""

    layers: float
    """Projections and feed-forward of every Transformer layer (6 N per token)."""
    attention: float
    """Attention scores and weighted sums (Q K^T, A V)."""
    head: float
    """Output head on the target positions."""

    @property
    def total(self) -> float:
        """All model FLOPs of the step."""
        return self.layers + self.attention + self.head


def layer_matmul_params(arch: ModelConfig, decoder: bool = False) -> int:
    """Matmul weights of one layer: 4 d^2 attention + 2 d f feed-forward (+ 2 d^2 cross-attention q, o)."""
    d, f = arch.d_model, arch.d_ff
    return 4 * d * d + 2 * d * f + (2 * d * d if decoder else 0)


def training_flops(
    arch: ModelConfig,
    vocab_size: int,
    *,
    tokens: int,
    length: int,
    targets: int,
    decoder_tokens: int = 0,
    decoder_length: int = 0,
) -> TrainingFlops:
    """Model FLOPs of one training step on one batch (see the module docstring for the formula).

    Args:
        arch: the model's shape.
        vocab_size: ``V``.
        tokens: real (non-padding) encoder input tokens in the batch (``Batch.num_tokens``).
        length: padded encoder length ``T`` (``input_ids.shape[1]``).
        targets: positions with a label (the MLM head, or the decoder's output projection, runs there).
        decoder_tokens: decoder input tokens (encoder-decoder only).
        decoder_length: padded decoder length (encoder-decoder only).

    Encoder-decoder (mBART; no dense layer in its head): the encoder as above over ``tokens``; each
    decoder layer adds ``6 (6 d^2 + 2 d f)`` per decoder token (self-attention, cross q/o, FFN),
    ``6 * 2 d^2`` per encoder token (cross-attention k/v over the memory), and
    ``12 d (T_dec + T_enc)`` attention per decoder token; the head is ``6 d V`` per target.
    """
    d = arch.d_model
    layers = 6.0 * arch.n_layers * layer_matmul_params(arch) * tokens
    attention = 12.0 * arch.n_layers * d * length * tokens
    if arch.kind == "encoder":
        return TrainingFlops(layers, attention, 6.0 * (d * d + d * vocab_size) * targets)
    n_dec = arch.num_decoder_layers
    layers += 6.0 * n_dec * (layer_matmul_params(arch, decoder=True) * decoder_tokens + 2 * d * d * tokens)
    attention += 12.0 * n_dec * d * (decoder_length + length) * decoder_tokens
    return TrainingFlops(layers, attention, 6.0 * d * vocab_size * targets)


def flops_per_token(arch: ModelConfig, vocab_size: int, length: int, target_fraction: float) -> float:
    """Training FLOPs per input token for full (packed) sequences of ``length`` tokens.

    Args:
        arch: the model's shape; an encoder-decoder's decoder is taken to be as long as its input
            (denoising reconstructs the input).
        vocab_size: ``V``.
        length: sequence length ``T`` (no padding).
        target_fraction: share of positions with a loss: 0.15 for MLM (Devlin et al. 2019), 1.0
            for denoising (every decoder position).
    """
    decoder = length if arch.kind == "encoder_decoder" else 0
    return training_flops(arch, vocab_size, tokens=length, length=length, targets=0, decoder_tokens=decoder,
                          decoder_length=decoder).total / length + training_flops(
        arch, vocab_size, tokens=0, length=0, targets=1).head * target_fraction
