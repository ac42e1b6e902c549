"""Online streaming, in DataLoader workers and the training process (docs/streaming.md).

``dataset.PretrainStream`` reads shards (``polytrain.shards``), tokenizes, packs (``packing``),
mixes languages through per-language ``sources``, asks the objectives for examples and collates
them into ``Batch``es (``collate``); ``state`` holds the resumable position as plain data;
``datamodule.PretrainDataModule`` is the ``data:`` section of a config; ``workers`` ties the
DataLoader worker processes' lifetime and signals to the training process.
"""
