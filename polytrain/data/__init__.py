"""Deprecated: ``polytrain.data`` was split into ``polytrain.prepare``, ``polytrain.shards`` and
``polytrain.stream`` (docs/architecture.md). Only ``polytrain.data.rng``, part of the plugin API of
0.1, is kept, as an alias of ``polytrain.rng``; it will be removed in 0.3.
"""
