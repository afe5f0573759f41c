"""What a stored release may hold: valid Unicode everywhere and bounded metadata.

Every release is checked here before it is hashed or stored, whether it came from a file
(the readers skip a record that fails, with the reason) or from the API (a 422 naming the
field). A value that passes can be written to SQLite, read back and served as JSON by every
route: no lone surrogates (``"\\ud800"`` from a JSON escape cannot be encoded as UTF-8), no
NaN or infinity (not JSON), metadata nested at most :data:`MAX_METADATA_DEPTH` levels and at
most :data:`MAX_METADATA_BYTES` as JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_METADATA_DEPTH = 8  # {"a": {"b": [...]}} is depth 3; real releases use 1 or 2
MAX_METADATA_BYTES = 64 * 1024  # metadata as UTF-8 JSON
MAX_METADATA_NUMBER_DIGITS = 100  # an integer longer than this is not a press-release value

_MAX_INT_BITS = math.ceil(MAX_METADATA_NUMBER_DIGITS * math.log2(10))
_SURROGATE = re.compile("[\ud800-\udfff]")


class RecordError(ValueError):
    """A value cannot be stored; ``field`` names it (``title``, ``metadata.tags[2]``...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def surrogate_at(text: str) -> int | None:
    """Index of the first lone surrogate code point in ``text`` (not valid Unicode text:
    it cannot be encoded as UTF-8), or None."""
    match = _SURROGATE.search(text)
    return match.start() if match else None


def check_text(text: str, field: str) -> None:
    """RecordError when ``text`` holds a lone surrogate."""
    at = surrogate_at(text)
    if at is not None:
        raise RecordError(
            field,
            f"invalid Unicode: lone surrogate U+{ord(text[at]):04X} at character {at} "
            "(a broken \\u escape?)",
        )


def check_metadata(metadata: Mapping[str, Any], field: str = "metadata") -> None:
    """RecordError unless ``metadata`` is JSON made of valid strings, finite numbers, lists
    and objects, nested at most MAX_METADATA_DEPTH levels, at most MAX_METADATA_BYTES."""
    _check_value(metadata, field, 1)
    size = len(json.dumps(metadata, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise RecordError(
            field, f"{size:,} bytes as JSON; at most {MAX_METADATA_BYTES:,} are kept per release"
        )


def _check_value(value: Any, field: str, depth: int) -> None:
    # Iterative depth first walk: a deeply nested value must not exhaust the stack here.
    stack: list[tuple[Any, str, int]] = [(value, field, depth)]
    while stack:
        item, where, level = stack.pop()
        if isinstance(item, Mapping | list | tuple):
            if level > MAX_METADATA_DEPTH:
                raise RecordError(
                    where, f"nested deeper than {MAX_METADATA_DEPTH} levels; flatten it"
                )
            children: Iterable[tuple[Any, str]]
            if isinstance(item, Mapping):
                for key in item:
                    if not isinstance(key, str):
                        raise RecordError(where, "object keys must be strings")
                    check_text(key, f"{where} key")
                children = ((v, f"{where}.{k}") for k, v in item.items())
            else:
                children = ((v, f"{where}[{i}]") for i, v in enumerate(item))
            stack.extend((child, name, level + 1) for child, name in children)
        elif isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > _MAX_INT_BITS:  # str() of a huge int raises
                raise RecordError(
                    where, f"a number of more than {MAX_METADATA_NUMBER_DIGITS} digits"
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise RecordError(where, "NaN and infinity are not JSON numbers")
        else:
            raise RecordError(where, f"a {type(item).__name__} is not a JSON value")


def release_problem(
    texts: Mapping[str, str | None], paragraphs: Iterable[str], metadata: Mapping[str, Any]
) -> RecordError | None:
    """The first reason a release made of these fields cannot be stored, or None."""
    try:
        for name, value in texts.items():
            if value is not None:
                check_text(value, name)
        for number, paragraph in enumerate(paragraphs):
            check_text(paragraph, f"text (paragraph {number + 1})")
        check_metadata(metadata)
    except RecordError as exc:
        return exc
    return None
