"""Pretraining objectives, and the plugin API: everything an objective needs, in one namespace.

Built-in and plugin objectives import from here (the built-ins use nothing else of polytrain), and
are found through the ``polytrain.objectives`` entry-point group (``polytrain.registry``). The
names below are the stable surface documented in docs/writing-a-plugin.md; a change to them is a
breaking change with a deprecation path.

- the interface: ``Objective`` (``ModelKind``, ``DataKind``), ``Statistic``, ``target_cross_entropy``;
- the types: ``Vocab``, ``TextBlock``, ``TextPair``, ``Example``, ``Batch``, ``ModelOutput``,
  ``IGNORE_INDEX``; randomness: ``make_rng``;
- checks and truncation: ``checked_block``, ``check_ids``, ``truncate``, ``lang_index``, ``where``;
  the clean ``<s> ids </s>`` layout of an encoder sentence: ``single_text``;
- tokens and words: ``ordinary``, ``random_ordinary_tokens``, ``randomized_round``, ``starts_word``,
  ``word_spans``, ``span_units`` (``Units``, ``SpanUnit``);
- BERT's rule: ``TokenMasker`` (selection and 80/10/10), ``corrupt_targets`` (the 80/10/10 alone);
- spans in words or tokens: ``sample_span_lengths`` (Poisson), ``lengths_to_budget`` (any law),
  ``place_spans`` (``Spans``), ``missing_units``.

Test helpers (a ``Vocab`` without a tokenizer file, blocks packed from text) are in ``polytrain.testing``.
"""

from polytrain.objectives.base import DataKind, ModelKind, Objective, Statistic, target_cross_entropy
from polytrain.objectives.masking import (
    SpanUnit,
    TokenMasker,
    Units,
    check_ids,
    checked_block,
    corrupt_targets,
    lang_index,
    ordinary,
    random_ordinary_tokens,
    randomized_round,
    single_text,
    span_units,
    truncate,
    where,
    word_spans,
)
from polytrain.objectives.spans import Spans, lengths_to_budget, missing_units, place_spans, sample_span_lengths
from polytrain.rng import make_rng
from polytrain.shards.vocab import starts_word
from polytrain.types import IGNORE_INDEX, Batch, Example, ModelOutput, TextBlock, TextPair, Vocab

__all__ = [
    "IGNORE_INDEX",
    "Batch",
    "DataKind",
    "Example",
    "ModelKind",
    "ModelOutput",
    "Objective",
    "SpanUnit",
    "Spans",
    "Statistic",
    "TextBlock",
    "TextPair",
    "TokenMasker",
    "Units",
    "Vocab",
    "check_ids",
    "checked_block",
    "corrupt_targets",
    "lang_index",
    "lengths_to_budget",
    "make_rng",
    "missing_units",
    "ordinary",
    "place_spans",
    "random_ordinary_tokens",
    "randomized_round",
    "sample_span_lengths",
    "single_text",
    "span_units",
    "starts_word",
    "target_cross_entropy",
    "truncate",
    "where",
    "word_spans",
]
