"""Checkpoint files that are safe to load and safe to write (the full story: docs/reliability.md).

- :class:`AtomicCheckpointIO` writes a checkpoint to a temporary name in its folder, fsyncs it and
  publishes it with ``os.replace``: a crash leaves either the previous file or the complete new
  one, never a partial file under a checkpoint's name. Loading always uses ``weights_only=True``.
- :func:`load_checkpoint` reads a checkpoint from a path or an fsspec URL (``file://``,
  ``http(s)://``, ``s3://`` ...) without ever unpickling code; Lightning's own loader uses
  ``weights_only=False`` for ``http(s)`` URLs.
- :func:`dcp_metadata_problem` checks a sharded checkpoint's ``.metadata`` before
  ``torch.distributed.checkpoint`` reads it with plain ``pickle.load``.

Which checkpoint a run resumes from is ``polytrain.checkpoint.resume``; the callbacks that save
(``Checkpoint``) and guard (``ResumeGuard``) are in ``polytrain.callbacks.checkpoint``.
"""

from __future__ import annotations

import errno
import importlib
import io
import logging
import os
import pickle
import re
import shutil
import zipfile
from collections.abc import Callable
from typing import Any

import fsspec
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch import LightningModule

from polytrain.errors import ConfigError, SaveError
from polytrain.types import PathLike

log = logging.getLogger(__name__)


CKPT_SUFFIX = ".ckpt"
PARTIAL_MARK = ".partial-"
"""Infix of the temporary file a save writes before publishing: ``.<name>.partial-<pid>``."""
REPLACED_SUFFIX = ".replaced"
"""A complete sharded checkpoint moved aside while its successor takes its name (FSDP2Strategy)."""
SHARDED_META = "meta.pt"
"""Rank 0's file of a sharded (torch.distributed.checkpoint) checkpoint folder."""
_ALLOW_LIST_HINT = (
    "polytrain loads checkpoints only with torch.load(weights_only=True). If you trust this file and the "
    "type is harmless data, allow-list that type with torch.serialization.add_safe_globals([...]); "
    "never load it with weights_only=False"
)


class CheckpointError(ConfigError):
    """A checkpoint cannot be used: unsafe, incomplete, or made for other data; one line naming it."""


# ------------------------------------------------------------------------------------ loading


def is_local(path: PathLike) -> bool:
    return "://" not in str(path) or str(path).startswith("file://")


def local_path(path: PathLike) -> str:
    return str(path).removeprefix("file://")


def load_checkpoint(path: PathLike, map_location: Any = "cpu", mmap: bool = False) -> dict[str, Any]:
    """Load a checkpoint from a local path or fsspec URL with ``torch.load(weights_only=True)``.

    ``weights_only=True`` is passed explicitly, so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn
    it off. ``http(s)`` URLs are read into memory (Lightning would use ``torch.hub``, which caches
    the file and defaults to ``weights_only=False``).

    Args:
        path: the checkpoint file (a sharded checkpoint folder is loaded by its strategy).
        map_location: passed to ``torch.load``.
        mmap: map a local file's tensors instead of reading them (for quick inspection).

    Raises:
        CheckpointError: the file holds pickled objects that are not plain data (it could run
            code), or is not a complete checkpoint (truncated, corrupt, not a torch file).
        FileNotFoundError: nothing at ``path``.
    """
    try:
        if is_local(path):
            local = local_path(path)
            if not os.path.exists(local):
                raise FileNotFoundError(f"checkpoint not found: {path}")
            return torch.load(local, map_location=map_location, weights_only=True, mmap=mmap)
        with fsspec.open(str(path), "rb") as f:
            data = f.read()  # a seekable copy: torch.load needs random access to the zip
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise checkpoint_refusal(err, path) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise CheckpointError(f"{path} is not a complete checkpoint (truncated or corrupt: {first_sentence(err)})") from None



def read_header(path: str) -> dict[str, Any] | None:
    """The checkpoint dict of a local file, or of a sharded folder's ``meta.pt`` (everything but the
    model and optimizer shards); a file is memory-mapped, so its tensors are not read. ``None``
    when there is no such file (``load_checkpoint``'s errors otherwise)."""
    target = os.path.join(path, SHARDED_META) if os.path.isdir(path) else path
    if not os.path.isfile(target):
        return None
    return load_checkpoint(target, mmap=not os.path.isdir(path))

def first_sentence(err: BaseException) -> str:
    """``err``'s message on one line, up to the end of its first sentence: a period followed by a space
    or the end (torch appends paragraphs of advice), never a dot inside a name like ``data.pkl``."""
    text = " ".join(str(err).split())
    return re.split(r"\.(?:\s|$)", text, maxsplit=1)[0] or type(err).__name__


