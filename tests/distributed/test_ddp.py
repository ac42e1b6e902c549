"""`polytrain fit` with configs/trainer/ddp.yaml: 2 real processes over gloo on the demo shards.

One 2-rank run (module fixture) is checked for: the same number of steps on both ranks and a clean
exit (no hang, although languages have 1 to 8 training shards), different data per rank, the same
objective per step on both ranks, identical final weights, and the same losses and weights as ONE
process that trains on the same micro-batches with ``accumulate_grad_batches=2`` (DDP averages the
two ranks' gradients exactly as accumulation averages two micro-batches; dropout 0).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from scale_probe import NO_DROPOUT, check_one_process_matches, fit_args, read_ranks, run_fit

pytestmark = pytest.mark.timeout(300)

STEPS = 6  # configs/trainer/smoke.yaml


@pytest.fixture(scope="module")
def ddp_run(demo_data, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    cwd = tmp_path_factory.mktemp("ddp")
    args = fit_args(demo_data.manifest, demo_data.tokenizer, "trainer/ddp.yaml", probe_dir=cwd / "probe",
                    extra=("--trainer.devices=2", "--data.num_workers=1", *NO_DROPOUT))
    result = run_fit(args, cwd, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    return cwd, read_ranks(cwd / "probe", 2)


def test_demo_shards_are_uneven(demo_data):
    """The precondition of the no-hang claim: languages have very different shard counts."""
    manifest = json.loads(demo_data.manifest.read_text())
    counts = Counter(s["lang"] for s in manifest["shards"] if s["kind"] == "mono" and s["split"] == "train")
    assert min(counts.values()) == 1 and max(counts.values()) >= 4, counts


def test_ranks_step_together_and_end_identical(ddp_run):
    _, ranks = ddp_run
    for r, record in enumerate(ranks):
        assert record["rank"] == r and record["world_size"] == 2 and record["strategy"] == "DDPStrategy"
        assert record["final_step"] == STEPS and len(record["losses"]) == STEPS
    assert ranks[0]["objectives"] == ranks[1]["objectives"]  # batch n has the same objective everywhere
    assert ranks[0]["start_hash"] == ranks[1]["start_hash"]
    assert ranks[0]["final_hash"] == ranks[1]["final_hash"]  # all-reduced gradients, same updates
    assert ranks[0]["final_hash"] != ranks[0]["start_hash"]


def test_the_mixture_as_drawn_is_summed_over_ranks(ddp_run, demo_data):
    """``mixture/<lang>/share`` and ``mixture/<lang>/epochs`` (LanguageSummary) count both ranks' draws:
    at the last validation (the last step), share = samples of the language / all samples of both
    ranks, epochs = documents both ranks read / documents in the language's train shards."""
    import csv

    from polytrain.shards.manifest import Manifest

    cwd, ranks = ddp_run
    rows = list(csv.DictReader(next((cwd / "runs" / "polytrain").glob("version_*/metrics.csv")).open()))
    last = {k: float(v) for row in rows for k, v in row.items() if k.startswith("mixture/") and v}
    samples = Counter(ranks[0]["drawn"]["samples"]) + Counter(ranks[1]["drawn"]["samples"])
    documents = Counter(ranks[0]["drawn"]["documents"]) + Counter(ranks[1]["drawn"]["documents"])
    assert sum(samples.values()) == 2 * STEPS * 8  # 2 ranks x 6 steps x batch 8
    sizes = Manifest.load(str(demo_data.manifest)).sizes("mono", "train", "samples")
    for lang, n in sizes.items():
        assert last[f"mixture/{lang}/share"] == pytest.approx(samples[lang] / sum(samples.values()), abs=1e-6)
        assert last[f"mixture/{lang}/epochs"] == pytest.approx(documents[lang] / n, abs=1e-6)
    assert sum(documents.values()) > max(sum(Counter(r["drawn"]["documents"]).values()) for r in ranks)


def test_ranks_see_different_data(ddp_run):
    _, ranks = ddp_run
    keys0 = [k for step in ranks[0]["keys"] for k in step]
    keys1 = [k for step in ranks[1]["keys"] for k in step]
    for step, (a, b) in enumerate(zip(ranks[0]["keys"], ranks[1]["keys"], strict=True)):
        assert a != b, f"step {step}: both ranks trained on the same batch {a}"
    # Streams are resampled per rank, so a block may recur by chance, but rarely.
    shared = set(keys0) & set(keys1)
    assert len(shared) <= 0.25 * len(set(keys0)), sorted(shared)
    assert ranks[0]["losses"] != ranks[1]["losses"]


def test_ddp_matches_one_process_with_accumulation(ddp_run, demo_data, tmp_path, monkeypatch):
    """2 ranks x batch 8 == 1 process x 2 accumulated micro-batches of 8 (the same ones)."""
    ddp_dir, ranks = ddp_run
    monkeypatch.chdir(tmp_path)
    assert check_one_process_matches(demo_data, ranks, ddp_dir / "probe" / "rank0_final.pt",
                                     tmp_path / "single") == STEPS
