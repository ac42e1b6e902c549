"""The shard format, shared by preparation and streaming: the manifest (``manifest``), the safe
reader of tar members (``reader``), the tokenizer-derived ``Vocab`` (``vocab``) and the language
mixture the manifest's sizes imply (``mixture``). Imports nothing from ``prepare`` or ``stream``.
"""
