"""``/api/alerts``: saved searches whose new matches are POSTed to a webhook after each
published generation. Every route needs the API key (webhook URLs are private). Alerts of
dalil.toml are listed but can only be changed there (409)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from dalil.indexer import AlertConfig
from dalil.search import (
    AlertConflictError,
    AlertNotFoundError,
    AlertStore,
    alerts_root,
    all_alerts,
    start_watching,
)
from dalil.web.server.api import WRITE_ERRORS
from dalil.web.server.auth import require_api_key
from dalil.web.server.deps import SettingsDep

router = APIRouter(
    prefix="/api/alerts",
    tags=["alerts"],
    dependencies=[Depends(require_api_key)],
    responses=WRITE_ERRORS,
)

AlertName = Annotated[str, Path(min_length=1, max_length=64, description="Alert name.")]


def _described(alert: AlertConfig, store: AlertStore, origin: str) -> dict[str, Any]:
    last = store.deliveries(alert.name, limit=1)
    return {
        **alert.model_dump(),
        "origin": origin,
        "sent": len(store.already_sent(alert.name)),
        "last_delivery": last[0].to_json() if last else None,
    }


@router.get("", summary="Every alert")
def list_alerts(settings: SettingsDep) -> list[dict[str, Any]]:
    """Alerts from dalil.toml (``origin: config``) and from this API (``origin: api``), with
    how many releases each was sent and its last delivery."""
    configured = {a.name for a in settings.alerts}
    with AlertStore.at_root(alerts_root(settings)) as store:
        return [
            _described(a, store, "config" if a.name in configured else "api")
            for a in all_alerts(settings, store)
        ]


@router.get("/{name}", summary="One alert")
def get_alert(name: AlertName, settings: SettingsDep) -> dict[str, Any]:
    for alert in list_alerts(settings):
        if alert["name"] == name:
            return alert
    raise AlertNotFoundError(f"no alert named {name!r}")


@router.post("", status_code=201, summary="Save an alert (or replace one made here)")
def save_alert(alert: AlertConfig, settings: SettingsDep, request: Request) -> dict[str, Any]:
    """From the next published generation on, the new releases matching the alert are
    POSTed to its webhook (once each)."""
    if any(a.name == alert.name for a in settings.alerts):
        raise AlertConflictError(f"alert {alert.name!r} is defined in dalil.toml: change it there")
    with AlertStore.at_root(alerts_root(settings)) as store:
        store.save(alert)
    start_watching(settings)  # on a first alert: the releases indexed now are not new
    with AlertStore.at_root(alerts_root(settings)) as store:
        return _described(alert, store, "api")


@router.delete("/{name}", status_code=204, summary="Delete an alert made here")
def delete_alert(name: AlertName, settings: SettingsDep) -> Response:
    if any(a.name == name for a in settings.alerts):
        raise AlertConflictError(f"alert {name!r} is defined in dalil.toml: remove it there")
    with AlertStore.at_root(alerts_root(settings)) as store:
        if not store.delete(name):
            raise AlertNotFoundError(f"no alert named {name!r}")
    return Response(status_code=204)
