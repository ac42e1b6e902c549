"""The run contract (docs/architecture.md, "The run contract: derived once"): the tokenizer is loaded
once, objectives are bound once, the module adds nothing to them, and one check guards max_length."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from module_fixtures import TINY

from polytrain.errors import ConfigError
from polytrain.objectives.base import Objective
from polytrain.objectives.mlm import MaskedLM
from polytrain.objectives.tlm import TranslationLM
from polytrain.registry import bind_objectives
from polytrain.shards.vocab import load_vocab
from polytrain.stream import datamodule as datamodule_module
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.module import PretrainModule


class CountingMLM(MaskedLM):
    setups = 0

    def setup(self, vocab, max_length):  # type: ignore[no-untyped-def]
        type(self).setups += 1
        super().setup(vocab, max_length)


def test_objectives_are_bound_once_and_the_data_module_takes_the_modules_vocab(demo_data, monkeypatch):
    CountingMLM.setups = 0
    module = PretrainModule([CountingMLM(), TranslationLM()], str(demo_data.tokenizer), architecture=TINY,
                            max_length=64)
    assert CountingMLM.setups == 1
    data = PretrainDataModule(str(demo_data.manifest), str(demo_data.tokenizer), max_length=64, num_workers=0)

    def refuse(path: str) -> None:
        raise AssertionError(f"the data module loaded the tokenizer {path} again")

    monkeypatch.setattr(datamodule_module, "load_vocab", refuse)
    data.connect(module.objectives)
    assert CountingMLM.setups == 1
    assert data.vocab is module.vocab and all(o.vocab is module.vocab for o in module.objectives)


def test_the_module_adds_nothing_to_its_objectives(demo_data):
    """What is pickled into DataLoader workers is the objective as configured and bound: no head,
    no module attribute (the head reaches loss as outputs.head)."""
    _, vocab = load_vocab(str(demo_data.tokenizer))
    alone: list[Objective] = [MaskedLM(), TranslationLM()]
    bind_objectives(alone, vocab, 64)
    owned: list[Objective] = [MaskedLM(), TranslationLM()]
    PretrainModule(owned, str(demo_data.tokenizer), architecture=TINY, max_length=64)
    for mine, theirs in zip(owned, alone):
        assert set(vars(mine)) == set(vars(theirs)), type(mine).__name__
        assert not any(isinstance(v, torch.nn.Module) for v in vars(mine).values())
        assert len(pickle.dumps(mine)) == len(pickle.dumps(theirs))


def test_max_length_is_checked_by_the_objectives_setup_for_module_and_data_module(demo_data):
    with pytest.raises(ConfigError, match=r"MaskedLM: max_length must be >= 3 \(2 special tokens \+ 1 text\), got 2"):
        PretrainModule([MaskedLM()], str(demo_data.tokenizer), architecture=TINY, max_length=2)
    data = PretrainDataModule(str(demo_data.manifest), str(demo_data.tokenizer), max_length=2, num_workers=0)
    with pytest.raises(ConfigError, match=r"MaskedLM: max_length must be >= 3 \(2 special tokens \+ 1 text\), got 2"):
        data.connect([MaskedLM()])


def test_what_an_imported_tokenizer_lacks_is_said_in_one_line(tmp_path: Path):
    """XLM-R's tokenizer marks no language: language embeddings and mBART's language token are
    refused naming the setting to change (docs/continued-pretraining.md)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    from polytrain.objectives.denoising import Denoising
    from polytrain.shards.vocab import vocab_from_tokenizer

    words = ["<s>", "<pad>", "</s>", "<unk>"] + [f"\u2581w{i}" for i in range(60)] + ["<mask>"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    path = tmp_path / "xlmr-like.json"
    tokenizer.save(str(path))
    vocab = vocab_from_tokenizer(Tokenizer.from_file(str(path)))
    assert vocab.languages == () and vocab.mask_id == len(words) - 1
    with pytest.raises(ConfigError, match="use_lang_embeddings=True needs language tags .* set it to false"):
        PretrainModule([MaskedLM()], str(path), architecture=replace(TINY, use_lang_embeddings=True))
    with pytest.raises(ValueError, match="add_lang_token=True .* needs language tags .* add_lang_token: false"):
        Denoising().setup(vocab, 64)
