"""Errors polytrain reports as one line (``polytrain <command>: error: ...``) instead of a traceback."""


class ConfigError(ValueError):
    """A configuration or input problem found before any work starts; the message names what and where."""


class EvalError(ConfigError):
    """Bad input to ``polytrain evaluate``/``report``: one line naming what is wrong and where."""


class DataError(RuntimeError):
    """The data stopped being usable during training (e.g. every shard of a language is corrupt).

    Raised in a DataLoader worker; torch re-raises it in the main process with the worker's
    traceback in the message, of which ``polytrain`` prints only the last line (this message).
    """
