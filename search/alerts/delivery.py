"""POSTing an alert's new matches to its webhook (httpx): one JSON POST, retried with
back-off on network errors, 429 and 5xx; any 2xx is a delivery."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

RETRIED = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Attempted:
    ok: bool
    attempts: int
    http_status: int | None
    error: str | None


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    user_agent: str,
    timeout: float,
    retries: int,
    backoff: float,
) -> Attempted:
    """POST ``payload`` until a 2xx, a final answer (other 4xx) or ``retries`` retries."""
    status: int | None = None
    error: str | None = None
    headers = {"User-Agent": user_agent, "Content-Type": "application/json"}
    with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers) as client:
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))  # back-off before a retry
            try:
                answer = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                continue
            status = answer.status_code
            if 200 <= status < 300:
                return Attempted(True, attempt + 1, status, None)
            error = f"HTTP {status} {answer.reason_phrase}".strip()
            if status not in RETRIED:
                return Attempted(False, attempt + 1, status, error)
    return Attempted(False, retries + 1, status, error)
