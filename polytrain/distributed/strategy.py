"""Scale-out: FSDP2 sharding, activation checkpointing and ``torch.compile``, applied per Transformer layer.

Models stay math only. ``PretrainModule.configure_model`` builds the network and then calls
``parallelize``, which, in this order (the order torchtitan's ``parallelize`` uses):

1. wraps every ``TRANSFORMER_LAYERS`` instance in an activation-checkpoint wrapper
   (``ScaleConfig.activation_checkpointing``);
2. compiles every such layer in place (``ScaleConfig.compile``);
3. under ``FSDP2Strategy`` only: shards every layer with ``torch.distributed.fsdp.fully_shard``, then
   the model root (embeddings, final norms, the tied head) and any objective head with parameters.

Under DDP (``lightning.pytorch.strategies.DDPStrategy``) or one device, steps 1-2 still apply and
Lightning wraps the whole module in ``DistributedDataParallel`` afterwards.

``FSDP2Strategy`` is Lightning's ``ModelParallelStrategy`` (FSDP2 + DTensor, the only Lightning
FSDP that runs on CPU/gloo; ``FSDPStrategy`` is FSDP1 and refuses a CPU accelerator) with a named
choice of device mesh (full or hybrid sharding) and an atomic sharded-checkpoint save.
See docs/distributed.md.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from lightning.pytorch.strategies import ModelParallelStrategy
from torch import nn

from polytrain.compat import saves_sharded, set_mesh_sizes
from polytrain.models.layers import TRANSFORMER_LAYERS
from polytrain.types import PathLike

if TYPE_CHECKING:
    from lightning.pytorch import Trainer
    from torch.distributed.device_mesh import DeviceMesh
    from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy

log = logging.getLogger(__name__)

STAGING_SUFFIX = ".partial"
"""A sharded checkpoint is written to ``<name>.partial`` and renamed to ``<name>`` when complete."""
REPLACED_SUFFIX = ".replaced"
"""The previous checkpoint of the same name, moved aside while the new one takes its place."""


@dataclass
class ScaleConfig:
    """Memory and speed options applied per Transformer layer (``model.scale`` in a config).

    None of them changes the math: with dropout 0 the loss curve is the same with or without them
    (tests/unit/test_scale.py checks activation checkpointing).
    """

    activation_checkpointing: bool = False
    """Recompute each Transformer layer's activations in backward instead of storing them: about one
    extra forward per step (~+33 % FLOPs) for activation memory of one layer instead of all layers."""
    compile: bool = False
    """``torch.compile`` each Transformer layer in place (parameter names and checkpoints unchanged).
    The first steps are slow while the layers compile; needs a C++ compiler on CPU."""


class FSDP2Strategy(ModelParallelStrategy):
    """FSDP2 data parallelism: parameters, gradients and optimizer state sharded per Transformer layer.

    The device mesh depends on ``sharding``:

    - ``full``: one dimension over all ``num_nodes * devices`` ranks (ZeRO-3 across the job). Least
      memory; every all-gather and reduce-scatter spans all nodes.
    - ``hybrid`` (HSDP): a ``(num_nodes, devices)`` mesh; parameters are sharded within a node and
      replicated across nodes, so the per-layer all-gathers stay on the fast intra-node links and
      only one gradient all-reduce per step crosses nodes. Memory per GPU is that of full sharding
      over one node.

    Checkpoints are sharded (torch.distributed.checkpoint, one file per rank plus ``meta.pt``) unless
    ``save_distributed_checkpoint=False``, which gathers one full file on rank 0. A sharded save is
    written to ``<path>.partial`` and renamed into place only when every rank has finished, so a
    crash during a save never leaves a half-written ``last.ckpt`` that resume could pick.

    Args:
        sharding: ``full`` or ``hybrid`` (see above).
        reshard_after_forward: free each layer's gathered parameters after its forward and gather
            them again in backward (less memory, one more all-gather per layer); the root is never
            resharded (its backward starts right away).
        low_precision_gather: under ``precision: bf16-mixed``, all-gather parameters in bf16 and
            reduce gradients in fp32 (FSDP2 ``MixedPrecisionPolicy``); the sharded master weights and
            the optimizer state stay fp32. ``False`` gathers fp32 and lets autocast cast per op.
        unshard_for_eval: gather every parameter once when validation (or test) starts and keep
            it gathered until it ends, so evaluation forwards need no collectives and ranks may
            have different numbers of validation batches (sharded forwards would hang there).
            Costs the unsharded parameters' memory during evaluation; with ``False`` every rank
            must get the same number of validation batches.
        save_distributed_checkpoint: sharded checkpoint directory (``True``) or one full file.
        process_group_backend: ``None`` picks nccl on GPU, gloo on CPU.
        timeout_s: seconds a collective may wait before the process group fails (hang detection).
    """

    def __init__(
        self,
        sharding: Literal["full", "hybrid"] = "full",
        reshard_after_forward: bool = True,
        low_precision_gather: bool = True,
        unshard_for_eval: bool = True,
        save_distributed_checkpoint: bool = True,
        process_group_backend: str | None = None,
        timeout_s: float = 1800.0,
    ) -> None:
        if sharding not in ("full", "hybrid"):
            raise ValueError(f"FSDP2Strategy.sharding must be 'full' or 'hybrid', got {sharding!r}")
        super().__init__(
            save_distributed_checkpoint=save_distributed_checkpoint,
            process_group_backend=process_group_backend,
            timeout=timedelta(seconds=timeout_s),
        )
        self.sharding = sharding
        self.reshard_after_forward = reshard_after_forward
        self.low_precision_gather = low_precision_gather
        self.unshard_for_eval = unshard_for_eval
        self.fsdp_modules: list[tuple[FSDPModule, bool]] = []
        """Every module ``shard`` wrapped, with its ``reshard_after_forward`` (filled in ``configure_model``)."""
        self._eval_unsharded = False

    def setup_environment(self) -> None:
        # Lightning names the mesh dims ("data_parallel", "tensor_parallel"); polytrain has no tensor
        # parallelism, so "full" puts every rank on dim 0 and "hybrid" reads the 2-D mesh as
        # (replicate across nodes, shard within a node), which is what fully_shard does with 2-D meshes.
        if self.sharding == "full":
            set_mesh_sizes(self, self.num_nodes * self.num_processes, 1)
        else:
            set_mesh_sizes(self, self.num_nodes, self.num_processes)
        super().setup_environment()

    @property
    def shard_mesh(self) -> DeviceMesh:
        """The mesh ``fully_shard`` takes: 1-D (full) or 2-D replicate x shard (hybrid)."""
        return self.device_mesh["data_parallel"] if self.sharding == "full" else self.device_mesh

    @property
    def distributed_sampler_kwargs(self) -> dict[str, Any]:
        # Every rank is a data-parallel replica in both layouts (hybrid only changes who holds what).
        return {"num_replicas": self.world_size, "rank": self.global_rank}

    def on_validation_start(self) -> None:
        self._unshard_for_eval()

    def on_test_start(self) -> None:
        self._unshard_for_eval()

    def on_validation_end(self) -> None:
        self._reshard_after_eval()

    def on_test_end(self) -> None:
        self._reshard_after_eval()

    def _unshard_for_eval(self) -> None:
        if not self.unshard_for_eval or self._eval_unsharded:
            return
        for module, _ in self.fsdp_modules:
            module.set_reshard_after_forward(False, recurse=False)
            module.unshard()  # one all-gather per group, on every rank, before any rank's first batch
        self._eval_unsharded = True

    def _reshard_after_eval(self) -> None:
        if not self._eval_unsharded:
            return
        for module, reshard in self.fsdp_modules:
            module.reshard()
            module.set_reshard_after_forward(reshard, recurse=False)
        self._eval_unsharded = False

    def lightning_module_state_dict(self) -> dict[str, Any]:
        # ModelCheckpoint saves in on_validation_end, before this strategy's hook of the same name:
        # the state dict must be taken from the sharded parameters, so reshard first.
        self._reshard_after_eval()
        return super().lightning_module_state_dict()

    def save_checkpoint(self, checkpoint: dict[str, Any], filepath: PathLike, storage_options: Any | None = None) -> None:
        """Save; a sharded checkpoint goes to ``<path>.partial`` first and is renamed when complete."""
        if not saves_sharded(self):
            super().save_checkpoint(checkpoint, filepath, storage_options)
            return
        path = Path(self.broadcast(str(filepath)))
        staging = path.with_name(path.name + STAGING_SUFFIX)
        if self.global_rank == 0 and staging.exists():
            _remove(staging)  # left by a save that crashed: never complete, never selectable
        self.barrier()
        super().save_checkpoint(checkpoint, staging, storage_options)
        self.barrier()  # every rank's shard and rank 0's meta.pt are on disk
        if self.global_rank == 0:
            replace_path(staging, path)
        self.barrier()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def replace_path(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing what is there (file or directory).

    The old ``target`` is first renamed to ``<target>.replaced`` and deleted last, so at every moment
    a complete checkpoint exists under one of the two names.
    """
    old = target.with_name(target.name + REPLACED_SUFFIX)
    _remove(old)
    if target.exists() or target.is_symlink():
        target.rename(old)
    new.rename(target)
    _remove(old)


