"""The indexer's exceptions. Every error dalil raises derives from :class:`DalilError`."""

from __future__ import annotations


class DalilError(Exception):
    """Base class of every error dalil raises on purpose."""


class SettingsError(DalilError):
    """A setting has a bad value; the message names the setting and the value."""


class SourceError(DalilError):
    """A source file or record cannot be read as a release (skipped, counted as failed)."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class EncoderError(DalilError):
    """An encoder cannot be loaded or cannot encode."""


class IndexError_(DalilError):
    """Base class of problems with an on-disk index."""


class IndexNotFoundError(IndexError_):
    """No index exists at the given path."""


class IndexMismatchError(IndexError_):
    """The index was built with other encoders (or another format) than asked for."""


class IndexCorruptError(IndexError_):
    """The index's FAISS, Whoosh and SQLite parts disagree, or a file is damaged."""


class IndexLockedError(IndexError_):
    """Another process is writing to the index."""


class ReleaseNotFoundError(DalilError):
    """No release with the given id exists in the index."""


class DiskFullError(DalilError):
    """The disk holding the index has no room for the next generation; the live one is
    untouched."""
