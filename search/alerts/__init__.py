"""Alerts: saved searches whose new matches are POSTed to a webhook after each published
generation. ``store`` (alerts.sqlite at the index root), ``matching`` (the alert's search),
``delivery`` (the webhook POST), ``dispatch`` (after a publication)."""
