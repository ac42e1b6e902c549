"""``polytrain fit`` and ``polytrain validate``: LightningCLI (the other commands: ``polytrain.commands``).

``polytrain fit -c configs/base.yaml -c configs/model/tiny.yaml ...`` parses composable YAML
fragments into ``PretrainModule`` and ``PretrainDataModule``; values that must agree are linked here.
"""

from __future__ import annotations

import os
import pickle
import re
import sys
import warnings
from typing import Any, NoReturn

import yaml
from jsonargparse import Namespace, get_loader
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback

from polytrain import __version__, commands
from polytrain.commands import TRAINER_COMMANDS
from polytrain.compat import KeepConfigOnCkptPath, configure_parsing, instantiating
from polytrain.config_files import config_file_arguments, resolve_config_args
from polytrain.errors import (
    ConfigError,
    DataError,
    LaunchError,
    SaveError,
    config_error_line,
    yaml_syntax_error,
)
from polytrain.objective_args import address_by_name
from polytrain.registry import RegistryError, unknown_objective

MOVED: dict[str, str] = {
    "polytrain.data.resume.GlobalRngState": "polytrain.callbacks.rng_state.GlobalRngState",
    "polytrain.checkpoint.AtomicCheckpointIO": "polytrain.checkpoint.io.AtomicCheckpointIO",
    "polytrain.checkpoint.Checkpoint": "polytrain.callbacks.checkpoint.Checkpoint",
    "polytrain.checkpoint.ResumeGuard": "polytrain.callbacks.checkpoint.ResumeGuard",
}
"""Class paths of polytrain 0.1 that configs saved by older runs still name -> where they are now
(docs/architecture.md); a config naming the old path is read with the new one and a warning."""


def expand_objective_names(value: Any, names: dict[str, str], key: str = "") -> Any:
    """Replace ``class_path: <registered short name>`` (e.g. ``mlm``) by the full class path, and
    a moved class's old path (``MOVED``) by its new one.

    Under an ``objectives`` key, a class path that is neither a registered name, a class name nor
    a dotted path is a misspelling: it is refused naming the registered objectives.
    """
    if isinstance(value, dict):
        out = {k: expand_objective_names(v, names, k) for k, v in value.items()}
        path = out.get("class_path")
        if isinstance(path, str) and path in MOVED:
            warnings.warn(f"{path} moved to {MOVED[path]}: update the config (the old name goes in polytrain 0.3)",
                          FutureWarning, stacklevel=2)
            out["class_path"] = MOVED[path]
        elif isinstance(path, str) and path in names:
            out["class_path"] = names[path]
        elif key == "objectives" and isinstance(path, str) and (problem := unknown_objective(path, names)):
            raise ConfigError(f"objectives: {problem}")
        return out
    if isinstance(value, list):
        return [expand_objective_names(v, names, key) for v in value]
    return value


def register_objective_names() -> str:
    """A jsonargparse loader mode that accepts objectives by entry-point name; returns the mode."""
    from polytrain.registry import objectives

    names = {name: entry.class_path for name, entry in objectives().items()}
    base = get_loader("yaml")
    configure_parsing("polytrain", lambda text: expand_objective_names(base(text), names), (yaml.YAMLError,))
    return "polytrain"


ROOT = "{root}"
"""Placeholder for ``trainer.default_root_dir`` in the trainer's paths (logger ``save_dir``,
checkpoint ``dirpath``), so that one option moves a whole run: ``--trainer.default_root_dir runs/exp2``."""


def expand_root(value: Any, root: str) -> Any:
    """``value`` with ``{root}`` replaced by ``root`` in every string, through namespaces, dicts and lists.

    Only the objects are built from the expanded config: the saved ``config.yaml`` keeps ``{root}``
    and ``default_root_dir``, so reusing it resumes the same folders, and with another
    ``--trainer.default_root_dir`` starts in that one.
    """
    if isinstance(value, str):
        return value.replace(ROOT, root)
    if isinstance(value, list):
        return [expand_root(v, root) for v in value]
    if isinstance(value, dict):
        return {k: expand_root(v, root) for k, v in value.items()}
    if isinstance(value, Namespace):
        for key, item in vars(value).items():
            setattr(value, key, expand_root(item, root))
        return value
    return value


