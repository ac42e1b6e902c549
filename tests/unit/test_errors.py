"""One-line errors of the ``polytrain`` command that come before any training (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytrain.cli import main
from polytrain.errors import config_file_arguments


def test_config_files_are_found_in_every_spelling() -> None:
    argv = ["fit", "-c", "a.yaml", "--config", "b.yaml", "--config=c.yaml", "--trainer.max_steps", "5"]
    assert sorted(config_file_arguments(argv)) == ["a.yaml", "b.yaml", "c.yaml"]


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
