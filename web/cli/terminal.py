"""Search results as terminal text: wrapped to the terminal's width, matched words marked.

On a terminal (stdout a TTY, ``NO_COLOR`` unset) the words the highlighter marked are shown
bold and coloured; piped or redirected, the same layout comes out as plain text. rich does
the wrapping, so marked words never break the line width.
"""

from __future__ import annotations

import html
import re
import sys
from typing import Any, TextIO

SNIPPET_CHARS = 240
MIN_WIDTH, MAX_WIDTH = 40, 120  # narrower is unreadable, wider is hard to follow
INDENT = "     "
MATCH_STYLE = "bold yellow"
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_SPACES = re.compile(r"\s+")


def truncate(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + " …"


def snippet_text(snippet_html: str, limit: int = SNIPPET_CHARS) -> Any:
    """A snippet's HTML (escaped text with ``<mark>`` around matches) as a rich Text:
    whitespace collapsed, cut at a word before ``limit`` characters, matched words styled."""
    from rich.text import Text

    text = Text()
    for i, part in enumerate(_MARK.split(snippet_html)):
        text.append(_SPACES.sub(" ", html.unescape(part)), style=MATCH_STYLE if i % 2 else "")
    plain = text.plain
    text = text[len(plain) - len(plain.lstrip()) :]
    text.rstrip()
    if len(text.plain) > limit:
        cut = text.plain[:limit].rsplit(" ", 1)[0] or text.plain[:limit]
        text = text[: len(cut)]
        text.append(" …")
    return text


def make_console(file: TextIO | None = None) -> Any:
    """A rich Console for ``file`` (stdout): the terminal's width within bounds, colours only
    on a terminal (and never with ``NO_COLOR``)."""
    from rich.console import Console

    file = file if file is not None else sys.stdout
    probe = Console(file=file)
    width = max(MIN_WIDTH, min(MAX_WIDTH, probe.width)) if probe.is_terminal else 96
    return Console(
        file=file, width=width, highlight=False, emoji=False, markup=False, soft_wrap=False
    )


def print_response(response: Any, console: Any) -> None:
    """A header line, then per hit: rank, score, id, date, source; the title; the best
    paragraph, wrapped under the title with its matched words marked."""
    from rich.padding import Padding
    from rich.text import Text

    query = response.query
    count = f"about {response.total}" if response.approximate else f"{response.total}"
    extra = ""
    if response.threshold is not None:
        extra = f"; relevance threshold {response.threshold:g}, {response.weaker} weaker"
    console.print(
        Text(
            f"{count} matching release(s) for {query.text!r} "
            f"({query.mode}, {query.sort}{extra}, {response.took_ms:.0f} ms)"
        )
    )
    for rank, hit in enumerate(response.hits, start=query.offset + 1):
        meta = "  ".join(x for x in (hit.release_id, hit.date, hit.source) if x)
        weak = "  (weaker match)" if hit.weak else ""
        console.print()
        console.print(Text(f"{rank:>3}. {hit.score:.4f}  {meta}{weak}"))
        console.print(Padding(Text(hit.title, style="bold"), (0, 0, 0, len(INDENT))))
        if hit.duplicates:
            also = ", ".join(dict.fromkeys(c.source or c.release_id for c in hit.duplicates))
            console.print(Padding(Text(f"also published by: {also}"), (0, 0, 0, len(INDENT))))
        if hit.snippets:
            console.print(Padding(snippet_text(hit.snippets[0].html), (0, 0, 0, len(INDENT))))
    if not response.hits:
        if query.offset and response.total:
            last = (response.total - 1) // query.k * query.k
            console.print(
                Text(
                    f"no releases at --offset {query.offset}: this query has "
                    f"{response.total}; the last page is --offset {last}"
                )
            )
        else:
            console.print(Text("no matches"))
