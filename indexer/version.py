"""dalil's version, kept in one place: ``version`` in pyproject.toml.

Installed from a wheel, it is read from the distribution's metadata
(``importlib.metadata.version("dalil")``). Run from a source checkout (an editable install,
or the namespace view of .ci/lint), the checkout's own pyproject.toml is read instead: an
editable install's metadata keeps the version of the day it was installed.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "dalil"
# the repository root when running from a checkout (indexer/ lies at its top)
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@functools.cache
def version() -> str:
    """dalil's version, e.g. "0.1.0"."""
    if PYPROJECT.is_file():
        with PYPROJECT.open("rb") as f:
            project = tomllib.load(f).get("project", {})
        if project.get("name") == DISTRIBUTION and "version" in project:
            return str(project["version"])
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"
