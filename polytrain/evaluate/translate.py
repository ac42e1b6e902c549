"""``polytrain evaluate translate``: fine-tune an encoder-decoder on parallel text, score BLEU and chrF.

mBART's downstream check (Liu et al. 2020, §3.1): fine-tune the pretrained denoiser on one
language pair and score the test set with sacreBLEU. The language codes are handled as mBART
handles them, through the model's own layout (``Objective.plain_example``)::

    encoder input    X </s> <src_lid>          the source, as pretraining showed text
    decoder input    <tgt_lid> Y </s>          the target, teacher-forced
    labels           Y </s> <tgt_lid>
    generation       starts from <tgt_lid>, greedy, stops at </s>

(BART layout: ``<s> X </s>`` in, ``</s> <s> Y`` decoder input, no language codes.) Training uses
cross-entropy with label smoothing 0.2 and peak learning rate 3e-5, mBART's fine-tuning values
(§3.1); the test set is reported as sacreBLEU's corpus BLEU (``13a`` tokenization, ``zh`` for a
Chinese target, ``ja-mecab`` is not used) and chrF, with their signatures, and the
teacher-forced cross-entropy on the test set before and after fine-tuning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

import torch
from torch.nn import functional as F

from polytrain.stream.collate import collate
from polytrain.evaluate.finetune import FineTune, FineTuneConfig, fine_tune
from polytrain.evaluate.inputs import TsvFile, read_tsv
from polytrain.evaluate.loading import EvalError, LoadedModel
from polytrain.module import run_model
from polytrain.types import IGNORE_INDEX, Batch, Example

LABEL_SMOOTHING = 0.2
"""mBART fine-tuning (Liu et al. 2020, §3.1: "0.2 label smoothing")."""
LEARNING_RATE = 3e-5
"""mBART fine-tuning's peak learning rate (Liu et al. 2020, §3.1)."""
PARALLEL = "source<TAB>target"


def pair_example(loaded: LoadedModel, src: torch.Tensor | Sequence[int], tgt: Sequence[int], src_lang: str,
                 tgt_lang: str, key: str) -> Example:
    """The encoder fields of ``src``'s plain example and the decoder fields of ``tgt``'s (module docstring)."""
    room = loaded.room
    source = loaded.layout.plain_example(src[:room], src_lang, f"{key}.src")  # type: ignore[arg-type]
    target = loaded.layout.plain_example(tgt[:room], tgt_lang, f"{key}.tgt")  # type: ignore[arg-type]
    assert source is not None and target is not None and target.decoder_input_ids is not None
    return replace(source, labels=target.labels, decoder_input_ids=target.decoder_input_ids,
                   lang=f"{src_lang}-{tgt_lang}")


def pair_examples(loaded: LoadedModel, file: TsvFile, reverse: bool) -> tuple[list[Example], list[str], int]:
    """Examples of ``file`` (``reverse``: second column to first), the reference texts, sentences cut."""
    src_lang, tgt_lang = file.lang.split("-")
    for lang in (src_lang, tgt_lang):
        loaded.check_language(lang, file.path)
    rows = read_tsv(file.path, PARALLEL)
    if reverse:
        rows, src_lang, tgt_lang = [(b, a) for a, b in rows], tgt_lang, src_lang
    src_ids = loaded.encode([a for a, _ in rows])
    tgt_ids = loaded.encode([b for _, b in rows])
    examples = [pair_example(loaded, s, t, src_lang, tgt_lang, f"{file.path}:{i + 1}")
                for i, (s, t) in enumerate(zip(src_ids, tgt_ids, strict=True))]
    cut = sum(int(len(s) > loaded.room) + int(len(t) > loaded.room) for s, t in zip(src_ids, tgt_ids, strict=True))
    return examples, [b for _, b in rows], cut


class Translator(FineTune):
    """The encoder-decoder, fine-tuned with label-smoothed cross-entropy on the target tokens."""

    def __init__(self, loaded: LoadedModel, config: FineTuneConfig, label_smoothing: float) -> None:
        super().__init__(loaded.model, torch.nn.Module(), config)
        self.label_smoothing = label_smoothing

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = run_model(self.model, batch).logits  # (N, V) at the target positions
        targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]  # (N,)
        loss = F.cross_entropy(logits.float(), targets, label_smoothing=self.label_smoothing)
        self.log("train/loss", loss, batch_size=len(batch.keys))
        return loss