class OneLineErrorParser(LightningArgumentParser):
    """LightningCLI's parser, refusing a bad config with one line, the cause first (``ConfigError``).

    jsonargparse prints the whole usage and then a nested report in which the cause of a refused
    objective comes after every alternative it tried ("Expected a path but ..."); ``main`` prints
    ``config_error_line``'s one line instead. Parsers that do not exit on errors (jsonargparse's
    own trials) raise as before; ``JSONARGPARSE_DEBUG`` keeps jsonargparse's full report.
    """

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if not self.exit_on_error or os.environ.get("JSONARGPARSE_DEBUG"):
            super().error(message, ex)
        raise ConfigError(config_error_line(message)) from ex


class SaveConfigWithProvenance(SaveConfigCallback):
    """Saves ``config.yaml`` and, beside it, ``provenance.yaml``: the objective plugins (entry point,
    class, distribution, version) and library versions the run used."""

    _log_dir: str | None = None

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self._log_dir = trainer.log_dir  # a broadcast: every rank must read it, not only rank 0
        super().setup(trainer, pl_module, stage)

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        import lightning
        import torch

        from polytrain.registry import provenance

        if not trainer.is_global_zero or self._log_dir is None:
            return
        record = {
            "polytrain": __version__, "torch": str(torch.__version__), "lightning": str(lightning.__version__),
            "objectives_in_run": {o.name: f"{type(o).__module__}.{type(o).__qualname__}" for o in pl_module.objectives},
            "installed_objectives": provenance(),
        }
        with open(os.path.join(self._log_dir, "provenance.yaml"), "w", encoding="utf-8") as f:
            yaml.safe_dump(record, f, sort_keys=False)


class PolytrainCLI(KeepConfigOnCkptPath, LightningCLI):
    """LightningCLI with polytrain's links: the tokenizer and input length are given once, in ``data``.

    ``--ckpt_path`` never replaces the config with a checkpoint's hyper-parameters
    (``compat.KeepConfigOnCkptPath``): the model is built from the config and the checkpoint is
    checked against it before loading (``checkpoint.resume.check_before_loading``).
    """

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.tokenizer", "model.tokenizer")
        parser.link_arguments("data.max_length", "model.max_length")
        parser.link_arguments("seed_everything", "data.seed")

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """LightningCLI's parsing, after two rewrites of the command line: ``-c NAME`` of a shipped
        config (``config_files.resolve_config_args``) and objectives addressed by name,
        ``--model.objectives.mlm.weight 0.8`` (``objective_args.address_by_name``)."""
        if isinstance(args, (dict, Namespace)):
            super().parse_arguments(parser, args)
            return
        argv = resolve_config_args(sys.argv[1:] if args is None else list(args))
        self.config = parser.parse_args(address_by_name(parser, argv))

    def instantiate_classes(self) -> None:
        """Build the objects; a constructor's refusal of a value is a configuration error (one line).

        Constructors check their arguments (``ModelConfig``, objectives, ``OptimizerConfig``,
        the data module) and raise ``ValueError`` naming the field; Lightning's ``Trainer`` raises
        ``MisconfigurationException``. Errors after this point (training) keep their traceback.
        """
        from lightning.fabric.utilities.exceptions import MisconfigurationException

        original = self.config
        expanded = original.clone()  # built with {root} expanded; saved (config.yaml) without
        config = expanded.get(str(self.subcommand), expanded) if self.subcommand else expanded
        if config.get("trainer") is not None:
            config.trainer = expand_root(config.trainer, str(config.trainer.get("default_root_dir") or os.getcwd()))
        try:
            with instantiating(self, expanded):
                super().instantiate_classes()
        except (ValueError, MisconfigurationException) as err:
            raise ConfigError(str(err)) from err
        for callback in self.trainer.callbacks:
            if isinstance(callback, SaveConfigCallback):  # so a new --trainer.default_root_dir moves a rerun too
                callback.config = original.get(str(self.subcommand), original) if self.subcommand else original

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        """The trainer, with polytrain's progress bar (``callbacks.progress``) where Lightning would
        add its Rich bar: the bar is on and the config names none (Lightning allows only one); and
        with ``ProgressLog`` (plain lines where no bar is seen) unless the config names one."""
        from lightning.pytorch.callbacks import ProgressBar
        from lightning_utilities.core.imports import RequirementCache

        from polytrain.callbacks.progress import ProgressLog, StreamProgressBar

        init = self.config_init.get(str(self.subcommand), self.config_init) if self.subcommand else self.config_init
        trainer = {**(init.get("trainer") or {}), **kwargs}
        callbacks = trainer.get("callbacks") or []
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        shows_bar = trainer.get("enable_progress_bar") is not False
        if RequirementCache("rich") and shows_bar and not any(isinstance(c, ProgressBar) for c in callbacks):
            callbacks = kwargs["callbacks"] = [*callbacks, StreamProgressBar()]
        if not any(isinstance(c, ProgressLog) for c in callbacks):
            kwargs["callbacks"] = [*callbacks, ProgressLog()]
        return super().instantiate_trainer(**kwargs)

    def before_fit(self) -> None:
        """``--ckpt_path auto``: the newest complete checkpoint of the ModelCheckpoint folder, or a fresh start;
        a checkpoint of another architecture or tokenizer is refused before anything is loaded; a
        resumed ``fit`` logs to the version folders of the run it resumes. Under SLURM, a launch that
        would hang in the process group's rendezvous is refused first."""
        from polytrain.checkpoint.logs import continue_logs
        from polytrain.checkpoint.resume import apply_auto_resume
        from polytrain.distributed.slurm_checks import check_job_start

        check_job_start()
        apply_auto_resume(self)
        if self.subcommand == "fit":
            continue_logs(self.config_init[self.subcommand].get("ckpt_path"), self.trainer)

    def before_validate(self) -> None:
        """As ``before_fit``: ``auto`` and the architecture/tokenizer check also apply to ``validate``."""
        self.before_fit()

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        return {name: kwargs for name, kwargs in LightningCLI.subcommands().items() if name in TRAINER_COMMANDS}


