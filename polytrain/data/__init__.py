"""Data side: shards, tokenizer, streaming, language mixture, converters."""
