"""Objectives addressed by name on the command line: ``--model.objectives.mlm.weight 0.8``.

``model.objectives`` is a list, and jsonargparse addresses a list of classes only through its last
entry: ``--model.objectives.init_args.weight 0.8`` sets the weight of the *last* objective and
``--model.objectives.0.init_args.weight`` is refused. polytrain therefore reads
``--model.objectives.<name>.<field> VALUE`` (also ``...<name>.init_args.<field>``, and ``<name>``
may be the entry's index), where ``<name>`` is the objective's run name (``mlm``, ``tlm``,
``mlm_2`` for a second MaskedLM: ``registry.run_names``). The arguments are parsed once without
these options, the named entries are changed in the resulting list, and the whole list is given
back to jsonargparse as the last argument, so every value is type-checked as in a config file.
``--model.objectives.init_args.<field>`` with several objectives is refused (it would change the
last one only); after ``--model.objectives+=CLASS`` it keeps jsonargparse's meaning (that entry).
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml
from jsonargparse import ArgumentParser, Namespace

from polytrain.errors import ConfigError

KEY = "--model.objectives"
NAMED = re.compile(r"--model\.objectives\.(?P<name>[\w-]+)\.(?:init_args\.)?(?P<field>[A-Za-z_][\w.]*)")
"""``--model.objectives.<name>.<field>``; ``<name>`` ``init_args`` is jsonargparse's own form."""
OWN = ("init_args", "class_path", "dict_kwargs", "help")
"""Words after ``--model.objectives.`` that belong to jsonargparse, not to an objective's name."""
SKIPPED_IN_FIRST_PASS = ("--print_config",)


@dataclass(frozen=True)
class Override:
    """One ``--model.objectives.<name>.<field> VALUE`` of the command line."""

    name: str
    field: str
    value: str

    @property
    def option(self) -> str:
        return f"{KEY}.{self.name}.{self.field}"


def split_overrides(argv: list[str]) -> tuple[list[str], list[Override]]:
    """``(argv without the named-objective options, those options)``."""
    rest: list[str] = []
    found: list[Override] = []
    i = 0
    while i < len(argv):
        key, _, inline = argv[i].partition("=")
        match = NAMED.fullmatch(key)
        if match is None or match["name"] in OWN:
            rest.append(argv[i])
            i += 1
            continue
        if not inline and "=" not in argv[i]:
            if i + 1 >= len(argv):
                raise ConfigError(f"{key}: expected a value")
            inline, i = argv[i + 1], i + 1
        found.append(Override(match["name"], match["field"], inline))
        i += 1
    return rest, found


def _ambiguous_last(argv: list[str]) -> str | None:
    """The first ``--model.objectives.init_args.*`` option that no ``--model.objectives[+]=CLASS``
    before it points at an entry (so it would silently change the last objective of a list)."""
    for arg in argv:
        key = arg.partition("=")[0]
        if key in (KEY, KEY + "+"):
            return None
        if key.startswith(KEY + ".init_args."):
            return key
    return None


def _first_pass(parser: ArgumentParser, argv: list[str]) -> list[Namespace]:
    """The ``model.objectives`` entries (``class_path``, ``init_args``) that ``argv`` gives (without
    ``--print_config[=FLAGS]``, which would print and exit)."""
    config = parser.parse_args([a for a in argv if a.partition("=")[0] not in SKIPPED_IN_FIRST_PASS])
    section = config.get(config["subcommand"]) if config.get("subcommand") else config
    items = section.get("model.objectives") or []
    return [item if isinstance(item, Namespace) else Namespace(item) for item in items]


def _names(items: list[Namespace]) -> list[str]:
    """The run names of the entries (``registry.run_names`` of their classes)."""
    from polytrain.registry import run_names

    classes = []
    for item in items:
        module, _, name = item.class_path.rpartition(".")
        classes.append(getattr(importlib.import_module(module), name))
    return run_names(classes)


def _apply(items: list[Namespace], overrides: list[Override]) -> list[dict[str, Any]]:
    """``items`` as plain dicts with every override set; an unknown name is a ``ConfigError``."""
    names = _names(items)
    for override in overrides:
        index = int(override.name) if override.name.isdigit() else (
            names.index(override.name) if override.name in names else None)
        if index is None or index >= len(items):
            raise ConfigError(f"{override.option}: model.objectives has no objective {override.name!r} (it has "
                              f"{', '.join(f'{i}: {n}' for i, n in enumerate(names)) or 'none'})")
        if items[index].get("init_args") is None:
            items[index]["init_args"] = Namespace()
        items[index]["init_args"][override.field] = yaml.safe_load(override.value) if override.value else override.value
    return [item.as_dict() for item in items]


def expand_appended_names(argv: list[str]) -> list[str]:
    """``--model.objectives+=mlm`` (or ``--model.objectives+ mlm``) with the registered name replaced
    by its class path, as ``class_path: mlm`` is in a config file (``cli.expand_objective_names``):
    jsonargparse itself resolves only class names and import paths there.

    Raises:
        ConfigError: a bare word that names no registered objective.
    """
    from polytrain.registry import objectives, unknown_objective

    out, names = list(argv), None
    for i, arg in enumerate(argv):
        if arg.startswith(f"{KEY}+="):
            at, value = i, arg.removeprefix(f"{KEY}+=")
        elif arg == f"{KEY}+" and i + 1 < len(argv):
            at, value = i + 1, argv[i + 1]
        else:
            continue
        if not re.fullmatch(r"[\w-]+", value):  # an import path, a class name with options, a list
            continue
        names = names or {name: entry.class_path for name, entry in objectives().items()}
        if (problem := unknown_objective(value, names)) is not None:
            raise ConfigError(f"model.objectives: {problem}")
        if value in names:
            out[at] = out[at].removesuffix(value) + names[value]
    return out


def address_by_name(parser: ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with the named-objective options applied (see the module docstring), and objectives
    appended by registered name expanded (``expand_appended_names``).

    Raises:
        ConfigError: an unknown objective name or index, or ``--model.objectives.init_args.*``
            with several objectives and no entry chosen.
    """
    if any(a in ("-h", "--help") for a in argv):
        return argv
    argv = expand_appended_names(argv)
    rest, overrides = split_overrides(argv)
    ambiguous = _ambiguous_last(rest)
    if not overrides and ambiguous is None:
        return argv
    items = _first_pass(parser, rest)
    if ambiguous is not None and len(items) > 1:
        names = _names(items)
        field = ambiguous.removeprefix(KEY + ".init_args.")
        raise ConfigError(f"{ambiguous} is ambiguous: model.objectives has {len(items)} objectives "
                          f"({', '.join(names)}) and it would change only the last; name one: "
                          f"{KEY}.{names[0]}.{field} VALUE")
    if not overrides:
        return argv
    return [*rest, f"{KEY}={json.dumps(_apply(items, overrides), default=str)}"]
