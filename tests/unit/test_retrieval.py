"""RetrievalProbe: the accuracy and pooling math (polytrain.evaluate.retrieval), the clean input layout
(Objective.plain_example), its options and state (the callback inside a real fit:
tests/integration/test_retrieval_fit.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from polytrain.callbacks.retrieval import RetrievalProbe
from polytrain.evaluate.retrieval import embed, mean_pool, retrieval_accuracy, side_batches, take_pairs
from polytrain.objectives.base import plain_layout
from polytrain.prepare.tarwriter import write_shard
from polytrain.shards.manifest import Manifest, ShardInfo
from polytrain.shards.reader import EMPTY_TEXT, MISSING_TEXT, StreamStats
from polytrain.shards.vocab import load_vocab
from polytrain.stream.datamodule import PretrainDataModule
from polytrain.models import build_model
from polytrain.models.config import ModelConfig
from polytrain.objectives.denoising import Denoising
from polytrain.objectives.mlm import MaskedLM
from polytrain.types import IGNORE_INDEX, TextBlock, TextPair

TINY = ModelConfig(kind="encoder", d_model=32, n_layers=1, n_heads=2, d_ff=64, dropout=0.0, attention_dropout=0.0)


# ------------------------------------------------------------------------------ accuracy
def test_perfectly_aligned_embeddings_retrieve_everything() -> None:
    src = torch.randn(50, 16, generator=torch.Generator().manual_seed(0))
    assert retrieval_accuracy(src, src.clone()).tolist() == [1.0, 1.0]
    assert retrieval_accuracy(src, 5.0 * src).tolist() == [1.0, 1.0]  # cosine: the norm does not matter


def test_a_permutation_scores_its_fixed_points() -> None:
    src = torch.eye(6)
    perm = torch.tensor([0, 1, 3, 2, 5, 4])  # 2 fixed points of 6
    assert retrieval_accuracy(src, src[perm]).tolist() == pytest.approx([2 / 6, 2 / 6])


def test_directions_can_differ_and_ties_count_as_misses() -> None:
    src = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    tgt = torch.tensor([[1.0, 0.1], [1.0, 0.0]])
    # src 0 is closest to tgt 1 (cos 1), src 1 to tgt 0 (0.1 > 0): both miss. tgt 0 -> src 0 hits, tgt 1 -> src 0 misses.
    assert retrieval_accuracy(src, tgt).tolist() == pytest.approx([0.0, 0.5])
    same = torch.ones(4, 3)  # every candidate identical: argmax takes index 0, only row 0 is right
    assert retrieval_accuracy(same, same).tolist() == pytest.approx([0.25, 0.25])
    with pytest.raises(ValueError, match="must both be"):
        retrieval_accuracy(torch.ones(3, 2), torch.ones(4, 2))


# ------------------------------------------------------------------------------ pooling
def test_mean_pool_ignores_padded_positions_even_nan() -> None:
    hidden = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(1))
    mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    pooled = mean_pool(hidden, mask)
    torch.testing.assert_close(pooled[0], hidden[0, :3].mean(0))
    torch.testing.assert_close(pooled[1], hidden[1].mean(0))
    changed = hidden.clone()
    changed[0, 3:] = float("nan")
    changed[0, 4] = 1e6
    torch.testing.assert_close(mean_pool(changed, mask), pooled)


def test_a_sentence_embeds_the_same_alone_and_padded_in_a_batch(demo_data) -> None:
    _, vocab = load_vocab(str(demo_data.tokenizer))
    model = build_model(TINY, vocab.size, len(vocab.languages), vocab.pad_id).eval()
    layout = MaskedLM()
    layout.setup(vocab, 64)
    ids = np.arange(vocab.num_special, vocab.num_special + 20, dtype=np.int64)
    short = TextPair("a", "de", "en", ids[:3], ids[:4])
    long = TextPair("b", "de", "en", ids[3:20], ids[4:20])
    batched = side_batches([short, long], "src", layout, vocab.pad_id, batch_size=2)
    assert len(batched) == 1 and not bool(batched[0].attention_mask[0, 5:].any())  # the short one is padded
    together = embed(model, batched, "cpu", [0, -1])  # (2 layers, 2 sentences, d)
    alone = embed(model, side_batches([short], "src", layout, vocab.pad_id, batch_size=2), "cpu", [0, -1])
    torch.testing.assert_close(together[:, 0], alone[:, 0], atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------ input layout
def test_encoder_layout_is_maskedlm_without_masking(demo_data) -> None:
    _, vocab = load_vocab(str(demo_data.tokenizer))
    mlm = MaskedLM()
    mlm.setup(vocab, 64)
    layout = plain_layout([mlm])
    assert layout is mlm
    block = TextBlock("k", "de", np.arange(vocab.num_special, vocab.num_special + 7), np.array([7]))
    plain = layout.plain_example(block.ids, block.lang, block.key)
    masked = mlm.make_example(block, np.random.default_rng(0))
    unmasked = np.where(masked.labels != IGNORE_INDEX, masked.labels, masked.input_ids)
    assert plain.input_ids.tolist() == [vocab.bos_id, *block.ids.tolist(), vocab.eos_id] == unmasked.tolist()
    assert (plain.labels == IGNORE_INDEX).all()
    assert plain.positions.tolist() == masked.positions.tolist()
    assert plain.langs.tolist() == masked.langs.tolist() == [vocab.lang_index("de")] * 9


def test_encoder_decoder_layout_follows_the_trained_denoising_objective(demo_data) -> None:
    _, vocab = load_vocab(str(demo_data.tokenizer))
    block = TextBlock("k", "de", np.arange(vocab.num_special, vocab.num_special + 30), np.array([10, 30]))
    for add_lang_token, expected in ((True, [*block.ids.tolist(), vocab.eos_id, vocab.lang_token("de")]),
                                     (False, [vocab.bos_id, *block.ids.tolist(), vocab.eos_id])):
        denoising = Denoising(add_lang_token=add_lang_token)
        denoising.setup(vocab, 64)
        layout = plain_layout([denoising])
        assert layout is denoising
        assert layout.plain_example(block.ids, "de", "k").input_ids.tolist() == expected  # no noise


# ------------------------------------------------------------------------------ pair selection
def copy_shards(demo_data, tmp_path: Path) -> Path:
    shutil.copytree(demo_data.manifest.parent, tmp_path / "shards")
    return tmp_path / "shards" / "manifest.json"


def rewrite_manifest(path: Path, keep=lambda s: True, extra: tuple[ShardInfo, ...] = ()) -> None:
    old = Manifest.load(str(path))
    Manifest.build([s for s in old.entries if keep(s)] + list(extra), old.skipped, old.options).save(str(path))


def test_bad_and_repeated_pairs_are_skipped_and_counted(demo_data, tmp_path: Path) -> None:
    manifest = copy_shards(demo_data, tmp_path)
    rel = "parallel/de-en/val-bad.tar"
    samples = [{"__key__": "bad1", "src.txt": "Guten Morgen."},  # no target side
               {"__key__": "bad2", "src.txt": "", "tgt.txt": "Good morning."},  # an empty side
               {"__key__": "ok1", "src.txt": "Guten Abend.", "tgt.txt": "Good evening."},
               {"__key__": "dup1", "src.txt": "Guten Abend.", "tgt.txt": "Good night."},
               {"__key__": "ok2", "src.txt": "Gute Nacht.", "tgt.txt": "Good night."}]
    stats = write_shard(str(manifest.parent / rel), [{k: v if k == "__key__" else v.encode() for k, v in s.items()}
                                                     for s in samples])
    shard = ShardInfo(path=rel, kind="parallel", lang="de-en", split="val", samples=5, chars=80, bytes=stats.bytes,
                      sha256=stats.sha256, src_lang="de", tgt_lang="en")
    rewrite_manifest(manifest, keep=lambda s: not (s.kind == "parallel" and s.split == "val"), extra=(shard,))
    dm = PretrainDataModule(shards=str(manifest), tokenizer=str(demo_data.tokenizer), max_length=32, num_workers=0)
    dm.connect([MaskedLM()])
    counters = StreamStats()
    pairs, duplicates = take_pairs(dm.val_pairs("de-en", counters), max_pairs=10)
    assert [p.key for p in pairs] == ["ok1", "ok2"] and duplicates == 1  # dup1 repeats ok1's source
    assert counters.totals[EMPTY_TEXT] == 1 and counters.totals[MISSING_TEXT] == 1
    assert [p.key for p in take_pairs(dm.val_pairs("de-en"), max_pairs=1)[0]] == ["ok1"]


# ------------------------------------------------------------------------------ options and state
def test_arguments_are_checked() -> None:
    for kwargs in ({"every_n_validations": 0}, {"batch_size": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            RetrievalProbe(**kwargs)
    with pytest.raises(ValueError, match="max_pairs must be >= 2"):  # one pair is always "retrieved"
        RetrievalProbe(max_pairs=1)


def test_the_validation_count_is_saved_so_a_resumed_run_probes_on_schedule() -> None:
    probe = RetrievalProbe(every_n_validations=2)
    probe._validations = 3  # three validations before the checkpoint
    resumed = RetrievalProbe(every_n_validations=2)
    resumed.load_state_dict(probe.state_dict())
    assert resumed._validations == 3  # so the next (4th) validation probes, as without the restart
    assert RetrievalProbe().state_dict() == {"validations": 0}
