"""pyproject's filterwarnings: a warning is an error when dalil's own code raises it (the
module it is attributed to is a dalil module), and only shown when a third-party library
raises it -- so an upstream deprecation cannot turn the run red, but dalil calling a
deprecated API does.

Python attributes a warning to the module whose frame is ``stacklevel`` frames up; these
tests run code under a module name (``__name__``), which is what that attribution reads."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

import pytest


def function_in(module: str, source: str, **names: Any) -> Callable[[], None]:
    """``run()`` defined by ``source`` as if in the module named ``module``."""
    namespace: dict[str, Any] = {"__name__": module, "warnings": warnings, **names}
    exec(compile(source, f"<{module}>", "exec"), namespace)
    return namespace["run"]


WARN = "def run():\n    warnings.warn('old API', DeprecationWarning, stacklevel=1)\n"
# a library's deprecated function: the warning points at its caller (stacklevel=2)
DEPRECATED = "def run():\n    warnings.warn('old API', DeprecationWarning, stacklevel=2)\n"
CALL = "def run():\n    deprecated()\n"


def shown(run: Callable[[], None]) -> list[str]:
    """The warnings ``run`` shows under the filters pytest set from pyproject (unlike
    ``pytest.warns``, which would let every warning through)."""
    with warnings.catch_warnings(record=True) as caught:
        run()
    return [str(w.message) for w in caught]


def test_a_third_party_deprecation_is_shown_not_raised() -> None:
    assert shown(function_in("somelib.internals", WARN)) == ["old API"]
    # a library calling another's deprecated function, as dalil's dependencies do
    deprecated = function_in("somelib.old", DEPRECATED)
    assert shown(function_in("somelib.new", CALL, deprecated=deprecated)) == ["old API"]


def test_a_warning_raised_in_dalil_code_is_an_error() -> None:
    with pytest.raises(DeprecationWarning, match="old API"):
        function_in("dalil.indexer.example", WARN)()


def test_dalil_calling_a_deprecated_third_party_api_is_an_error() -> None:
    deprecated = function_in("somelib.old", DEPRECATED)
    with pytest.raises(DeprecationWarning, match="old API"):
        function_in("dalil.search.example", CALL, deprecated=deprecated)()


def test_a_module_merely_named_like_dalil_is_third_party() -> None:
    # "dalil" must be the package, not a prefix of another distribution's name
    assert shown(function_in("dalilfork.stuff", WARN)) == ["old API"]


def test_import_time_deprecations_follow_the_importer(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library that warns when imported (stacklevel=2: the importer) fails the run only
    when dalil's code is the importer -- e.g. not when another library imports it."""
    for name in ("oldlib_a", "oldlib_b"):
        (tmp_path / f"{name}.py").write_text(
            "import warnings\nwarnings.warn('oldlib is deprecated', DeprecationWarning, 2)\n",
            encoding="utf-8",
        )
    (tmp_path / "userlib.py").write_text("import oldlib_a\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("oldlib_a", "oldlib_b", "userlib"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert shown(lambda: importlib.import_module("userlib")) == ["oldlib is deprecated"]
    with pytest.raises(DeprecationWarning, match="oldlib is deprecated"):
        function_in("dalil.web.example", "def run():\n    import oldlib_b\n")()
