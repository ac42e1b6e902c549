"""Checkpoints: safe files (``io``), the choice of the one to resume from (``resume``) and the
weights a new run starts from (``warm_start``, ``--model.init_from``).

The callbacks that save and guard them are in ``polytrain.callbacks.checkpoint``.
"""