def cli_main(args: list[str] | None = None, run: bool = True) -> PolytrainCLI:
    """Build the LightningCLI (``run=False`` only parses and instantiates: used by config tests)."""
    from polytrain.stream.datamodule import PretrainDataModule
    from polytrain.module import PretrainModule
    from polytrain.registry import objectives

    # Lightning-internal deprecation noise that users cannot act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    objectives()  # import every registered objective so configs can name them by class name
    mode = register_objective_names()  # ... or by entry-point name: `class_path: mlm`; field docstrings -> --help
    return PolytrainCLI(
        PretrainModule,
        PretrainDataModule,
        args=args,
        run=run,
        save_config_callback=SaveConfigWithProvenance,
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"parser_mode": mode},
        parser_class=OneLineErrorParser,
        # The optimizer and schedule are PretrainModule's (``model.optimizer``): LightningCLI's own
        # --optimizer/--lr_scheduler would replace configure_optimizers before the model exists.
        auto_configure_optimizers=False,
    )


def main(argv: list[str] | None = None) -> int:
    """``polytrain fit`` and ``validate``; any other command goes to ``polytrain.commands.main``."""
    from_sys = argv is None
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in TRAINER_COMMANDS:
        return commands.main(None if from_sys else argv)
    try:  # -c base and -c model/tiny are shipped files: their YAML is checked too
        problem = yaml_syntax_error(config_file_arguments(resolve_config_args(argv)))
    except ConfigError as err:  # a -c that names no file
        problem = str(err)
    if problem:
        print(f"polytrain {argv[0]}: error: {problem}", file=sys.stderr)
        return 2
    from polytrain.callbacks.faults import TrainingAborted

    try:
        cli_main(None if from_sys else argv)  # LightningCLI reads sys.argv itself (and warns if given both)
    except (ConfigError, FileNotFoundError, RegistryError, LaunchError) as err:
        print(f"polytrain {argv[0]}: error: {err}", file=sys.stderr)
        return 2
    except pickle.UnpicklingError as err:  # a loader outside polytrain's (weights_only=True) refused a file
        from polytrain.checkpoint.io import checkpoint_refusal

        print(f"polytrain {argv[0]}: error: {checkpoint_refusal(err)}", file=sys.stderr)
        return 2
    except (TrainingAborted, SaveError) as err:  # e.g. NonFiniteGuard, a full disk: the message names the file
        print(f"polytrain {argv[0]}: error: {err}", file=sys.stderr)
        return 1
    except DataError as err:  # from a DataLoader worker: its traceback is in the message; the last line says it
        last = re.sub(r"^(?:[\w.]+\.)?DataError: ", "", str(err).strip().splitlines()[-1])
        print(f"polytrain {argv[0]}: error: {last}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
