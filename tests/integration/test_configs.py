"""Every shipped config fragment, and every shipped combination, parses and instantiates (run=False)."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import pytest
import yaml

from polytrain.cli import cli_main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def fragments(folder: str) -> list[str]:
    return sorted(str(p.relative_to(CONFIGS)) for p in (CONFIGS / folder).glob("*.yaml"))


def kind_of(fragment: str) -> str:
    """The model kind a model or objective fragment needs ("encoder" unless it says otherwise)."""
    text = yaml.safe_load((CONFIGS / fragment).read_text())
    arch = text.get("model", {}).get("architecture", {})
    if "kind" in arch:
        return arch["kind"]
    paths = [o.get("class_path", "") for o in text.get("model", {}).get("objectives", [])]
    return "encoder_decoder" if any("denois" in p.lower() for p in paths) else "encoder"


def combinations() -> list[tuple[str, ...]]:
    """Every model with every objective of its kind (smoke trainer), and every trainer fragment with
    the first model and objective of each kind: every fragment and every pairing of a model and an
    objective, without the full model x objective x trainer product (model sizes do not meet
    trainer fragments when only instantiating: the network is built in ``configure_model``)."""
    pairs = [(m, o) for m, o in product(fragments("model"), fragments("objective")) if kind_of(m) == kind_of(o)]
    combos = [(model, objective, "trainer/smoke.yaml") for model, objective in pairs]
    for kind in ("encoder", "encoder_decoder"):
        model, objective = next((m, o) for m, o in pairs if kind_of(m) == kind)
        combos += [(model, objective, t) for t in fragments("trainer") if t != "trainer/smoke.yaml"]
    return combos


def test_every_fragment_is_in_some_combination():
    used = {f for combo in combinations() for f in combo}
    shipped = set(fragments("model") + fragments("objective") + fragments("trainer"))
    assert shipped <= used, f"fragments no combination covers: {sorted(shipped - used)}"


@pytest.mark.parametrize("combo", combinations(), ids=lambda c: "+".join(Path(f).stem for f in c))
def test_shipped_combination_instantiates(combo, demo_data):
    args = ["-c", str(CONFIGS / "base.yaml")]
    for fragment in (*combo, "data/demo.yaml"):
        args += ["-c", str(CONFIGS / fragment)]
    args += [f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    cli = cli_main(args, run=False)
    cli.datamodule.connect(cli.model.objectives)  # what Trainer.fit does: the vocabulary is derived once
    assert cli.datamodule.vocab is cli.model.vocab
    assert cli.model.architecture.kind == kind_of(combo[0])
    assert cli.trainer.max_steps > 0


LOGGERS = {  # what base.yaml + the fragment logs to: wandb adds a logger, tensorboard replaces them
    "logger/tensorboard.yaml": ["TensorBoardLogger"],
    "logger/wandb.yaml": ["CSVLogger", "TensorBoardLogger", "WandbLogger"],
}


def test_every_logger_fragment_is_checked():
    assert sorted(LOGGERS) == fragments("logger")


@pytest.mark.parametrize("logger", sorted(LOGGERS))
def test_logger_fragments_instantiate(logger, demo_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    args = ["-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"),
            "-c", str(CONFIGS / "objective/mlm.yaml"), "-c", str(CONFIGS / "data/demo.yaml"),
            "-c", str(CONFIGS / logger),
            f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    cli = cli_main(args, run=False)
    assert [type(x).__name__ for x in cli.trainer.loggers] == LOGGERS[logger]


def test_a_config_naming_a_moved_class_still_parses_with_a_warning(demo_data, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("trainer:\n  callbacks:\n    - class_path: polytrain.data.resume.GlobalRngState\n")
    args = ["-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"),
            "-c", str(CONFIGS / "objective/mlm.yaml"), "-c", str(CONFIGS / "data/demo.yaml"), "-c", str(old),
            f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    with pytest.warns(FutureWarning, match="polytrain.data.resume.GlobalRngState moved to "
                                           "polytrain.callbacks.rng_state.GlobalRngState"):
        cli = cli_main(args, run=False)
    assert [type(c).__name__ for c in cli.trainer.callbacks].count("GlobalRngState") == 1


def test_print_config_round_trips(demo_data, tmp_path, capsys):
    args = ["-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"),
            "-c", str(CONFIGS / "objective/mlm.yaml"), "-c", str(CONFIGS / "data/demo.yaml"),
            f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    with pytest.raises(SystemExit):
        cli_main(["fit", *args, "--print_config"])
    printed = capsys.readouterr().out
    frozen = tmp_path / "frozen.yaml"
    frozen.write_text(printed)
    config = yaml.safe_load(printed)
    assert config["model"]["architecture"]["d_model"] == 256
    assert config["model"]["objectives"][0]["init_args"]["mask_prob"] == 0.15
    with pytest.raises(SystemExit):  # the printed config alone reproduces the same config
        cli_main(["fit", "-c", str(frozen), "--print_config"])
    assert capsys.readouterr().out == printed


def test_objectives_can_be_named_by_entry_point_name(demo_data, tmp_path):
    fragment = tmp_path / "short.yaml"
    fragment.write_text("model:\n  objectives:\n    - class_path: mlm\n      init_args: {mask_prob: 0.2}\n"
                        "    - class_path: tlm\n")
    args = ["-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"), "-c", str(fragment),
            "-c", str(CONFIGS / "data/demo.yaml"),
            f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}"]
    cli = cli_main(args, run=False)
    names = [type(o).__name__ for o in cli.model.objectives]
    assert names == ["MaskedLM", "TranslationLM"] and cli.model.objectives[0].masker.mask_prob == 0.2
    assert [o.name for o in cli.model.objectives] == ["mlm", "tlm"]


def test_shipped_configs_by_name_and_objectives_by_name(demo_data, tmp_path, monkeypatch):
    """Outside a clone (no ./configs), ``-c base`` and ``-c configs/...`` are the shipped fragments;
    ``--model.objectives.<name or index>.<field>`` changes that objective only (jsonargparse alone
    changes the last one, or refuses the index)."""
    monkeypatch.chdir(tmp_path)
    args = ["-c", "base", "-c", "model/tiny", "-c", "configs/objective/mlm-tlm.yaml", "-c", "data/demo.yaml",
            f"--data.shards={demo_data.manifest}", f"--data.tokenizer={demo_data.tokenizer}",
            "--model.objectives.tlm.weight", "0.8", "--model.objectives.0.init_args.mask_prob=0.2"]
    cli = cli_main(args, run=False)
    mlm, tlm = cli.model.objectives
    assert (mlm.name, mlm.weight, mlm.masker.mask_prob) == ("mlm", 0.5, 0.2)
    assert (tlm.name, tlm.weight, tlm.masker.mask_prob) == ("tlm", 0.8, 0.15)
    assert cli.model.architecture.d_model == 256  # model/tiny


@pytest.mark.parametrize(("extra", "message"), [
    (["--model.objectives.init_args.weight", "0.8"],
     "--model.objectives.init_args.weight is ambiguous: model.objectives has 2 objectives (mlm, tlm)"),
    (["--model.objectives.xlm.weight=0.8"], "model.objectives has no objective 'xlm' (it has 0: mlm, 1: tlm)"),
    (["--model.objectives.2.weight=0.8"], "model.objectives has no objective '2'"),
    (["-c", "model/huge"], "config model/huge: no such file"),
])
def test_an_objective_or_config_that_names_nothing_is_refused(demo_data, tmp_path, monkeypatch, extra, message):
    from polytrain.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    args = ["-c", "base", "-c", "objective/mlm-tlm", "-c", "data/demo", f"--data.shards={demo_data.manifest}",
            f"--data.tokenizer={demo_data.tokenizer}", *extra]
    with pytest.raises(ConfigError, match=re.escape(message)):
        cli_main(args, run=False)
