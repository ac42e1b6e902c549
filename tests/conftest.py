"""Shared fixtures: real demo shards and a real tokenizer, built once per test session."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "polytrain" / "demo_corpus"

# Keep DataLoader workers and BLAS from oversubscribing CI's 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def parsed_docstrings_once() -> Iterator[None]:
    """Every in-process LightningCLI parses the same classes' sources for their attribute docstrings
    (``--help`` text, about half of building the parser): parse each class once per session. The
    parse is a pure function of the class; nothing a test checks depends on when it ran."""
    import docstring_parser

    parse = functools.lru_cache(maxsize=None)(docstring_parser.parse_from_object)

    def parse_from_object(obj: object, *args: object, **kwargs: object) -> object:
        try:
            return parse(obj, *args, **kwargs)
        except TypeError:  # unhashable: parse it every time, as jsonargparse does
            return parse.__wrapped__(obj, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(docstring_parser, "parse_from_object", parse_from_object)
        yield


@dataclass(frozen=True)
class DemoData:
    """Shards of the bundled demo corpus and a small tokenizer trained on them."""

    root: Path
    manifest: Path
    tokenizer: Path


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    """Real shards (``polytrain data shard``) and tokenizer (``polytrain tokenizer train``) of the demo corpus."""
    from polytrain.prepare import shard, tokenizer

    root = tmp_path_factory.mktemp("demo")
    inputs = [str(CORPUS / "mono"), str(CORPUS / "parallel")]  # the data; not labelled/ (evaluation sets)
    assert shard.main(["--input", *inputs, "--out", str(root / "shards"), "--max-samples", "100"]) == 0
    manifest = root / "shards" / "manifest.json"
    tok = root / "tokenizer.json"
    assert tokenizer.main(["--shards", str(manifest), "--out", str(tok), "--vocab-size", "2000"]) == 0
    return DemoData(root, manifest, tok)


@pytest.fixture(scope="session")
def demo_tokens(demo_data: DemoData) -> Path:
    """``manifest.json`` of the demo shards as token shards (``polytrain data tokenize``)."""
    from polytrain.prepare import tokens

    out = demo_data.root / "tokens"
    if not out.exists():
        assert tokens.main(["--shards", str(demo_data.manifest), "--tokenizer", str(demo_data.tokenizer),
                            "--out", str(out)]) == 0
    return out / "manifest.json"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder) of a local http server over a fresh folder ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
