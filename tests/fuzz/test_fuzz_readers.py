"""Fuzzing the readers: whatever bytes a source file holds, reading it never raises; it
gives releases whose every string is valid Unicode and whose metadata is bounded (so they can
be hashed, stored and served), or failures with a one-line reason. Dates come out whole and
in range, or not at all."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.readers.dates import DEFAULT_YEARS, normalize_date
from dalil.indexer.records import check_metadata, surrogate_at

SUFFIXES = (".txt", ".md", ".html", ".json", ".jsonl")

# JSON values, lone surrogates and deep nesting included.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
RECORDS = st.fixed_dictionaries(
    {"text": st.one_of(st.text(max_size=200), JSON_VALUES)},
    optional={
        "id": JSON_VALUES,
        "title": st.one_of(st.text(max_size=80), JSON_VALUES),
        "date": st.one_of(st.text(max_size=30), JSON_VALUES),
        "language": st.one_of(st.text(max_size=10), JSON_VALUES),
        "meta": JSON_VALUES,
    },
)


def read_one(suffix: str, data: bytes) -> list[Release | ReadFailure]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"release{suffix}"
        path.write_bytes(data)
        return list(read_sources([path]))


def assert_sound(items: list[Release | ReadFailure]) -> None:
    assert items, "reading gave nothing at all"
    for item in items:
        if isinstance(item, ReadFailure):
            assert item.reason and "\n" not in item.reason
            continue
        for value in (item.id, item.title, item.source, item.url, item.category, *item.paragraphs):
            assert value is None or surrogate_at(value) is None
        check_metadata(dict(item.metadata))
        json.dumps(dict(item.metadata), allow_nan=False)
        if item.date is not None:
            assert DEFAULT_YEARS[0] <= dt.date.fromisoformat(item.date).year <= DEFAULT_YEARS[1]


@given(st.sampled_from(SUFFIXES), st.binary(max_size=2000))
def test_arbitrary_bytes(suffix: str, data: bytes) -> None:
    assert_sound(read_one(suffix, data))


@given(st.sampled_from(SUFFIXES), st.text(max_size=500))
def test_arbitrary_text(suffix: str, text: str) -> None:
    assert_sound(read_one(suffix, text.encode("utf-8", "surrogatepass")))


@given(st.lists(RECORDS, min_size=1, max_size=5))
def test_arbitrary_json_records(records: list[dict[str, object]]) -> None:
    lines = "\n".join(json.dumps(r, ensure_ascii=True) for r in records)
    assert_sound(read_one(".jsonl", lines.encode("utf-8")))
    assert_sound(read_one(".json", json.dumps(records, ensure_ascii=True).encode("utf-8")))


@given(st.integers(min_value=1, max_value=5000), st.sampled_from("[{"))
def test_deep_json(depth: int, bracket: str) -> None:
    close = "]" if bracket == "[" else "}"
    inner = (bracket if bracket == "[" else '{"a": ') * depth + "1" + close * depth
    line = '{"text": "some text", "meta": ' + inner + "}"
    assert_sound(read_one(".jsonl", line.encode()))


TAGS = st.sampled_from(["p", "h1", "title", "div", "li", "meta", "script", "br", "main", "time"])


@given(
    st.lists(st.tuples(TAGS, st.text(max_size=40)), max_size=15),
    st.sampled_from(["utf-8", "cp1256", "latin-1"]),
)
def test_arbitrary_html(parts: list[tuple[str, str]], encoding: str) -> None:
    body = "".join(f"<{tag}>{text}</{tag}>" for tag, text in parts)
    data = f"<html><body>{body}</body></html>".encode(encoding, "replace")
    assert_sound(read_one(".html", data))


@given(st.text(max_size=60))
def test_dates_are_whole_and_in_range(text: str) -> None:
    value = normalize_date(text)
    if value is not None:
        day = dt.date.fromisoformat(value)
        assert DEFAULT_YEARS[0] <= day.year <= DEFAULT_YEARS[1]
        assert str(day.year) in text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")) or (
            len(text.strip()) == 8  # 20180218
        )


@given(st.dates(), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%B %d, %Y"]))
def test_real_dates_are_read(day: dt.date, layout: str) -> None:
    expected = day.isoformat() if DEFAULT_YEARS[0] <= day.year <= DEFAULT_YEARS[1] else None
    text = day.strftime(layout)
    if day.year < 1000:  # strftime does not pad years below 1000
        return
    if layout == "%d/%m/%Y" and day.day <= 12 and day.month > 12:
        return
    assert normalize_date(text) == expected
