"""Pretraining objectives. Each is found through the ``polytrain.objectives`` entry-point group."""

from polytrain.objectives.base import Objective

__all__ = ["Objective"]
