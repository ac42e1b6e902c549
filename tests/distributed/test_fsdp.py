"""`polytrain fit` with configs/trainer/fsdp.yaml (FSDP2 via FSDP2Strategy): 2 real processes over gloo.

Run 1 (fp32, 6 steps, full validation): trains with sharded parameters; validation does not hang
although rank 0 has several times more validation batches than rank 1; it saves sharded checkpoint
directories (one file per rank + meta.pt, nothing half-written left behind); and its losses and
weights equal those of ONE process trained on the same micro-batches with accumulation 2.
Run 2 resumes run 1's ``last.ckpt`` in bf16-mixed: weights and Adam moments are restored exactly,
it continues to the new ``max_steps``, and the dtypes it trains with are read, not assumed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from scale_probe import NO_DROPOUT, check_one_process_matches, fit_args, read_ranks, run_fit

pytestmark = pytest.mark.timeout(400)

STEPS = 6  # configs/trainer/smoke.yaml
RESUMED_STEPS = 8


@pytest.fixture(scope="module")
def fsdp_run(demo_data, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    cwd = tmp_path_factory.mktemp("fsdp")
    args = fit_args(demo_data.manifest, demo_data.tokenizer, "trainer/fsdp.yaml", probe_dir=cwd / "probe",
                    extra=("--trainer.devices=2", "--data.num_workers=1", "--trainer.limit_val_batches=1.0",
                           *NO_DROPOUT))
    result = run_fit(args, cwd, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    return cwd, read_ranks(cwd / "probe", 2)


def _val_batches(demo_data, rank: int) -> int:
    from polytrain.stream.datamodule import PretrainDataModule
    from polytrain.objectives.mlm import MaskedLM

    data = PretrainDataModule(str(demo_data.manifest), str(demo_data.tokenizer), max_length=64, batch_size=8,
                              num_workers=0)
    objective = MaskedLM()
    objective.name = "mlm"
    data.connect([objective])
    data.rank, data.world_size = rank, 2
    return sum(1 for _ in data.val_dataloader())


def test_fsdp_trains_sharded_through_uneven_validation(fsdp_run, demo_data):
    cwd, ranks = fsdp_run
    counts = [_val_batches(demo_data, r) for r in range(2)]
    assert counts[0] != counts[1], counts  # the case that hangs sharded evaluation forwards
    for r, record in enumerate(ranks):
        assert record["rank"] == r and record["world_size"] == 2 and record["strategy"] == "FSDP2Strategy"
        assert record["final_step"] == STEPS and len(record["losses"]) == STEPS
        assert record["dtypes"]["param_class_at_rest"] == "DTensor"  # sharded between steps
        assert record["dtypes"]["weight_class_in_forward"] != "DTensor"  # gathered for the layer's forward
        assert {record["dtypes"][k] for k in ("master_param", "linear_output", "exp_avg")} == {"torch.float32"}
    assert ranks[0]["final_hash"] == ranks[1]["final_hash"]  # the gathered model is one model
    assert ranks[0]["keys"] != ranks[1]["keys"]


def test_fsdp_saves_complete_sharded_checkpoints(fsdp_run):
    cwd, _ = fsdp_run
    checkpoints = cwd / "runs" / "checkpoints"
    last = checkpoints / "last.ckpt"
    assert last.is_dir(), sorted(p.name for p in checkpoints.iterdir())
    assert {p.name for p in last.iterdir()} == {"__0_0.distcp", "__1_0.distcp", ".metadata", "meta.pt"}
    meta = torch.load(last / "meta.pt", weights_only=True)
    assert meta["global_step"] == STEPS and "state_dict" not in meta
    leftovers = [p.name for p in checkpoints.iterdir() if p.name.endswith((".partial", ".replaced"))]
    assert not leftovers


def test_sharded_checkpoint_loads_for_export(fsdp_run, tmp_path):
    """`polytrain export hf` on FSDP2's sharded last.ckpt: the weights read from the shards are the
    ones the ranks trained (gathered at the end of training), and the HF folder is written."""
    pytest.importorskip("transformers")
    from polytrain.cli import main
    from polytrain.hf.command import load_sharded

    cwd, _ = fsdp_run
    last = cwd / "runs" / "checkpoints" / "last.ckpt"
    module = load_sharded(str(last))
    trained = torch.load(cwd / "probe" / "rank0_final.pt", weights_only=True)
    state = module.model.state_dict()
    assert set(trained) == set(state)
    for key, value in trained.items():
        assert torch.equal(state[key], value), key
    assert main(["export", "hf", "--checkpoint", str(last), "--out", str(tmp_path / "hf")]) == 0
    assert (tmp_path / "hf" / "model.safetensors").is_file()


def test_a_sharded_checkpoint_is_a_warm_start_source(fsdp_run):
    """`--model.init_from` on FSDP2's sharded last.ckpt reads the model's tensors the ranks trained."""
    from polytrain.checkpoint.warm_start import read_weights

    cwd, _ = fsdp_run
    saved = read_weights(str(cwd / "runs" / "checkpoints" / "last.ckpt"))
    trained = torch.load(cwd / "probe" / "rank0_final.pt", weights_only=True)
    assert set(saved.state) == set(trained) and saved.record["architecture"]["kind"] == "encoder"
    for key, value in trained.items():
        assert torch.equal(saved.state[key], value), key


def test_a_sharded_checkpoint_of_another_architecture_is_refused_before_loading(fsdp_run, demo_data):
    """FSDP2 loads the shards into the model before ``on_load_checkpoint`` runs; the CLI reads the
    folder's meta.pt first, so the refusal is one line, not DCP's size-mismatch traceback."""
    cwd, _ = fsdp_run
    for ckpt_path in ("auto", "last"):
        args = fit_args(demo_data.manifest, demo_data.tokenizer, "trainer/fsdp.yaml",
                        extra=("--trainer.devices=2", "--model.architecture.n_layers=3", f"--ckpt_path={ckpt_path}"))
        result = run_fit(args, cwd, timeout=120)
        assert result.returncode == 2, result.stderr[-3000:]
        assert "polytrain fit: error: checkpoint is of another model.architecture (n_layers 4 -> 3)" in result.stderr
        assert "Traceback" not in result.stderr


def test_fsdp_matches_one_process_with_accumulation(fsdp_run, demo_data, tmp_path, monkeypatch):
    """2 FSDP ranks x batch 8 == 1 process x 2 accumulated micro-batches of 8 (the same ones)."""
    cwd, ranks = fsdp_run
    monkeypatch.chdir(tmp_path)
    check_one_process_matches(demo_data, ranks, cwd / "probe" / "rank0_final.pt", tmp_path / "single")


def test_fsdp_resumes_from_sharded_checkpoint_in_bf16_mixed(fsdp_run, demo_data):
    cwd, first = fsdp_run
    args = fit_args(demo_data.manifest, demo_data.tokenizer, "trainer/fsdp.yaml", "trainer/bf16-mixed.yaml",
                    probe_dir=cwd / "resumed",
                    extra=("--trainer.devices=2", "--data.num_workers=1", f"--trainer.max_steps={RESUMED_STEPS}",
                           "--ckpt_path=auto", *NO_DROPOUT))  # what the SLURM scripts pass
    result = run_fit(args, cwd, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    ranks = read_ranks(cwd / "resumed", 2)
    for record in ranks:
        assert record["start_step"] == STEPS and record["final_step"] == RESUMED_STEPS
        assert len(record["losses"]) == RESUMED_STEPS - STEPS
        assert record["start_hash"] == first[0]["final_hash"]  # weights restored exactly
        assert record["optim_start_hash"] == first[0]["optim_final_hash"]  # and the Adam moments
        # The all-rank token count continues (each step: 2 ranks x 8 packed blocks of 64 tokens).
        assert first[0]["tokens_seen_final"] == STEPS * 2 * 8 * 64
        assert record["tokens_seen_start"] == first[0]["tokens_seen_final"]
        assert record["tokens_seen_final"] == RESUMED_STEPS * 2 * 8 * 64
        # bf16-mixed under FSDP2: fp32 sharded master weights and optimizer state; parameters are
        # gathered in bf16 (low_precision_gather) and matmul outputs are bf16.
        dtypes = record["dtypes"]
        assert dtypes["master_param"] == "torch.float32" and dtypes["exp_avg"] == "torch.float32", dtypes
        assert dtypes["weight_in_forward"] == "torch.bfloat16" and dtypes["linear_output"] == "torch.bfloat16", dtypes
    assert torch.load(cwd / "runs" / "checkpoints" / "last.ckpt" / "meta.pt",
                      weights_only=True)["global_step"] == RESUMED_STEPS


@pytest.mark.parametrize("world", [2, pytest.param(4, marks=pytest.mark.slow)])
def test_full_and_hybrid_sharding_layouts(tmp_path, world):
    """Full sharding splits each parameter over all ranks; hybrid on a (2 "nodes" x world/2) mesh
    replicates across the first dim and shards over the second. Either way every rank ends up with
    the gradient of the mean loss over all ranks' batches. (world=4 is the non-degenerate hybrid.)"""
    import socket

    import torch.multiprocessing as mp
    from scale_probe import layout_worker

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = mp.start_processes(layout_worker, args=(world, port, str(tmp_path)), nprocs=world, join=False,
                                 start_method="spawn")
    deadline = time.monotonic() + 180
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            raise AssertionError("sharding layout workers did not finish in 180 s (hang?)")
    reports = [json.loads((tmp_path / f"layout{r}.json").read_text()) for r in range(world)]
    fc1_rows = 32  # d_ff of the worker's model
    for report in reports:
        assert report["full"]["placements"] == ["Shard(dim=0)"]
        assert report["full"]["local_rows"] == fc1_rows // world
        assert report["hybrid"]["placements"] == ["Replicate()", "Shard(dim=0)"]
        assert report["hybrid"]["local_rows"] == fc1_rows // (world // 2)
        for layout in ("full", "hybrid"):
            assert report[layout]["groups"] == 3  # 2 layers + the root
            assert report[layout]["max_grad_error"] < 1e-6, report
