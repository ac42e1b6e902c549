"""The same token documents in Mosaic's MDS and in litdata, for ``data_pipeline.py``'s side-by-side rows.

Each store gets every training document of polytrain's token shards (ids as ``uint16`` bytes, sentence
ends as ``int64`` bytes, one record per document) and is read back in file order, the way
``polytrain.shards.reader.read_documents`` reads token shards; what follows (packing, masking,
collate) is the same code for every store. Both libraries are optional (``pip install -e .[bench]``);
:func:`available` says why one cannot be used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

Doc = tuple[int, np.ndarray, np.ndarray]
"""(language index, ids, sentence ends) of one document."""


def available(name: str) -> str | None:
    """``None`` if the library behind store ``name`` imports, else the one-line reason it does not."""
    try:
        if name == "mds":
            import streaming  # noqa: F401
        else:
            import litdata  # noqa: F401
    except Exception as err:  # noqa: BLE001  # any import failure is reported, not raised
        return f"{type(err).__name__}: {' '.join(str(err).split())}"
    return None


def write_mds(docs: list[Doc], out: str) -> None:
    """Write ``docs`` as an uncompressed MDS dataset (``streaming.MDSWriter``)."""
    from streaming import MDSWriter

    with MDSWriter(out=out, columns={"lang": "int", "ids": "bytes", "ends": "bytes"}, compression=None) as writer:
        for lang, ids, ends in docs:
            writer.write({"lang": lang, "ids": ids.astype("<u2").tobytes(), "ends": ends.astype("<i8").tobytes()})


def read_mds(path: str, batch_size: int) -> Callable[[], Iterator[Doc]]:
    """A function that reads every document of the MDS dataset at ``path`` in order.

    ``batch_size`` is the loader's: ``StreamingDataset`` reads ahead ``8 * batch_size`` samples in a
    thread of its own, and the ``batch_size=1`` of a first version starved it (0.3 M tokens per
    CPU-second, a tenth of what the same dataset gives read ahead for 32-example batches).
    """
    from streaming import StreamingDataset

    dataset = StreamingDataset(local=path, shuffle=False, batch_size=batch_size)

    def docs() -> Iterator[Doc]:
        for sample in dataset:
            yield (int(sample["lang"]), np.frombuffer(sample["ids"], dtype="<u2"),
                   np.frombuffer(sample["ends"], dtype="<i8"))
    return docs


def _record(doc: Doc) -> dict[str, Any]:
    return {"lang": doc[0], "ids": doc[1].astype(np.uint16), "ends": doc[2].astype(np.int64)}


def write_litdata(docs: list[Doc], out: str) -> None:
    """Write ``docs`` with ``litdata.optimize`` (numpy arrays, default chunking, no compression)."""
    import litdata

    os.environ.setdefault("DATA_OPTIMIZER_NUM_WORKERS", "1")
    litdata.optimize(fn=_record, inputs=docs, output_dir=out, chunk_bytes="64MB", num_workers=1, verbose=False,
                     start_method="fork")


def read_litdata(path: str) -> Callable[[], Iterator[Doc]]:
    """A function that reads every document of the litdata dataset at ``path`` in order."""
    import litdata

    dataset = litdata.StreamingDataset(path, shuffle=False)

    def docs() -> Iterator[Doc]:
        for sample in dataset:
            yield int(sample["lang"]), np.asarray(sample["ids"]), np.asarray(sample["ends"])
    return docs