def transformer_layers(model: nn.Module) -> Iterator[tuple[nn.Module, str, nn.Module]]:
    """``(parent, attribute name, layer)`` for every ``TRANSFORMER_LAYERS`` instance, outermost first.

    Layers inside layers are not descended into (a layer is the unit of wrapping and sharding).
    """
    for name, child in model.named_children():
        if isinstance(_unwrapped(child), TRANSFORMER_LAYERS):
            yield model, name, child
        else:
            yield from transformer_layers(child)


def _unwrapped(module: nn.Module) -> nn.Module:
    return getattr(module, "_checkpoint_wrapped_module", module)


def checkpoint_layers(model: nn.Module) -> int:
    """Wrap every Transformer layer of ``model`` for activation checkpointing; returns how many.

    Uses non-reentrant ``torch.utils.checkpoint`` (works with DDP, FSDP2 and compile). The wrapper's
    state-dict hooks drop its ``_checkpoint_wrapped_module.`` prefix, so checkpoints and the Hugging
    Face export see the same parameter names with or without it.
    """
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import CheckpointImpl, checkpoint_wrapper

    wrapped = 0
    for parent, name, layer in list(transformer_layers(model)):
        if layer is _unwrapped(layer):
            parent.register_module(name, checkpoint_wrapper(layer, checkpoint_impl=CheckpointImpl.NO_REENTRANT))
            wrapped += 1
    return wrapped


