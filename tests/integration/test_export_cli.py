"""`polytrain export hf`: a real `polytrain fit` checkpoint -> a folder that transformers loads as trained."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")


@pytest.fixture
def checkpoint(small_fit: Path) -> Path:
    """last.ckpt of the session's 2-step MLM `polytrain fit` (conftest.py)."""
    return small_fit / "checkpoints" / "last.ckpt"


def test_exported_folder_reproduces_the_checkpoint(checkpoint: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from polytrain.cli import main
    from polytrain.module import PretrainModule

    out = tmp_path / "hf"
    umask = os.umask(0o022)
    try:
        assert main(["export", "hf", "--checkpoint", str(checkpoint), "--out", str(out)]) == 0
    finally:
        os.umask(umask)
    # Readable by others like any new file (transformers writes the weights through a 0600 temporary file).
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == dict.fromkeys(
        (p.name for p in out.iterdir()), "0o644")
    said = capsys.readouterr().out  # names the class written, not every class polytrain can write
    assert "XLMRobertaForMaskedLM" in said and "MBart" not in said, said
    module = PretrainModule.load_from_checkpoint(checkpoint, map_location="cpu").eval()
    hf_model = AutoModelForMaskedLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)

    ids = tok("Das ist ein kleiner Test.", return_tensors="pt")["input_ids"]  # (1, T) with <s> ... </s>
    assert ids[0, 0].item() == module.vocab.bos_id and ids[0, -1].item() == module.vocab.eos_id
    length = ids.shape[1]
    every = torch.ones_like(ids, dtype=torch.bool)
    with torch.no_grad():
        ours = module.model(ids, None, torch.arange(length)[None], torch.zeros_like(ids), every).logits
        theirs = hf_model(input_ids=ids).logits[0, :, : ours.shape[1]]
    assert torch.allclose(theirs, ours, atol=1e-4), (theirs - ours).abs().max()


@pytest.mark.parametrize(("extra", "message"), [
    (["--lang", "de"], "lang='de' only applies to an encoder-decoder"),
    (["--tokenizer", "missing.json"], "missing.json"),
])
def test_refusals_are_one_line(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               extra: list[str], message: str) -> None:
    from polytrain.cli import main

    out = tmp_path / "hf"
    assert main(["export", "hf", "--checkpoint", str(checkpoint), "--out", str(out), *extra]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("polytrain export hf: error: ") and message in line
    assert not out.exists()  # refused before writing anything


def test_an_incomplete_checkpoint_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from polytrain.cli import main

    (tmp_path / "last.ckpt").mkdir()  # FSDP2 saves a folder named like the file; this one is empty
    assert main(["export", "hf", "--checkpoint", str(tmp_path / "last.ckpt"), "--out", str(tmp_path / "hf")]) == 2
    assert "sharded folder without meta.pt, .metadata and *.distcp shards" in capsys.readouterr().err


def test_a_truncated_checkpoint_or_a_file_as_out_is_one_line(checkpoint: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from polytrain.cli import main

    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(checkpoint.read_bytes()[:100_000])
    assert main(["export", "hf", "--checkpoint", str(cut), "--out", str(tmp_path / "hf")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{cut} is not a complete checkpoint" in err[0]
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    assert main(["export", "hf", "--checkpoint", str(checkpoint), "--out", str(taken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--out {taken} is a file" in err[0] and taken.read_text() == "{}"
