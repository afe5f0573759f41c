"""Paths the benchmark scripts share (imported as a sibling module: run them as
``python bench/NAME.py``)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("DALIL_SHARED_DATA", REPO.parent / "shared" / "data"))
NEWS = Path("news") / "ant-v2.1-arabic-news.jsonl.gz"
RESULTS = REPO / "bench" / "results"
DALIL = REPO / ".venv" / "bin" / "dalil"
