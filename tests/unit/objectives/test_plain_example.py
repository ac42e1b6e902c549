"""Objective.plain_example: how each built-in objective shows a clean sentence to its model."""

from __future__ import annotations

import numpy as np

from polytrain.objectives.base import Objective, plain_layout
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.objectives.tlm import TranslationLM
from polytrain.types import IGNORE_INDEX, Vocab


def test_every_built_in_objective_lays_out_a_plain_sentence(vocab: Vocab) -> None:
    ids = np.arange(vocab.num_special, vocab.num_special + 5, dtype=np.int64)
    de = vocab.lang_token("de")
    for objective in (MaskedLM(), TranslationLM()):
        objective.setup(vocab, 16)
        example = objective.plain_example(ids, "de", "k")
        assert example.input_ids.tolist() == [vocab.bos_id, *ids.tolist(), vocab.eos_id]
        assert (example.labels == IGNORE_INDEX).all() and example.decoder_input_ids is None
        assert example.positions.tolist() == list(range(7)) and set(example.langs) == {vocab.lang_index("de")}
    mbart, bart = Denoising(), Denoising(add_lang_token=False)
    for objective in (mbart, bart):
        objective.setup(vocab, 16)
    example = mbart.plain_example(ids, "de", "k")
    assert example.input_ids.tolist() == [*ids.tolist(), vocab.eos_id, de] == example.labels.tolist()
    assert example.decoder_input_ids.tolist() == [de, *ids.tolist(), vocab.eos_id]
    example = bart.plain_example(ids, "de", "k")
    assert example.input_ids.tolist() == [vocab.bos_id, *ids.tolist(), vocab.eos_id] == example.labels.tolist()
    assert mbart.mask_ratio == 0.35  # the hook left the trained objective as it was


def test_an_objective_without_the_hook_has_no_plain_layout(vocab: Vocab) -> None:
    class Custom(Objective):
        def make_example(self, sample, rng):  # noqa: ANN001, ANN201
            raise NotImplementedError

        def loss(self, outputs, batch):  # noqa: ANN001, ANN201
            raise NotImplementedError

    custom, mlm = Custom(), MaskedLM()
    assert custom.plain_example(np.zeros(1, np.int64), "de", "k") is None
    assert plain_layout([custom]) is None and plain_layout([custom, mlm]) is mlm
