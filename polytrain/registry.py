"""Objective discovery through the ``polytrain.objectives`` entry-point group.

The registry only *discovers* and *lists* objectives; it never builds one from a name plus kwargs
(LightningCLI's ``class_path`` + ``init_args`` is the only way to build). Built-in objectives are
registered through polytrain's own ``pyproject.toml`` exactly like third-party plugins.
``bind_objectives`` names the objectives of a run and binds them to its vocabulary, once.

Public (docs/writing-a-plugin.md): ``discover`` and ``objectives`` (``dict[str, ObjectiveEntry]``),
``scan`` (a ``Scan``: what loads and what is broken, for listings), ``provenance``
(``dict[str, dict[str, str]]``), ``short_name``, ``RegistryError``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from polytrain.objectives.base import Objective
from polytrain.types import Vocab

GROUP = "polytrain.objectives"


class RegistryError(RuntimeError):
    """A plugin could not be registered; the message names the entry point and distribution."""


@dataclass(frozen=True)
class ObjectiveEntry:
    """One discovered objective and where it came from."""

    name: str
    cls: type[Objective]
    distribution: str
    version: str

    @property
    def class_path(self) -> str:
        return f"{self.cls.__module__}.{self.cls.__qualname__}"

    @property
    def summary(self) -> str:
        """First line of the class docstring."""
        doc = inspect.getdoc(self.cls) or ""
        return doc.splitlines()[0] if doc else ""


def _distribution(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    return (dist.metadata["Name"], dist.version) if dist is not None else ("<unknown>", "")


def _load(ep: EntryPoint) -> ObjectiveEntry:
    dist, version = _distribution(ep)
    try:
        cls = ep.load()
    except Exception as err:
        raise RegistryError(f"objective entry point {ep.name!r} = {ep.value!r} from {dist} failed to import: {err!r}") from err
    if not (inspect.isclass(cls) and issubclass(cls, Objective)):
        raise RegistryError(
            f"objective entry point {ep.name!r} from {dist} points to {ep.value!r}, which is not a subclass of "
            f"polytrain.objectives.Objective"
        )
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise RegistryError(f"objective {ep.name!r} from {dist} ({ep.value}) does not implement: {missing}")
    return ObjectiveEntry(ep.name, cls, dist, version)


@dataclass(frozen=True)
class Scan:
    """Every objective entry point, loaded one by one: the ones that work and the ones that do not."""

    found: dict[str, ObjectiveEntry]
    """Name -> entry, sorted by name, for the entry points that load (a name registered twice is
    not here: it is broken)."""
    broken: dict[str, RegistryError]
    """Name -> why it cannot be used: an import error, not an ``Objective``, abstract, or a name
    registered twice (the message names the entry point and its distribution)."""


def scan(eps: list[EntryPoint] | None = None) -> Scan:
    """Load each objective entry point on its own, so one broken plugin hides no other.

    Args:
        eps: entry points to load (tests pass their own); default: the installed ``polytrain.objectives``.
    """
    found: dict[str, ObjectiveEntry] = {}
    broken: dict[str, RegistryError] = {}
    for ep in sorted(entry_points(group=GROUP) if eps is None else eps, key=lambda e: e.name):
        try:
            entry = _load(ep)
        except RegistryError as err:
            broken.setdefault(ep.name, err)
            found.pop(ep.name, None)
            continue
        other = found.get(entry.name)
        if other is not None and not (other.cls is entry.cls and other.distribution == entry.distribution):
            broken[entry.name] = RegistryError(
                f"objective name {entry.name!r} is registered twice: {other.class_path} from {other.distribution} "
                f"and {entry.class_path} from {entry.distribution}")
            del found[entry.name]
        elif entry.name not in broken:
            found[entry.name] = entry  # the same distribution twice on sys.path (editable + site-packages) is one
    return Scan(found, broken)


def discover(eps: list[EntryPoint] | None = None) -> dict[str, ObjectiveEntry]:
    """Load every objective entry point; fail loudly on duplicates, wrong types and import errors.

    Args:
        eps: entry points to load (tests pass their own); default: the installed ``polytrain.objectives``.

    Raises:
        RegistryError: the first broken entry point (by name), naming it and its distribution.
    """
    result = scan(eps)
    if result.broken:
        raise next(iter(result.broken.values()))
    return result.found


@cache
def objectives() -> dict[str, ObjectiveEntry]:
    """The installed objectives, discovered once per process."""
    return discover()


def short_name(cls: type[Objective]) -> str:
    """The entry-point name of ``cls`` if it is registered, else its lower-cased class name."""
    for entry in objectives().values():
        if entry.cls is cls:
            return entry.name
    return cls.__name__.lower()


def run_names(classes: Sequence[type[Objective]]) -> list[str]:
    """The names the objectives of a run get, in order: registry short names, and a repeated class
    gets ``name_2``, ``name_3``... (metric keys, ``Batch.objective``, ``--model.objectives.<name>.*``)."""
    seen: dict[str, int] = {}
    names = []
    for cls in classes:
        base = short_name(cls)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def bind_objectives(objectives: Sequence[Objective], vocab: Vocab, max_length: int) -> None:
    """Name each objective and ``setup`` it for the run, once: the one place objectives are bound.

    Names are the registry short names; a repeated class gets ``name_2``, ``name_3``... (metric keys
    and ``Batch.objective``). Objectives already bound to this tokenizer and ``max_length`` (by the
    ``PretrainModule`` that owns them) are left as they are, so ``setup`` runs once per instance.

    Raises:
        ValueError: an objective is bound to another tokenizer or ``max_length`` already, or
            ``setup`` refuses ``max_length``.
    """
    for objective, name in zip(objectives, run_names([type(o) for o in objectives])):
        if objective.is_set_up:
            if (objective.vocab.sha256, objective.max_length, objective.name) != (vocab.sha256, max_length, name):
                raise ValueError(f"objective {objective.name!r} is bound to another run (tokenizer sha256 "
                                 f"{objective.vocab.sha256[:12]}, max_length {objective.max_length}); give each run its "
                                 "own objective instances")
            continue
        objective.name = name
        objective.setup(vocab, max_length)


def provenance() -> dict[str, dict[str, str]]:
    """``{name: {class_path, distribution, version}}`` for every objective, saved with each run."""
    return {
        name: {"class_path": e.class_path, "distribution": e.distribution, "version": e.version}
        for name, e in objectives().items()
    }


def unknown_objective(class_path: str, names: dict[str, str]) -> str | None:
    """Why ``class_path`` names no objective, or ``None`` if it may: a registered name, the name of
    a registered class, or a dotted import path (checked when it is imported) pass.

    Args:
        class_path: what a config or ``--objective`` gave.
        names: registered name -> class path (``objectives()``).
    """
    if "." in class_path or class_path in names or class_path in {p.rsplit(".", 1)[-1] for p in names.values()}:
        return None
    return (f"unknown objective {class_path!r}; registered: {', '.join(sorted(names))} "
            "(see 'polytrain plugins list'), or give a class's import path")
