"""The faces of dalil.indexer and dalil.search: every exported name resolves, importing a
face loads nothing heavy, and the run record's API schema is its one serialised form."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dalil import indexer, search
from dalil.indexer.build.runs import RunRecord
from dalil.web.server.schemas import RunOut


@pytest.mark.parametrize("face", [indexer, search], ids=["indexer", "search"])
def test_every_exported_name_resolves(face) -> None:
    for name in face.__all__:
        assert getattr(face, name) is not None, name
    assert set(face.__all__) <= set(dir(face))
    with pytest.raises(AttributeError, match="no attribute"):
        face.not_a_name  # noqa: B018


def test_importing_the_faces_loads_no_heavy_module() -> None:
    code = (
        "import sys, dalil.indexer, dalil.search, dalil.web.cli.main; "
        "print(sorted(m for m in ('numpy', 'faiss', 'whoosh', 'fastapi', 'torch', 'pydantic', "
        "'rich', 'tqdm') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_run_schema_is_the_records_serialised_form() -> None:
    record = RunRecord(started="s", finished="f", status="published", generation="gen-000002")
    # failures stay in runs.jsonl: they quote paths and release text (issue 16)
    assert set(RunOut.model_fields) == set(record.to_json()) - {"failures"}
    public = {k: v for k, v in record.to_json().items() if k != "failures"}
    assert RunOut(**public).generation == "gen-000002"
