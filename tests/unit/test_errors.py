"""One-line errors of the ``polytrain`` command that come before any training (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytrain.cli import main
from polytrain.config_files import config_file_arguments, resolve_config_args


def test_config_files_are_found_in_every_spelling() -> None:
    argv = ["fit", "-c", "a.yaml", "--config", "b.yaml", "--config=c.yaml", "--trainer.max_steps", "5"]
    assert config_file_arguments([*argv, "-c=d.yaml"]) == ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]
    resolved = resolve_config_args(["-c", "base", "--config=model/tiny", "-c=trainer/smoke"])
    assert [Path(p).name for p in config_file_arguments(resolved)] == ["base.yaml", "tiny.yaml", "smoke.yaml"]


def test_a_yaml_syntax_error_names_the_file_and_line_in_one_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("trainer:\n  max_steps: 5\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainer:\n  max_steps: 5\n  devices: [1, 2\nmodel: {}\n")  # the list is never closed
    assert main(["fit", "-c", str(good), "-c", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"polytrain fit: error: {bad}, line 4, column 6: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 3, column 12)"
    ]
