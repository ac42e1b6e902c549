"""The order of validation: every (objective, language) group early, for any number of workers and ranks.

Lightning's ``limit_val_batches: N`` takes the first N batches of each rank's loader, and a
DataLoader takes batches round-robin from its workers. So that those N batches cover as many
groups (an objective and a language, or a pair) as possible, whatever the number of ranks and
workers, validation is cut into *units*, one (objective, val shard) each, and:

1. **Units are listed round by round**: round r holds the r-th val shard (manifest order) of every
   group that has one; within a round, groups take turns across objectives (the first language of
   each objective, then the second of each, ...), languages in sorted order.
2. **Units are dealt like cards**: unit i goes to rank ``i % world_size``, and a rank's k-th unit to
   worker ``k % num_workers``.
3. **A worker takes turns between its groups**: one batch of each group it holds, then the next
   one of each, ...; a group's shards are read one after the other.

Each unit is packed and batched on its own (its last block and last batch may be shorter), and every
example is seeded by its key (``make_rng(seed, "val", key)``), so the batches themselves do not depend
on the number of workers or ranks; only their order does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import zip_longest
from typing import TypeVar

from polytrain.objectives.base import Objective
from polytrain.shards.manifest import Manifest, ShardInfo

T = TypeVar("T")

Unit = tuple[int, ShardInfo]
"""(index of the objective, one of its val shards): what one worker validates at a time."""


def val_groups(manifest: Manifest, objectives: Sequence[Objective]) -> list[tuple[int, str]]:
    """Every (objective index, language or pair) with val shards, in the order rounds take them."""
    per_objective = [[(k, lang) for lang in manifest.languages(obj.data_kind) if manifest.shards(obj.data_kind, "val", lang)]
                     for k, obj in enumerate(objectives)]
    return [group for turn in zip_longest(*per_objective) for group in turn if group is not None]


def val_units(manifest: Manifest, objectives: Sequence[Objective]) -> list[Unit]:
    """All validation units of the run, in the global order (module docstring, step 1)."""
    shards = {(k, lang): manifest.shards(objectives[k].data_kind, "val", lang)
              for k, lang in val_groups(manifest, objectives)}
    rounds = max((len(s) for s in shards.values()), default=0)
    return [(k, group_shards[r]) for r in range(rounds) for (k, _), group_shards in shards.items()
            if r < len(group_shards)]


def slot_units(units: Sequence[Unit], rank: int, world_size: int, worker: int, num_workers: int) -> list[Unit]:
    """The units of one (rank, worker) slot (step 2)."""
    return list(units[rank::world_size][worker::num_workers])


def by_group(units: Sequence[Unit]) -> list[list[Unit]]:
    """``units`` grouped by (objective, language), groups in order of first appearance (step 3)."""
    groups: dict[tuple[int, str], list[Unit]] = {}
    for k, shard in units:
        groups.setdefault((k, shard.lang), []).append((k, shard))
    return list(groups.values())


def round_robin(streams: Sequence[Iterator[T]]) -> Iterator[T]:
    """One item of each stream in turn, dropping streams as they end, until all have ended."""
    live = list(streams)
    while live:
        for stream in list(live):
            item = next(stream, None)
            if item is None:
                live.remove(stream)
            else:
                yield item
