"""Torch's global generators saved and restored with checkpoints, so dropout continues exactly."""

from __future__ import annotations

import logging
from typing import Any

import torch
from lightning.pytorch import Callback

from polytrain.distributed.collectives import gather, rank_and_world

log = logging.getLogger(__name__)


class GlobalRngState(Callback):
    """Saves torch's global generator states (CPU and CUDA) of every rank in checkpoints and
    restores them on resume, so dropout after a resume draws the masks an uninterrupted run would.

    Lightning restores neither; polytrain's data never uses them (all data randomness comes from
    ``make_rng`` and the loaders have their own ``torch.Generator``), so after this restore only the
    model consumes them, exactly as in the uninterrupted run. Add it to ``trainer.callbacks``.
    """

    def state_dict(self) -> dict[str, Any]:
        """Every rank's states (a collective under ``torch.distributed``, like the data module's)."""
        state: dict[str, Any] = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            # This rank's device only: get_rng_state_all() would open a context on every GPU.
            state["cuda"] = torch.cuda.get_rng_state()
        return {"ranks": gather(state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        ranks = state_dict.get("ranks") or []
        rank, world = rank_and_world()
        if len(ranks) != world:
            log.warning("GlobalRngState: the checkpoint holds %d rank(s) and this run has %d: torch's generators "
                        "are not restored (dropout masks differ from an uninterrupted run)", len(ranks), world)
            return
        torch.set_rng_state(ranks[rank]["cpu"])
        if "cuda" in ranks[rank]:
            if torch.cuda.is_available():
                torch.cuda.set_rng_state(ranks[rank]["cuda"])  # the current device: Lightning set it already
            else:
                log.warning("GlobalRngState: the checkpoint has a CUDA generator state but this run has no GPU")
