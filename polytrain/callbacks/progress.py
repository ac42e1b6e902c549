"""Lightning's Rich progress bar, adapted to pretraining on an endless stream.

Lightning's Rich bar prints every float with three decimals (``.3f``), so a learning rate of
2e-4 reads ``lr: 0.000``; and it writes the epoch as ``Epoch 0/<max_epochs - 1>``, which is
``Epoch 0/-2`` when training is bounded by ``max_steps`` only (``max_epochs=-1``, an endless
stream). ``polytrain fit`` uses this bar wherever Lightning would show its Rich bar
(``PolytrainCLI.instantiate_trainer``); a bar given in ``trainer.callbacks`` replaces it.
Lightning's TQDM bar (without ``rich``) already shows ``lr=2e-4`` and ``Epoch 0``.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import RichProgressBar

SCIENTIFIC = ("lr",)
"""Progress-bar metrics shown in scientific notation (``2.00e-04``) instead of rounded away."""


def format_metrics(items: dict[str, Any]) -> dict[str, Any]:
    """``items`` with the ``SCIENTIFIC`` values as strings, which the bar prints unchanged."""
    return {k: f"{v:.2e}" if k in SCIENTIFIC and isinstance(v, float) else v for k, v in items.items()}


class StreamProgressBar(RichProgressBar):
    """The Rich bar: ``lr`` in scientific notation; ``Epoch N`` without the ``/-2`` of an endless run."""

    def get_metrics(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, Any]:
        return format_metrics(super().get_metrics(trainer, pl_module))

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        # Lightning appends "/{max_epochs - 1}" whenever max_epochs is set, also to -1 (endless).
        if trainer.max_epochs is not None and trainer.max_epochs >= 0:
            return
        if self.progress is not None and self.train_progress_bar_id is not None:
            # Padded to the validation description, as Lightning does, so the bar does not flicker.
            description = f"{f'Epoch {trainer.current_epoch}':{len(self.validation_description)}}"
            self.progress.update(self.train_progress_bar_id, description=description)
