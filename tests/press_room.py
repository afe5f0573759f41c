# ruff: noqa: E501 - release texts read best on one line
"""Press rooms served over HTTP on 127.0.0.1, for the web-source tests and the README
walkthrough (``python tests/press_room.py --port 8765``).

An Arabic ministry (``/mofa/``: an RSS 2.0 feed and its release pages, one in windows-1256),
an English agency (``/agency/``: a sitemap index, a sitemap with ``lastmod``, release pages
and a listing page) and the faults a press room has: a 404, a 500 then success, a slow
answer, a redirect loop, a 50 MB page, a PDF, a page with no article text, a feed that is
not XML and a path robots.txt disallows. Every answer carries an ETag and a Last-Modified
and a conditional GET of an unchanged page gets a 304. Every request is recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUGE_BYTES = 50 * 1024 * 1024
SLOW_WAIT = 30.0  # seconds the slow page holds its answer at most (a test releases it sooner)


@dataclass
class Page:
    body: bytes
    content_type: str
    modified: float = 1_750_000_000.0
    fail_first: int = 0  # answer 500 to this many requests first

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Hit:
    path: str
    status: int
    conditional: bool
    agent: str = ""


@dataclass
class PressRoom:
    pages: dict[str, Page] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def put(self, path: str, body: str | bytes, content_type: str, **kw: Any) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        old = self.pages.get(path)
        modified = (old.modified + 60) if old else 1_750_000_000.0
        self.pages[path] = Page(data, content_type, modified=modified, **kw)

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def take_hits(self) -> list[Hit]:
        with self.lock:
            hits, self.hits = self.hits, []
        return hits


def _handler(room: PressRoom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            conditional = bool(
                self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
            )
            if path.endswith("/slow"):  # recorded on arrival: the answer comes late
                room.record(Hit(path, 200, conditional, self.headers.get("User-Agent", "")))
                self._slow()
                return
            status = self._answer(path)
            room.record(Hit(path, status, conditional, self.headers.get("User-Agent", "")))

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _answer(self, path: str) -> int:
            if path.endswith("/loop"):
                self._send(302, headers={"Location": path})
                return 302
            if path.endswith("/huge"):
                return self._huge()
            page = room.pages.get(path)
            if page is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return 404
            if page.fail_first > 0:
                page.fail_first -= 1
                self._send(500, b"busy", {"Content-Type": "text/plain"})
                return 500
            validators = {
                "ETag": page.etag,
                "Last-Modified": formatdate(page.modified, usegmt=True),
            }
            if self.headers.get("If-None-Match") == page.etag:
                self._send(304, headers=validators)
                return 304
            self._send(200, page.body, {"Content-Type": page.content_type, **validators})
            return 200

        def _slow(self) -> None:
            room.release_slow.wait(SLOW_WAIT)
            with suppress(OSError):
                self._send(200, b"<html><body><p>late</p></body></html>")

        def _huge(self) -> int:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")  # no length: the client must stop reading
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>\n"
            sent = 0
            try:
                while sent < HUGE_BYTES:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            self.close_connection = True
            return 200

    return Handler


@contextmanager
def serving(room: PressRoom, port: int = 0) -> Iterator[PressRoom]:
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(room))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    room.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield room
    finally:
        room.release_slow.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- the press rooms ---------------------------------------------------------------------

NAV = "<nav><a href='/'>الرئيسية</a> | <a href='/mofa/news'>الأخبار</a> | <a href='/mofa/contact'>اتصل بنا</a></nav>"
FOOTER = "<footer><p>جميع الحقوق محفوظة لوزارة الخارجية 2025</p></footer>"
SHARE = "<div class='share'>شارك: تويتر فيسبوك واتساب</div>"

MINISTRY = (
    (
        "release-1",
        "2025-03-02",
        "وزير الخارجية يستقبل سفير اليابان",
        (
            "استقبل وزير الخارجية اليوم سفير اليابان لدى المملكة، وبحث معه سبل تعزيز العلاقات الثنائية بين البلدين الصديقين في المجالات الاقتصادية والتجارية والثقافية.",
            "وأكد الوزير خلال اللقاء حرص المملكة على تطوير التعاون مع اليابان في مجالات الطاقة المتجددة وتحلية المياه والتعليم، بما يخدم المصالح المشتركة للشعبين.",
            "من جانبه أعرب السفير عن تقديره لما تشهده العلاقات من تطور مستمر، مشيدا بالفرص الاستثمارية الواعدة في المملكة.",
        ),
    ),
    (
        "release-2",
        "2025-03-05",
        "المملكة تدين الهجوم الإرهابي وتؤكد تضامنها",
        (
            "أعربت وزارة الخارجية عن إدانة المملكة واستنكارها الشديدين للهجوم الإرهابي الذي استهدف مدنيين أبرياء، مؤكدة تضامنها الكامل مع الدولة الشقيقة.",
            "وجددت الوزارة موقف المملكة الثابت الرافض للإرهاب والتطرف بجميع أشكاله وصوره، ودعت المجتمع الدولي إلى تكثيف الجهود لمكافحته وتجفيف منابع تمويله.",
        ),
    ),
    (
        "release-3",
        "2025-03-09",
        "توقيع مذكرة تفاهم للتعاون في مجال تحلية المياه",
        (
            "وقعت المملكة اليوم مذكرة تفاهم مع الحكومة الفرنسية للتعاون في مجال تحلية المياه ومعالجتها، وذلك على هامش المنتدى الدولي للمياه المنعقد في العاصمة.",
            "وتهدف المذكرة إلى تبادل الخبرات التقنية وتدريب الكوادر الوطنية وإنشاء مشاريع تجريبية لمحطات تعمل بالطاقة الشمسية في المناطق الساحلية.",
        ),
    ),
)

AGENCY = (
    (
        "solar-tender",
        "2025-04-01",
        "Energy agency opens tender for desert solar parks",
        (
            "The National Energy Agency today opened an international tender for three solar parks in the desert, with a combined capacity of 1.5 gigawatts to be connected to the grid by 2027.",
            "Bidders must submit technical and financial offers by the end of June. The agency said the parks would supply power to more than 400,000 homes and cut emissions from oil-fired plants.",
        ),
    ),
    (
        "grid-storage",
        "2025-04-10",
        "Agency signs battery storage agreement with grid operator",
        (
            "The agency signed an agreement with the national grid operator to build battery storage next to the new solar parks, so that daytime solar power can be used in the evening peak.",
            "The first storage site will hold 500 megawatt-hours and is planned to open next year, the agency's director told reporters after the signing ceremony in the capital.",
        ),
    ),
)


def ministry_page(
    slug: str,
    date: str,
    title: str,
    paragraphs: tuple[str, ...],
    *,
    charset: str = "utf-8",
    extra: str = "",
) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        f"<!doctype html><html lang='ar' dir='rtl'><head><meta charset='{charset}'>"
        f"<title>{title} | وزارة الخارجية</title>"
        f"<meta name='date' content='{date}'>"
        f"<link rel='canonical' href='/mofa/news/{slug}'></head><body>{NAV}"
        f"<main><article><h1>{title}</h1><time datetime='{date}'>{date}</time>{body}{extra}</article>"
        f"{SHARE}</main>{FOOTER}</body></html>"
    )
    return html.encode(charset)


def agency_page(slug: str, date: str, title: str, paragraphs: tuple[str, ...]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} - National Energy Agency</title>"
        f"<meta property='article:published_time' content='{date}T09:00:00Z'></head><body>"
        "<header><a href='/agency/'>National Energy Agency</a> <a href='/agency/press/'>Press</a></header>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<aside>Share this: Twitter LinkedIn Email</aside>"
        "<footer>© National Energy Agency · Privacy · Contact</footer></body></html>"
    )


def rss(base: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{link}</link><pubDate>{d}</pubDate></item>"
        for link, t, d in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>وزارة الخارجية - الأخبار</title><link>{base}/mofa/</link>"
        f"<description>بيانات صحفية</description>{entries}</channel></rss>"
    )


def build(room: PressRoom) -> PressRoom:
    """Fill ``room`` (already serving, so ``room.base`` is known) with both press rooms."""
    base = room.base
    room.put("/robots.txt", "User-agent: *\nDisallow: /mofa/private/\n", "text/plain")
    for i, (slug, date, title, paragraphs) in enumerate(MINISTRY):
        charset = "windows-1256" if i == 1 else "utf-8"
        content_type = "text/html" if i == 1 else "text/html; charset=utf-8"
        room.put(
            f"/mofa/news/{slug}",
            ministry_page(slug, date, title, paragraphs, charset=charset),
            content_type,
            fail_first=2 if i == 2 else 0,
        )
    room.put(
        "/mofa/news/empty",
        "<html><body><nav>الرئيسية</nav><footer>حقوق</footer></body></html>",
        "text/html",
    )
    room.put("/mofa/news/statement.pdf", b"%PDF-1.4 not a page", "application/pdf")
    room.put(
        "/mofa/private/draft",
        ministry_page("draft", "2025-03-10", "مسودة", MINISTRY[0][3]),
        "text/html",
    )
    items = [
        (f"/mofa/news/{slug}", title, "Sun, 02 Mar 2025 10:00:00 GMT")
        for slug, _, title, _ in MINISTRY
    ]
    items += [
        (f"/mofa/news/{name}", name, "Sun, 02 Mar 2025 10:00:00 GMT")
        for name in ("gone", "slow", "loop", "huge", "empty", "statement.pdf")
    ]
    items.append(("/mofa/private/draft", "draft", "Sun, 02 Mar 2025 10:00:00 GMT"))
    room.put("/mofa/rss.xml", rss(base, items), "application/rss+xml")
    room.put("/broken/feed.xml", "<html><body>This is not a feed <b>at all", "application/rss+xml")

    for slug, date, title, paragraphs in AGENCY:
        room.put(
            f"/agency/news/{slug}.html",
            agency_page(slug, date, title, paragraphs),
            "text/html; charset=utf-8",
        )
    urls = "".join(
        f"<url><loc>{base}/agency/news/{slug}.html</loc><lastmod>{date}</lastmod></url>"
        for slug, date, _, _ in AGENCY
    )
    room.put(
        "/agency/sitemap-2025.xml",
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
        "application/xml",
    )
    room.put(
        "/agency/sitemap.xml",
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{base}/agency/sitemap-2025.xml</loc></sitemap></sitemapindex>",
        "application/xml",
    )
    links = "".join(
        f"<li><a href='/agency/news/{slug}.html'>{title}</a></li>" for slug, _, title, _ in AGENCY
    )
    room.put(
        "/agency/press/",
        "<html><body><nav><a href='/agency/'>Home</a><a href='/agency/about'>About</a></nav>"
        f"<h1>Press releases</h1><ul>{links}</ul></body></html>",
        "text/html",
    )
    return room


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fixture press rooms on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    room = PressRoom()
    with serving(room, args.port):
        build(room)
        print(
            f"press rooms at {room.base}/mofa/rss.xml, {room.base}/agency/sitemap.xml, {room.base}/agency/press/ (Ctrl-C stops)",
            flush=True,
        )
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
