"""indexer.readers: every format, front matter, titles, paragraphs, bad files, ids, dates."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.readers.dates import normalize_date

BODY_1 = "The minister met the Secretary General of NATO in Kuwait on Monday, officials said."
BODY_2 = "Both sides discussed regional security and cooperation against terrorism and crime."


def read(*paths: Path | str) -> list[Release | ReadFailure]:
    return list(read_sources(paths))


def releases(items: list[Release | ReadFailure]) -> list[Release]:
    return [i for i in items if isinstance(i, Release)]


def failures(items: list[Release | ReadFailure]) -> list[ReadFailure]:
    return [i for i in items if isinstance(i, ReadFailure)]


def one(path: Path) -> Release:
    items = read(path)
    assert failures(items) == []
    (release,) = releases(items)
    return release


def one_failure(path: Path | str) -> ReadFailure:
    items = read(path)
    assert releases(items) == []
    (failure,) = failures(items)
    return failure


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, *records: object, gz: bool = False) -> Path:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# --- plain text ----------------------------------------------------------------------------


def test_txt_title_line_and_blank_line_paragraphs(tmp_path: Path) -> None:
    path = write(
        tmp_path / "release.txt",
        f"Minister meets NATO chief\n\n{BODY_1}\ncontinued on a second line.\n\n\n{BODY_2}\n",
    )
    rel = one(path)
    assert rel.title == "Minister meets NATO chief"
    assert rel.paragraphs == (f"{BODY_1} continued on a second line.", BODY_2)
    assert rel.id == "release"
    assert rel.origin == str(path)
    assert rel.language == "en"
    assert rel.date is None


def test_txt_without_blank_lines_splits_on_line_breaks(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "a.txt", f"Headline here\n{BODY_1}\n{BODY_2}"))
    assert rel.title == "Headline here"
    assert rel.paragraphs == (BODY_1, BODY_2)


def test_long_first_line_is_kept_as_paragraph_with_shortened_title(tmp_path: Path) -> None:
    first = " ".join([BODY_1] * 3)
    rel = one(write(tmp_path / "a.txt", f"{first}\n\n{BODY_2}"))
    assert rel.paragraphs == (first, BODY_2)
    assert rel.title.endswith("…")
    assert len(rel.title) <= 120
    assert first.startswith(rel.title[:-1])


def test_short_first_line_ending_in_full_stop_stays_a_paragraph(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "a.txt", f"{BODY_1}\n{BODY_2}"))
    assert rel.paragraphs == (BODY_1, BODY_2)
    assert rel.title == BODY_1


def test_single_line_file_is_title_and_paragraph(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "a.txt", "Just one line of text"))
    assert rel.title == "Just one line of text"
    assert rel.paragraphs == ("Just one line of text",)


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(f"Title\r\n\r\n{BODY_1}\r\n\r\n{BODY_2}\r\n".encode())
    assert one(path).paragraphs == (BODY_1, BODY_2)


def test_founding_release(founding_release: Path) -> None:
    rel = one(founding_release)
    assert rel.id == "bahrain-nato-istanbul-initiative.ar"
    assert rel.language == "ar"
    assert len(rel.paragraphs) == 8
    assert rel.paragraphs[0].startswith("اجتمع الدكتور الشيخ عبدالله بن أحمد آل خليفة")
    # a headline, source and category from front matter, not the first sentence cut; no date,
    # since the release as we have it carries none (ATTRIBUTION.md)
    assert rel.title.startswith("وكيل وزارة الخارجية للشؤون الدولية يلتقي")
    assert not rel.title.endswith("…") and not rel.paragraphs[0].startswith(rel.title)
    assert (rel.date, rel.source, rel.category) == (
        None,
        "Bahrain Ministry of Foreign Affairs",
        "middleEast",
    )


# --- front matter and Markdown -------------------------------------------------------------


def test_front_matter_fields_and_metadata(tmp_path: Path) -> None:
    text = (
        "---\n"
        'title: "Minister meets NATO chief"\n'
        "date: 09/12/2019\n"
        "source: Ministry of Foreign Affairs\n"
        "language: en-GB\n"
        "url: https://example.org/r/1\n"
        "category: diplomacy\n"
        "id: mofa-2019-001\n"
        "# a comment\n"
        "Author: Press Office\n"
        "tags:\n"
        "  - nato\n"
        "  - kuwait\n"
        "---\n"
        "Minister meets NATO chief\n\n"
        f"{BODY_1}\n"
    )
    rel = one(write(tmp_path / "x.txt", text))
    assert rel.title == "Minister meets NATO chief"
    assert rel.paragraphs == (BODY_1,)
    assert (rel.id, rel.date, rel.source, rel.language, rel.url, rel.category) == (
        "mofa-2019-001",
        "2019-12-09",
        "Ministry of Foreign Affairs",
        "en",
        "https://example.org/r/1",
        "diplomacy",
    )
    assert dict(rel.metadata) == {"author": "Press Office", "tags": ["nato", "kuwait"]}


def test_front_matter_without_title_uses_first_line(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "x.txt", f"---\ndate: 2019-12-09\n---\nHeadline\n{BODY_1}\n"))
    assert (rel.title, rel.paragraphs, rel.date) == ("Headline", (BODY_1,), "2019-12-09")


def test_unclosed_front_matter_is_text(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "x.txt", f"---\ntitle: nope\n{BODY_1}\n"))
    assert "title: nope" in rel.text
    assert rel.paragraphs[-1] == BODY_1


def test_front_matter_only_is_a_failure(tmp_path: Path) -> None:
    failure = one_failure(write(tmp_path / "x.txt", "---\ntitle: Only a title\n---\n\n"))
    assert "no text" in failure.reason


def test_markdown_heading_title_and_markup(tmp_path: Path) -> None:
    text = (
        "# Minister meets **NATO** chief\n"
        f"{BODY_1}\n\n"
        "## Background\n"
        "- The [Istanbul Cooperation Initiative](https://nato.int/ici) started in *2004*.\n"
        "- Bahrain joined it.\n"
    )
    rel = one(write(tmp_path / "x.md", text))
    assert rel.title == "Minister meets NATO chief"
    assert rel.paragraphs == (
        BODY_1,
        "Background",
        "The Istanbul Cooperation Initiative started in 2004. Bahrain joined it.",
    )


def test_markdown_short_heading_with_full_stop_is_still_a_title(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "x.md", f"# A statement.\n\n{BODY_1}\n"))
    assert (rel.title, rel.paragraphs) == ("A statement.", (BODY_1,))


# --- HTML ----------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="ar-BH">
<head>
  <title>الوزارة | خبر صحفي</title>
  <meta property="article:published_time" content="2019-12-09T10:00:00+03:00">
  <meta property="og:site_name" content="وزارة الخارجية">
  <meta property="article:section" content="دبلوماسية">
  <meta name="description" content="لقاء مع الأمين العام">
  <link rel="canonical" href="https://mofa.example/news/1">
  <style>body { color: red }</style>
  <script>var tracking = "do not index";</script>
</head>
<body>
  <header><nav><a href="/">الرئيسية</a> <a href="/news">الأخبار</a></nav></header>
  <aside>اقرأ أيضاً: أخبار أخرى</aside>
  <main>
    <article>
      <h1>وكيل الخارجية يلتقي الأمين العام لحلف الناتو</h1>
      <p>اجتمع   وكيل وزارة الخارجية
         مع الأمين العام لحلف <b>شمال الأطلسي</b>.</p>
      <h2>التعاون الأمني</h2>
      <ul><li>مكافحة الإرهاب</li><li>أمن الطاقة</li></ul>
      <blockquote><p>نحن شركاء فاعلون.</p></blockquote>
      <table><tr><td>الخلية الأولى</td><td>الخلية الثانية</td></tr></table>
      <div>نص مباشر في عنصر div<span> مع امتداد</span><p>فقرة داخلية</p>ذيل</div>
      <p>سطر أول<br><br>سطر ثان<br>متصل</p>
      <script>alert("no")</script><noscript>فعّل جافاسكريبت</noscript>
    </article>
  </main>
  <footer>جميع الحقوق محفوظة</footer>
</body>
</html>
"""


