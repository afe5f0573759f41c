"""bench/xquad_monolingual.py: the pair it writes is one `dalil eval --corpus --queries` reads,
every question answered by its own paragraph."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dalil.search.evaluation.more_sets import read_jsonl_set

REPO = Path(__file__).resolve().parents[1]


def test_questions_over_their_own_language(tmp_path: Path) -> None:
    data = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "Ο Τέσλα γεννήθηκε το 1856.",
                        "qas": [{"id": "q1", "question": "Πότε;"}],
                    },
                    {
                        "context": "Δεύτερη παράγραφος.",
                        "qas": [
                            {"id": "q2", "question": "Τι;"},
                            {"id": "q3", "question": "Ποιος;"},
                        ],
                    },
                ]
            }
        ]
    }
    (tmp_path / "data" / "xquad").mkdir(parents=True)
    (tmp_path / "data" / "xquad" / "xquad.el.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "xquad_monolingual.py"), "--language", "el"]
        + ["--data", str(tmp_path / "data"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "2 paragraphs, 3 questions" in done.stdout
    releases, query_set = read_jsonl_set(out / "corpus.jsonl", out / "queries.jsonl")
    assert [(r.id, r.language, r.paragraphs) for r in releases] == [
        ("xquad-el-0-0", "el", ("Ο Τέσλα γεννήθηκε το 1856.",)),
        ("xquad-el-0-1", "el", ("Δεύτερη παράγραφος.",)),
    ]
    assert [(q.text, q.relevant) for q in query_set.queries] == [
        ("Πότε;", "xquad-el-0-0"),
        ("Τι;", "xquad-el-0-1"),
        ("Ποιος;", "xquad-el-0-1"),
    ]
