"""Evaluation inputs: labelled and parallel TSV files, and the languages their names give.

Formats (UTF-8, one item per line, blank lines ignored, no header):

- labelled text (``classify``): ``label<TAB>text``;
- parallel text (``retrieval``, ``translate``): ``source<TAB>target``, as ``polytrain data shard``
  reads ``.tsv`` files.

A file's language (or pair) is the part of its name before the first dot (``en.tsv``,
``de.test.tsv``, ``de-en.tsv``), or is given as ``LANG=PATH`` (``PAIR=PATH``). A line with another
number of columns, an empty cell or bytes that are not UTF-8 stops with one line naming the file
and line: an evaluation set with a broken line is not the set the user meant to measure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from polytrain.prepare.inputs import _LANG_RE, _PAIR_RE  # the shard writer's language codes
from polytrain.evaluate.loading import EvalError


@dataclass(frozen=True)
class TsvFile:
    """A TSV file and the language (``de``) or pair (``de-en``) it holds."""

    path: str
    lang: str


def named_file(spec: str, pair: bool) -> TsvFile:
    """``PATH`` or ``LANG=PATH`` (``SRC-TGT=PATH`` with ``pair``) -> ``TsvFile``.

    Raises:
        EvalError: no language given and none in the file name; not a language code.
    """
    pattern, example = (_PAIR_RE, "de-en") if pair else (_LANG_RE, "de")
    lang, sep, path = spec.partition("=")
    if not sep:
        path, lang = spec, os.path.basename(spec).split(".")[0]
        if not pattern.fullmatch(lang):
            raise EvalError(f"{spec}: cannot tell the {'language pair' if pair else 'language'}: name the file "
                            f"like '{example}.tsv' or '{example}.test.tsv', or write {example}={spec}")
    elif not pattern.fullmatch(lang):
        raise EvalError(f"{spec}: {lang!r} is not a {'language pair like de-en' if pair else 'language code like de'}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    return TsvFile(path, lang)


def read_tsv(path: str, what: str) -> list[tuple[str, str]]:
    """The two cells of every non-blank line of ``path``, stripped.

    Args:
        path: the file.
        what: the expected layout for the error message (``"label<TAB>text"``).

    Raises:
        EvalError: a line that is not UTF-8, has another number of columns, or an empty cell.
    """
    rows: list[tuple[str, str]] = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
            except UnicodeDecodeError:
                raise EvalError(f"{path}:{lineno}: not UTF-8") from None
            if not line.strip():
                continue
            cells = line.split("\t")
            if len(cells) != 2:
                raise EvalError(f"{path}:{lineno}: expected {what} (2 tab-separated columns), got {len(cells)}")
            left, right = cells[0].strip(), cells[1].strip()
            if not left or not right:
                raise EvalError(f"{path}:{lineno}: an empty column (expected {what})")
            rows.append((left, right))
    if not rows:
        raise EvalError(f"{path}: no {what} lines")
    return rows
