"""All randomness in polytrain is derived here, from a seed and a tuple of keys.

Every stochastic function takes a ``numpy.random.Generator`` argument; nothing reads global RNG
state. A generator is keyed by e.g. ``(seed, "stream", rank, worker)`` or ``(seed, "example", key)``,
so two runs with one seed produce the same data and different ranks or workers differ.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key_to_int(key: int | str) -> int:
    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f"rng keys must be non-negative, got {key}")
        return int(key)
    # Stable across processes and Python versions (unlike hash()).
    return int.from_bytes(hashlib.blake2b(str(key).encode("utf-8"), digest_size=8).digest(), "little")


def make_rng(seed: int, *keys: int | str) -> np.random.Generator:
    """A generator determined by ``seed`` and ``keys`` (ints or strings), independent of call order.

    Args:
        seed: the run's seed.
        *keys: what this generator is for, e.g. ``"stream", rank, worker`` or ``"example", sample_key``.
    """
    return np.random.default_rng([_key_to_int(seed), *(_key_to_int(k) for k in keys)])


def torch_seed(rng: np.random.Generator) -> int:
    """A 63-bit seed drawn from ``rng``, for the rare torch API that wants an int seed."""
    return int(rng.integers(0, 2**63 - 1))
