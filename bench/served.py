"""A real ``dalil serve`` on 127.0.0.1 and the HTTP client the query benchmarks time it with
(imported as a sibling module: run the scripts as ``python bench/NAME.py``)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from paths import DALIL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), q))


def summary(latencies: list[float], errors: int) -> dict:
    return {
        "n": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


def proc_memory(pid: int) -> dict[str, float]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


class Server:
    """``dalil serve`` on 127.0.0.1:<free port>, stopped on exit."""

    def __init__(self, index: Path, threads: int, timeout: float = 300.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DALIL_INDEX=str(index))
        cmd = [
            str(DALIL),
            "serve",
            "--index",
            str(index),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        if threads:
            env["DALIL_THREADS"] = str(threads)
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dalil serve exited: {self.proc.stderr.read()[-2000:]}")
            try:
                r = httpx.get(f"{self.url}/api/health", timeout=2.0)
                if r.status_code == 200 and r.json().get("index_loaded"):
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - start > timeout:
                self.stop()
                raise RuntimeError("dalil serve did not come up")
            time.sleep(0.3)
        self.startup_seconds = time.perf_counter() - start

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_queries(
    url: str, texts: list[str], mode: str, workers: int, filters: dict | None = None
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def one(text: str) -> None:
        nonlocal errors
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30.0)
        start = time.perf_counter()
        try:
            params = {"q": text, "mode": mode, "k": 10, **(filters or {})}
            r = client.get(f"{url}/api/search", params=params)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        ms = (time.perf_counter() - start) * 1000.0
        with lock:
            latencies.append(ms)
            if not ok:
                errors += 1

    if workers <= 1:
        for text in texts:
            one(text)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, texts))
    return latencies, errors
