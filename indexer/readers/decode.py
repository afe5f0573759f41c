"""Bytes of a source file → text, refusing what is not text.

Refused, with a one-line reason: non-regular files, files over a size limit, empty files,
binary files (NUL bytes) and text that is not UTF-8. A UTF-8 BOM is dropped; a UTF-16 file
with a BOM is decoded. HTML may also be in the encoding its ``<meta charset>`` declares.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from bs4.dammit import EncodingDetector

from dalil.indexer.errors import SourceError

MAX_FILE_BYTES = 64 * 1024 * 1024  # a press-release file (txt/md/html) larger than this is refused
PROBE_BYTES = 8192  # NUL bytes in the first PROBE_BYTES mean a binary file

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file. Raises SourceError (not a file, too large) or OSError."""
    size = regular_file_size(path)
    if size > limit:
        raise SourceError(str(path), f"file too large ({size:,} bytes; the limit is {limit:,})")
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def regular_file_size(path: Path) -> int:
    """Size of ``path``; SourceError if it is not a regular file (a FIFO would block)."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(str(path), "not a regular file")
    return info.st_size


def looks_binary(head: bytes) -> bool:
    """NUL bytes near the start (and no UTF-16 BOM): not a text file."""
    return not head.startswith(_UTF16_BOMS) and b"\x00" in head[:PROBE_BYTES]


def decode_text(data: bytes, origin: str) -> str:
    """UTF-8 (BOM or not) or BOM-marked UTF-16 text; SourceError for anything else."""
    if not data.strip():
        raise SourceError(origin, "empty file")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, "utf-8-sig", origin)
    if data.startswith(_UTF16_BOMS):
        return _decode(data, "utf-16", origin)
    if looks_binary(data):
        raise SourceError(origin, "binary file (contains NUL bytes), not text")
    return _decode(data, "utf-8", origin)


def decode_html(data: bytes, origin: str) -> str:
    """Like :func:`decode_text`, but an HTML file that is not UTF-8 may be in the encoding
    its ``<meta charset>`` (or XML declaration) names, e.g. windows-1256."""
    try:
        return decode_text(data, origin)
    except SourceError:
        declared = _declared_encoding(data)
        if declared is None:
            raise
        return _decode(data, declared, origin)


def _declared_encoding(data: bytes) -> str | None:
    """The codec an HTML document declares, if Python knows it and it is not UTF-8/16."""
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None
    return None if name.startswith(("utf-8", "utf-16")) else name


def _decode(data: bytes, encoding: str, origin: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            origin,
            f"not valid {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
        ) from None
    if "\x00" in text:
        raise SourceError(origin, "binary file (contains NUL characters), not text")
    if not text.strip():
        raise SourceError(origin, "empty file")
    return text
