"""Progress of the long data commands (``data shard``, ``tokenizer train``) on stderr.

(``fit`` reports through Lightning callbacks: ``polytrain.callbacks.progress``.)

On a terminal, one status line is rewritten in place (at most 5 times a second); otherwise (a batch
job's log, a pipe) a full line is printed every ``every_seconds``, so a log shows the command is
alive and how far it got without filling up with carriage returns. Work that reports nothing while
it runs (the ``tokenizers`` trainer, in Rust) gets a heartbeat line with the elapsed time.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

REDRAW_SECONDS = 0.2
"""Least time between two redraws of the terminal line."""


def clock(seconds: float) -> str:
    """``H:MM:SS``."""
    return str(datetime.timedelta(seconds=round(seconds)))


class Progress:
    """Status lines of one command.

    Args:
        prog: the command's name, the lines' prefix (``polytrain data shard``).
        every_seconds: seconds between two lines when ``stream`` is not a terminal.
        stream: where the lines go (default: stderr; the results go to stdout).
        interactive: ``stream`` is a terminal (default: ``stream.isatty()``).
        now: the clock (tests give their own).
    """

    def __init__(self, prog: str, every_seconds: float = 30.0, stream: TextIO | None = None,
                 interactive: bool | None = None, now: Callable[[], float] = time.monotonic) -> None:
        if not every_seconds > 0:
            raise ValueError(f"{prog}: the progress interval must be > 0 seconds, got {every_seconds}")
        self.prog, self.every_seconds, self._now = prog, every_seconds, now
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._start = self._last = now()
        self._drawn = 0  # characters of the terminal line now on screen

    def update(self, describe: Callable[[], str]) -> None:
        """Show ``describe()`` if a line is due; cheap otherwise (one clock read), so call it often."""
        now = self._now()
        if now - self._last < (REDRAW_SECONDS if self.interactive else self.every_seconds):
            return
        self._last = now
        self._emit(f"{describe()} ({clock(now - self._start)})")

    def done(self, text: str) -> None:
        """Finish with ``text`` (a full line on a terminal too)."""
        self._emit(f"{text} ({clock(self._now() - self._start)})", final=True)

    def _emit(self, text: str, final: bool = False) -> None:
        line = f"{self.prog}: {text}"
        if self.interactive:
            pad = " " * max(0, self._drawn - len(line))
            self.stream.write(f"\r{line}{pad}" + ("\n" if final else ""))
            self._drawn = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @contextmanager
    def heartbeat(self, text: str) -> Iterator[None]:
        """While the block runs, a line ``text, H:MM:SS so far`` every ``every_seconds`` (not on a
        terminal: there the work shows its own progress), from a daemon thread."""
        stop = threading.Event()

        def beat() -> None:
            started = self._now()
            while not stop.wait(self.every_seconds):
                self._emit(f"{text}, {clock(self._now() - started)} so far")

        thread = None if self.interactive else threading.Thread(target=beat, name="progress-heartbeat", daemon=True)
        if thread is not None:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join()


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 seconds, got {text}")
    return value


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """``--progress-every SECONDS``: the interval of the progress lines outside a terminal."""
    parser.add_argument("--progress-every", type=_seconds, default=30.0, metavar="SECONDS",
                        help="seconds between progress lines when stderr is not a terminal (default 30)")
