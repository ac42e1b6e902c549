"""Shipped configs by name (``-c base``), ``polytrain configs list/show``, the command dispatcher,
and objectives addressed by name on the command line (the argument rewriting; parsing is in
tests/integration/test_configs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytrain import commands, config_files
from polytrain.errors import ConfigError
from polytrain.objective_args import Override, expand_appended_names, split_overrides

REPO = Path(__file__).resolve().parents[2]


def test_the_package_ships_the_repository_configs_folder():
    """``polytrain/configs`` is the top-level ``configs/`` (one copy), every file of it."""
    repo = sorted(p.relative_to(REPO / "configs").as_posix() for p in (REPO / "configs").rglob("*") if p.is_file())
    assert config_files.shipped() == sorted(repo, key=lambda n: (n.count("/"), n))
    assert config_files.config_root().resolve() == (REPO / "configs").resolve()


@pytest.mark.parametrize("name", ["base", "base.yaml", "configs/base.yaml", "./configs/base.yaml"])
def test_a_shipped_name_resolves_outside_a_clone(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert config_files.resolve(name) == str(config_files.config_root() / "base.yaml")


def test_an_existing_file_wins_and_inline_or_remote_values_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "base.yaml").write_text("trainer: {}\n")
    assert config_files.resolve("configs/base.yaml") == "configs/base.yaml"  # the user's own copy
    for value in ("{trainer: {max_steps: 3}}", "https://example.org/a.yaml"):
        assert config_files.resolve(value) == value


def test_a_name_that_is_neither_a_file_nor_shipped_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"config model/hueg: no such file .* \(`polytrain configs list`"):
        config_files.resolve_config_args(["fit", "-c", "base", "--config=model/hueg"])
    assert config_files.resolve_config_args(["fit", "-c", "model/tiny", "--trainer.max_steps", "3"])[2].endswith(
        "configs/model/tiny.yaml")


def test_configs_list_and_show(capsys):
    assert commands.main(["configs", "list"]) == 0
    listed = capsys.readouterr().out
    assert "\nmodel/tiny " in listed and "Tiny XLM-R-shaped encoder" in listed and "slurm/fit.sbatch" in listed
    assert commands.main(["configs", "show", "model/small"]) == 0
    assert capsys.readouterr().out == (REPO / "configs/model/small.yaml").read_text()
    assert commands.main(["configs", "show", "--path", "trainer/smoke"]) == 0
    assert capsys.readouterr().out.strip().endswith("configs/trainer/smoke.yaml")
    assert commands.main(["configs", "show", "model/hueg"]) == 2
    assert "no shipped config 'model/hueg'" in capsys.readouterr().err


def test_a_group_word_lists_its_commands(capsys):
    assert commands.main(["data", "--help"]) == 0
    assert "data shard" in capsys.readouterr().out
    assert commands.main(["tokenizer"]) == 2  # no subcommand: the list, as an error
    err = capsys.readouterr().err
    assert "missing command" in err and "tokenizer train" in err and "tokenizer extend" in err
    assert commands.main(["export", "onnx"]) == 2
    assert "unknown command 'polytrain export onnx'" in capsys.readouterr().err


def test_usage_names_every_command():
    text = commands.usage()
    assert all(f"  {' '.join(words)} " in text for words in commands.TOOLS)
    assert all(f"  {name} " in text for name in commands.TRAINER_COMMANDS)


def test_named_objective_options_are_taken_out_in_both_spellings():
    argv = ["fit", "-c", "base", "--model.objectives.tlm.weight", "0.8", "--model.objectives.0.init_args.mask_prob=0.2",
            "--model.objectives.init_args.weight", "0.3", "--model.objectives+=mlm"]
    rest, found = split_overrides(argv)
    assert found == [Override("tlm", "weight", "0.8"), Override("0", "mask_prob", "0.2")]
    assert rest == ["fit", "-c", "base", "--model.objectives.init_args.weight", "0.3", "--model.objectives+=mlm"]
    with pytest.raises(ConfigError, match="expected a value"):
        split_overrides(["--model.objectives.mlm.weight"])


def test_objectives_appended_by_registered_name_get_their_class_path():
    argv = ["--model.objectives+=mlm", "--model.objectives+", "tlm", "--model.objectives+=MaskedLM",
            "--model.objectives+=pkg.mod.Span", "--data.tokenizer", "mlm"]
    assert expand_appended_names(argv) == [
        "--model.objectives+=polytrain.objectives.mlm.MaskedLM", "--model.objectives+",
        "polytrain.objectives.tlm.TranslationLM", "--model.objectives+=MaskedLM", "--model.objectives+=pkg.mod.Span",
        "--data.tokenizer", "mlm"]
    with pytest.raises(ConfigError, match=r"^model.objectives: unknown objective 'mlmm'; registered: .*mlm, .*tlm"):
        expand_appended_names(["--model.objectives+=mlmm"])


@pytest.mark.parametrize(("name", "layers"), [("small", 4), ("medium", 8)])
def test_small_and_medium_are_bert_small_and_medium(name: str, layers: int):
    """Turc et al. 2019, "Well-Read Students Learn Better": Small L=4, Medium L=8, both H=512, A=8."""
    import yaml

    from polytrain.models.config import ModelConfig

    arch = ModelConfig(**yaml.safe_load((REPO / "configs" / "model" / f"{name}.yaml").read_text())["model"]["architecture"])
    assert (arch.n_layers, arch.d_model, arch.n_heads, arch.d_ff) == (layers, 512, 8, 2048)


def test_every_run_saves_on_stop_signals_and_every_30_minutes():
    """base.yaml (which every shipped recipe starts from) holds SaveOnSignal: a plain fit saves on
    SIGTERM, SIGINT and SIGUSR1, and refreshes last.ckpt every 30 minutes."""
    import signal

    import yaml

    from polytrain.callbacks.signals import SaveOnSignal

    callbacks = yaml.safe_load((REPO / "configs" / "base.yaml").read_text())["trainer"]["callbacks"]
    (entry,) = [c for c in callbacks if c["class_path"] == "polytrain.callbacks.signals.SaveOnSignal"]
    callback = SaveOnSignal(**entry.get("init_args", {}))
    assert callback.every_seconds == 30 * 60
    assert set(callback.signals) == {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}
