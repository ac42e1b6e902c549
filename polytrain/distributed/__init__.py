"""Running polytrain on more than one process: strategy presets, FLOP counting, SLURM job scripts.

Nothing is imported here, so ``import polytrain.distributed.<module>`` stays cheap and each module
independent (``polytrain.distributed.slurm`` needs neither torch nor Lightning).
"""
