"""Server-rendered HTML pages: the search page at / and the release view at /release/{id}.

Everything works without JavaScript: the query and options travel in the URL (GET form), so
results can be shared and the back button works. Release text is always escaped.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from dalil.indexer import FILTER_FIELDS, DalilError
from dalil.web.server import convert
from dalil.web.server.atom import feed_href
from dalil.web.server.deps import SearcherDep
from dalil.web.server.errors import BadRequestError, problem_for
from dalil.web.server.schemas import MAX_K, MAX_OFFSET, SearchRequest
from dalil.web.server.templating import SECURITY_HEADERS, language_name, readable_date

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

PAGE_SIZE = 10
SIMILAR_COUNT = 5
# What the search form carries; anything else in the URL is ignored by the page.
FORM_FIELDS = ("q", "mode", *FILTER_FIELDS, "k")


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Any:
    return request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status, headers=SECURITY_HEADERS
    )


def _form_values(request: Request) -> dict[str, str]:
    """The search form's fields from the URL, blank ones dropped."""
    values = {}
    for name in FORM_FIELDS:
        value = request.query_params.get(name, "").strip()
        if value:
            values[name] = value
    return values


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


def _pagination(form: dict[str, str], page: int, k: int, total: int) -> dict[str, Any]:
    """Links to the previous, next and nearby pages, keeping the query and options."""
    last = max(1, min(math.ceil(total / k), MAX_OFFSET // k + 1))

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
        "pages": pages,
    }


def _describe_filters(form: dict[str, str]) -> list[str]:
    """The filters in force, in words: ``from 1 Jan 2019``, ``English``, a source ..."""
    words = []
    if "date_from" in form:
        words.append(f"from {readable_date(form['date_from'])}")
    if "date_to" in form:
        words.append(f"until {readable_date(form['date_to'])}")
    if "language" in form:
        words.append(language_name(form["language"]))
    words.extend(form[name] for name in ("source", "category") if name in form)
    return words


def _filter_href(form: dict[str, str], *drop: str) -> str:
    return "/?" + urlencode({k: v for k, v in form.items() if k not in drop})


@router.get("/")
def search_page(request: Request, searcher: SearcherDep) -> Any:
    form = _form_values(request)
    page = _page_number(request.query_params.get("page"))
    facets = searcher.index.docs.facets()
    releases, _ = searcher.index.docs.counts()
    context: dict[str, Any] = {
        "page_title": form.get("q") or "Search",
        "form": form,
        "mode": form.get("mode", "hybrid"),
        "facets": facets,
        "release_count": releases,
        "results": None,
        "error": None,
        "feed_href": None,
        "pagination": None,
        "clear_filters_href": _filter_href(form, *FILTER_FIELDS),
        "filters_active": any(form.get(f) for f in FILTER_FIELDS),
        "active_filters": _describe_filters(form),
    }
    if "q" not in form:
        return render(request, "search.html", context)
    try:
        k = int(form.get("k", PAGE_SIZE))
        offset = (page - 1) * k if 0 < k <= MAX_K else 0
        if offset > MAX_OFFSET:
            raise BadRequestError("page", f"results go up to page {MAX_OFFSET // k + 1}")
        req = SearchRequest.model_validate(
            {**{n: v for n, v in form.items() if n != "k"}, "k": k, "offset": offset}
        )
        resp = searcher.search(convert.to_query(req))
    except (ValidationError, ValueError) as exc:
        context["error"] = _form_error(exc)
        return render(request, "search.html", context, status=422)
    except DalilError as exc:
        problem = problem_for(exc)
        context["error"] = problem.message
        return render(request, "search.html", context, status=problem.status)
    context["results"] = convert.search_out(req, resp)
    context["feed_href"] = feed_href(form)
    context["pagination"] = _pagination(form, page, req.k, resp.total)
    return render(request, "search.html", context)


def _form_error(exc: ValidationError | ValueError) -> str:
    """What was wrong with the search form's values, naming the field."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        return f"{field}: {message}" if field else message
    return "k: must be a whole number"


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
    release = convert.release_out(stored)
    return render(
        request,
        "release.html",
        {
            "page_title": release.title,
            "release": release,
            "similar": [convert.hit_out(h) for h in similar],
        },
    )
