"""A map-style dataset whose items signal the process loading them (kept import-light so a spawned
DataLoader worker need not import Lightning to unpickle it)."""

from __future__ import annotations

import os
import signal
import time


class SignalsItself:
    """Each item sends SIGUSR1 to the process that loads it (a DataLoader worker)."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> int:
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.05)  # let a default-action signal land before the item is returned
        return index
