"""All randomness in polytrain is derived here, from a seed and a tuple of keys.

Every stochastic function takes a ``numpy.random.Generator`` argument; nothing reads global RNG
state. A generator is keyed by e.g. ``(seed, "stream", rank, worker)`` or ``(seed, "val", key)``,
so two runs with one seed produce the same data and different ranks or workers differ.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

_WORD = 0xFFFFFFFF


def _key_to_int(key: int | str) -> int:
    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f"rng keys must be non-negative, got {key}")
        return int(key)
    # Stable across processes and Python versions (unlike hash()).
    return int.from_bytes(hashlib.blake2b(str(key).encode("utf-8"), digest_size=8).digest(), "little")


def _words(keys: tuple[int | str, ...]) -> list[int]:
    """The keys as ``numpy.random.SeedSequence`` reads a list of ints: each int as its little-endian
    32-bit words, 0 as one word. Built here because numpy's own conversion of a list loops in Python
    per word and costs more than the rest of the generator (the stream makes one per example); the
    words, hence every generator, are the same."""
    words: list[int] = []
    for key in keys:
        value = _key_to_int(key)
        words.append(value & _WORD)
        value >>= 32
        while value:
            words.append(value & _WORD)
            value >>= 32
    return words


class _State(ISeedSequence):
    """A seed sequence that hands ``PCG64`` a state already derived (numpy's ``ISeedSequence``)."""

    __slots__ = ("_state",)

    def __init__(self, state: np.ndarray) -> None:
        self._state = state

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        return self._state


# SeedSequence.generate_state's hash (O'Neill's seed_seq, numpy/random/bit_generator.pyx), its
# constants unrolled for the 8 words of PCG64's seed: numpy's own costs a third of a generator.
_HASH_XOR = [0x8B51F9DD]
_HASH_MUL = []
for _ in range(8):
    _HASH_MUL.append(_HASH_XOR[-1] * 0x58F38DED & _WORD)
    _HASH_XOR.append(_HASH_MUL[-1])


def _pcg64_seed(pool: list[int]) -> np.ndarray:
    """(4,) uint64: ``SeedSequence.generate_state(4, np.uint64)`` of a sequence with this ``pool``."""
    words = []
    for i in range(8):
        value = (pool[i & 3] ^ _HASH_XOR[i]) * _HASH_MUL[i] & _WORD
        words.append(value ^ value >> 16)
    return np.array([words[0] | words[1] << 32, words[2] | words[3] << 32, words[4] | words[5] << 32,
                     words[6] | words[7] << 32], dtype=np.uint64)


def _generator(words: list[int]) -> np.random.Generator:
    sequence = np.random.SeedSequence(np.array(words, dtype=np.uint32))
    return np.random.Generator(np.random.PCG64(_State(_pcg64_seed(sequence.pool.tolist()))))


def make_rng(seed: int, *keys: int | str) -> np.random.Generator:
    """A generator determined by ``seed`` and ``keys`` (ints or strings), independent of call order.

    Exactly ``numpy.random.default_rng([seed, *keys])`` with strings hashed to 64-bit ints.

    Args:
        seed: the run's seed.
        *keys: what this generator is for, e.g. ``"stream", rank, worker`` or ``"example", sample_key``.
    """
    return _generator(_words((seed, *keys)))


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """An index drawn uniformly from ``range(n)``: ``int(rng.random() * n)``, uniform to within
    ``n / 2**53``, at a third of ``rng.integers(n)``'s cost (numpy's per-call overhead; the stream's
    shuffle buffers draw once per document)."""
    return int(rng.random() * n)


def torch_seed(rng: np.random.Generator) -> int:
    """A 63-bit seed drawn from ``rng``, for the rare torch API that wants an int seed."""
    return int(rng.integers(0, 2**63 - 1))
