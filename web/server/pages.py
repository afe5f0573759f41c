"""Server-rendered HTML pages: the search page at / and the release view at /release/{id},
in the interface language of :mod:`web.server.i18n` (the ``/ui`` toggle sets it).

Everything works without JavaScript: the query and options travel in the URL (GET form and
links), so results can be shared and the back button works. Release text is always escaped.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from dalil.indexer import FILTER_FIELDS, DalilError
from dalil.search import QuerySyntaxError
from dalil.web.server import convert, i18n
from dalil.web.server.atom import feed_href
from dalil.web.server.deps import SearcherDep, SlotsDep
from dalil.web.server.errors import BadRequestError, problem_for
from dalil.web.server.facet_links import facet_groups, with_params
from dalil.web.server.schemas import MAX_K, MAX_OFFSET, SearchOut, SearchRequest
from dalil.web.server.templating import SECURITY_HEADERS
from dalil.web.server.timeline_svg import timeline_svg

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

PAGE_SIZE = 10
SIMILAR_COUNT = 5
# What the search form carries; anything else in the URL is ignored by the page.
FORM_FIELDS = ("q", "mode", *FILTER_FIELDS, "k", "sort", "weaker")
SORTS = ("relevance", "newest", "oldest")
_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Any:
    return request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status, headers=SECURITY_HEADERS
    )


def _form_values(request: Request) -> dict[str, str]:
    """The search form's fields from the URL, blank ones dropped (dates typed with
    Arabic-Indic digits read as the same dates)."""
    values = {}
    for name in FORM_FIELDS:
        value = request.query_params.get(name, "").strip()
        if name in ("date_from", "date_to"):
            value = value.translate(_ASCII_DIGITS)
        if value:
            values[name] = value
    if values.get("sort") == "relevance" or values.get("sort") not in SORTS:
        values.pop("sort", None)
    if values.get("weaker") not in ("1", "true"):
        values.pop("weaker", None)
    return values


def _page_number(raw: str | None) -> int:
    """The ``page`` parameter (1 when absent); :class:`BadRequestError` for anything but a
    whole number from 1 up."""
    text = (raw or "1").strip()
    if not text.isdigit() or int(text) < 1:
        raise BadRequestError("page", f"must be a whole number from 1 up, got {raw!r}")
    return int(text)


def _pagination(form: dict[str, str], page: int, k: int, listed: int) -> dict[str, Any]:
    """Links to the previous, next and nearby pages, keeping the query and options."""
    last = max(1, min(math.ceil(listed / k), MAX_OFFSET // k + 1))

    def href(number: int) -> str:
        params = dict(form)
        if number > 1:
            params["page"] = str(number)
        return "/?" + urlencode(params)

    window = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    pages: list[dict[str, Any]] = []
    for number in window:
        if pages and number - pages[-1]["number"] > 1:
            pages.append({"number": None, "href": None, "current": False})  # a gap
        pages.append({"number": number, "href": href(number), "current": number == page})
    return {
        "page": page,
        "last": last,
        "prev": href(page - 1) if page > 1 else None,
        "next": href(page + 1) if page < last else None,
        "last_href": href(last),
        "pages": pages,
    }


def _describe_filters(form: dict[str, str], ui: i18n.Ui) -> list[str]:
    """The filters in force, in words: ``from 1 Jan 2019``, ``English``, a source ..."""
    words = []
    if "date_from" in form:
        words.append(ui.t("filter.from.words", date=ui.date(form["date_from"])))
    if "date_to" in form:
        words.append(ui.t("filter.to.words", date=ui.date(form["date_to"])))
    if "language" in form:
        words.append(ui.language_name(form["language"]))
    words.extend(form[name] for name in ("source", "category") if name in form)
    return words


def _filter_href(form: dict[str, str], *drop: str) -> str:
    return "/?" + urlencode({k: v for k, v in form.items() if k not in drop})


@router.get("/ui")
def set_interface_language(request: Request) -> Any:
    """The language toggle: remember the choice in a cookie, go back to the page."""
    lang = request.query_params.get("lang", "")
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, lang, max_age=i18n.COOKIE_MAX_AGE, samesite="lax", httponly=True
        )
    return response


@router.get("/")
def search_page(request: Request, searcher: SearcherDep, slots: SlotsDep) -> Any:
    ui = i18n.ui_for(request)
    form = _form_values(request)
    releases, _ = searcher.index.docs.counts()
    context: dict[str, Any] = {
        "page_title": form.get("q") or ui.t("search.title"),
        "form": form,
        "mode": form.get("mode", "hybrid"),
        "sort": form.get("sort", "relevance"),
        "release_count": releases,
        "results": None,
        "error": None,
        "feed_href": None,
        "error_href": None,
        "pagination": None,
        "facets": [],
        "timeline": "",
        "clear_filters_href": _filter_href(form, *FILTER_FIELDS),
        "filters_active": any(form.get(f) for f in FILTER_FIELDS),
        "active_filters": _describe_filters(form, ui),
    }
    if "q" not in form:
        return render(request, "search.html", context)
    try:
        page = _page_number(request.query_params.get("page"))
    except BadRequestError as exc:
        context["error"] = str(exc)
        context["error_href"] = "/?" + urlencode(form)  # the same search, first page
        return render(request, "search.html", context, status=422)
    try:
        k = int(form.get("k", PAGE_SIZE))
        offset = (page - 1) * k if 0 < k <= MAX_K else 0
        if offset > MAX_OFFSET:
            raise BadRequestError("page", f"results go up to page {MAX_OFFSET // k + 1}")
        values: dict[str, Any] = {n: v for n, v in form.items() if n not in ("k", "weaker")}
        req = SearchRequest.model_validate(
            {**values, "k": k, "offset": offset, "weaker": "weaker" in form}
        )
        with slots.take():  # the page's searches queue with the API's
            resp = searcher.search(convert.to_query(req))
    except QuerySyntaxError as exc:
        # what the reader typed, explained: a page state like "no results", not an HTTP error
        context["error"] = ui.t(f"qerr.{exc.code}", value=exc.value)
        return render(request, "search.html", context)
    except (ValidationError, ValueError) as exc:
        context["error"] = _form_error(exc, ui)
        return render(request, "search.html", context, status=422)
    except DalilError as exc:
        problem = problem_for(exc)
        context["error"] = problem.message
        return render(request, "search.html", context, status=problem.status)
    results = convert.search_out(req, resp)
    context.update(_results_context(form, page, req.k, results, ui))
    context["feed_href"] = feed_href(form)
    return render(request, "search.html", context)


def _results_context(
    form: dict[str, str], page: int, k: int, results: SearchOut, ui: i18n.Ui
) -> dict[str, Any]:
    """What the results part of the page shows besides the hits."""
    matches_listed = results.listed - (results.weaker if "weaker" in form else 0)
    first_weak = next((i for i, h in enumerate(results.results) if h.weak), None)
    return {
        "results": results,
        "pagination": _pagination(form, page, k, results.listed),
        "facets": facet_groups(form, results.facets, ui),
        "timeline": timeline_svg(
            results.timeline.buckets,
            results.timeline.unit,
            ui,
            lambda b: with_params(form, date_from=b.date_from, date_to=b.date_to),
        ),
        "timeline_first": ui.month(results.timeline.buckets[0].period)
        if results.timeline.buckets
        else "",
        "timeline_last": ui.month(results.timeline.buckets[-1].period)
        if results.timeline.buckets
        else "",
        "sort_links": [
            {
                "value": s,
                "label": ui.t(f"sort.{s}"),
                "href": with_params(form, sort=None if s == "relevance" else s),
                "current": form.get("sort", "relevance") == s,
            }
            for s in SORTS
        ],
        "folded_count": max(0, results.total - matches_listed),
        "first_weak": first_weak,
        "weaker_href": with_params(form, weaker="1", sort=None),
        "matches_only_href": with_params(form, weaker=None),
        "show_weaker_link": results.weaker > 0
        and "weaker" not in form
        and (page * k >= matches_listed),
    }


def _form_error(exc: ValidationError | ValueError, ui: i18n.Ui) -> str:
    """What was wrong with the search form's values, naming the field."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        return ui.t("qerr.field", field=field, message=message) if field else message
    return ui.t("qerr.field", field="k", message="must be a whole number")


@router.get("/release/{release_id:path}")
def release_page(
    request: Request,
    release_id: Annotated[str, Path(min_length=1, max_length=300)],
    searcher: SearcherDep,
) -> Any:
    stored = searcher.get_release(release_id)
    try:
        similar = searcher.similar(release_id, k=SIMILAR_COUNT).hits
    except DalilError:
        similar = ()
    copies = searcher.copies_of(release_id)
    release = convert.release_out(stored)
    return render(
        request,
        "release.html",
        {
            "page_title": release.title,
            "release": release,
            "similar": [convert.hit_out(h) for h in similar],
            "copies": [convert.duplicate_out(d) for d in copies],
        },
    )
