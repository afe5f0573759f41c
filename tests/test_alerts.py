# ruff: noqa: E501 - release texts read best on one line
"""Alerts end to end: `dalil reindex` (the CLI code, in this process) over a press room served
on 127.0.0.1 posts each alert the releases new in the published generation that match it,
to a local webhook receiver, exactly once; failed deliveries are retried; `dalil alerts
test` shows current matches; /api/alerts saves, lists and deletes alerts with the API key."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from press_room import MINISTRY, PressRoom, build, ministry_page, rss, serving
from webhook_receiver import Receiver, receiving

from dalil.indexer.settings import load_settings
from dalil.search.alerts.store import AlertStore
from dalil.web.cli.main import main

KEY = "alerts-test-key"
WATER = "الحكومة الفرنسية"  # in release-3 only, of the fixture ministry
NEW_RELEASE = (
    "release-4",
    "2025-03-12",
    "افتتاح محطة جديدة لتحلية المياه بالطاقة الشمسية",
    (
        "افتتح وزير البيئة والمياه اليوم محطة جديدة لتحلية المياه تعمل بالطاقة الشمسية على الساحل الشرقي بطاقة إنتاجية تبلغ مئة ألف متر مكعب يوميا.",
        "وأوضح الوزير أن المحطة أنشئت بالتعاون مع الحكومة الفرنسية ضمن خطة وطنية لتحلية المياه وخفض استهلاك الوقود في إنتاج المياه المحلاة بنسبة كبيرة خلال السنوات المقبلة.",
    ),
)


@pytest.fixture
def room() -> Iterator[PressRoom]:
    with serving(PressRoom()) as served:
        yield build(served)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def write_config(tmp_path: Path, room: PressRoom, hook: Receiver) -> Path:
    config = tmp_path / "dalil.toml"
    config.write_text(
        f'index = "{tmp_path / "index"}"\nencoders = "hash-test"\nthreads = 1\n'
        f'api_key = "{KEY}"\n'
        'allowed_hosts = "testserver,127.0.0.1"\n\n'  # TestClient sends Host: testserver
        "[web]\ntimeout = 3\ndelay = 0\nbackoff = 0.01\nretries = 2\n\n"
        f'[[sources]]\nfeed = "{room.base}/mofa/rss.xml"\nsource = "MOFA"\n'
        'include = "/release-"\n\n'
        f'[[alerts]]\nname = "water"\nquery = "{WATER}"\nmode = "keyword"\n'
        f'webhook = "{hook.url}"\n\n'
        '[[alerts]]\nname = "nothing"\nquery = "zzzqqq"\nmode = "keyword"\n'
        f'webhook = "{hook.url}"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def configured(
    tmp_path: Path, room: PressRoom, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for name in [k for k in __import__("os").environ if k.startswith("DALIL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DALIL_CONFIG", str(write_config(tmp_path, room, hook)))
    return tmp_path


def add_release(room: PressRoom) -> None:
    slug, date, title, paragraphs = NEW_RELEASE
    room.put(f"/mofa/news/{slug}", ministry_page(slug, date, title, paragraphs), "text/html")
    items = [
        (f"/mofa/news/{s}", t, "Sun, 02 Mar 2025 10:00:00 GMT")
        for s, _, t, _ in (*MINISTRY, NEW_RELEASE)
    ]
    room.put("/mofa/rss.xml", rss(room.base, items), "application/rss+xml")


def deliveries(root: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(root / "index" / "alerts.sqlite")
    try:
        return list(db.execute("SELECT alert, status, releases FROM deliveries ORDER BY id"))
    finally:
        db.close()


@pytest.mark.slow  # reindex runs over a local press room and a webhook
def test_alert_gets_each_new_matching_release_once(
    configured: Path, room: PressRoom, hook: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    base = room.base
    assert main(["reindex", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "alert water: delivered HTTP 200, 1 release(s), 1 attempt(s)" in out
    assert len(hook.posts) == 1
    post = hook.posts[0]
    assert post["alert"] == "water" and post["generation"] == "gen-000001"
    assert [r["id"] for r in post["releases"]] == [f"{base}/mofa/news/release-3"]
    assert post["releases"][0]["title"] == MINISTRY[2][2]

    # unchanged: no generation, no post
    assert main(["reindex", "--no-progress"]) == 0
    assert "unchanged" in capsys.readouterr().out and len(hook.posts) == 1

    # a changed release that now matches is not new: no post
    slug, date, title, paragraphs = MINISTRY[1]
    room.put(
        f"/mofa/news/{slug}",
        ministry_page(
            slug,
            date,
            title,
            (*paragraphs, f"وتطرق البيان إلى مشاريع {WATER} المشتركة في المنطقة."),
        ),
        "text/html; charset=utf-8",
    )
    assert main(["reindex", "--no-progress"]) == 0
    assert "published" in capsys.readouterr().out and len(hook.posts) == 1

    # a new matching release: one post with it alone (release-3 is never sent again)
    add_release(room)
    assert main(["reindex", "--no-progress"]) == 0
    assert "alert water: delivered" in capsys.readouterr().out
    assert len(hook.posts) == 2
    assert [r["id"] for r in hook.posts[1]["releases"]] == [f"{base}/mofa/news/release-4"]
    assert [d[0] for d in deliveries(configured)] == ["water", "water"]

    # what the alert matches now, sent ones marked; nothing is posted
    assert main(["alerts", "test", "water"]) == 0
    shown = capsys.readouterr().out
    assert "release(s) match now" in shown
    assert "sent" in shown and f"<{base}/mofa/news/release-3>" in shown
    assert len(hook.posts) == 2
    assert main(["alerts", "test", "nope"]) == 2


@pytest.mark.slow  # reindex runs over a local press room and a webhook
def test_a_failed_delivery_is_retried_and_later_completed(
    configured: Path, room: PressRoom, hook: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.fail_first = 1  # one 500, then the retry succeeds
    assert main(["reindex", "--no-progress"]) == 0
    assert "alert water: delivered HTTP 200, 1 release(s), 2 attempt(s)" in capsys.readouterr().out
    assert len(hook.posts) == 1 and hook.answers == 2

    hook.fail_first = 100  # down for good: the delivery fails, the release waits
    add_release(room)
    assert main(["reindex", "--no-progress"]) == 0
    assert "alert water: failed HTTP 500" in capsys.readouterr().out
    assert deliveries(configured)[-1][1] == "failed"

    hook.fail_first = 0  # back: the next publication sends what waited
    slug, date, title, paragraphs = MINISTRY[0]
    room.put(
        f"/mofa/news/{slug}",
        ministry_page(
            slug,
            date,
            title,
            (*paragraphs, "فقرة جديدة عن زيارة الوفد الياباني المقبلة للمملكة في الخريف القادم."),
        ),
        "text/html",
    )
    assert main(["reindex", "--no-progress"]) == 0
    assert len(hook.posts) == 2
    assert [r["id"] for r in hook.posts[1]["releases"]] == [f"{room.base}/mofa/news/release-4"]


@pytest.mark.slow  # reindex runs over a local press room and a webhook
def test_alerts_api(configured: Path, room: PressRoom, hook: Receiver) -> None:
    from dalil.web.server.app import create_app

    assert main(["reindex", "--no-progress"]) == 0  # the index, and alert water's first post
    settings = load_settings()
    auth = {"X-API-Key": KEY}
    alert = {"name": "solar", "query": "الطاقة الشمسية", "mode": "keyword", "webhook": hook.url}
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/alerts").status_code == 401
        assert client.post("/api/alerts", json=alert).status_code == 401
        made = client.post("/api/alerts", json=alert, headers=auth)
        assert made.status_code == 201 and made.json()["origin"] == "api"
        listed = {a["name"]: a for a in client.get("/api/alerts", headers=auth).json()}
        assert set(listed) == {"water", "nothing", "solar"}
        assert listed["water"]["origin"] == "config" and listed["water"]["sent"] == 1
        bad = client.post("/api/alerts", json={**alert, "webhook": "ftp://x"}, headers=auth)
        assert bad.status_code == 422
        clash = client.post("/api/alerts", json={**alert, "name": "water"}, headers=auth)
        assert clash.status_code == 409
        assert client.delete("/api/alerts/water", headers=auth).status_code == 409
        assert client.delete("/api/alerts/ghost", headers=auth).status_code == 404

        # an API write publishes a generation: the new matching release goes to both alerts
        release = {
            "id": "solar-water-1",
            "title": "محطة تحلية المياه بالطاقة الشمسية",
            "text": f"أعلنت الوزارة عن مشروع {WATER} يعمل بالطاقة الشمسية في المنطقة الشرقية لخدمة المدن الساحلية.",
            "language": "ar",
        }
        assert client.post("/api/documents", json=release, headers=auth).status_code in (200, 201)
        posts = hook.wait_for(3)
        assert len(posts) == 3
        got = {p["alert"]: [r["id"] for r in p["releases"]] for p in posts[1:]}
        assert got == {"water": ["solar-water-1"], "solar": ["solar-water-1"]}

        assert client.delete("/api/alerts/solar", headers=auth).status_code == 204
        assert "solar" not in {a["name"] for a in client.get("/api/alerts", headers=auth).json()}
    with AlertStore.at_root(configured / "index") as store:
        assert store.already_sent("water") == {f"{room.base}/mofa/news/release-3", "solar-water-1"}


def test_the_servers_schedule_sends_the_alerts(
    configured: Path, room: PressRoom, hook: Receiver
) -> None:
    from dalil.web.server.app import create_app

    with TestClient(create_app(load_settings(), reindex_every=3600)):  # first run: now
        posts = hook.wait_for(1)
    assert [(p["alert"], p["generation"]) for p in posts] == [("water", "gen-000001")]
    assert [r["id"] for r in posts[0]["releases"]] == [f"{room.base}/mofa/news/release-3"]
