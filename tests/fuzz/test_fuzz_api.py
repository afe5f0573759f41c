"""Schemathesis over the OpenAPI schema against a real uvicorn on 127.0.0.1 (the options
`dalil serve` uses), with the API key so writes are exercised too: no generated request may
get a 500, and every answer must match the schema's status codes and shapes.

Budget: the hypothesis profile (``ci``: 60 examples per operation; ``nightly``: 3,000). Set
``DALIL_FUZZ_REPORT=path.json`` to write the cases run and the statuses seen.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import given
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from web_fixtures import API_KEY, free_port, wait_healthy

STATUSES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def server(hash_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dalil serve` in its own process (hypothesis seeds this process's ``random``, which
    Whoosh uses to name segments: an in-process server would write colliding names)."""
    folder = tmp_path_factory.mktemp("fuzz-api")
    copy = folder / "index"
    shutil.copytree(hash_index, copy, ignore=shutil.ignore_patterns(".lock"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env.update(
        {
            "DALIL_CONFIG": str(folder / "none.toml"),
            "DALIL_INDEX": str(copy),
            "DALIL_ENCODERS": "hash-test",
            "DALIL_THREADS": "1",
            "DALIL_API_KEY": API_KEY,
            "DALIL_KEEP_GENERATIONS": "2",
        }
    )
    base = f"http://127.0.0.1:{port}"
    with (folder / "server.log").open("w+", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dalil.web.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(process, base, log, 120)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            report = os.environ.get("DALIL_FUZZ_REPORT")
            if report:
                summary = {"cases": sum(STATUSES.values()), "statuses": dict(STATUSES)}
                Path(report).write_text(json.dumps(summary, indent=1))


def operations(server: str) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_api(server: str, mode: schemathesis.GenerationMode) -> None:
    """Every operation, with valid (positive) and invalid (negative) generated requests.
    (schemathesis's pytest plugin does not run under this pytest, so its strategies are
    driven by hypothesis here.)"""
    for operation in operations(server):

        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=server, headers={"X-API-Key": API_KEY}, timeout=60)
            STATUSES[f"{case.method} {case.path} {response.status_code}"] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # an operation without inputs has no invalid request
            assert mode is schemathesis.GenerationMode.NEGATIVE
