"""Evaluate what pretraining produced (``polytrain evaluate``, ``polytrain report``; docs/evaluate.md).

One module per task, each pure evaluation code over a ``loading.LoadedModel``: ``loss``,
``retrieval`` (also the training-time probe's math), ``classify`` and ``translate`` (fine-tuning
through ``finetune``); ``command`` is the CLI and ``report`` the plots and summary of a run folder.
"""
