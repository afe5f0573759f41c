"""API docs served from local files, so they work offline: Swagger UI at /docs and ReDoc at
/redoc.

FastAPI emits OpenAPI 3.1, which Swagger UI renders from version 5 on (4.x shows "Unable to
render this definition") and ReDoc from 2.0. Both bundles come from the ``fastapi-offline``
package (Swagger UI 5.x, ReDoc 2.x); only its static files are used, never a CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/apidocs"
ASSET_DIR = str(files("fastapi_offline") / "static")

# Shown open and with the "Try it out" form ready: a newcomer sees every parameter at once.
SWAGGER_PARAMETERS = {
    "docExpansion": "list",
    "defaultModelsExpandDepth": 0,
    "tryItOutEnabled": True,
    "displayRequestDuration": True,
    "validatorUrl": None,  # its default badge would call an online validator
}
# ReDoc's sidebar shows Redocly's logo from their CDN, unconditionally; the page's policy
# keeps the browser from fetching anything but this server's files (the logo is then hidden).
REDOC_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
)


def with_parameter_examples(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with each parameter's first schema example also set as the parameter's own
    ``example``: Swagger UI shows that one and fills it into the "Try it out" form (it
    ignores JSON Schema ``examples`` inside a parameter's schema)."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                examples = parameter.get("schema", {}).get("examples")
                if examples and "example" not in parameter:
                    parameter["example"] = examples[0]
    return spec


def install_docs(app: FastAPI) -> None:
    """Mount the viewers' assets and serve /docs and /redoc from them (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=ASSET_DIR), name="apidocs")
    openapi_url = app.openapi_url or "/openapi.json"
    app.openapi = _cached(app.openapi)  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="dalil API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title="dalil API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = REDOC_POLICY
        return page


def _cached(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    spec: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not spec:
            spec.update(with_parameter_examples(generate()))
        return spec

    return openapi
