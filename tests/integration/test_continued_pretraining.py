"""Continued pretraining end to end: `polytrain fit --model.init_from` (warm start) against `--ckpt_path`
(resume), imported XLM-R / mBART-50 models trained with their own tokenizers and exported back, and
`polytrain tokenizer extend` on real shards."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from hf_testlib import save_mbart50, save_xlmr
from test_fit import CONFIGS, small_fit_args

transformers = pytest.importorskip("transformers")

DATA = ["--data.num_workers=0", "--data.batch_size=4", "--data.max_length=32", "--data.shuffle_buffer=20",
        "--trainer.max_steps=2", "--trainer.val_check_interval=2", "--trainer.limit_val_batches=1"]


def _fit(*args: str) -> int:
    from polytrain.cli import main

    return main(["fit", *args])


def _ckpt(root: Path) -> dict[str, Any]:
    return torch.load(root / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)


def _same(a: Any, b: Any) -> bool:
    """Deep equality of saved states (dicts, lists, tensors, plain values)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _optimizer_steps(checkpoint: dict[str, Any]) -> set[int]:
    return {int(s["step"]) for s in checkpoint["optimizer_states"][0]["state"].values()}


@pytest.fixture(scope="module")
def first(demo_data: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """last.ckpt of a 2-step MLM run: what later runs warm-start or resume from."""
    root = tmp_path_factory.mktemp("first")
    assert _fit(*small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                                f"--trainer.default_root_dir={root}", *DATA)[1:]) == 0
    return root / "checkpoints" / "last.ckpt"


def test_warm_start_is_a_new_run_and_the_same_command_resumes(first: Path, demo_data: Any, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """init_from: step 0, a fresh optimizer and the data stream from its start; run again with
    --ckpt_path auto, the run resumes its own checkpoint instead of reading init_from."""
    root = tmp_path / "warm"
    args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                          f"--trainer.default_root_dir={root}", *DATA, f"--model.init_from={first}")[1:]
    assert _fit(*args) == 0
    warm, saved = _ckpt(root), torch.load(first, map_location="cpu", weights_only=True)
    assert warm["global_step"] == 2 and _optimizer_steps(warm) == {2} and _optimizer_steps(saved) == {2}
    # Same seed, same data, 2 steps from the start of the stream: the first run's position exactly.
    assert _same(warm["PretrainDataModule"]["ranks"], saved["PretrainDataModule"]["ranks"])
    assert warm["polytrain"]["init_from"] == str(first)
    with caplog.at_level("INFO"):
        assert _fit(*args, "--ckpt_path=auto", "--trainer.max_steps=4") == 0
    resumed = _ckpt(root)
    assert resumed["global_step"] == 4 and _optimizer_steps(resumed) == {4}
    assert f"model.init_from {first} is not read" in caplog.text


def test_warm_started_weights_are_the_saved_ones(first: Path, demo_data: Any, tmp_path: Path) -> None:
    """`validate --model.init_from X` and `validate --ckpt_path X` evaluate the same weights."""
    from polytrain.cli import cli_main

    losses = []
    for source in (f"--model.init_from={first}", f"--ckpt_path={first}"):
        args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                              f"--trainer.default_root_dir={tmp_path}", *DATA, source)
        cli = cli_main(["validate", *args[1:]])
        losses.append(float(cli.trainer.callback_metrics["val/loss"]))
    assert losses[0] == losses[1]


