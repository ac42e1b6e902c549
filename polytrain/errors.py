"""Errors polytrain reports as one line (``polytrain <command>: error: ...``) instead of a traceback."""

from __future__ import annotations

import os
from collections.abc import Sequence


class ConfigError(ValueError):
    """A configuration or input problem found before any work starts; the message names what and where."""


class DataError(RuntimeError):
    """The data stopped being usable during training (e.g. every shard of a language is corrupt).

    Raised in a DataLoader worker; torch re-raises it in the main process with the worker's
    traceback in the message, of which ``polytrain`` prints only the last line (this message).
    """


class LaunchError(RuntimeError):
    """The processes were started in a way that cannot work (a multi-task SLURM job without ``srun``,
    a rank 0 address that does not resolve): found at start-up, one line, instead of a hang.

    Not a ``ValueError``: raised while jsonargparse builds the trainer's callbacks, it would be
    reported as a type mismatch of the callback list."""


class SaveError(OSError):
    """A checkpoint could not be written (a full disk, no permission): the message names the file."""


def config_file_arguments(argv: Sequence[str]) -> list[str]:
    """The files of ``-c FILE``, ``--config FILE`` and ``--config=FILE`` in a command line, in order."""
    files = [arg.split("=", 1)[1] for arg in argv if arg.startswith(("--config=", "-c="))]
    files += [value for flag, value in zip(argv, argv[1:]) if flag in ("-c", "--config")]
    return files


def yaml_syntax_error(paths: Sequence[str]) -> str | None:
    """``FILE, line L, column C: problem`` for the first of ``paths`` that is not valid YAML, else None.

    jsonargparse reports a YAML syntax error after the whole usage text, with the line but without
    the file (``in "<unicode string>", line 3``). Paths that are not files are left to it.
    """
    import yaml

    for path in paths:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                yaml.safe_load(f)
        except yaml.MarkedYAMLError as err:
            where = f", line {err.problem_mark.line + 1}, column {err.problem_mark.column + 1}" if err.problem_mark else ""
            context = ""
            if err.context and err.context_mark:
                context = f" ({err.context} at line {err.context_mark.line + 1}, column {err.context_mark.column + 1})"
            return f"{path}{where}: {err.problem}{context}"
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            return f"{path}: not valid YAML ({' '.join(str(err).split())})"
    return None
