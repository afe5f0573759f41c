"""Package faces resolved on first use (PEP 562), so importing a face costs nothing: a
command that needs no encoder never loads one, however many names the face exports."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_face(
    package: str, face: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``face`` maps each exported name to
    the sub-module (relative to ``package``) that defines it; a resolved name is cached in
    the package's ``namespace``."""

    def getattr_(name: str) -> Any:
        module = face.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *face])

    return getattr_, dir_
