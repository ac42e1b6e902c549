"""The benchmark scripts keep running against the current code (their figures live in docs/benchmarks.md).

Timings are never asserted here (shared, noisy machines); what is asserted is what makes a
comparison fair: the polytrain and Hugging Face models compute the same loss from the same weights
on the same batch, and every system trains the requested number of steps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_flops import load_gpu_mfu

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_mlm_throughput_compares_equal_models_on_equal_data(demo_data, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    out = tmp_path / "mlm.json"
    args = [sys.executable, str(BENCHMARKS / "mlm_throughput.py"), "--shards", str(demo_data.manifest),
            "--tokenizer", str(demo_data.tokenizer), "--vocab-size", "2048", "--d-model", "32", "--layers", "1",
            "--heads", "2", "--d-ff", "64", "--seq-len", "32", "--batch-size", "4", "--batches", "2",
            "--steps", "2", "--warmup", "1", "--repeats", "1", "--workers", "1", "--out", str(out),
            "--systems", "polytrain", "plain", "hf", "plain-full-head", "plain-foreach", "polytrain+pipeline"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())
    check = found["check"]
    assert abs(check["polytrain_eval_loss"] - check["hf_eval_loss"]) < 1e-3, check
    assert set(found["systems"]) == {"polytrain", "plain", "hf", "plain-full-head", "plain-foreach",
                                     "polytrain+pipeline"}
    assert all(row["tokens_per_s"]["median"] > 0 for row in found["systems"].values())
    # Same initial weights and first batch: the first training loss agrees across our systems.
    first = {name: row["first_loss"] for name, row in found["systems"].items() if row["first_loss"] is not None}
    assert abs(first["polytrain"] - first["plain"]) < 1e-4, first
    assert "data_wait_ms_per_step" in found["systems"]["polytrain+pipeline"]
    assert "polytrain/hf" in found["ratios"] and "polytrain/plain" in found["ratios"]


TINY_RUN = ["--tiny", "--device", "cpu", "--steps", "2", "--warmup", "1", "--batch-size", "2", "--seq-len", "32",
            "--peak-flops", "1e12"]


def run_gpu_mfu(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], *args: str) -> str:
    """benchmarks/gpu_mfu.py --tiny on CPU, in this process (its main(argv)); returns what it printed."""
    import torch

    tf32 = torch.backends.cuda.matmul.allow_tf32  # main() turns it off; a setting, not an attribute to patch
    try:
        assert load_gpu_mfu(monkeypatch).main([*TINY_RUN, *args]) == 0
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32
    captured = capfd.readouterr()
    return captured.out + captured.err


def test_gpu_mfu_benchmark_runs_tiny_on_cpu(tmp_path, monkeypatch, capfd):
    """benchmarks/gpu_mfu.py is for a GPU machine; its --tiny CPU mode keeps it from rotting here."""
    out = tmp_path / "mfu.json"
    run_gpu_mfu(monkeypatch, capfd, "--parity-steps", "2", "--json", str(out))
    report = json.loads(out.read_text())
    throughput = report["throughput"]
    assert throughput["tokens_per_s"] > 0 and 0 < throughput["mfu"] < 1
    assert throughput["mfu"] == pytest.approx(throughput["model_tflops_per_s"] * 1e12 / 1e12)
    assert not throughput["attn_mask"]  # full sequences: no mask, as PretrainModule runs them
    assert report["parity"]["ok"] and set(report["parity"]["losses"]) == {"fp32", "bf16-mixed"}


def test_gpu_mfu_sweep_stops_at_its_budget(tmp_path, monkeypatch, capfd):
    """--sweep measures its variants in order and starts none after --budget-s (device time is counted)."""
    out = tmp_path / "sweep.json"
    output = run_gpu_mfu(monkeypatch, capfd, "--sweep", "--budget-s", "0.001", "--parity-steps", "0",
                         "--json", str(out))
    rows = json.loads(out.read_text())["sweep"]
    assert [r["name"] for r in rows] == ["eager"] and rows[0]["tokens_per_s"] > 0
    assert "| eager | 2 |" in output and "skipped 'compiled layers'" in output


@pytest.mark.slow
def test_vocab_adaptation_runs_its_four_variants(tmp_path: Path) -> None:
    """benchmarks/vocab_adaptation.py end to end at a toy size (opt-in: -m slow, about a minute)."""
    out = tmp_path / "adaptation.json"
    args = [sys.executable, str(BENCHMARKS / "vocab_adaptation.py"), "--pretrain-steps", "2", "--steps", "2",
            "--eval-every", "1", "--vocab-size", "1500", "--add", "20", "--out", str(out)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())
    runs = found["runs"]["0"]
    assert len(runs) == 4 and all(sorted(r["curve"]) == ["1", "2"] for r in runs.values())
    assert found["fertility"]["extended"] < found["fertility"]["old tokenizer"]


def test_data_pipeline_measures_every_row_it_can(demo_data, tmp_path: Path) -> None:
    out = tmp_path / "pipeline.json"
    args = [sys.executable, str(BENCHMARKS / "data_pipeline.py"), "--tokenizer", str(demo_data.tokenizer),
            "--corpus", str(BENCHMARKS.parent / "polytrain" / "demo_corpus" / "mono"), "--rounds", "2", "--batches", "2",
            "--warmup", "1", "--batch-size", "4", "--read-tokens", "1000", "--out", str(out),
            "--rows", "tokenizer", "text", "tokens", "text-v1", "read-tokens", "read-litdata"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(out.read_text())
    ran = set(found["rows"]) | set(found["skipped"])
    assert ran == {"tokenizer", "text", "tokens", "text-v1", "read-tokens", "read-litdata"}
    assert all(row["rounds"] == 2 and row["cpu"]["median"] > 0 for row in found["rows"].values())
    assert {"tokens/text", "text/tokenizer", "text/text-v1"} <= set(found["ratios"])
    assert "| tokens |" in result.stdout  # the markdown table docs/benchmarks.md quotes
