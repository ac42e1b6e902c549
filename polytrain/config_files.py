"""The config fragments shipped with polytrain: found by name, listed and shown.

The repository's ``configs/`` folder is installed as ``polytrain/configs`` (a link in the source
tree, real files in the wheel; ``pyproject.toml``), so a ``pip install`` user has the same
fragments as a clone. ``-c`` takes a file path or a shipped name: ``-c base``, ``-c model/tiny``,
``-c configs/objective/mlm.yaml`` (the README's spelling, also outside a clone). A file that exists
always wins over a shipped name. ``polytrain configs list`` and ``polytrain configs show NAME``
print them (docs/training.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from polytrain.errors import ConfigError

CONFIG_OPTIONS = ("-c", "--config")
"""The options whose value is a config file (LightningCLI's, ``polytrain inspect``'s)."""
SUFFIXES = (".yaml", ".sbatch")
"""What a shipped config file ends with; a name may leave ``.yaml`` out."""


def config_root() -> Path:
    """The folder of the shipped configs (``polytrain/configs``)."""
    return Path(__file__).resolve().parent / "configs"


def shipped() -> list[str]:
    """Every shipped config's name, relative to :func:`config_root`, sorted (``model/tiny.yaml``)."""
    root = config_root()
    names = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    return sorted(names, key=lambda n: (n.count("/"), n))


def find_shipped(name: str) -> Path | None:
    """The shipped file ``name`` means (``base``, ``model/tiny``, ``configs/model/tiny.yaml``), or ``None``."""
    rel = name.replace(os.sep, "/").removeprefix("./").removeprefix("configs/")
    known = set(shipped())
    for candidate in (rel, rel + ".yaml"):
        if candidate in known:
            return config_root() / candidate
    return None


def _looks_like_path(value: str) -> bool:
    """A config option's value that names a file, not an inline YAML/JSON config or a URL."""
    return bool(value) and not any(c in value for c in "{}[]:\n ")


def resolve(value: str) -> str:
    """The file a ``-c`` value names: ``value`` itself if it exists (or is not a path, e.g. inline
    YAML or a URL), else the shipped config of that name.

    Raises:
        ConfigError: ``value`` is neither an existing file nor a shipped config.
    """
    if not _looks_like_path(value) or os.path.isfile(value):
        return value
    found = find_shipped(value)
    if found is None:
        raise ConfigError(f"config {value}: no such file (relative paths are read from {os.getcwd()}), and no "
                          "shipped config of that name (`polytrain configs list` shows them)")
    return str(found)


def _config_values(argv: Sequence[str]) -> Iterator[tuple[int, str, str]]:
    """``(index, prefix, value)`` of every config file in a command line: ``-c FILE``, ``--config
    FILE`` (prefix ``""``, the value is the next word) and ``-c=FILE``, ``--config=FILE``."""
    for i, arg in enumerate(argv):
        if arg in CONFIG_OPTIONS and i + 1 < len(argv):
            yield i + 1, "", argv[i + 1]
        elif arg.startswith(tuple(f"{option}=" for option in CONFIG_OPTIONS)):
            prefix, _, value = arg.partition("=")
            yield i, f"{prefix}=", value


def config_file_arguments(argv: Sequence[str]) -> list[str]:
    """The values of the ``-c``/``--config`` options of a command line, in order."""
    return [value for _, _, value in _config_values(argv)]


def resolve_config_args(argv: list[str]) -> list[str]:
    """``argv`` with the value of every ``-c``/``--config`` option :func:`resolve`\\ d."""
    out = list(argv)
    for i, prefix, value in _config_values(argv):
        out[i] = prefix + resolve(value)
    return out


def describe(path: Path) -> str:
    """The first line of a config file's opening comment (what it is for)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#") and not text.startswith("#!"):
            return text.lstrip("#").strip()
        if text and not text.startswith("#!"):
            break
    return ""


def list_main(argv: list[str] | None = None) -> int:
    """``polytrain configs list``: every shipped config with its first comment line."""
    parser = argparse.ArgumentParser(prog="polytrain configs list", description="List the config fragments "
                                     "shipped with polytrain; give them to -c by name (-c base -c model/tiny).")
    parser.parse_args(argv)
    names = shipped()
    width = max(len(n.removesuffix(".yaml")) for n in names)
    print(f"# in {config_root()}")
    for name in names:
        print(f"{name.removesuffix('.yaml'):<{width}}  {describe(config_root() / name)}")
    return 0


def show_main(argv: list[str] | None = None) -> int:
    """``polytrain configs show NAME``: print a shipped config (or, with ``--path``, where it is)."""
    parser = argparse.ArgumentParser(prog="polytrain configs show", description="Print a shipped config fragment, "
                                     "e.g. to start your own: polytrain configs show data/demo > my-data.yaml")
    parser.add_argument("name", help="as `polytrain configs list` prints it: base, model/tiny, trainer/slurm, ...")
    parser.add_argument("--path", action="store_true", help="print the file's path instead of its content")
    args = parser.parse_args(argv)
    found = find_shipped(args.name)
    if found is None:
        print(f"polytrain configs show: error: no shipped config {args.name!r} (`polytrain configs list` shows them)",
              file=sys.stderr)
        return 2
    print(found if args.path else found.read_text(encoding="utf-8"), end="\n" if args.path else "")
    return 0
