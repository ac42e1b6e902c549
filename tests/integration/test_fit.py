"""`polytrain fit` end to end: real LightningCLI parsing, real shards, checkpoints, resume, errors."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"


def fit_command(demo_data, *fragments: str, extra: tuple[str, ...] = ()) -> list[str]:
    """``python -m polytrain.cli fit`` with the demo data, ``fragments`` and ``extra``."""
    return [sys.executable, "-m", "polytrain.cli", *fit_args(demo_data, *fragments, extra=extra)]


def fit_args(demo_data, *fragments: str, extra: tuple[str, ...] = ()) -> list[str]:
    args = ["fit"]
    for fragment in ("base.yaml", *fragments, "data/demo.yaml", "trainer/smoke.yaml"):
        args += ["-c", str(CONFIGS / fragment)]
    return args + [
        f"--data.shards={demo_data.manifest}",
        f"--data.tokenizer={demo_data.tokenizer}",
        "--data.num_workers=1",
        "--data.batch_size=8",
        "--data.max_length=64",
        *extra,
    ]


def small_fit_args(shards: Path | str, tokenizer: Path | str, base: Path, *extra: str) -> list[str]:
    """``polytrain.cli.main`` arguments of a 1-layer, d 32 model on 4 x 32-token batches, no workers."""
    args = ["fit", "-c", str(base)]
    for fragment in ("model/tiny.yaml", "objective/mlm.yaml", "data/demo.yaml", "trainer/smoke.yaml"):
        args += ["-c", str(CONFIGS / fragment)]
    return args + [
        f"--data.shards={shards}", f"--data.tokenizer={tokenizer}",
        "--data.num_workers=0", "--data.batch_size=4", "--data.max_length=32", "--data.shuffle_buffer=20",
        "--model.architecture.d_model=32", "--model.architecture.n_heads=2", "--model.architecture.n_layers=1",
        "--model.architecture.d_ff=64", "--trainer.limit_val_batches=1", *extra,
    ]


def run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def metrics_rows(run_dir: Path) -> list[dict[str, str]]:
    files = sorted(run_dir.glob("runs/polytrain/version_*/metrics.csv"))
    assert files, f"no metrics.csv under {run_dir}/runs"
    with files[-1].open() as f:
        return list(csv.DictReader(f))


def documented_metrics() -> list[re.Pattern[str]]:
    """The metric keys of docs/training.md's tables (first column), ``<x>`` and ``{a,b}`` as patterns."""
    keys = []
    for line in (REPO / "docs" / "training.md").read_text().splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 2:
            keys += [k for k in re.findall(r"`([^`]+)`", cells[1]) if "/" in k and not k.startswith("configs")]
    patterns = []
    for key in keys:
        pattern = re.sub(r"\\\{([^}]*)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", re.escape(key))
        patterns.append(re.compile(re.sub(r"<[^>]+>", "[^/]+", pattern.replace("\\<", "<").replace("\\>", ">"))))
    return patterns


