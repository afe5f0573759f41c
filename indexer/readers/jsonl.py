"""JSON sources: .json (one object or a list of objects), .jsonl, and gzip-compressed
versions of both (recognised by their content, so a misnamed file still reads).

Each object is one release: ``text`` (a string, whose lines or blank-line blocks are the
paragraphs, or a list of strings) and optionally ``id``, ``title``, ``date``, ``source``,
``language``, ``url``, ``category``; other fields go into ``metadata``. A bad record (bad JSON,
not an object, missing or empty text) gives a :class:`ReadFailure` naming ``path:line`` (JSONL)
or ``path#item`` (JSON list), and reading goes on; so does any unexpected error in one record
(:func:`isolated`). JSON nested deeper than the parser can follow, integers too long for
Python and ``NaN`` / ``Infinity`` are bad JSON. JSONL is streamed line by line.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dalil.indexer.errors import SourceError
from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers.dates import DEFAULT_YEARS
from dalil.indexer.readers.decode import PROBE_BYTES, decode_text, looks_binary, regular_file_size
from dalil.indexer.readers.fields import release_from_record
from dalil.indexer.readers.ids import item_id, path_id
from dalil.indexer.readers.isolation import isolated
from dalil.indexer.readers.paragraphs import clean, text_paragraphs

GZIP_MAGIC = b"\x1f\x8b"
MAX_JSON_BYTES = 1024 * 1024 * 1024  # a whole .json document larger than this is refused

Item = Release | ReadFailure

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_jsonl_file(
    path: Path, root: Path, *, years: tuple[int, int] = DEFAULT_YEARS
) -> Iterator[Item]:
    """Releases (or per-line failures) of a JSON-lines file, streamed."""
    file_id = path_id(path, root)
    with _open(path) as stream:
        if stream.peek(2).startswith(_UTF16_BOMS):
            raise SourceError(str(path), "UTF-16 encoded; save JSON lines as UTF-8")
        yield from _read_lines(stream, path, file_id, years)


def read_json_file(
    path: Path, root: Path, *, years: tuple[int, int] = DEFAULT_YEARS
) -> Iterator[Item]:
    """Releases (or per-item failures) of a JSON document: one object or a list of them.
    A file holding one object a line is read as JSON lines."""
    origin = str(path)
    with _open(path) as stream:
        data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise SourceError(origin, f"JSON document larger than {MAX_JSON_BYTES:,} bytes")
    text = decode_text(data, origin)
    file_id = path_id(path, root)
    try:
        document = _loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and "\n" not in text[: exc.pos].strip():
            lines = (line.encode("utf-8") for line in text.splitlines(keepends=True))
            yield from _read_lines(lines, path, file_id, years)
            return
        raise SourceError(f"{origin}:{exc.lineno}", f"bad JSON: {exc.msg}") from None
    except _UNPARSABLE as exc:
        raise SourceError(origin, f"bad JSON: {_unparsable(exc)}") from None
    if isinstance(document, dict):
        yield _release(document, origin=origin, default_id=file_id, years=years)
    elif isinstance(document, list):
        for number, record in enumerate(document, start=1):
            where = f"{origin}#{number}"
            with isolated(where) as failed:
                item = _release(
                    record, origin=where, default_id=item_id(file_id, number), years=years
                )
            yield failed.failure or item
    else:
        raise SourceError(origin, f"expected an object or a list of objects, got {_kind(document)}")


@contextmanager
def _open(path: Path) -> Iterator[gzip.GzipFile | io.BufferedReader]:
    """The file's bytes, decompressed when it is gzip data. Refuses empty and binary files."""
    origin = str(path)
    regular_file_size(path)
    with open(path, "rb") as raw:
        head = raw.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)]
        stream = gzip.GzipFile(fileobj=raw) if head == GZIP_MAGIC else raw
        try:
            probe = stream.peek(PROBE_BYTES)[:PROBE_BYTES]
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(origin, f"cannot decompress: {exc}") from None
        if not probe.strip():
            raise SourceError(origin, "empty file")
        if looks_binary(probe):
            raise SourceError(origin, "binary file (contains NUL bytes), not JSON text")
        yield stream


def _read_lines(
    lines: Iterable[bytes], path: Path, file_id: str, years: tuple[int, int]
) -> Iterator[Item]:
    number = 0
    records = 0
    iterator = iter(lines)
    while True:
        try:
            raw = next(iterator, None)
        except (OSError, EOFError, zlib.error) as exc:
            yield ReadFailure(f"{path}:{number + 1}", f"cannot read further: {exc}")
            return
        if raw is None:
            break
        number += 1
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.strip():
            continue
        records += 1
        origin = f"{path}:{number}"
        with isolated(origin) as failed:
            item = _release(
                _parse_line(raw, origin),
                origin=origin,
                default_id=item_id(file_id, number),
                years=years,
            )
        yield failed.failure or item
    if records == 0:
        raise SourceError(str(path), "empty file (no JSON lines)")


def _parse_line(raw: bytes, origin: str) -> Any:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(origin, f"not UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    try:
        return _loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(origin, f"bad JSON: {exc.msg} (column {exc.colno})") from None
    except _UNPARSABLE as exc:
        raise SourceError(origin, f"bad JSON: {_unparsable(exc)}") from None


# What json.loads raises besides JSONDecodeError: RecursionError for deep nesting, ValueError
# for an integer over Python's digit limit, and our own refusal of NaN / Infinity.
_UNPARSABLE = (RecursionError, ValueError)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant)


def _unparsable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    message = str(exc)
    if "digits" in message:
        return "an integer with too many digits"
    return message[:200]


def _release(
    record: Any, *, origin: str, default_id: str, years: tuple[int, int] = DEFAULT_YEARS
) -> Release:
    if not isinstance(record, dict):
        raise SourceError(origin, f"expected a JSON object, got {_kind(record)}")
    return release_from_record(
        record,
        paragraphs=_paragraphs(record.get("text"), origin),
        default_id=default_id,
        origin=origin,
        years=years,
    )


def _paragraphs(text: Any, origin: str) -> list[str]:
    if text is None:
        raise SourceError(origin, "missing 'text' field")
    if isinstance(text, str):
        paragraphs = text_paragraphs(text)
    elif isinstance(text, list) and all(isinstance(item, str) for item in text):
        paragraphs = [p for p in (clean(item) for item in text) if p]
    else:
        raise SourceError(
            origin, f"'text' must be a string or a list of strings, not {_kind(text)}"
        )
    if not paragraphs:
        raise SourceError(origin, "empty 'text' field")
    return paragraphs


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")