@torch.no_grad()
def test_loss(model: torch.nn.Module, examples: Sequence[Example], pad_id: int, batch_size: int) -> float:
    """Teacher-forced mean cross-entropy (no smoothing) over the target tokens of ``examples``."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start : start + batch_size], "translate", pad_id).to(device)
        logits = run_model(model, batch).logits
        targets = batch.labels[batch.labels.ne(IGNORE_INDEX)]
        total += float(F.cross_entropy(logits.float(), targets, reduction="sum"))
        count += len(targets)
    return total / count


@torch.no_grad()
def translations(loaded: LoadedModel, examples: Sequence[Example], batch_size: int) -> list[str]:
    """Greedy translations of ``examples``, from the decoder start token their layout gives."""
    model, device = loaded.model, next(loaded.model.parameters()).device
    out: list[str] = []
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start : start + batch_size], "translate", loaded.vocab.pad_id).to(device)
        assert batch.decoder_input_ids is not None
        generated = model.generate(batch.input_ids, batch.attention_mask, batch.positions, batch.langs,
                                   decoder_start_ids=batch.decoder_input_ids[:, 0], eos_id=loaded.vocab.eos_id,
                                   max_new_tokens=loaded.max_length - 1)  # (B, <= max_length)
        out += loaded.tokenizer.decode_batch(generated[:, 1:].tolist(), skip_special_tokens=True)
    return out


def sacrebleu_scores(hypotheses: list[str], references: list[str], tgt_lang: str) -> dict:
    """Corpus BLEU and chrF with their sacreBLEU signatures."""
    try:
        from sacrebleu.metrics import BLEU, CHRF
    except ImportError:
        raise EvalError("translate needs sacrebleu: pip install 'polytrain[eval]'") from None
    bleu = BLEU(tokenize="zh" if tgt_lang.startswith("zh") else "13a")
    chrf = CHRF()
    return {"bleu": bleu.corpus_score(hypotheses, [references]).score, "bleu_signature": str(bleu.get_signature()),
            "chrf": chrf.corpus_score(hypotheses, [references]).score, "chrf_signature": str(chrf.get_signature())}


def evaluate_translate(loaded: LoadedModel, train: TsvFile, test: TsvFile | None, config: FineTuneConfig,
                       reverse: bool = False, label_smoothing: float = LABEL_SMOOTHING, holdout: int = 0) -> dict:
    """Fine-tune on ``train``, translate ``test`` (or, without one, the last ``holdout`` pairs of
    ``train``, which are then left out of training); the ``translate`` task's JSON result."""
    if loaded.kind != "encoder_decoder":
        raise EvalError(f"{loaded.source}: translate needs an encoder-decoder model (mBART/BART); this one is an "
                        "encoder")
    if test is not None and train.lang != test.lang:
        raise EvalError(f"translate: --train is {train.lang} but --test is {test.lang}; give one language pair")
    sacrebleu_scores([""], [""], "en")  # fail on a missing sacrebleu before fine-tuning
    train_examples, train_refs, train_cut = pair_examples(loaded, train, reverse)
    if test is not None:
        test_examples, references, test_cut = pair_examples(loaded, test, reverse)
    elif 0 < holdout < len(train_examples):
        test_examples, references = train_examples[-holdout:], train_refs[-holdout:]
        train_examples, test_cut = train_examples[:-holdout], 0
    else:
        raise EvalError(f"translate: give --test, or --holdout N with 0 < N < {len(train_examples)} (the pairs of "
                        f"{train.path})")
    pad, size = loaded.vocab.pad_id, config.batch_size
    before = test_loss(loaded.model.eval(), test_examples, pad, size)
    fine_tune(Translator(loaded, config, label_smoothing), train_examples,
              lambda items: collate(items, "translate", pad))
    after = test_loss(loaded.model, test_examples, pad, size)
    hypotheses = translations(loaded, test_examples, size)
    src_lang, tgt_lang = test_examples[0].lang.split("-")
    return {"task": "translate", "model": loaded.source, "pair": f"{src_lang}-{tgt_lang}",
            "train": {"path": train.path, "pairs": len(train_examples), "truncated": train_cut},
            "test": {"path": test.path if test is not None else f"{train.path} (last {holdout})",
                     "pairs": len(test_examples), "truncated": test_cut},
            "fine_tune": asdict(config) | {"label_smoothing": label_smoothing},
            "test_loss_before": before, "test_loss_after": after,
            **sacrebleu_scores(hypotheses, references, tgt_lang),
            "examples": [{"reference": r, "hypothesis": h} for r, h in list(zip(references, hypotheses))[:5]]}
