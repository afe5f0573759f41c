"""YAML-style front matter at the top of a .txt / .md file.

::

    ---
    title: "Minister meets NATO Secretary General"
    date: 2019-12-09
    tags:
      - nato
      - diplomacy
    ---

Only the simple subset press releases use: ``key: value`` lines (quotes optional), ``#``
comments, and a key followed by ``- item`` lines as a list of strings. Keys are lower-cased.
A block without any ``key: value`` line, or without a closing ``---`` (or ``...``) within
:data:`MAX_LINES` lines, is not front matter and is left in the text.
"""

from __future__ import annotations

import re

MAX_LINES = 200

_FIELD = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]+(.*))?$")
_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*)$")


def split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """(fields, body) of a text with ``\\n`` line breaks; ({}, text) without front matter."""
    lines = text.split("\n", MAX_LINES + 1)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), MAX_LINES + 1)):
        if lines[end].strip() in ("---", "..."):
            fields = _parse(lines[1:end])
            if not fields:
                return {}, text
            return fields, "\n".join(lines[end + 1 :])
    return {}, text


def _parse(lines: list[str]) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    key: str | None = None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM.match(line)
        values = fields.get(key) if key is not None else None
        if item and isinstance(values, list):
            values.append(_unquote(item.group(1)))
            continue
        field = _FIELD.match(line)
        if field is None:
            key = None  # nested YAML or free text: ignored
            continue
        key = field.group(1).lower()
        value = field.group(2)
        fields[key] = _unquote(value) if value and value.strip() else []
    return {k: v for k, v in fields.items() if v != []}


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
