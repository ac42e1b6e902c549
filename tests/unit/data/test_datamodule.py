"""PretrainDataModule: config-time loading, startup checks with clear messages, loaders (with a real
Trainer and in a separate process: tests/integration/test_datamodule_fit.py)."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from stream_fixtures import EchoObjective, PairEchoObjective, build_corpus, make_tokenizer

from polytrain.stream.datamodule import PretrainDataModule
from polytrain.stream.workers import WORKER_GEN0_THRESHOLD
from polytrain.shards.manifest import ManifestError
from polytrain.objectives.base import Objective
from polytrain.types import Batch


class WorkerStart(torch.utils.data.IterableDataset):
    """Reports what a DataLoader worker looks like once started: frozen objects, collector, SIGTERM."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield gc.get_freeze_count(), gc.isenabled(), gc.get_threshold()[0], signal.getsignal(signal.SIGTERM)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("dm")
    build_corpus(str(root), {"de": [20, 10], "en": [30, 30]}, {"de-en": [10, 10]},
                 val={"de": [5], "en": [5], "de-en": [4]})
    return str(root), make_tokenizer(str(root / "tokenizer.json"), ["de", "en"])


def datamodule(corpus: tuple[str, str], **kw: object) -> PretrainDataModule:
    args: dict = {"shards": corpus[0], "tokenizer": corpus[1], "max_length": 16, "batch_size": 4,
                  "num_workers": 0, "shuffle_buffer": 4}
    args.update(kw)
    return PretrainDataModule(**args)


def test_manifest_is_loaded_at_construction_and_the_vocab_comes_with_the_objectives(corpus: tuple[str, str]) -> None:
    dm = datamodule(corpus)
    assert dm.languages == ["de", "en"]
    with pytest.raises(RuntimeError, match="connect"):
        dm.vocab
    dm.connect([EchoObjective()])
    assert dm.vocab.languages == ("de", "en")
    assert dm.manifest.location == os.path.join(corpus[0], "manifest.json")
    assert datamodule(corpus, shards=os.path.join(corpus[0], "manifest.json")).manifest == dm.manifest


def test_missing_files_fail_with_one_line_naming_them(corpus: tuple[str, str], tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"manifest\.json: manifest not found") as err:
        datamodule(corpus, shards=str(tmp_path))
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)
    with pytest.raises(FileNotFoundError, match=f"tokenizer file not found: {tmp_path}/nope.json"):
        datamodule(corpus, tokenizer=str(tmp_path / "nope.json"))
    with pytest.raises(ValueError, match="data.batch_size must be >= 1"):
        datamodule(corpus, batch_size=0)


def test_connect_sets_up_objectives_and_names_a_missing_kind(corpus: tuple[str, str], tmp_path: Path) -> None:
    dm = datamodule(corpus)
    obj = EchoObjective()
    dm.connect([obj])
    assert obj.vocab is dm.vocab and obj.max_length == 16
    mono_only = tmp_path / "mono"
    build_corpus(str(mono_only), {"de": [3]})
    with pytest.raises(ValueError, match=r"objective 'pairechoobjective' needs parallel training shards, "
                                         r"but the manifest has none \(it has mono\)"):
        datamodule((str(mono_only), corpus[1])).connect([EchoObjective(), PairEchoObjective()])


def test_setup_requires_objectives(corpus: tuple[str, str]) -> None:
    with pytest.raises(RuntimeError, match=r"call connect\(objectives\)"):
        datamodule(corpus).setup("fit")


def test_language_without_tokenizer_tag_is_a_startup_error(corpus: tuple[str, str], tmp_path: Path) -> None:
    tok = make_tokenizer(str(tmp_path / "tok.json"), ["de"])
    dm = datamodule((corpus[0], tok))
    dm.connect([EchoObjective()])
    with pytest.raises(ValueError, match=r"manifest\.json: languages \['en'\] have no tag in the tokenizer"):
        dm.setup("fit")


def test_missing_shard_file_is_a_startup_error(tmp_path: Path) -> None:
    build_corpus(str(tmp_path), {"de": [3, 3]}, val={"de": [2]})
    tok = make_tokenizer(str(tmp_path / "tok.json"), ["de"])
    os.remove(tmp_path / "mono/de/val-000000.tar")
    dm = datamodule((str(tmp_path), tok))
    dm.connect([EchoObjective()])
    with pytest.raises(FileNotFoundError, match=r"mono/de/val-000000.tar: shard listed in .*manifest.json does not exist"):
        dm.setup("fit")


