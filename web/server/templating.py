"""Jinja2 environment for the HTML pages: autoescape on, plus a few display filters."""

from __future__ import annotations

import html
import re
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from dalil.web.server import i18n

TEMPLATES_DIR = Path(__file__).parent / "templates"

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "yi", "dv"})
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English", "fr": "French", "fa": "Persian", "ur": "Urdu"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def text_dir(language: str | None) -> str:
    """``rtl`` for Arabic script languages, ``ltr`` for a known other one, else ``auto``."""
    if not language or language == "und":
        return "auto"
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def lang_attr(language: str | None) -> str:
    """The ``lang`` attribute value, empty when the language is unknown."""
    return "" if not language or language == "und" else language


def language_name(language: str | None) -> str:
    if not language or language == "und":
        return "unknown language"
    return LANGUAGE_NAMES.get(language, language)


_MARK_TAG = re.compile(r"(</?mark>)")


def marked(snippet_html: str) -> Markup:
    """A snippet's HTML with nothing but ``<mark>`` tags let through: every other piece is
    unescaped and escaped again, so a release's own markup always shows as text."""
    out = []
    open_marks = 0
    for piece in _MARK_TAG.split(snippet_html or ""):
        if piece == "<mark>":
            open_marks += 1
            out.append(piece)
        elif piece == "</mark>":
            if open_marks:
                open_marks -= 1
                out.append(piece)
        else:
            out.append(str(escape(html.unescape(piece))))
    out.append("</mark>" * open_marks)
    return Markup("".join(out))


def _segments(snippet_html: str) -> list[tuple[str, bool]]:
    """A snippet's HTML as (plain text, marked?) pieces."""
    pieces: list[tuple[str, bool]] = []
    inside = False
    for piece in _MARK_TAG.split(snippet_html or ""):
        if piece in ("<mark>", "</mark>"):
            inside = piece == "<mark>"
        elif piece:
            pieces.append((html.unescape(piece), inside))
    return pieces


def excerpt(snippet_html: str, max_chars: int = 280) -> Markup:
    """At most about ``max_chars`` of a snippet, around its first highlight, cut at word
    boundaries with an ellipsis; escaped like :func:`marked`."""
    pieces = _segments(snippet_html)
    total = sum(len(text) for text, _ in pieces)
    if total <= max_chars:
        return marked(snippet_html)
    full = "".join(text for text, _ in pieces)
    first_mark, offset = 0, 0
    for text, is_marked in pieces:
        if is_marked:
            first_mark = offset
            break
        offset += len(text)
    start = max(0, min(first_mark - max_chars // 3, total - max_chars))
    if start:
        space = full.find(" ", start)
        start = space + 1 if 0 <= space < first_mark else start
    end = min(total, start + max_chars)
    if end < total:
        space = full.rfind(" ", start, end)
        end = space if space > start + max_chars // 2 else end
    out = ["… "] if start else []
    offset = 0
    for text, is_marked in pieces:
        lo, hi = max(start, offset), min(end, offset + len(text))
        if lo < hi:
            part = str(escape(text[lo - offset : hi - offset]))
            out.append(f"<mark>{part}</mark>" if is_marked else part)
        offset += len(text)
    if end < total:
        out.append(" …")
    return Markup("".join(out))


def safe_url(value: str | None) -> str:
    """The URL when it is plain http(s), else empty (never a ``javascript:`` link)."""
    if value and re.match(r"(?i)^https?://[^\s]+$", value.strip()):
        return value.strip()
    return ""


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text_dir"] = text_dir
    env.filters["lang_attr"] = lang_attr
    env.filters["language_name"] = language_name
    env.filters["marked"] = marked
    env.filters["excerpt"] = excerpt
    env.filters["safe_url"] = safe_url
    return Jinja2Templates(env=env, context_processors=[i18n.context])
