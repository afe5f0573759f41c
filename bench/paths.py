"""Paths the benchmark scripts share (imported as a sibling module: run them as
``python bench/NAME.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("DALIL_SHARED_DATA", REPO.parent / "shared" / "data"))
NEWS = Path("news") / "ant-v2.1-arabic-news.jsonl.gz"
RESULTS = REPO / "bench" / "results"
DALIL = REPO / ".venv" / "bin" / "dalil"


def news_file(data: Path) -> Path | None:
    """The ANT file under ``data``, or None after saying why the benchmark is skipped."""
    news = data / NEWS
    if not news.is_file():
        print(f"skipped: {news} not found (set --data or DALIL_SHARED_DATA)", file=sys.stderr)
        return None
    return news