DCP_METADATA = ".metadata"
"""The file of a sharded (torch.distributed.checkpoint) folder that DCP reads with plain ``pickle.load``."""
_DCP_GLOBALS = {
    "torch.distributed.checkpoint.metadata": None,  # its dataclasses and enum (None: any class of the module)
    "torch.distributed.checkpoint.filesystem": {"_StorageInfo"},
    "torch.serialization": {"_get_layout"},  # a layout from its name ("torch.strided")
    "torch": {"Size"},  # and torch's dtypes, layouts and memory formats: see _DcpMetadataReader
    "pathlib": {"Path", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath"},
    "collections": {"OrderedDict"},
}


class _DcpMetadataReader(pickle.Unpickler):
    """Unpickles DCP metadata and nothing else: every global must be one DCP writes (``_DCP_GLOBALS``)."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = _DCP_GLOBALS.get(module, set())
        value = getattr(importlib.import_module(module), name, None) if module in _DCP_GLOBALS else None
        plain = isinstance(value, (torch.dtype, torch.layout, torch.memory_format)) and module == "torch"
        own_class = isinstance(value, type) and value.__module__ == module
        if (allowed is None and own_class) or (allowed and name in allowed) or plain:
            return value
        raise pickle.UnpicklingError(f"global {module}.{name} is not part of torch.distributed.checkpoint metadata")


def dcp_metadata_problem(folder: PathLike) -> str | None:
    """Why the ``.metadata`` of sharded checkpoint ``folder`` must not be read by DCP, or ``None``.

    DCP's ``FileSystemReader.read_metadata`` loads it with plain ``pickle.load``, which runs any code
    the file names. Here it is unpickled first by a reader that only resolves the classes DCP itself
    writes (its metadata dataclasses, ``torch.Size``, dtypes, layouts, paths); any other global (e.g.
    ``os.system``) is refused before it is called, and the result must be a DCP ``Metadata``.
    """
    from torch.distributed.checkpoint.metadata import Metadata

    path = os.path.join(local_path(folder), DCP_METADATA)
    try:
        with open(path, "rb") as f:
            loaded = _DcpMetadataReader(f).load()
    except FileNotFoundError:
        return f"no {DCP_METADATA}"
    except pickle.UnpicklingError as err:
        return f"{DCP_METADATA} refused: {first_sentence(err)} (loading it could run code)"
    except Exception as err:  # noqa: BLE001 - any failure to parse: not a metadata file
        return f"{DCP_METADATA} is not torch.distributed.checkpoint metadata ({type(err).__name__}: {first_sentence(err)})"
    if not isinstance(loaded, Metadata):
        return f"{DCP_METADATA} holds a {type(loaded).__name__}, not torch.distributed.checkpoint metadata"
    return None


def checkpoint_refusal(err: pickle.UnpicklingError, path: PathLike = "--ckpt_path") -> CheckpointError:
    """The one-line error for a ``torch.load(weights_only=True)`` refusal, also one raised outside
    polytrain's loaders (LightningCLI reads a local ``--ckpt_path``'s hyperparameters itself)."""
    if not _names_a_global(err):  # garbage, not a refused type: e.g. a text file named .ckpt
        return CheckpointError(f"{path} is not a complete checkpoint (not a torch file)")
    return CheckpointError(f"refused to load {path}: it holds a pickled object that is not plain data "
                           f"({_unpickling_detail(err)}); loading it could run code. {_ALLOW_LIST_HINT}")


def safe_load_from_checkpoint(cls: type[LightningModule], checkpoint_path: PathLike, **kwargs: Any) -> LightningModule:
    """``cls.load_from_checkpoint`` that never unpickles code, whatever the location.

    Lightning's ``load_from_checkpoint`` loads ``http(s)`` URLs through ``torch.hub`` with
    ``weights_only=False``; here the file is fetched first and handed to Lightning as bytes.

    Args:
        cls: the LightningModule class.
        checkpoint_path: path or fsspec URL.
        **kwargs: ``map_location``, ``hparams_file``, ``strict`` and constructor overrides, as for
            ``load_from_checkpoint``; ``weights_only`` may only be ``True``.
    """
    _refuse_unsafe(kwargs.pop("weights_only", True), checkpoint_path)
    source: Any = checkpoint_path
    if not is_local(checkpoint_path):
        with fsspec.open(str(checkpoint_path), "rb") as f:
            source = io.BytesIO(f.read())
    else:
        source = local_path(checkpoint_path)
        if not os.path.exists(source):
            raise FileNotFoundError(f"checkpoint not found: {checkpoint_path}")
        if not zipfile.is_zipfile(source):  # torch.save writes a zip; a cut file lacks its directory
            raise CheckpointError(f"{checkpoint_path} is not a complete checkpoint "
                                  "(truncated, corrupt or not a torch file: no zip directory)")
    # Lightning's implementation itself, also when ``cls`` overrides load_from_checkpoint with a call to this.
    lightning_loader = LightningModule.load_from_checkpoint.__func__  # type: ignore[attr-defined]
    try:
        return lightning_loader(cls, source, weights_only=True, **kwargs)
    except pickle.UnpicklingError as err:
        raise checkpoint_refusal(err, checkpoint_path) from None


def _names_a_global(err: Exception) -> bool:
    return any("global" in line.lower() for line in str(err).splitlines()[1:])


def _unpickling_detail(err: Exception) -> str:
    """The line of torch's weights-only error that names the refused global (not its advice to
    retry with ``weights_only=False``)."""
    lines = [line.strip().rstrip(".") for line in str(err).splitlines()[1:]]
    return next((line for line in lines if "global" in line.lower()), "an object of an unsupported type")


def _refuse_unsafe(weights_only: bool | None, path: PathLike) -> None:
    if weights_only is False:
        raise CheckpointError(f"refused to load {path} with weights_only=False: it would run any code the file "
                              f"holds. {_ALLOW_LIST_HINT}")


# ------------------------------------------------------------------------------------ saving


def _fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` to ``<dir>/.<name>.partial-<pid>``, fsync, ``os.replace`` onto ``path``, fsync the folder.

    The temporary file is in the same folder (a rename across filesystems is a copy, not atomic)
    and its name does not end in ``.ckpt``, so nothing ever selects it. On failure it is removed.

    Raises:
        SaveError: the file could not be written (a full disk names ``No space left on device``,
            the file and the space left), one line instead of torch's writer error.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}{PARTIAL_MARK}{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one
    except BaseException as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, (OSError, RuntimeError)):
            raise save_error(err, path) from err
        raise
    _fsync_dir(directory)


def save_error(err: OSError | RuntimeError, path: PathLike) -> SaveError:
    """The one-line :class:`SaveError` for a failed checkpoint write of ``path``.

    torch reports a full disk as ``OSError(ENOSPC)`` when it writes to a Python file, but as
    ``RuntimeError: [enforce fail at inline_container.cc:...] ... file write failed`` (no errno)
    when it writes to a path itself; then the space left on the folder's filesystem tells.
    """
    directory = os.path.dirname(os.path.abspath(local_path(path)))
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        free = None
    left = f"{free / 2**20:.1f} MiB left" if free is not None else "space left unknown"
    no_space = getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or (
        isinstance(err, RuntimeError) and free is not None and free < 2**20)
    if no_space:
        return SaveError(f"No space left on device: could not write checkpoint {path} ({left} on {directory}); "
                         "free some space and resume with --ckpt_path auto (the previous checkpoint is intact)")
    return SaveError(f"could not write checkpoint {path}: {first_sentence(err)} ({left} on {directory})")


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning ``CheckpointIO``: atomic local saves, and loads that never unpickle code.

    Lightning 2.6's ``TorchCheckpointIO`` saves through an fsspec transaction whose local temporary
    file is created by ``tempfile.mkstemp`` in the system temp folder and moved with ``shutil.move``:
    when that folder is on another filesystem the move is a copy straight into the checkpoint's
    name (a crash leaves a partial file there), and nothing is fsynced. Its loader passes
    ``weights_only=None``, which becomes ``False`` for ``http(s)`` URLs.

    Use it as a trainer plugin (``trainer.plugins: [{class_path: polytrain.checkpoint.io.AtomicCheckpointIO}]``).
    Remote (non-local) saves keep Lightning's transaction: object stores publish an object whole.
    Sharded checkpoints (FSDP) are written by their strategy, not by this class.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: PathLike, storage_options: Any | None = None) -> None:
        if not is_local(path):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__}.save_checkpoint does not take storage_options")
        atomic_torch_save(checkpoint, local_path(path))

    def load_checkpoint(self, path: PathLike, map_location: Callable | Any = None,
                        weights_only: bool | None = None) -> dict[str, Any]:
        """Load with ``weights_only=True`` from any location; ``weights_only=False`` is refused."""
        _refuse_unsafe(weights_only, path)
        return load_checkpoint(path, map_location="cpu" if map_location is None else map_location)
