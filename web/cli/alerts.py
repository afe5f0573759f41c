"""``dalil alerts``: the saved searches whose new matches are POSTed to webhooks.

``dalil alerts list`` shows every alert (dalil.toml and API) with its last delivery;
``dalil alerts test NAME`` shows what the alert would match now in the whole index (the
releases already sent to it marked), without sending anything. Exit status: 0, or 2 for an
unknown alert.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dalil.indexer import SettingsError
from dalil.web.cli.options import add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "alerts",
        help="list alerts, or show what one would match now",
        description=(
            "Alerts are saved searches ([[alerts]] in dalil.toml, or POST /api/alerts); after "
            "each published generation, the releases new in it that match an alert are POSTed "
            "to its webhook, once."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every alert and its last delivery")
    test = actions.add_parser("test", help="what an alert matches now (nothing is sent)")
    test.add_argument("name", help="the alert's name")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.search import AlertStore, alerts_root, all_alerts

    with AlertStore.at_root(alerts_root(settings)) as store:
        alerts = {a.name: a for a in all_alerts(settings, store)}
        if args.action == "list":
            for alert in alerts.values():
                last = store.deliveries(alert.name, limit=1)
                print(f"{alert.name}: {alert.query!r} -> {alert.webhook}")
                print(f"  last delivery: {last[0] if last else 'none yet'}")
            if not alerts:
                print("no alerts: add [[alerts]] tables to dalil.toml or POST /api/alerts")
            return 0
        if args.name not in alerts:
            known = ", ".join(alerts) or "none"
            raise SettingsError(f"no alert named {args.name!r} (alerts: {known})")
        alert = alerts[args.name]
        sent = store.already_sent(alert.name)
    from dalil.search import Searcher, alert_matches

    with Searcher.open(settings) as searcher:
        hits = alert_matches(searcher, alert)
    threshold = f", min_score {alert.min_score:g}" if alert.min_score is not None else ""
    print(f"alert {alert.name}: {alert.query!r}{threshold}: {len(hits)} release(s) match now")
    for hit in hits:
        mark = "sent" if hit.release_id in sent else "    "
        date = hit.date or "----------"
        print(f"  {mark} {hit.score:7.3f} {date} {hit.title}  <{hit.release_id}>")
    return 0
