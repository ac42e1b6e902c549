"""Errors polytrain reports as one line (``polytrain <command>: error: ...``) instead of a traceback."""


class ConfigError(ValueError):
    """A configuration or input problem found before any work starts; the message names what and where."""