def test_html_page(tmp_path: Path) -> None:
    rel = one(write(tmp_path / "news" / "page.html", PAGE))
    assert rel.title == "وكيل الخارجية يلتقي الأمين العام لحلف الناتو"
    assert rel.paragraphs == (
        "اجتمع وكيل وزارة الخارجية مع الأمين العام لحلف شمال الأطلسي.",
        "التعاون الأمني",
        "مكافحة الإرهاب",
        "أمن الطاقة",
        "نحن شركاء فاعلون.",
        "الخلية الأولى",
        "الخلية الثانية",
        "نص مباشر في عنصر div مع امتداد",
        "فقرة داخلية",
        "ذيل",
        "سطر أول",
        "سطر ثان متصل",
    )
    assert (rel.date, rel.language, rel.url, rel.source, rel.category) == (
        "2019-12-09",
        "ar",
        "https://mofa.example/news/1",
        "وزارة الخارجية",
        "دبلوماسية",
    )
    assert rel.metadata["description"] == "لقاء مع الأمين العام"
    for dropped in ("tracking", "alert", "الرئيسية", "اقرأ أيضاً", "الحقوق", "جافاسكريبت"):
        assert dropped not in rel.text


def test_html_without_main_uses_body_and_title_tag(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Press release</title></head><body>"
        f"<p>{BODY_1}</p><div>{BODY_2}</div><time datetime='2020-01-05'>5 Jan</time></body></html>"
    )
    rel = one(write(tmp_path / "p.htm", page))
    assert rel.title == "Press release"
    assert rel.paragraphs[:2] == (BODY_1, BODY_2)
    assert rel.date == "2020-01-05"
    assert rel.language == "en"
    assert rel.id == "p"


