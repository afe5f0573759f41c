"""dalil's query layer: keyword and semantic retrieval over the index, one fused ranking,
releases grouped from paragraphs, Arabic-aware highlighting, batch queries and the quality
benchmark (``evaluation/``).

Modules: ``models`` (Query, Hit, SearchResponse), ``validation``, ``retrievers`` (keyword and
dense candidate lists), ``ranking`` (the shipped fusion formula), ``grouping``,
``highlight``, ``engine`` (the :class:`Searcher`), ``batch``, ``evaluation/`` (sets, metrics,
the benchmark runner and its baselines).

The names below are the face ``dalil.web`` uses, resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dalil.indexer.faces import lazy_face

_FACE = {
    "Searcher": "engine",
    "Duplicate": "models",
    "Hit": "models",
    "Mode": "models",
    "MODES": "models",
    "Query": "models",
    "SearchResponse": "models",
    "Snippet": "models",
    "SearchError": "errors",
    "InvalidQueryError": "errors",
    "QuerySyntaxError": "query_syntax",
    "MAX_K": "validation",
    "MAX_OFFSET": "validation",
    "MAX_TEXT_CHARS": "validation",
    "validate_query": "validation",
    "run_batch": "batch",
    "AlertConflictError": "errors",
    "AlertNotFoundError": "errors",
    "AlertStore": "alerts.store",
    "Delivery": "alerts.store",
    "alert_matches": "alerts.matching",
    "alerts_in_use": "alerts.dispatch",
    "alerts_root": "alerts.dispatch",
    "all_alerts": "alerts.dispatch",
    "dispatch_after_publish": "alerts.dispatch",
    "dispatch_alerts": "alerts.dispatch",
    "start_watching": "alerts.dispatch",
    "build_sets": "evaluation.sets",
    "all_sets": "evaluation.more_sets",
    "read_jsonl_set": "evaluation.more_sets",
    "run_benchmark": "evaluation.runner",
}

__all__ = [
    "AlertConflictError",
    "AlertNotFoundError",
    "AlertStore",
    "Delivery",
    "alert_matches",
    "alerts_in_use",
    "alerts_root",
    "all_alerts",
    "dispatch_after_publish",
    "dispatch_alerts",
    "start_watching",
    "Duplicate",
    "Hit",
    "InvalidQueryError",
    "MAX_K",
    "MAX_OFFSET",
    "MAX_TEXT_CHARS",
    "MODES",
    "Mode",
    "Query",
    "QuerySyntaxError",
    "SearchError",
    "SearchResponse",
    "Searcher",
    "Snippet",
    "all_sets",
    "build_sets",
    "read_jsonl_set",
    "run_batch",
    "run_benchmark",
    "validate_query",
]


__getattr__, __dir__ = lazy_face(__name__, _FACE, globals())

if TYPE_CHECKING:
    from dalil.search.alerts.dispatch import (
        alerts_in_use,
        alerts_root,
        all_alerts,
        dispatch_after_publish,
        dispatch_alerts,
        start_watching,
    )
    from dalil.search.alerts.matching import alert_matches
    from dalil.search.alerts.store import AlertStore, Delivery
    from dalil.search.batch import run_batch
    from dalil.search.engine import Searcher
    from dalil.search.errors import (
        AlertConflictError,
        AlertNotFoundError,
        InvalidQueryError,
        SearchError,
    )
    from dalil.search.evaluation.more_sets import all_sets, read_jsonl_set
    from dalil.search.evaluation.runner import run_benchmark
    from dalil.search.evaluation.sets import build_sets
    from dalil.search.models import MODES, Duplicate, Hit, Mode, Query, SearchResponse, Snippet
    from dalil.search.query_syntax import QuerySyntaxError
    from dalil.search.validation import MAX_K, MAX_OFFSET, MAX_TEXT_CHARS, validate_query
