"""``polytrain evaluate classify``: zero-shot cross-lingual transfer (XTREME's XNLI / PAWS-X protocol).

Fine-tune a classifier on labelled text of ONE language (``label<TAB>text``), then measure its
accuracy on test files of other languages that it never saw labelled (Hu et al. 2020, §4:
"fine-tune on English training data, evaluate on the test sets of the other languages"). The
transfer gap of a language is the accuracy on the training language's test file minus its own.

Model: the pretrained encoder (mBART/BART: the encoder of the encoder-decoder) reads each text in
its training layout (``Objective.plain_example``); its final states are mean-pooled over the real
tokens, as the retrieval task pools, and fed to RoBERTa's classification head (dropout, dense,
tanh, dropout, projection). Encoder and head are fine-tuned together; the head may take a larger
learning rate (``head_lr``). Mean pooling instead of RoBERTa's ``<s>`` state: mBART's input has
no ``<s>``, and one rule for both model kinds keeps their numbers comparable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict

import torch
from torch import nn
from torch.nn import functional as F

from polytrain.stream.collate import collate
from polytrain.evaluate.finetune import FineTune, FineTuneConfig, fine_tune
from polytrain.evaluate.inputs import TsvFile, read_tsv
from polytrain.evaluate.loading import EvalError, LoadedModel
from polytrain.evaluate.retrieval import mean_pool
from polytrain.types import Batch, Example

LABELLED = "label<TAB>text"


class ClassificationHead(nn.Module):
    """RoBERTa's ``RobertaClassificationHead``: dropout, dense d -> d, tanh, dropout, d -> labels.

    Args:
        d_model: width of the pooled sentence vector.
        num_labels: classes.
        dropout: as the pretrained model's (0.1 for XLM-R).
    """

    def __init__(self, d_model: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, num_labels)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        """(B, d) -> (B, num_labels) logits."""
        return self.out_proj(self.dropout(torch.tanh(self.dense(self.dropout(pooled)))))


class Classifier(FineTune):
    """The encoder, mean pooling and a ``ClassificationHead``, fine-tuned with cross-entropy."""

    def __init__(self, loaded: LoadedModel, num_labels: int, config: FineTuneConfig) -> None:
        arch = loaded.architecture
        super().__init__(loaded.model, ClassificationHead(arch.d_model, num_labels, arch.dropout), config)

    def forward(self, batch: Batch) -> torch.Tensor:
        """(B, num_labels) logits of a batch of plain examples."""
        states = self.model.hidden_states(batch.input_ids, batch.key_padding_mask(), batch.positions, batch.langs)
        return self.head(mean_pool(states[-1], batch.attention_mask))  # (B, T, d) -> (B, d) -> (B, labels)

    def training_step(self, batch: tuple[Batch, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, labels = batch
        loss = F.cross_entropy(self(inputs), labels)
        self.log("train/loss", loss, batch_size=len(labels))
        return loss


def labelled_examples(loaded: LoadedModel, file: TsvFile,
                      labels: Sequence[str] | None) -> tuple[list[tuple[Example, int]], int]:
    """``(example, label index)`` of each line of ``file`` and the number of texts cut to fit.

    Args:
        labels: the training labels; ``None`` for the training file itself (any label goes).

    Raises:
        EvalError: a bad line, an unknown language, or a label the training file does not have.
    """
    loaded.check_language(file.lang, file.path)
    rows = read_tsv(file.path, LABELLED)
    if labels is not None:
        missing = sorted({label for label, _ in rows} - set(labels))
        if missing:
            raise EvalError(f"{file.path}: labels {missing} are missing from the training file (it has {list(labels)})")
    index = {label: i for i, label in enumerate(labels or sorted({label for label, _ in rows}))}
    ids = loaded.encode([text for _, text in rows])
    layout, room = loaded.layout, loaded.room
    out = []
    for i, ((label, _), sentence) in enumerate(zip(rows, ids, strict=True)):
        example = layout.plain_example(sentence[:room], file.lang, f"{file.path}:{i + 1}")
        assert example is not None
        out.append((example, index[label]))
    return out, sum(int(len(s) > room) for s in ids)


def collate_labelled(pad_id: int) -> Callable[[Sequence[tuple[Example, int]]], tuple[Batch, torch.Tensor]]:
    """``collate_fn`` of ``(Example, label)`` items -> ``(Batch, (B,) long labels)``."""
    def collate_fn(items: Sequence[tuple[Example, int]]) -> tuple[Batch, torch.Tensor]:
        return collate([e for e, _ in items], "classify", pad_id), torch.tensor([y for _, y in items])
    return collate_fn


@torch.no_grad()
def accuracy(classifier: Classifier, items: Sequence[tuple[Example, int]], pad_id: int, batch_size: int) -> float:
    """Fraction of ``items`` whose argmax label is the gold one."""
    correct = 0
    for start in range(0, len(items), batch_size):
        batch, labels = collate_labelled(pad_id)(items[start : start + batch_size])
        correct += int((classifier(batch.to(classifier.device)).argmax(-1).cpu() == labels).sum())
    return correct / len(items)


def evaluate_classify(loaded: LoadedModel, train: TsvFile, tests: Sequence[TsvFile], config: FineTuneConfig) -> dict:
    """Fine-tune on ``train``, test on each of ``tests``; the ``classify`` task's JSON result."""
    if not tests:
        raise EvalError("classify: give at least one --test file")
    langs = [t.lang for t in tests]
    if len(set(langs)) < len(langs):
        raise EvalError(f"classify: two --test files of one language ({sorted(langs)}); give one per language")
    train_items, train_cut = labelled_examples(loaded, train, None)
    counts = Counter(y for _, y in train_items)
    labels = sorted({label for label, _ in read_tsv(train.path, LABELLED)})
    if len(labels) < 2:
        raise EvalError(f"{train.path}: one label ({labels[0]!r}); classification needs at least 2")
    test_items = {t.path: labelled_examples(loaded, t, labels) for t in tests}  # all checked before training
    classifier = Classifier(loaded, len(labels), config)
    fine_tune(classifier, train_items, collate_labelled(loaded.vocab.pad_id))
    majority = counts.most_common(1)[0][0]
    results = {}
    for test in tests:
        items, cut = test_items[test.path]
        results[test.lang] = {"path": test.path, "examples": len(items), "truncated": cut,
                              "accuracy": accuracy(classifier, items, loaded.vocab.pad_id, config.batch_size),
                              "majority": sum(y == majority for _, y in items) / len(items)}
    own = results.get(train.lang, {}).get("accuracy")
    for lang, row in results.items():
        row["gap"] = None if own is None or lang == train.lang else own - row["accuracy"]
    return {"task": "classify", "model": loaded.source, "train": {"path": train.path, "lang": train.lang,
            "examples": len(train_items), "truncated": train_cut, "labels": labels,
            "majority_label": labels[majority]}, "fine_tune": asdict(config), "results": results}
