"""Helpers of the re-indexing tests: a small JSONL feed, a dalil.toml naming it, and a
``dalil`` subprocess environment that reads nothing else."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dalil.indexer.settings import Settings, SourceConfig

TOPICS = (
    ("trade", "The ministry of trade signed an agreement on steel tariffs with its partners."),
    ("water", "The council approved a plan for water security and desalination plants."),
    ("health", "The health ministry launched a vaccination campaign for children."),
    ("energy", "The energy authority opened a solar power station in the desert."),
    ("schools", "The education office announced new schools in three villages."),
)


def release(rid: str, topic: str, text: str, **fields: str) -> dict[str, str]:
    body = (
        f"{text}\nOfficials said the {topic} work would continue next year with more funds."
        f"\nThe {topic} office will publish a report on the results in the spring."
    )
    return {"id": rid, "title": f"Release about {topic}", "text": body, **fields}


def feed_records() -> list[dict[str, str]]:
    return [release(f"r-{topic}", topic, text) for topic, text in TOPICS]


def write_feed(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_config(root: Path, *, delete_missing: bool = True) -> Path:
    """``root/dalil.toml``: index ``root/index``, hash-test encoder, one source ``feed/``."""
    config = root / "dalil.toml"
    config.write_text(
        f'index = "{root / "index"}"\nencoders = "hash-test"\nthreads = 1\n'
        f'keep_generations = 2\n\n[[sources]]\npath = "feed/*.jsonl"\nsource = "Test Office"\n'
        f"delete_missing = {'true' if delete_missing else 'false'}\n",
        encoding="utf-8",
    )
    return config


def settings_for(root: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "index": root / "index",
        "encoders": "hash-test",
        "threads": 1,
        "keep_generations": 2,
        "allowed_hosts": "testserver,127.0.0.1,localhost",  # TestClient: Host testserver
        "sources": (
            SourceConfig(
                path=str(root / "feed" / "*.jsonl"), source="Test Office", delete_missing=True
            ),
        ),
        **overrides,
    }
    return Settings.model_validate(values)


def dalil_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env.update(DALIL_CONFIG=str(root / "dalil.toml"), **extra)
    return env


def dalil_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "dalil.web.cli.main", *args]
