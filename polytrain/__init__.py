"""polytrain: multilingual MLM, TLM and mBART-style denoising pretraining on Lightning."""

__version__ = "0.1.0"