def compile_layers(model: nn.Module) -> int:
    """``torch.compile`` every Transformer layer in place (``nn.Module.compile``); returns how many.

    Per-layer compilation is what torchtitan does with FSDP2: each layer is one graph, FSDP's
    per-layer hooks stay outside it, and the parameter names do not change (no ``_orig_mod.``).
    """
    layers = [layer for _, _, layer in transformer_layers(model)]
    for layer in layers:
        layer.compile()
    return len(layers)


def mixed_precision_policy(precision: str, low_precision_gather: bool) -> MixedPrecisionPolicy:
    """FSDP2's policy for a Lightning precision string (see ``FSDP2Strategy.low_precision_gather``)."""
    from torch.distributed.fsdp import MixedPrecisionPolicy

    if low_precision_gather and precision == "bf16-mixed":
        return MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    return MixedPrecisionPolicy()


def shard(model: nn.Module, extra: Sequence[nn.Module], strategy: FSDP2Strategy, precision: str) -> None:
    """``fully_shard`` each Transformer layer of ``model``, then ``model``, then each module in ``extra``.

    Args:
        model: the network (its layers become one FSDP group each; the rest, one root group).
        extra: other modules trained with it (objective heads); each with parameters is its own group.
        strategy: gives the mesh and the options.
        precision: the trainer's precision string (``bf16-mixed`` selects the bf16 gather policy).
    """
    from torch.distributed.fsdp import fully_shard

    mesh = strategy.shard_mesh
    policy = mixed_precision_policy(precision, strategy.low_precision_gather)
    groups = [(layer, strategy.reshard_after_forward) for _, _, layer in list(transformer_layers(model))]
    groups.append((model, False))  # the root: its backward starts right after its forward
    groups += [(module, False) for module in extra if any(True for _ in module.parameters())]
    strategy.fsdp_modules = []
    for module, reshard in groups:
        strategy.fsdp_modules.append((fully_shard(module, mesh=mesh, reshard_after_forward=reshard, mp_policy=policy),
                                      reshard))


def parallelize(model: nn.Module, extra: Sequence[nn.Module], scale: ScaleConfig, trainer: Trainer | None) -> None:
    """Apply ``scale`` and the trainer's sharding to a freshly built ``model`` (in place).

    Called from ``PretrainModule.configure_model``.

    Args:
        model: the network, built but not yet wrapped or sharded.
        extra: other trained modules (objective heads), sharded as their own groups under FSDP2.
        scale: activation checkpointing and compile options.
        trainer: the attached trainer (``None`` outside ``Trainer.fit``: nothing is sharded).

    Raises:
        TypeError: a plain ``ModelParallelStrategy``, whose mesh polytrain cannot interpret.
    """
    if scale.activation_checkpointing:
        log.info("activation checkpointing: %d Transformer layers wrapped", checkpoint_layers(model))
    if scale.compile:
        log.info("torch.compile: %d Transformer layers compiled", compile_layers(model))
    strategy = trainer.strategy if trainer is not None else None
    if isinstance(strategy, FSDP2Strategy):
        shard(model, extra, strategy, str(trainer.precision))  # type: ignore[union-attr]
    elif isinstance(strategy, ModelParallelStrategy):
        raise TypeError(
            "trainer.strategy: use polytrain.distributed.strategy.FSDP2Strategy (configs/trainer/fsdp.yaml), "
            "not ModelParallelStrategy: polytrain applies FSDP2 only through it, and a plain "
            "ModelParallelStrategy would train every rank on its own without gradient synchronisation"
        )
