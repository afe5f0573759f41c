"""The sidebar's facets as links: each value with its count of matching releases, a link
that adds it to the search (facets combine: a source and a year narrow together) and, for
the values in force, a link that removes them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dalil.web.server.i18n import Ui
from dalil.web.server.schemas import FacetOut, FacetsOut

SHOWN = 12  # values per facet before "more" (the rest sit in a <details>)


def with_params(form: dict[str, str], **changes: str | None) -> str:
    """The search URL with ``changes`` applied (None removes a field), back on page 1."""
    params = {k: v for k, v in form.items() if k != "page"}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return "/?" + urlencode(params)


def _year_in_force(form: dict[str, str]) -> str | None:
    start, end = form.get("date_from", ""), form.get("date_to", "")
    if len(start) == 10 and start[4:] == "-01-01" and end == f"{start[:4]}-12-31":
        return start[:4]
    return None


def facet_groups(form: dict[str, str], facets: FacetsOut, ui: Ui) -> list[dict[str, Any]]:
    """``[{name, title, items: [{label, count, href, active}], more: [...]}]`` for the
    facets that have values (or a value in force)."""
    groups = []
    year = _year_in_force(form)
    for name, values in (
        ("source", facets.source),
        ("language", facets.language),
        ("category", facets.category),
        ("year", facets.year),
    ):
        current = year if name == "year" else form.get(name)
        items = [_item(form, name, f, current, ui) for f in values]
        if current and not any(i["active"] for i in items):
            missing = FacetOut(value=current, count=0)
            items.insert(0, _item(form, name, missing, current, ui))
        if not items:
            continue
        groups.append(
            {
                "name": name,
                "title": ui.t(f"facet.{name}"),
                "items": items[:SHOWN],
                "more": items[SHOWN:],
            }
        )
    return groups


def _item(
    form: dict[str, str], name: str, facet: FacetOut, current: str | None, ui: Ui
) -> dict[str, Any]:
    active = current is not None and facet.value == current
    if name == "year":
        y = facet.value
        href = (
            with_params(form, date_from=None, date_to=None)
            if active
            else with_params(form, date_from=f"{y}-01-01", date_to=f"{y}-12-31")
        )
        label = ui.digits(y)
    else:
        href = with_params(form, **{name: None if active else facet.value})
        label = ui.language_name(facet.value) if name == "language" else facet.value
    return {
        "value": facet.value,
        "label": label,
        "count": facet.count,
        "count_text": ui.number(facet.count),
        "href": href,
        "active": active,
    }
