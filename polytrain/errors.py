"""Errors polytrain reports as one line (``polytrain <command>: error: ...``) instead of a traceback."""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
from collections.abc import Sequence


class ConfigError(ValueError):
    """A configuration or input problem found before any work starts; the message names what and where."""


class EvalError(ConfigError):
    """Bad input to ``polytrain evaluate``/``report``: one line naming what is wrong and where."""


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


# jsonargparse explains a value it refused through every alternative it tried: for an objective,
# first "Expected a path but ..." (a config file path), then the class's real problem.
_NOISE = ("Does not validate against any of the Union subtypes", "Subtypes:", "Errors:",
          "Expected a <class 'NoneType'>", "Given value", "Expected a path but")
_CONTEXT = re.compile(r"^(?:Parser key \"(?P<key>[^\"]+)\"|Problem with given class_path '(?P<cls>[^']+)'):?$")
_NOT_ACCEPTED = re.compile(r"Option '([^']+)' is not accepted")


def config_error_line(message: str) -> str:
    """A configuration parser's (jsonargparse's) multi-line error as one line, the cause first.

    ``Parser key "model.objectives": - Expected a path but [...] - Problem with given class_path
    'pkg.Span': Option 'geometric_pp' is not accepted`` becomes ``Option 'geometric_pp' is not
    accepted by pkg.Span (model.objectives); did you mean 'geometric_p'? It accepts: weight,
    geometric_p``: the cause, where it is (the keys and classes, outermost first), and for an
    unknown option of a class, the options the class does accept.
    """
    lines = [line.strip().lstrip("-").strip() for line in str(message).splitlines()]
    lines = [line for line in lines if line and not line.startswith(_NOISE)]
    context, classes, causes = [], [], []
    for line in lines:
        match = _CONTEXT.match(line)
        if match:
            context.append(match["key"] or match["cls"])
            classes += [match["cls"]] if match["cls"] else []
        else:
            causes.append(line)
    if not causes:
        return " ".join(lines) or "invalid configuration"
    cause = "; ".join(dict.fromkeys(causes))
    option = _NOT_ACCEPTED.search(cause)
    if option and classes and context[-1] == classes[-1]:
        where = f" ({': '.join(context[:-1])})" if len(context) > 1 else ""
        return f"{cause} by {classes[-1]}{where}{_accepted_options(classes[-1], option.group(1))}"
    return f"{cause} ({': '.join(context)})" if context else cause


def _accepted_options(class_path: str, wrong: str) -> str:
    """``; did you mean 'x'? It accepts: a, b`` for the constructor of ``class_path``, if it imports."""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "args", "kwargs")]
    except (ImportError, AttributeError, TypeError, ValueError):
        return ""
    close = difflib.get_close_matches(wrong, params, n=1)
    return (f"; did you mean {close[0]!r}? It accepts" if close else "; it accepts") + f": {', '.join(params)}"
