"""The objective registry: discovery, provenance, loud errors."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest

from polytrain import plugins, registry
from polytrain.objectives import Objective
from polytrain.registry import RegistryError, discover, objectives, scan


class _Dist:
    def __init__(self, name: str, version: str = "1.0") -> None:
        self.metadata = {"Name": name}
        self.version = version


def _ep(name: str, value: str, dist: str) -> EntryPoint:
    ep = EntryPoint(name=name, value=value, group="polytrain.objectives")
    return ep._for(_Dist(dist))  # the distribution an installed entry point carries


class NotAnObjective:
    pass


class Incomplete(Objective):
    """Misses loss()."""

    def make_example(self, sample, rng):  # pragma: no cover - never called
        raise NotImplementedError


def test_builtin_objectives_are_registered_through_entry_points():
    found = objectives()
    assert "mlm" in found
    assert found["mlm"].class_path == "polytrain.objectives.mlm.MaskedLM"
    assert found["mlm"].distribution == "polytrain"
    assert found["mlm"].summary


def test_duplicate_name_names_both_distributions():
    eps = [_ep("mlm", "polytrain.objectives.mlm:MaskedLM", "polytrain"),
           _ep("mlm", "polytrain.objectives.tlm:TranslationLM", "other-dist")]
    with pytest.raises(RegistryError, match="registered twice.*polytrain.*other-dist"):
        discover(eps)


def test_wrong_base_class_is_refused():
    with pytest.raises(RegistryError, match="not a subclass of polytrain.objectives.Objective"):
        discover([_ep("bad", "tests.unit.test_registry:NotAnObjective", "bad-dist")])


def test_abstract_objective_is_refused():
    with pytest.raises(RegistryError, match="does not implement: loss"):
        discover([_ep("half", "tests.unit.test_registry:Incomplete", "half-dist")])


def test_import_failure_names_the_entry_point():
    with pytest.raises(RegistryError, match="'broken' = 'no_such_module_xyz:Thing' from broken-dist failed to import"):
        discover([_ep("broken", "no_such_module_xyz:Thing", "broken-dist")])


def test_plugins_list_command_prints_provenance(capsys):
    from polytrain.cli import main

    assert main(["plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "mlm" in out and "polytrain.objectives.mlm.MaskedLM" in out and "polytrain" in out


BROKEN_SET = [
    _ep("mlm", "polytrain.objectives.mlm:MaskedLM", "polytrain"),
    _ep("tlm", "polytrain.objectives.tlm:TranslationLM", "polytrain"),
    _ep("broken", "no_such_module_xyz:Thing", "broken-dist"),
    _ep("half", "tests.unit.test_registry:Incomplete", "half-dist"),
    _ep("twice", "polytrain.objectives.mlm:MaskedLM", "polytrain"),
    _ep("twice", "polytrain.objectives.tlm:TranslationLM", "other-dist"),
]


def test_scan_keeps_what_loads_and_names_what_is_broken():
    found = scan(BROKEN_SET)
    assert list(found.found) == ["mlm", "tlm"]
    assert set(found.broken) == {"broken", "half", "twice"}
    assert "no_such_module_xyz" in str(found.broken["broken"]) and "broken-dist" in str(found.broken["broken"])
    assert "does not implement: loss" in str(found.broken["half"])
    assert "registered twice" in str(found.broken["twice"])
    with pytest.raises(RegistryError, match="'broken' = 'no_such_module_xyz:Thing'"):  # the first by name
        discover(BROKEN_SET)


def test_plugins_list_lists_the_others_and_marks_the_broken_one(monkeypatch, capsys):
    monkeypatch.setattr(registry, "scan", lambda: scan(BROKEN_SET))  # plugins.main imports it when it runs
    assert plugins.main([]) == 1
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert "polytrain.objectives.mlm.MaskedLM" in rows["mlm"] and "TranslationLM" in rows["tlm"]
    assert rows["broken"].split()[1] == "BROKEN:" and "failed to import" in rows["broken"]
    assert rows["twice"].split()[1] == "BROKEN:" and "registered twice" in rows["twice"]
    assert len(err.splitlines()) == 3 and all(line.startswith("polytrain plugins list: error: ") for line in err.splitlines())
    assert plugins.main(["--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    assert listed["mlm"]["distribution"] == "polytrain" and set(listed["half"]) == {"error"}


def test_a_broken_plugin_stops_fit_with_one_line(monkeypatch, capsys):
    """``polytrain fit`` discovers the objectives first: a duplicate or broken plugin is a one-line
    error (exit 2), as in ``polytrain plugins list``, not a traceback."""
    from polytrain import cli, registry

    def broken() -> dict:
        return discover([_ep("mlm", "polytrain.objectives.mlm:MaskedLM", "polytrain"),
                         _ep("mlm", "polytrain.objectives.tlm:TranslationLM", "other-dist")])

    monkeypatch.setattr(registry, "objectives", broken)
    assert cli.main(["fit", "-c", "configs/base.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("polytrain fit: error: objective name 'mlm' is registered twice")