def test_html_in_declared_windows_1256(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="windows-1256"></head>'
        "<body><p>بيان صحفي من الوزارة</p></body></html>"
    )
    path = tmp_path / "legacy.html"
    path.write_bytes(page.encode("cp1256"))
    rel = one(path)
    assert rel.paragraphs == ("بيان صحفي من الوزارة",)
    assert rel.language == "ar"


def test_html_without_text_is_a_failure(tmp_path: Path) -> None:
    page = "<html><body><nav>menu</nav><script>x()</script></body></html>"
    assert "no text" in one_failure(write(tmp_path / "e.html", page)).reason


# --- JSON / JSONL --------------------------------------------------------------------------

ANT_LIKE = {
    "id": "AL-culture-1-20180218",
    "title": "عنوان الخبر",
    "date": "2018-02-18T21:35:43+04:00",
    "source": "alarabia",
    "category": "culture",
    "url": "http://www.alarabiya.net/ar/1.html",
    "language": "ar",
    "text": "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر.",
    "author": "someone",
}


def test_jsonl_records(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "news.jsonl",
        ANT_LIKE,
        {"id": 42, "title": "List text", "text": [BODY_1, "  ", BODY_2], "tags": ["a", "b"]},
        {"title": "Blank-line blocks", "text": f"{BODY_1}\nsame paragraph\n\n{BODY_2}"},
    )
    first, second, third = (one_release for one_release in releases(read(path)))
    assert first.id == "AL-culture-1-20180218"
    assert first.origin == f"{path}:1"
    assert first.paragraphs == ("الفقرة الأولى من الخبر.", "الفقرة الثانية من الخبر.")
    assert (first.date, first.source, first.category, first.language) == (
        "2018-02-18",
        "alarabia",
        "culture",
        "ar",
    )
    assert dict(first.metadata) == {"author": "someone"}
    assert second.id == "42"
    assert second.paragraphs == (BODY_1, BODY_2)
    assert second.metadata["tags"] == ["a", "b"]
    assert second.language == "en"
    assert third.id == "news#3"
    assert third.paragraphs == (f"{BODY_1} same paragraph", BODY_2)


def test_jsonl_malformed_lines_fail_and_reading_continues(tmp_path: Path) -> None:
    good = {"id": "ok-1", "title": "t", "text": BODY_1}
    lines = [
        json.dumps(good),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": "no-text", "title": "t"}),
        json.dumps({"id": "empty", "text": "  \n "}),
        json.dumps({"id": "bad-type", "text": 5}),
        json.dumps({"id": "bad-title", "title": ["x"], "text": "t"}),
        json.dumps({"id": "ok-2", "text": BODY_2}),
    ]
    path = write(tmp_path / "mixed.jsonl", "\n".join(lines) + "\n")
    items = read(path)
    assert [r.id for r in releases(items)] == ["ok-1", "ok-2"]
    reasons = {f.origin: f.reason for f in failures(items)}
    assert list(reasons) == [f"{path}:{n}" for n in (2, 4, 5, 6, 7, 8)]
    assert "bad JSON" in reasons[f"{path}:2"]
    assert "object" in reasons[f"{path}:4"]
    assert "missing 'text'" in reasons[f"{path}:5"]
    assert "empty 'text'" in reasons[f"{path}:6"]
    assert "'text' must be" in reasons[f"{path}:7"]
    assert "'title' must be a string" in reasons[f"{path}:8"]
    assert all(str(f).startswith(f"{path}:") for f in failures(items))


