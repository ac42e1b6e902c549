"""Checkpoints: safe files (``io``) and the choice of the one to resume from (``resume``).

The callbacks that save and guard them are in ``polytrain.callbacks.checkpoint``.
"""
