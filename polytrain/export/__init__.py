"""Export polytrain models to other ecosystems (Hugging Face ``transformers``: ``export.hf``).

``transformers`` is optional; ``polytrain.export.hf`` imports it only inside its functions.
"""