def test_jsonl_gz_and_json_gz(tmp_path: Path) -> None:
    assert one(jsonl(tmp_path / "a.jsonl.gz", ANT_LIKE, gz=True)).id == ANT_LIKE["id"]
    path = tmp_path / "b.json.gz"
    path.write_bytes(gzip.compress(json.dumps({**ANT_LIKE, "id": "b"}).encode()))
    assert one(path).id == "b"
    misnamed = jsonl(tmp_path / "c.jsonl", {**ANT_LIKE, "id": "c"}, gz=True)
    assert one(misnamed).id == "c"


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    records = [{**ANT_LIKE, "id": f"n{i}", "text": f"{BODY_1} {i} " * 40} for i in range(400)]
    path = jsonl(tmp_path / "big.jsonl.gz", *records, gz=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    assert 0 < len(releases(items)) < 400
    (failure,) = failures(items)
    assert "cannot read further" in failure.reason
    assert failure.origin.startswith(f"{path}:")


def test_json_object_and_list(tmp_path: Path) -> None:
    obj = write(tmp_path / "one.json", json.dumps({"title": "T", "text": BODY_1}))
    assert one(obj).id == "one"
    items = read(
        write(
            tmp_path / "many.json",
            json.dumps([{"text": BODY_1}, "oops", {"id": "own", "text": BODY_2}]),
        )
    )
    assert [r.id for r in releases(items)] == ["many#1", "own"]
    assert releases(items)[0].origin == f"{tmp_path / 'many.json'}#1"
    assert [f.origin for f in failures(items)] == [f"{tmp_path / 'many.json'}#2"]


def test_json_file_holding_json_lines(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "lines.json", {"text": BODY_1}, {"text": BODY_2})
    assert [r.id for r in releases(read(path))] == ["lines#1", "lines#2"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [('"just a string"', "expected an object"), ('{"text": "x",\n  oops}', "bad JSON")],
)
def test_bad_json_documents(tmp_path: Path, content: str, reason: str) -> None:
    assert reason in one_failure(write(tmp_path / "bad.json", content)).reason


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["e.txt", "e.md", "e.html", "e.json", "e.jsonl"])
@pytest.mark.parametrize("content", [b"", b"  \n\n \t\n"])
def test_empty_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert "empty" in one_failure(path).reason


@pytest.mark.parametrize("name", ["b.txt", "b.html", "b.jsonl", "b.json", "b.jsonl.gz"])
def test_binary_files(tmp_path: Path, name: str) -> None:
    data = bytes(range(256)) * 4
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert "binary" in one_failure(path).reason


def test_non_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Communiqué de presse du ministère".encode("latin-1"))
    failure = one_failure(path)
    assert failure.origin == str(path)
    assert "not valid utf-8" in failure.reason


def test_bom_marked_files_are_decoded(tmp_path: Path) -> None:
    utf8 = tmp_path / "bom8.txt"
    utf8.write_bytes(f"Title\n{BODY_1}".encode("utf-8-sig"))
    utf16 = tmp_path / "bom16.txt"
    utf16.write_bytes(f"Title\n{BODY_1}".encode("utf-16"))
    assert one(utf8).title == one(utf16).title == "Title"
    utf16_json = tmp_path / "bom16.json"
    utf16_json.write_bytes(json.dumps({"text": BODY_1}).encode("utf-16"))
    assert one(utf16_json).paragraphs == (BODY_1,)
    utf16_jsonl = tmp_path / "bom16.jsonl"
    utf16_jsonl.write_bytes(json.dumps({"text": BODY_1}).encode("utf-16"))
    assert "UTF-16" in one_failure(utf16_jsonl).reason
    bom_jsonl = tmp_path / "bom.jsonl"
    bom_jsonl.write_bytes(json.dumps(ANT_LIKE).encode("utf-8-sig"))
    assert one(bom_jsonl).id == ANT_LIKE["id"]


def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.symlink_to(tmp_path / "missing-target.txt")
    assert "cannot read" in one_failure(broken).reason
    folder_named_txt = tmp_path / "dir.txt"
    folder_named_txt.mkdir()
    assert "no files to read" in one_failure(folder_named_txt).reason
    assert "no such file" in one_failure(tmp_path / "absent.txt").reason
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "not a regular file" in one_failure(fifo).reason


