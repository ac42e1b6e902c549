"""A refused configuration is one line with the cause first, for built-in and plugin objectives alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytrain.errors import config_error_line

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

# What jsonargparse 4.x reports for a misspelled objective option given on the command line or in a
# file: the first alternative it tried (a config file path) comes before the real cause.
NESTED = """Parser key "model.objectives":

  - Expected a path but [{class_path: mlm, init_args: {mask_probb: 0.2}}] either not accessible or invalid
  - Problem with given class_path 'polytrain.objectives.mlm.MaskedLM':
    Option 'mask_probb' is not accepted"""


def test_the_cause_comes_first_with_the_accepted_options():
    line = config_error_line(NESTED)
    assert "\n" not in line
    assert line.startswith("Option 'mask_probb' is not accepted by polytrain.objectives.mlm.MaskedLM (model.objectives)")
    assert "did you mean 'mask_prob'?" in line and "whole_word_mask" in line
    assert "Expected a path" not in line


@pytest.mark.parametrize(("message", "expected"), [
    ('Parser key "data.batch_size":\n  Expected a <class \'int\'>. Got value: eight',
     "Expected a <class 'int'>. Got value: eight (data.batch_size)"),
    ("unrecognized arguments: --optimizer x", "unrecognized arguments: --optimizer x"),
    ('Parser key "model.objectives":\n  Problem with given class_path \'polytrain.objectives.mlm.MaskedLM\':\n'
     '    Parser key "mask_prob":\n      Expected a <class \'float\'>. Got value: abc',
     "Expected a <class 'float'>. Got value: abc (model.objectives: polytrain.objectives.mlm.MaskedLM: mask_prob)"),
    ("Problem with given class_path 'no.such.Class':\n  Option 'x' is not accepted",
     "Option 'x' is not accepted by no.such.Class"),  # a class that does not import: no option list
])
def test_other_errors_stay_one_line_with_where_they_are(message, expected):
    assert config_error_line(message) == expected


def test_fit_reports_a_misspelled_objective_option_in_one_line(capsys, tmp_path, monkeypatch):
    """The case of the plugin-author report: the option lives in a config fragment. Parsing refuses
    it before any file is opened (the data paths need not exist)."""
    import sys

    from polytrain.cli import main

    fragment = tmp_path / "typo.yaml"
    fragment.write_text("model:\n  objectives:\n    - class_path: mlm\n      init_args: {mask_probb: 0.2}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["polytrain"])  # LightningCLI also looks at sys.argv
    code = main(["fit", "-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"), "-c", str(fragment),
                 f"--data.shards={tmp_path / 'shards'}", f"--data.tokenizer={tmp_path / 'tok.json'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("polytrain fit: error: Option 'mask_probb' is not accepted by "
                             "polytrain.objectives.mlm.MaskedLM (model.objectives); did you mean 'mask_prob'?")
    assert not (tmp_path / "runs").exists()


def test_fit_names_the_registered_objectives_for_a_misspelled_name_on_the_command_line(capsys, tmp_path, monkeypatch):
    import sys

    from polytrain.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["polytrain"])
    code = main(["fit", "-c", str(CONFIGS / "base.yaml"), "-c", str(CONFIGS / "model/tiny.yaml"),
                 "--model.objectives+=mlmm", f"--data.shards={tmp_path / 'shards'}",
                 f"--data.tokenizer={tmp_path / 'tok.json'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("polytrain fit: error: model.objectives: unknown objective 'mlmm'; registered: "), err
    assert "mlm, " in err[0] and "tlm" in err[0]
