"""The query layer's exceptions."""

from __future__ import annotations

from dalil.indexer.errors import DalilError


class SearchError(DalilError):
    """Base class of query-layer errors."""


class InvalidQueryError(SearchError):
    """A query parameter is out of bounds or malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class AlertNotFoundError(SearchError):
    """No alert has this name."""


class AlertConflictError(SearchError):
    """The alert cannot be changed this way (e.g. it is defined in dalil.toml)."""
