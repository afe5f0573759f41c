"""Bytes of a source file → text, refusing what is not text.

Refused, with a one-line reason: non-regular files, files over a size limit, empty files,
binary files (NUL bytes) and text in no encoding that can be told. A UTF-8 BOM is dropped; a
UTF-16 file with a BOM is decoded. HTML may also be in the encoding its ``<meta charset>``
declares. Text that is not UTF-8 (and HTML that declares no charset) is detected with
charset-normalizer: first among the legacy Arabic encodings (windows-1256, ISO-8859-6, DOS
CP720: Arabic archives are full of them), taken when most of its letters are Arabic. Other
encodings are not guessed: on short Latin-script text detection picks the wrong code page
(latin-1 French came back as cp1250 "ministčre"), and a silently wrong text is worse than a
refusal that says what to do. A detected encoding is logged (logger ``dalil.readers``, shown
by ``dalil index -v``).
"""

from __future__ import annotations

import codecs
import logging
import os
import stat
from pathlib import Path

from bs4.dammit import EncodingDetector
from charset_normalizer import from_bytes

from dalil.indexer.errors import SourceError

MAX_FILE_BYTES = 64 * 1024 * 1024  # a press-release file (txt/md/html) larger than this is refused
PROBE_BYTES = 8192  # NUL bytes in the first PROBE_BYTES mean a binary file

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

log = logging.getLogger("dalil.readers")

# Legacy Arabic encodings, tried first (Python codec names).
ARABIC_LEGACY = ("cp1256", "iso8859_6", "cp720")
MIN_ARABIC_SHARE = 0.5  # a legacy Arabic decoding is taken when most letters are Arabic
_NAMES = {"cp1256": "windows-1256", "iso8859_6": "ISO-8859-6", "cp720": "CP720 (DOS Arabic)"}


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


def decode_text(data: bytes, origin: str, *, detect: bool = True) -> str:
    """UTF-8 (BOM or not), BOM-marked UTF-16, or (``detect``) a detected legacy encoding;
    SourceError for anything else."""
    if not data.strip():
        raise SourceError(origin, "empty file")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, "utf-8-sig", origin)
    if data.startswith(_UTF16_BOMS):
        return _decode(data, "utf-16", origin)
    if looks_binary(data):
        raise SourceError(origin, "binary file (contains NUL bytes), not text")
    try:
        return _decode(data, "utf-8", origin)
    except SourceError as not_utf8:
        if not detect:
            raise
        found = detect_legacy(data)
        if found is None:
            raise SourceError(
                origin,
                f"{not_utf8.reason.removesuffix('; save the file as UTF-8')}, and no legacy "
                f"Arabic encoding fits (tried {', '.join(_NAMES.values())}); "
                "save the file as UTF-8",
            ) from None
        text, encoding = found
        log.info("%s: not UTF-8; decoded as %s (detected)", origin, encoding)
        return _decode(text.encode("utf-8"), "utf-8", origin)


def decode_html(data: bytes, origin: str) -> str:
    """Like :func:`decode_text`, but an HTML file that is not UTF-8 may be in the encoding
    its ``<meta charset>`` (or XML declaration) names, e.g. windows-1256; without one, the
    encoding is detected."""
    try:
        return decode_text(data, origin, detect=False)
    except SourceError:
        declared = _declared_encoding(data)
        if declared is None:
            return decode_text(data, origin)
        return _decode(data, declared, origin)


def detect_legacy(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name) of bytes that are not UTF-8, or None when no encoding can be
    told with confidence."""
    arabic = from_bytes(data, cp_isolation=list(ARABIC_LEGACY)).best()
    if arabic is not None and arabic_share(str(arabic)) >= MIN_ARABIC_SHARE:
        return str(arabic), _name(arabic.encoding)
    return None


def arabic_share(text: str) -> float:
    """Share of the letters of ``text`` that are in the Arabic script."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if "\u0600" <= c <= "\u06ff") / len(letters)


def _name(encoding: str) -> str:
    return _NAMES.get(encoding, encoding)


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
