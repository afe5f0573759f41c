"""The page's two interface languages: a message catalogue per language, and numbers, dates
and months written the way each language's readers expect (Arabic-Indic digits and Arabic
month names in Arabic).

The language is chosen by the ``dalil_ui`` cookie (set by the toggle, ``/ui?lang=``), else by
the browser's Accept-Language, else English. A release keeps its own language and direction
whatever the interface's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from dalil.web.server.i18n_messages import MESSAGES

LANGUAGES = ("ar", "en")
DEFAULT = "en"
COOKIE = "dalil_ui"
COOKIE_MAX_AGE = 365 * 24 * 3600
_ARABIC_DIGITS = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
}


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages in an Accept-Language header, by its q values."""
    best: tuple[float, str] | None = None
    for position, part in enumerate((header or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            key = (quality, tag)
            if best is None or quality > best[0] or (quality == best[0] and position == 0):
                best = key
    return best[1] if best else None


def choose(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    return from_accept_language(accept_language) or DEFAULT


@dataclass(frozen=True)
class Ui:
    """The interface language of one request, with its formatting helpers (the templates
    call it as ``ui``)."""

    lang: str

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"

    @property
    def other(self) -> str:
        return "en" if self.lang == "ar" else "ar"

    def t(self, key: str, **values: Any) -> str:
        """The message ``key`` in this language (English when missing), with ``{name}``
        replaced by ``values`` (numbers formatted for the language)."""
        text = MESSAGES[self.lang].get(key) or MESSAGES[DEFAULT].get(key) or key
        if values:
            shown = {k: self.number(v) if isinstance(v, int) else v for k, v in values.items()}
            text = text.format(**shown)
        return text

    def plural(self, key: str, count: int, **values: Any) -> str:
        """``key`` chosen by ``count``: ``key.one`` / ``key.two`` / ``key.few`` / ``key.many``
        (Arabic's forms; English uses one and many)."""
        form = "many"
        if count == 1:
            form = "one"
        elif self.lang == "ar" and count == 2:
            form = "two"
        elif self.lang == "ar" and 3 <= count % 100 <= 10:
            form = "few"
        if f"{key}.{form}" not in MESSAGES[self.lang]:
            form = "many"
        return self.t(f"{key}.{form}", n=count, **values)

    def number(self, value: int | float) -> str:
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"
        return text.translate(_ARABIC_DIGITS) if self.lang == "ar" else text

    def digits(self, text: str) -> str:
        return text.translate(_ARABIC_DIGITS) if self.lang == "ar" else text

    def date(self, value: str | None) -> str:
        """``2018-02-18`` (or an ISO timestamp) → ``18 Feb 2018`` / ``١٨ فبراير ٢٠١٨``."""
        if not value:
            return ""
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        month = MONTHS[self.lang][day.month - 1]
        return self.digits(f"{day.day}") + f" {month} " + self.digits(f"{day.year}")

    def month(self, label: str) -> str:
        """``2018-02`` → ``Feb 2018`` / ``فبراير ٢٠١٨``; ``2018`` → ``2018``."""
        if len(label) == 7:
            month = MONTHS[self.lang][int(label[5:7]) - 1]
            return f"{month} " + self.digits(label[:4])
        return self.digits(label)

    def language_name(self, code: str | None) -> str:
        if not code or code == "und":
            return self.t("lang.unknown")
        return MESSAGES[self.lang].get(f"lang.{code}") or code


def ui_for(request: Request) -> Ui:
    return Ui(choose(request.cookies.get(COOKIE), request.headers.get("accept-language")))


def context(request: Request) -> dict[str, Any]:
    """Jinja2 context processor: ``ui`` in every page (the error pages too) and ``here``,
    the page's own path and query (where the language toggle comes back to)."""
    query = request.url.query
    return {"ui": ui_for(request), "here": request.url.path + ("?" + query if query else "")}