def test_unsupported_extension(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert "unsupported file type" in one_failure(pdf).reason


def test_folder_walk(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root / "b.txt", f"B\n{BODY_1}")
    write(root / "a" / "z.md", f"# Z\n{BODY_1}")
    write(root / "a" / "y.txt", f"Y\n{BODY_1}")
    write(root / ".hidden.txt", f"H\n{BODY_1}")
    write(root / ".git" / "c.txt", f"C\n{BODY_1}")
    write(root / "notes.pdf", "skipped silently")
    write(root / "README.md", "# About this folder\nNot a release.")
    write(root / "ATTRIBUTION.md", "# Sources\nNot a release.")
    broken = root / "zz-broken.txt"
    broken.symlink_to(root / "nowhere.txt")
    items = read(root)
    assert [r.id for r in releases(items)] == ["a/y", "a/z", "b"]
    assert [f.origin for f in failures(items)] == [str(broken)]
    assert one(root / "README.md").title == "About this folder"  # read when named


def test_empty_folder_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no files to read" in one_failure(tmp_path / "empty").reason


def test_ids_and_hashes_are_stable_across_runs(tmp_path: Path) -> None:
    write(tmp_path / "src" / "sub" / "r.ar.txt", "عنوان\nنص الخبر الأول.")
    jsonl(tmp_path / "src" / "n.jsonl", {"text": BODY_1}, ANT_LIKE)
    first = [(r.id, r.content_hash) for r in releases(read(tmp_path / "src"))]
    second = [(r.id, r.content_hash) for r in releases(read(tmp_path / "src"))]
    assert first == second
    assert [i for i, _ in first] == ["n#1", ANT_LIKE["id"], "sub/r.ar"]
    assert one(tmp_path / "src" / "sub" / "r.ar.txt").id == "r.ar"


def test_duplicate_ids_fail_and_same_file_is_read_once(tmp_path: Path) -> None:
    a = jsonl(tmp_path / "a.jsonl", ANT_LIKE)
    b = jsonl(tmp_path / "b.jsonl", ANT_LIKE)
    items = read(a, b, a, tmp_path)
    assert len(releases(items)) == 1
    (failure,) = failures(items)
    assert failure.origin == f"{b}:1"
    assert "duplicate release id" in failure.reason


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-02-18T21:35:43+04:00", "2018-02-18"),
        ("2018-02-18", "2018-02-18"),
        ("2018-02-18T23:59:00Z", "2018-02-18"),
        ("20180218", "2018-02-18"),
        ("2018/2/3", "2018-02-03"),
        ("18/02/2018", "2018-02-18"),
        ("03/04/2018", "2018-04-03"),
        ("02/18/2018", "2018-02-18"),
        ("18.02.2018", "2018-02-18"),
        ("18 February 2018", "2018-02-18"),
        ("Sunday, February 18th, 2018", "2018-02-18"),
        ("Mon, 19 Feb 2018 10:00:00 GMT", "2018-02-19"),
        ("١٨ فبراير ٢٠١٨", "2018-02-18"),
        ("الأحد 18 شباط 2018", "2018-02-18"),
        ("3 كانون الثاني 2019", "2019-01-03"),
        ("yesterday", None),
        ("32/01/2018", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(raw: str | None, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_unparseable_date_is_kept_in_metadata(tmp_path: Path) -> None:
    rel = one(jsonl(tmp_path / "d.jsonl", {"text": BODY_1, "date": "sometime in spring"}))
    assert rel.date is None
    assert rel.metadata["date_raw"] == "sometime in spring"


# --- shared data ---------------------------------------------------------------------------


@pytest.mark.shared
def test_shared_founding_release_and_ant_head(shared_data: Path, tmp_path: Path) -> None:
    founding = one(shared_data / "samples" / "bahrain-nato-istanbul-initiative.ar.txt")
    assert founding.language == "ar" and len(founding.paragraphs) == 8
    with gzip.open(shared_data / "news" / "ant-v2.1-arabic-news.jsonl.gz", "rb") as source:
        head = b"".join(source.readline() for _ in range(200))
    items = read(write(tmp_path / "ant-head.jsonl", head.decode("utf-8")))
    assert failures(items) == []
    ant = releases(items)
    assert len(ant) == 200
    assert all(r.language == "ar" and r.date and r.source and r.paragraphs for r in ant)
    assert ant[0].id == "AL-culture-1-20180218" and ant[0].date == "2018-02-18"


def test_committed_sample_corpus_reads_cleanly() -> None:
    from dalil.indexer.text.chunking import split_release

    sample = Path(__file__).resolve().parents[1] / "indexer" / "sample_data"
    items = read(sample)
    assert failures(items) == []
    rels = releases(items)
    assert len(rels) >= 250
    assert {r.language for r in rels} == {"ar", "en"}
    assert "bahrain-nato-istanbul-initiative.ar" in {r.id for r in rels}
    paragraphs = sum(len(split_release(r, max_chars=1200, min_chars=60)) for r in rels)
    assert paragraphs <= 1500
