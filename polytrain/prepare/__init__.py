"""Offline preparation, run once before training: raw text -> tar shards, shards -> tokenizer.

``shard`` (``polytrain data shard``) reads ``.txt``/``.jsonl``/``.tsv`` inputs (``inputs``) and
writes WebDataset tar shards with ``tarwriter``; ``tokenizer`` (``polytrain tokenizer train``)
trains a language-balanced tokenizer on them (``tokenizer_text`` samples the text,
``tokenizer_layout`` fixes the special ids, ``tokenizer_report`` measures the result).
What they write is defined in ``polytrain.shards``; nothing here runs during training.
"""