@pytest.mark.parametrize(("extra", "message"), [
    (["--model.architecture.n_layers=2"], "is of another model.architecture (n_layers 1 -> 2)"),
    (["--model.init_from=nowhere.ckpt"], "model.init_from: nowhere.ckpt not found"),
])
def test_warm_start_refusals_are_one_line(first: Path, demo_data: Any, tmp_path: Path, extra: list[str],
                                          message: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = small_fit_args(demo_data.manifest, demo_data.tokenizer, CONFIGS / "base.yaml",
                          f"--trainer.default_root_dir={tmp_path}", *DATA, f"--model.init_from={first}", *extra)[1:]
    assert _fit(*args) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("polytrain fit: error: ") and message in line
    assert not (tmp_path / "checkpoints" / "last.ckpt").exists()


def _imported_fit(folder: Path, root: Path, demo_data: Any, objective: str, *extra: str) -> Path:
    from polytrain.hf.importer import import_hf

    out = root / "imported"
    import_hf(folder, out)
    assert _fit("-c", str(CONFIGS / "base.yaml"), "-c", str(out / "model.yaml"), "-c", str(CONFIGS / objective),
                "-c", str(CONFIGS / "data/demo.yaml"), "-c", str(CONFIGS / "trainer/smoke.yaml"),
                f"--data.shards={demo_data.manifest}", f"--data.tokenizer={out / 'tokenizer.json'}",
                f"--model.init_from={out}", f"--trainer.default_root_dir={root}", *DATA, *extra) == 0
    return root / "checkpoints" / "last.ckpt"


def test_imported_xlmr_trains_with_its_own_tokenizer_and_exports_back(demo_data: Any, tmp_path: Path) -> None:
    """XLM-R (no language tags, <mask> last) -> MLM on the demo shards with per-language metrics ->
    export: at a vanishing learning rate transformers gives the original model's logits again."""
    from polytrain.cli import main

    source = save_xlmr(tmp_path / "xlmr")
    # lr 1e-30 (polytrain refuses 0) leaves every weight as imported, to far below the 1e-5 compared.
    last = _imported_fit(source, tmp_path / "run", demo_data, "objective/mlm.yaml", "--model.optimizer.lr=1e-30")
    with open(next((tmp_path / "run").glob("polytrain/version_*/metrics.csv"))) as f:
        columns = next(csv.reader(f))
    per_language = {c.split("/")[2] for c in columns if re.fullmatch(r"(train|val)/mlm/[a-z]{2}/loss", c)}
    assert len(per_language) >= 3, columns  # the languages come from the data: the tokenizer has no tags
    assert main(["export", "hf", "--checkpoint", str(last), "--out", str(tmp_path / "hf")]) == 0
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf")
    enc = tok(["Maji huchemka kwa nyuzi joto.", "The cat sat."], padding=True, return_tensors="pt")
    mask = enc["attention_mask"].bool()
    assert enc["input_ids"].tolist() == transformers.AutoTokenizer.from_pretrained(source)(
        ["Maji huchemka kwa nyuzi joto.", "The cat sat."], padding=True)["input_ids"]
    with torch.no_grad():
        logits = [transformers.XLMRobertaForMaskedLM.from_pretrained(f).eval()(**enc).logits[mask]
                  for f in (source, tmp_path / "hf")]
    assert (logits[0] - logits[1]).abs().max() <= 1e-5


def test_imported_mbart50_denoises_with_its_language_codes_and_exports_back(demo_data: Any, tmp_path: Path) -> None:
    """mBART-50 -> denoising with its own en_XX-style codes (X </s> de_DE) -> export after training:
    transformers gives the trained checkpoint's logits."""
    from polytrain.cli import main
    from polytrain.module import PretrainModule

    last = _imported_fit(save_mbart50(tmp_path / "mbart"), tmp_path / "run", demo_data, "objective/denoise-mbart.yaml")
    assert main(["export", "hf", "--checkpoint", str(last), "--out", str(tmp_path / "hf"), "--lang", "de"]) == 0
    config = json.loads((tmp_path / "hf" / "config.json").read_text())
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf")
    assert config["decoder_start_token_id"] == tok.convert_tokens_to_ids("de_DE")
    ids = tok("Die Katze sitzt auf der Matte.", return_tensors="pt")["input_ids"]  # X </s> de_DE
    assert ids[0, -1].item() == config["decoder_start_token_id"]
    module = PretrainModule.load_from_checkpoint(last, map_location="cpu").eval()
    dec = torch.cat([ids[:, -1:], ids[:, :-1]], dim=1)  # de_DE X </s>, as denoising feeds the decoder
    every = torch.ones_like(ids, dtype=torch.bool)
    with torch.no_grad():
        ours = module.model(ids, None, torch.arange(ids.shape[1])[None], torch.zeros_like(ids), dec, every, every)
        theirs = transformers.MBartForConditionalGeneration.from_pretrained(tmp_path / "hf").eval()(
            input_ids=ids, decoder_input_ids=dec).logits[0]
    assert (ours.logits - theirs).abs().max() <= 1e-4


def test_tokenizer_extend_on_shards_keeps_old_ids_and_old_text(demo_data: Any, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tokenizers import Tokenizer

    from polytrain.cli import main

    out = tmp_path / "tok2.json"
    assert main(["tokenizer", "extend", "--base", str(demo_data.tokenizer), "--shards", str(demo_data.manifest),
                 "--langs", "sw", "--add", "60", "--out", str(out)]) == 0
    report = json.loads((tmp_path / "tok2.report.json").read_text())
    base, extended = Tokenizer.from_file(str(demo_data.tokenizer)), Tokenizer.from_file(str(out))
    size = base.get_vocab_size(with_added_tokens=True)
    assert report["base_size"] == size and report["added_pieces"] > 0 and report["added_tags"] == []  # sw had a tag
    assert extended.get_vocab_size(with_added_tokens=True) == size + report["added_pieces"]
    assert all(base.id_to_token(i) == extended.id_to_token(i) for i in range(size))
    sw = report["after"]["languages"]["sw"]["fertility"], report["before"]["languages"]["sw"]["fertility"]
    assert sw[0] < sw[1]
    assert all(report["after"]["languages"][lang]["tokens"] == report["before"]["languages"][lang]["tokens"]
               for lang in report["protected_languages"])
    assert main(["tokenizer", "extend", "--base", str(demo_data.tokenizer), "--shards", str(demo_data.manifest),
                 "--add", "60", "--out", str(out)]) == 2
    assert "every language of" in capsys.readouterr().err.strip().splitlines()[-1]