def test_changed_shards_are_named_and_a_language_without_any_usable_one_is_refused(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A shard cut or overwritten since sharding is named at start-up (training skips and counts
    what it cannot read); if every training shard of a language changed, training could never
    draw that language: refused before any work instead of stopping mid-run."""
    build_corpus(str(tmp_path), {"de": [3, 3], "en": [3]}, val={"de": [2]})
    tok = make_tokenizer(str(tmp_path / "tok.json"), ["de", "en"])
    (tmp_path / "mono/de/train-000000.tar").write_bytes(b"junk")
    dm = datamodule((str(tmp_path), tok))
    dm.connect([EchoObjective()])
    with caplog.at_level(logging.WARNING):
        dm.setup("fit")  # de still has an intact shard
    assert "mono/de/train-000000.tar: 4 bytes, but" in caplog.text and "changed or cut" in caplog.text
    (tmp_path / "mono/en/train-000000.tar").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"every mono training shard of en changed size .*re-shard or restore"):
        dm.setup("fit")


def test_too_few_shards_for_ranks_times_workers_is_a_startup_error(corpus: tuple[str, str]) -> None:
    dm = datamodule(corpus, num_workers=2)
    dm.trainer = SimpleNamespace(global_rank=1, world_size=3,  # type: ignore[assignment]
                                 lightning_module=SimpleNamespace(objectives=[EchoObjective()]))
    with pytest.raises(ValueError, match=r"manifest.json: 4 mono training shards for 3 rank\(s\) x 2 worker\(s\); "
                                         r"need at least 6: re-shard with a smaller --max-samples"):
        dm.setup("fit")
    assert dm.rank == 1 and dm.world_size == 3
    dm.trainer.world_size = 2  # 2 x 2 = 4 shards: enough
    dm.setup("fit")


def test_setup_takes_rank_from_trainer_connects_its_objectives_and_logs_the_mixture(
        corpus: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    dm = datamodule(corpus)
    objectives: list[Objective] = [EchoObjective(), PairEchoObjective()]
    dm.trainer = SimpleNamespace(global_rank=0, world_size=2,  # type: ignore[assignment]
                                 lightning_module=SimpleNamespace(objectives=objectives))
    with caplog.at_level(logging.INFO, logger="polytrain.stream.datamodule"):
        dm.setup("fit")
    assert dm.objectives == objectives and (dm.rank, dm.world_size) == (0, 2)
    text = caplog.text
    assert "mono language mixture (alpha=0.3)" in text and "parallel language mixture" in text
    assert "de-en" in text and "sampled q" in text


def test_loaders_yield_batches_and_no_val_shards_means_no_val_loader(
        corpus: tuple[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dm = datamodule(corpus, val_batch_size=3)
    dm.connect([EchoObjective()])
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert isinstance(batch, Batch) and batch.input_ids.shape == (4, 16)
    val = list(dm.val_dataloader())
    assert sum(len(b.keys) for b in val) > 0 and max(len(b.keys) for b in val) == 3

    build_corpus(str(tmp_path), {"de": [3]})
    dm = datamodule((str(tmp_path), corpus[1]))
    dm.connect([EchoObjective()])
    with caplog.at_level(logging.WARNING, logger="polytrain.stream.datamodule"):
        assert dm.val_dataloader() == []
    assert "no validation shards for mono data" in caplog.text


def test_loader_workers_ignore_stop_signals_and_the_collector_skips_what_they_inherit(corpus: tuple[str, str]) -> None:
    dm = datamodule(corpus, num_workers=1)
    dm.connect([EchoObjective()])
    init = dm.train_dataloader().worker_init_fn
    loader = torch.utils.data.DataLoader(WorkerStart(), batch_size=None, num_workers=1, worker_init_fn=init)
    ((frozen, collecting, gen0, sigterm),) = list(loader)
    assert frozen > 10_000 and collecting  # torch's objects and more; new ones are still collected
    assert gen0 == WORKER_GEN0_THRESHOLD > gc.get_threshold()[0]
    assert sigterm == signal.SIG_IGN
    assert gc.get_freeze_count() == 0  # the training process's collector is untouched


def test_packed_mlm_batches_have_no_padding_and_drop_their_mask(corpus: tuple[str, str]) -> None:
    """MLM blocks are packed to ``max_length``, so their batches attend without a mask; TLM pairs
    are padded and keep it. The decision comes from CPU counts and must match the mask itself."""
    from polytrain.objectives.mlm import MaskedLM
    from polytrain.objectives.tlm import TranslationLM

    dm = datamodule(corpus)
    dm.connect([MaskedLM(), TranslationLM()])
    batches = itertools.islice(iter(dm.train_dataloader()), 40)
    unmasked: dict[str, list[bool]] = {}
    for batch in batches:
        none = batch.key_padding_mask() is None
        assert none == bool(batch.attention_mask.all()), batch.keys
        unmasked.setdefault(batch.objective, []).append(none)
    assert all(unmasked["mlm"]) and len(unmasked["mlm"]) >= 10
    assert not any(unmasked["tlm"])


@pytest.mark.parametrize("whole_documents", [True, False])
def test_denoising_blocks_are_whole_documents_unless_asked_to_cross_them(demo_data, whole_documents: bool) -> None:
    """mBART's instances stop at the document boundary (Liu et al. 2020 §2.2), so a reference has
    one ``</s>`` (the layout's) and greedy generation, which stops at the first ``</s>``, can
    reproduce all of it. With ``whole_documents=False`` blocks cross documents: inner ``</s>``."""
    from polytrain.objectives.denoising import Denoising

    dm = PretrainDataModule(str(demo_data.manifest), str(demo_data.tokenizer), max_length=128, batch_size=8,
                            num_workers=0, shuffle_buffer=8)
    dm.connect([Denoising(whole_documents=whole_documents)])
    eos = dm.vocab.eos_id
    inner = []
    for batch in [*dm.val_dataloader(), *itertools.islice(iter(dm.train_dataloader()), 10)]:
        labels = batch.labels.masked_fill(batch.labels.lt(0), dm.vocab.pad_id)
        inner += (labels.eq(eos).sum(1) - 1).tolist()  # "X </s> <lid>": one </s> is the layout's
    assert len(inner) > 100
    if whole_documents:
        assert set(inner) == {0}
    else:
        assert sum(n > 0 for n in inner) > len(inner) // 4


def test_the_summary_names_languages_trained_on_but_not_validated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from polytrain.callbacks.summary import LanguageSummary, format_summary

    build_corpus(str(tmp_path), {"de": [6], "en": [6], "sw": [6]}, {"de-en": [6]}, val={"de": [3], "en": [3], "de-en": [3]})
    dm = datamodule((str(tmp_path), make_tokenizer(str(tmp_path / "tok.json"), ["de", "en", "sw"])), num_workers=0)
    objectives: list[Objective] = [EchoObjective(), PairEchoObjective()]
    dm.connect(objectives)
    trainer = SimpleNamespace(datamodule=dm, strategy=SimpleNamespace(root_device=torch.device("cpu")),
                              limit_val_batches=1, world_size=1, sanity_checking=False)
    module = SimpleNamespace(objectives=objectives)
    summary = LanguageSummary()
    summary.on_validation_epoch_start(trainer, module)  # type: ignore[arg-type]
    first = next(iter(dm.val_dataloader()))  # what limit_val_batches=1 validates: one group
    summary.on_validation_batch_end(trainer, module, None, first, 0)  # type: ignore[arg-type]
    with pytest.warns(UserWarning, match="trained on but not validated") as warned:
        summary.on_validation_end(trainer, module)  # type: ignore[arg-type]
    assert (first.objective, first.lang[0]) == ("echoobjective", "de")
    assert summary.missing == [("echoobjective", "en", "not reached within limit_val_batches=1"),
                               ("echoobjective", "sw", "no validation shards"),
                               ("pairechoobjective", "de-en", "not reached within limit_val_batches=1")]
    assert len(warned) == 1 and str(warned[0].message) == (
        "trained on but not validated: not reached within limit_val_batches=1: echoobjective en, "
        "pairechoobjective de-en; no validation shards: echoobjective sw")
    table = format_summary([("echoobjective", "de", 10.0, 1.0, 0.5, 2.7), ("echoobjective", "sw", 12.0, 0, 0, 0)],
                           frozenset({("echoobjective", "sw")}))
    assert table.splitlines()[-1].split() == ["echoobjective", "sw", "12", "-", "-", "-"]
