"""OpenAPI docs at /docs served from local files (swagger-ui-bundle), so they work offline.

FastAPI's default /docs page loads Swagger UI from a CDN, which is blank on a machine with no
internet; this serves the same page with the assets that the swagger-ui-bundle package ships.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/static/swagger"


def install_docs(app: FastAPI) -> None:
    """Mount the Swagger UI assets and serve /docs from them (create the app with
    ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="dalil API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
