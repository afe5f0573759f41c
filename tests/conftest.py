"""Shared test fixtures. Tests never write to the CWD: use tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DALIL_SHARED_DATA", REPO.parent / "shared" / "data"))

# Tests must never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip the test with a clear message when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set DALIL_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def founding_release() -> Path:
    """The founding Arabic press release, as committed in the sample corpus."""
    path = REPO / "indexer" / "sample_data" / "bahrain-nato-istanbul-initiative.ar.txt"
    if not path.exists():
        pytest.fail(f"founding release missing from the sample corpus: {path}")
    return path


# -- web tests (tests/web_fixtures.py) --------------------------------------------------------
from web_fixtures import (  # noqa: E402, F401
    hash_client,
    hash_index,
    live_server,
    m3_client,
    m3_index,
    write_client,
)
