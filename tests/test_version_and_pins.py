"""The version lives in pyproject.toml only; .ci/constraints.txt pins every dependency
pyproject.toml declares, at a version its range allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from dalil.indexer.version import version

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = REPO / ".ci" / "constraints.txt"


def pins() -> dict[str, Version]:
    out = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned, f"not an exact pin: {line!r}"
            out[canonicalize_name(name)] = Version(pinned)
    return out


def test_version_is_pyprojects() -> None:
    assert version() == PYPROJECT["project"]["version"]


def test_version_in_cli_and_api(capsys) -> None:
    from dalil.web.cli.main import main

    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert capsys.readouterr().out.strip() == f"dalil {version()}"


def test_no_other_version_literal_in_the_code() -> None:
    literal = re.compile(r"""version\s*=\s*["']\d+\.\d+""")
    for folder in ("indexer", "search", "web"):
        for path in (REPO / folder).rglob("*.py"):
            assert not literal.search(path.read_text(encoding="utf-8")), path


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pinned = pins()
    project = PYPROJECT["project"]
    declared = list(project["dependencies"])
    for group in project.get("optional-dependencies", {}).values():
        declared += group
    problems = []
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{name} is not in .ci/constraints.txt")
        elif not requirement.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{name}=={pinned[name]} is outside {requirement.specifier}")
    assert not problems, "; ".join(problems) + " (run bash .ci/refresh-constraints)"


def test_torch_is_the_cpu_build_without_cuda_wheels() -> None:
    pinned = pins()
    assert pinned["torch"] == Version("2.13.0")
    assert not [name for name in pinned if name.startswith(("nvidia-", "triton"))]