def test_fit_writes_checkpoint_metrics_and_config_then_resumes(demo_data, tmp_path):
    # The tokenizer as a path relative to the run's directory, as users give it.
    (tmp_path / "tok.json").write_bytes(Path(demo_data.tokenizer).read_bytes())
    relative = ("--data.tokenizer=tok.json",)
    first = run(fit_command(demo_data, "model/tiny.yaml", "objective/mlm.yaml", extra=relative), tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    last = tmp_path / "runs" / "checkpoints" / "last.ckpt"
    assert last.exists()
    ckpt = torch.load(last, map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 6
    rows = metrics_rows(tmp_path)
    assert any(r.get("train/loss") for r in rows) and any(r.get("val/loss") for r in rows)
    # The per-language table at the end (LanguageSummary): one row per language with tokens seen and
    # the last validation loss, accuracy and perplexity.
    printed = first.stdout + first.stderr
    assert "Per-language summary (last validation):" in printed, printed[-2000:]
    # Output that is not a terminal gets plain progress lines (ProgressLog), after the model's size.
    assert re.search(r"^model: [\d,]+ parameters \([\d,]+ in embeddings\); [\d.e+]+ training FLOPs per token",
                     first.stdout, flags=re.MULTILINE), first.stdout[-2000:]
    assert re.search(r"^step 1/6 \(17%\)  loss [\d.]+  lr ", first.stdout, flags=re.MULTILINE), first.stdout[-2000:]
    assert re.search(r"^step 6/6 \(100%\)  loss [\d.]+ .* eta 0:00:00$", first.stdout, flags=re.MULTILINE)
    assert re.search(r"^step 3 validation: val/loss [\d.]+ \(", first.stdout, flags=re.MULTILINE)
    table = re.findall(r"^mlm\s+([a-z]{2})\s+(\d+|-)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", printed, flags=re.MULTILINE)
    assert len({lang for lang, *_ in table}) >= 2, printed[-2000:]  # smoke.yaml validates 2 batches
    assert all(float(loss) > 0 and 0 <= float(acc) <= 1 for _, _, loss, acc, _ in table), table
    assert any(tokens != "-" and int(tokens) > 0 for _, tokens, *_ in table), table
    # Validation interleaves languages: its 2 batches (num_workers 1) are of 2 languages; the other 7
    # are named, with the reason, in the table and below it, not dropped silently.
    assert len(table) == 2, printed[-2000:]
    skipped = re.findall(r"^mlm\s+([a-z]{2})\s+(?:\d+|-)\s+-\s+-\s+-$", printed, flags=re.MULTILINE)
    assert len(skipped) == 7 and not set(skipped) & {lang for lang, *_ in table}, printed[-2000:]
    # Under the table (and warned at each validation), with the reason.
    assert "trained on but not validated: not reached within limit_val_batches=2: mlm " in printed
    # ... after the language mixture as drawn: q, observed share and effective epochs per language.
    assert "mono language mixture as drawn" in printed, printed[-3000:]
    drawn = re.findall(r"^([a-z]{2})\s+[\d,]+\s+[\d.]+%\s+([\d.]+)%\s+x[\d.]+\s+([\d.]+)%\s+([\d.e-]+)$", printed,
                       flags=re.MULTILINE)
    assert len(drawn) == 9 and sum(float(obs) for _, _, obs, _ in drawn) == pytest.approx(100, abs=1)
    assert all((float(epochs) > 0) == (float(obs) > 0) for _, _, obs, epochs in drawn), drawn
    logged = {k for row in rows for k, v in row.items() if v}
    assert all(f"mixture/{lang}/epochs" in logged and f"mixture/{lang}/share" in logged for lang, *_ in drawn)
    assert any(k.startswith("val/mlm/") and k.endswith("/accuracy") for k in rows[0])
    # docs/training.md names every key the run logged, as logged (not the progress bar's `lr`, `tok/s`)
    patterns = documented_metrics()
    undocumented = sorted(k for k in logged - {"step", "epoch"} if not any(p.fullmatch(k) for p in patterns))
    assert not undocumented and "lr-AdamW/pg1" in logged, undocumented
    assert list(tmp_path.glob("runs/polytrain/version_0/config.yaml"))
    provenance = yaml.safe_load((tmp_path / "runs/polytrain/version_0/provenance.yaml").read_text())
    assert provenance["objectives_in_run"] == {"mlm": "polytrain.objectives.mlm.MaskedLM"}
    assert provenance["installed_objectives"]["mlm"]["distribution"] == "polytrain"
    assert provenance["installed_objectives"]["mlm"]["version"]

    resumed = run(fit_command(demo_data, "model/tiny.yaml", "objective/mlm.yaml",
                              extra=(*relative, "--trainer.max_steps=10", "--ckpt_path=last")), tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # Step 10 is not a validation step (every 3): last.ckpt is still written when training ends,
    # and replaced in place, not versioned (last-v1.ckpt).
    assert torch.load(last, map_location="cpu", weights_only=True)["global_step"] == 10
    assert sorted(p.name for p in last.parent.glob("last*")) == ["last.ckpt"]
    # The resumed run did not start again at step 0, and its metrics continue the same version_0
    # folder: the first run's rows, then the new ones, each step once.
    assert [p.name for p in (tmp_path / "runs" / "polytrain").iterdir()] == ["version_0"]
    assert [p.name for p in (tmp_path / "runs" / "tensorboard" / "polytrain").iterdir()] == ["version_0"]
    steps = [int(r["step"]) for r in metrics_rows(tmp_path) if r.get("train/loss")]
    assert steps == sorted(set(steps)) and steps[0] < 6 <= steps[-1] and max(steps) >= 8, steps
    assert "resume: CSVLogger continues runs/polytrain/version_0" in resumed.stdout + resumed.stderr

    # The checkpoint loads from another directory (this process's): the tokenizer path is stored
    # resolved; and once that file is gone, from the run's copy next to the checkpoints.
    from polytrain.module import PretrainModule

    assert Path.cwd() != tmp_path
    assert PretrainModule.load_from_checkpoint(last).tokenizer_path == str(tmp_path / "tok.json")
    (tmp_path / "tok.json").unlink()
    assert PretrainModule.load_from_checkpoint(last).tokenizer_path == str(last.parent / "tokenizer.json")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--model.architecture.vocab_size=123",), "model.architecture.vocab_size=123 but the tokenizer"),
        (("--data.max_length=600",), "data.max_length=600 exceeds model.architecture.max_positions=512"),
        (("--model.architecture.d_modle=64",), "d_modle"),
        (("-c", str(CONFIGS / "objective/denoise-mbart.yaml"), "--model.architecture.kind=encoder"),
         "objective Denoising trains an encoder_decoder model but model.architecture.kind is 'encoder'"),
        # the encoder fragment, then the denoising one: the objective fragment does not set the kind
        (("-c", str(CONFIGS / "objective/denoise-mbart.yaml")),
         "objective Denoising trains an encoder_decoder model but model.architecture.kind is 'encoder'"),
    ],
)
def test_inconsistent_config_is_refused_before_training(demo_data, tmp_path, run_polytrain, extra, message):
    result = run_polytrain(fit_args(demo_data, "model/tiny.yaml", "objective/mlm.yaml", extra=extra), tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "runs" / "checkpoints").exists()


OBJECTIVE_YAML = "model:\n  objectives:\n    - class_path: {name}\n      init_args: {{{args}}}\n"


@pytest.mark.parametrize(
    ("extra", "objective", "message"),
    [
        (("--model.architecture.d_model=33",), None, "ModelConfig.d_model (33) must be divisible by"),
        ((), ("mlm", "mask_prob: -0.1"), "MaskedLM: mask_prob must be in (0, 1], got -0.1"),
        ((), ("mlmm", ""), "unknown objective 'mlmm'; registered: denoise, mlm,"),
        (("--trainer.devices=0",), None, "devices"),  # Lightning's MisconfigurationException
    ],
)
def test_a_refused_value_is_one_line_naming_it(demo_data, tmp_path, run_polytrain, extra, objective, message):
    """A constructor's ValueError (model, objective) or Lightning's refusal is a configuration error:
    exit 2 and one line, not a traceback; nothing is trained or written."""
    if objective is not None:
        (tmp_path / "objective.yaml").write_text(OBJECTIVE_YAML.format(name=objective[0], args=objective[1]))
        extra = ("-c", str(tmp_path / "objective.yaml"), *extra)
    args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml", *extra)
    result = run_polytrain(args, tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("polytrain fit: error: ")]
    assert len(lines) == 1 and message in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr and not (tmp_path / "runs").exists()


def test_lightning_cli_optimizer_options_and_test_command_are_not_offered(capsys):
    """The optimizer is ``model.optimizer``: LightningCLI's --optimizer would replace
    configure_optimizers before the model exists (and crash). Pretraining has no test loop."""
    from polytrain.cli import main

    assert main(["fit", "--optimizer", "torch.optim.SGD"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("polytrain fit: error: unrecognized arguments: --optimizer"), err
    assert main(["test"]) == 2
    assert "unknown command 'test'" in capsys.readouterr().err


def test_default_root_dir_moves_the_run_and_another_architecture_is_refused(demo_data, tmp_path, run_polytrain):
    """``{root}`` in base.yaml's logger and checkpoint paths is ``trainer.default_root_dir``. Resuming
    that folder with another architecture is refused in one line (not a state-dict size mismatch)."""
    def fit(*extra: str) -> subprocess.CompletedProcess:
        args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                              "--trainer.default_root_dir=exp", "--trainer.max_steps=2", "--ckpt_path=auto", *extra)
        return run_polytrain(args, tmp_path)

    first = fit()
    assert first.returncode == 0, first.stderr[-3000:]
    assert (tmp_path / "exp" / "checkpoints" / "last.ckpt").is_file()
    assert list((tmp_path / "exp" / "polytrain").glob("version_0/metrics.csv"))
    assert list((tmp_path / "exp" / "tensorboard" / "polytrain").glob("version_0/events.*"))
    assert not (tmp_path / "runs").exists() and not list(tmp_path.glob("{root}*"))
    saved_config = next((tmp_path / "exp" / "polytrain").glob("version_0/config.yaml"))
    saved = yaml.safe_load(saved_config.read_text())
    assert saved["trainer"]["logger"][0]["init_args"]["save_dir"] == "{root}"
    assert saved["trainer"]["default_root_dir"] == "exp"  # reusing the file resumes exp ...

    moved = run_polytrain(["fit", "--config", str(saved_config), "--trainer.default_root_dir=exp2",
                           "--ckpt_path=auto"], tmp_path)
    assert moved.returncode == 0, moved.stderr[-3000:]  # ... and with another root starts there
    assert (tmp_path / "exp2" / "checkpoints" / "last.ckpt").is_file()
    assert sorted(p.name for p in (tmp_path / "exp" / "checkpoints").iterdir()) == ["last.ckpt", "tokenizer.json"]

    other = fit("--model.architecture.n_layers=2")
    assert other.returncode == 2, other.stderr[-3000:]
    line = next(x for x in other.stderr.splitlines() if x.startswith("polytrain fit: error: "))
    assert "checkpoint is of another model.architecture (n_layers 1 -> 2)" in line
    assert "Traceback" not in other.stderr

    # A checkpoint file given by path is checked the same way: LightningCLI alone would replace
    # model.* by the file's hyper-parameters and train the 1-layer model, ignoring the overrides.
    last = "exp/checkpoints/last.ckpt"
    by_path = fit("--model.architecture.n_layers=2", f"--ckpt_path={last}")
    assert by_path.returncode == 2 and "(n_layers 1 -> 2)" in by_path.stderr, by_path.stderr[-3000:]
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes((tmp_path / last).read_bytes()[:100_000])
    truncated = fit(f"--ckpt_path={cut}")
    assert truncated.returncode == 2 and "Traceback" not in truncated.stderr, truncated.stderr[-3000:]
    assert f"polytrain fit: error: {cut} is not a complete checkpoint" in truncated.stderr
    resumed = fit("--model.optimizer.lr=0.0123", "--trainer.max_steps=3", f"--ckpt_path={last}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    configs = sorted((tmp_path / "exp" / "polytrain").glob("version_*/config.yaml"))
    assert yaml.safe_load(configs[-1].read_text())["model"]["optimizer"]["lr"] == 0.0123  # recorded as given ...
    # ... but the restored AdamW state keeps its lr, and the run says so
    assert "model.optimizer differs from the checkpoint's (lr 0.0005 -> 0.0123)" in resumed.stderr


@pytest.mark.parametrize("bar", [None, "lightning.pytorch.callbacks.TQDMProgressBar"])
def test_progress_bar_shows_the_learning_rate_and_no_negative_epoch(demo_data, tmp_path, run_polytrain, bar):
    """Lightning's bars round floats to 3 decimals (``lr: 0.000``) and Rich writes ``Epoch 0/-2``
    for an endless stream; polytrain's bar shows ``lr: 2.00e-04``-style values and ``Epoch 0``.
    A bar named in the config replaces polytrain's (Lightning allows only one)."""
    extra = ("--trainer.enable_progress_bar=true", "--trainer.max_steps=12", "--trainer.limit_val_batches=0")
    if bar is not None:
        extra += (f"--trainer.callbacks+={bar}",)
    args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml", *extra)
    result = run_polytrain(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    shown = result.stdout + result.stderr
    if bar is None:  # ThroughputMonitor puts lr on the bar after its first 10-step window
        assert re.search(r"lr: \d\.\d\de-0\d", shown), shown[-2000:]
        assert "Epoch 0" in shown and "/-2" not in shown, shown[-2000:]
    else:
        assert re.search(r"Epoch 0: 100%\|.*lr=\de-\d", shown), shown[-2000:]  # TQDM's own format
