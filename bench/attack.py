"""Two anonymous resource attacks of issue 16 against a real ``dalil serve`` on 127.0.0.1:
peak server RSS (VmHWM) and time, for the code of this repository or another checkout.

* large bodies: ``--bodies`` concurrent anonymous POST /api/documents of ``--body-mb`` MB
  each (streamed from a generator: the client holds 1 MB at a time);
* a costly batch: one ~1 KB anonymous POST /api/search of 20 searches with k=100,
  offset=900, ``--batches`` times.

Bounded in count and time (every request has a timeout); 127.0.0.1 only.

    python bench/attack.py --index /tmp/attack-index                  # this checkout
    python bench/attack.py --index /tmp/attack-index --code /work/main  # another checkout

The index is built from indexer/sample_data with use-m3 when missing. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from served import free_port, proc_memory

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def build_index(index: Path, code: Path) -> None:
    if (index / "CURRENT").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "dalil.web.cli.main", "index", str(REPO / "indexer" / "sample_data")]
        + ["--index", str(index), "--encoders", "use-m3", "--no-progress"],
        env=_env(code, index),
        check=True,
    )


def _env(code: Path, index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env.update(
        PYTHONPATH=str(code / "build" / "namespace"),
        DALIL_CONFIG=str(index.parent / "no-dalil.toml"),
        DALIL_INDEX=str(index),
        DALIL_API_KEY="bench-secret",
    )
    return env


def body(size: int) -> Iterator[bytes]:
    yield b'{"title": "t", "text": "'
    chunk = b"a" * MB
    for _ in range(size // MB):
        yield chunk
    yield b'"}'


def post_body(url: str, size: int) -> str:
    try:
        response = httpx.post(
            f"{url}/api/documents",
            content=body(size),
            headers={"Content-Type": "application/json", "Content-Length": str(size + 26)},
            timeout=300,
        )
        return str(response.status_code)
    except httpx.HTTPError as exc:  # the server may close while the body is still sent
        return type(exc).__name__


def batch(url: str) -> tuple[str, float, int]:
    searches = [{"q": f"energy security {i}", "k": 100, "offset": 900} for i in range(20)]
    payload = json.dumps(searches).encode()
    start = time.perf_counter()
    try:
        response = httpx.post(
            f"{url}/api/search",
            content=payload,
            headers={"Content-Type": "application/json"},
            timeout=300,
        )
        status = str(response.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return status, time.perf_counter() - start, len(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose code serves")
    parser.add_argument("--bodies", type=int, default=3)
    parser.add_argument("--body-mb", type=int, default=200)
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    build_index(args.index, REPO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "dalil.web.cli.main", "serve", "--port", str(port)]
        + ["--log-level", "critical"],
        env=_env(args.code, args.index),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).json().get("index_loaded"):
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        idle = proc_memory(server.pid)
        start = time.perf_counter()
        statuses: list[str] = []
        if args.bodies:
            with ThreadPoolExecutor(args.bodies) as pool:
                sizes = [args.body_mb * MB] * args.bodies
                statuses = list(pool.map(lambda size: post_body(url, size), sizes))
        bodies_seconds = time.perf_counter() - start
        after_bodies = proc_memory(server.pid)
        batches = [batch(url) for _ in range(args.batches)]
        after_batches = proc_memory(server.pid)
        print(
            json.dumps(
                {
                    "code": str(args.code),
                    "idle_rss_mb": idle["VmRSS"],
                    "bodies": {
                        "n": args.bodies,
                        "mb_each": args.body_mb,
                        "statuses": statuses,
                        "seconds": round(bodies_seconds, 1),
                        "peak_rss_mb": after_bodies["VmHWM"],
                    },
                    "batches": {
                        "statuses": [b[0] for b in batches],
                        "seconds": [round(b[1], 2) for b in batches],
                        "request_bytes": batches[0][2],
                        "peak_rss_mb": after_batches["VmHWM"],
                    },
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
