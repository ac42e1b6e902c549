"""Stand-ins for pretrained transformers folders, for the import and warm-start tests (no download).

The models are transformers' own classes from small random configs, saved with ``save_pretrained``;
their tokenizers are transformers' ``XLMRobertaTokenizer`` / ``MBart50Tokenizer`` built on Unigram
pieces that polytrain's own trainer learned from the demo corpus (so the files have exactly the
layout of the published ones: XLM-R's ``<mask>`` last, mBART-50's ``xx_XX`` codes before it).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "polytrain" / "demo_corpus" / "mono"
SIZE = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
MBART_SIZE = {"d_model": 32, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 2,
              "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64}
TEXTS = ["The cat sat on the mat.", "Die Katze sitzt auf der Matte.", "Maji huchemka kwa nyuzi joto mia moja."]


@functools.cache
def project_pieces(vocab_size: int = 600) -> tuple[tuple[str, float], ...]:
    """Unigram (piece, score) pairs learned by polytrain's trainer on the demo corpus (en, de, sw)."""
    from polytrain.prepare.tokenizer import train_tokenizer
    from polytrain.shards.vocab import vocab_from_tokenizer

    texts = {lang: (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:300] for lang in ("de", "en", "sw")}
    trained = train_tokenizer(texts, vocab_size=vocab_size, byte_fallback=False, seed=0)
    pieces = json.loads(trained.to_str())["model"]["vocab"][vocab_from_tokenizer(trained).num_special:]
    return tuple((piece, float(score)) for piece, score in pieces)


def xlmr_tokenizer() -> Any:
    """XLM-R's tokenizer layout: ``<s> <pad> </s> <unk>`` = 0..3, pieces, ``<mask>`` last; no language tags."""
    from transformers import XLMRobertaTokenizer

    specials = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    return XLMRobertaTokenizer(vocab=[*specials, *project_pieces(), ("<mask>", 0.0)])


def mbart50_tokenizer() -> Any:
    """mBART-50's layout: ``<s> <pad> </s> <unk>``, pieces, 52 language codes (``en_XX`` ...), ``<mask>``."""
    from transformers import MBart50Tokenizer

    sentencepiece_order = [("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0), *project_pieces()]
    return MBart50Tokenizer(vocab=sentencepiece_order, src_lang="en_XX", tgt_lang="en_XX")


def save_xlmr(folder: Path, cls: str = "XLMRobertaForMaskedLM", seed: int = 0, **overrides: Any) -> Path:
    """A random XLM-R of ``SIZE`` with its tokenizer in ``folder``; the token-type row is not zero."""
    import transformers

    tokenizer = xlmr_tokenizer()
    config = transformers.XLMRobertaConfig(vocab_size=len(tokenizer), max_position_embeddings=40, type_vocab_size=1,
                                           layer_norm_eps=1e-5, **{**SIZE, **overrides})
    torch.manual_seed(seed)
    model = getattr(transformers, cls)(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def save_mbart50(folder: Path, seed: int = 0, **overrides: Any) -> Path:
    """A random ``MBartForConditionalGeneration`` of ``MBART_SIZE`` with an mBART-50 tokenizer."""
    import transformers

    tokenizer = mbart50_tokenizer()
    config = transformers.MBartConfig(vocab_size=len(tokenizer), max_position_embeddings=40, scale_embedding=True,
                                      **{**MBART_SIZE, **overrides})
    torch.manual_seed(seed)
    model = transformers.MBartForConditionalGeneration(config).eval()
    with torch.no_grad():  # mBART initialises this buffer to zero: make it matter
        model.final_logits_bias.normal_(0, 0.5)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
