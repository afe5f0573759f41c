"""A webhook receiver on 127.0.0.1 for the alert tests: records every JSON POST, can answer
500 to the first few, and lets a test wait (bounded) for a number of deliveries."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    posts: list[dict[str, Any]] = field(default_factory=list)
    answers: int = 0  # every request, failed ones included
    fail_first: int = 0
    url: str = ""
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.posts) >= count, timeout)
            return list(self.posts)


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver._changed:
                receiver.answers += 1
                failing = receiver.fail_first > 0
                if failing:
                    receiver.fail_first -= 1
                else:
                    receiver.posts.append(json.loads(body))
                receiver._changed.notify_all()
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    """``python tests/webhook_receiver.py --port 8766``: print every alert POST received."""
    import argparse

    parser = argparse.ArgumentParser(description="Print the alert webhooks POSTed to it.")
    parser.add_argument("--port", type=int, default=8766)
    port = parser.parse_args().port

    class Printer(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            print(json.dumps(body, ensure_ascii=False, indent=1), flush=True)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    print(f"webhook receiver at http://127.0.0.1:{port}/hook (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        ThreadingHTTPServer(("127.0.0.1", port), Printer).serve_forever()


if __name__ == "__main__":
    main()
