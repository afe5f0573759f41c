"""After a generation is published: send each alert the releases new in it that match it.

New = not held by the index at the previous dispatch (:class:`AlertStore` remembers the
ids), plus those whose delivery failed before. One JSON POST per alert and run, only when
something matched; a release is never sent twice to the same alert. Alerts come from
``[[alerts]]`` in dalil.toml and from ``POST /api/alerts`` (a name in dalil.toml wins).
Watching starts at the first dispatch (or before the run that makes the first generation,
:func:`start_watching`): releases already indexed then are not "new".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from filelock import FileLock

from dalil.indexer.settings import AlertConfig, Settings
from dalil.indexer.store.docstore import stored_releases
from dalil.indexer.store.layout import (
    ALERTS_LOCK_NAME,
    ALERTS_NAME,
    DOCS_NAME,
    generation_number,
    live_dir,
)
from dalil.search.alerts.delivery import post_json
from dalil.search.alerts.matching import alert_matches
from dalil.search.alerts.store import DELIVERED, FAILED, AlertStore, Delivery
from dalil.search.engine import Searcher
from dalil.search.models import Hit

log = logging.getLogger("dalil.alerts")

WEBHOOK_TIMEOUT = 10.0


def all_alerts(settings: Settings, store: AlertStore) -> list[AlertConfig]:
    configured = {a.name: a for a in settings.alerts}
    saved = [a for a in store.saved() if a.name not in configured]
    return [*configured.values(), *saved]


def alerts_root(settings: Settings) -> Path:
    return Path(settings.index).absolute()


def alerts_in_use(settings: Settings) -> bool:
    """Whether there is anything to dispatch: configured alerts, or saved ones."""
    return bool(settings.alerts) or (alerts_root(settings) / ALERTS_NAME).exists()


def start_watching(settings: Settings) -> None:
    """Before a re-indexing run: if alerts never ran on this index, note what it holds now,
    so the run's new releases are sent (not the whole index)."""
    if not alerts_in_use(settings):
        return
    root = alerts_root(settings)
    with FileLock(str(root / ALERTS_LOCK_NAME)), AlertStore.at_root(root) as store:
        if not store.started():
            store.new_releases(_live_ids(root))


def dispatch_alerts(
    settings: Settings, searcher: Searcher, generation: str | None
) -> list[Delivery]:
    """Send every alert its new matches in ``searcher``'s index (the generation just
    published). Returns the deliveries made (delivered or failed)."""
    if not alerts_in_use(settings):
        return []
    root = alerts_root(settings)
    with FileLock(str(root / ALERTS_LOCK_NAME)), AlertStore.at_root(root) as store:
        held = set(searcher.index.docs.release_hashes())
        first = not store.started()
        new = store.new_releases(held)
        if first and (generation is None or generation_number(generation) != 1):
            new = set()  # an index built before alerts: watching starts now
        out = []
        for alert in all_alerts(settings, store):
            sent = store.already_sent(alert.name)
            candidates = (new | (store.pending(alert.name) & held)) - sent
            if not candidates:
                continue
            hits = alert_matches(searcher, alert, candidates)
            if not hits:
                continue
            out.append(_deliver(settings, store, alert, hits, generation))
        return out


def _deliver(
    settings: Settings,
    store: AlertStore,
    alert: AlertConfig,
    hits: list[Hit],
    generation: str | None,
) -> Delivery:
    payload = {
        "alert": alert.name,
        "query": alert.query,
        "generation": generation,
        "releases": [_release(h) for h in hits],
    }
    web = settings.web
    attempted = post_json(
        alert.webhook,
        payload,
        user_agent=web.user_agent,
        timeout=WEBHOOK_TIMEOUT,
        retries=web.retries,
        backoff=web.backoff,
    )
    delivery = store.record(
        alert.name,
        generation,
        DELIVERED if attempted.ok else FAILED,
        attempted.attempts,
        attempted.http_status,
        [h.release_id for h in hits],
        attempted.error,
    )
    (log.info if attempted.ok else log.warning)("%s", delivery)
    return delivery


def _release(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.release_id,
        "title": hit.title,
        "date": hit.date,
        "source": hit.source,
        "language": hit.language,
        "category": hit.category,
        "url": hit.url,
        "score": round(float(hit.score), 6),
        "snippet": hit.snippets[0].text if hit.snippets else None,
    }


def _live_ids(root: Path) -> list[str]:
    live = live_dir(root)
    if live is None or not (live / DOCS_NAME).exists():
        return []
    return list(stored_releases(live / DOCS_NAME))


def dispatch_after_publish(settings: Settings, generation: str) -> list[Delivery]:
    """For a process without a searcher (the CLI): open one on the index and dispatch.
    Never raises: a failing dispatch is logged (the index is published either way)."""
    if not alerts_in_use(settings):
        return []
    try:
        with Searcher.open(settings) as searcher:
            return dispatch_alerts(settings, searcher, generation)
    except Exception:
        log.exception("alerts not dispatched for %s", generation)
        return []
