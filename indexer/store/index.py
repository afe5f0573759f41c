"""The on-disk index: one directory holding the manifest, SQLite, Whoosh and one FAISS file
per encoder, all sharing the SQLite paragraph ids::

    index/
      manifest.json          written last in every commit
      docs.sqlite            releases + paragraphs (the source of truth)
      whoosh/                keyword index of the paragraphs
      faiss/<slug>.faiss     one IndexIDMap2 per encoder
      .lock                  held by the one process allowed to write

:meth:`Index.open` refuses an index whose parts disagree (:class:`IndexCorruptError`), so a
crash between the parts' commits never gives wrong results.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from filelock import FileLock, Timeout

from dalil.indexer.errors import (
    IndexCorruptError,
    IndexError_,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)
from dalil.indexer.store.docstore import DocStore
from dalil.indexer.store.keyword_store import KeywordStore
from dalil.indexer.store.layout import (
    DOCS_NAME,
    FAISS_DIR,
    LOCK_NAME,
    PART_NAMES,
    WHOOSH_DIR,
    faiss_path,
    live_dir,
    resolve,
)
from dalil.indexer.store.manifest import (
    MANIFEST_NAME,
    Manifest,
    encoder_slug,
    read_manifest,
    write_manifest,
)
from dalil.indexer.store.vector_store import VectorStore

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder

__all__ = ["Index", "Manifest", "PartDiff", "encoder_slug", "faiss_path"]


def index_exists(path: str | Path) -> bool:
    """Whether ``path`` holds an index (a generations root or an old-layout directory)."""
    return live_dir(Path(path)) is not None


def _as_id_array(ids: object) -> np.ndarray:
    return np.unique(np.fromiter((int(i) for i in ids), dtype=np.int64))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PartDiff:
    """How one part (``whoosh`` or ``faiss/<encoder>``) differs from SQLite's paragraph ids."""

    part: str
    missing: np.ndarray  # ids in SQLite, not in the part
    extra: np.ndarray  # ids in the part, not in SQLite

    def __str__(self) -> str:
        return (
            f"{self.part} differs from docs.sqlite: {len(self.missing)} paragraph(s) missing, "
            f"{len(self.extra)} extra"
        )


class Index:
    """An open index. Reading needs no lock; wrap writes in ``with index.writing():``."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        docs: DocStore,
        keywords: KeywordStore,
        vectors: dict[str, VectorStore],
        root: Path | None = None,
    ) -> None:
        self.path = path  # the directory holding the files (a generation, or the root)
        self.root = root if root is not None else path  # where the writer lock lives
        self.manifest = manifest
        self.docs = docs
        self.keywords = keywords
        self.vectors = vectors
        self._lock = FileLock(str(self.root / LOCK_NAME), timeout=0)

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, encoders: Mapping[str, Encoder]) -> Index:
        """Create an empty index at ``path`` (the directory may exist, e.g. holding a README,
        but must not hold an index). The manifest is written last."""
        path = Path(path)
        if not encoders:
            raise IndexMismatchError("an index needs at least one encoder")
        if index_exists(path):
            raise IndexError_(f"an index already exists at {path}")
        slugs = [encoder_slug(name) for name in encoders]
        if len(set(slugs)) != len(slugs):
            raise IndexMismatchError(f"encoder names {list(encoders)} map to the same file name")
        path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path / LOCK_NAME), timeout=0)
        with locked(lock, path):
            for name in PART_NAMES:  # leftovers of a create that crashed before its manifest
                part = path / name
                if part.is_dir():
                    shutil.rmtree(part)
                else:
                    part.unlink(missing_ok=True)
            docs = DocStore.open(path / DOCS_NAME)
            keywords = KeywordStore.create(path / WHOOSH_DIR)
            (path / FAISS_DIR).mkdir()
            vectors = {name: VectorStore(int(enc.dim)) for name, enc in encoders.items()}
            for name, store in vectors.items():
                store.save(faiss_path(path, name))
            manifest = Manifest.new(tuple((name, int(enc.dim)) for name, enc in encoders.items()))
            write_manifest(path / MANIFEST_NAME, manifest)
        return cls(path, manifest, docs, keywords, vectors)

    @classmethod
    def open(
        cls,
        path: str | Path,
        encoder_names: Sequence[str] | None = None,
        check: bool = True,
    ) -> Index:
        """Open the index at ``path``: a generations root (the generation its ``CURRENT``
        names is opened; the writer lock stays at the root) or an index directory.
        ``encoder_names`` (if given) must be the encoders it was built with; ``check``
        verifies that SQLite, Whoosh and every FAISS file hold the same paragraph ids."""
        root = Path(path)
        path = resolve(root)
        try:
            manifest = read_manifest(path / MANIFEST_NAME)
        except FileNotFoundError:
            raise IndexNotFoundError(
                f"no index at {path}: run `dalil index SOURCE` first (or pass --index PATH)"
            ) from None
        if encoder_names is not None and set(encoder_names) != set(manifest.encoder_names):
            raise IndexMismatchError(
                f"the index at {path} was built with encoders {', '.join(manifest.encoder_names)}"
                f" but {', '.join(encoder_names) or 'none'} were asked for; use the same encoders"
                " or rebuild it with `dalil index --rebuild --encoders NAMES SOURCE...`"
            )
        docs = DocStore.open(path / DOCS_NAME)
        try:
            keywords = _open_keywords(path)
        except BaseException:
            docs.close()
            raise
        try:
            vectors = {name: _load_vectors(path, name, dim) for name, dim in manifest.encoders}
        except BaseException:
            docs.close()
            keywords.close()  # its segment files are open (read without mmap)
            raise
        index = cls(path, manifest, docs, keywords, vectors, root=root)
        if check:
            diffs = index.compare_parts()
            if diffs:
                index.close()
                raise IndexCorruptError(
                    f"the index at {path} is inconsistent (a write was interrupted?): "
                    + "; ".join(str(d) for d in diffs)
                    + ". Rebuild it with `dalil index --rebuild SOURCE...`"
                )
        return index

    def close(self) -> None:
        self.docs.close()
        self.keywords.close()
        if self._lock.is_locked:
            self._lock.release(force=True)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Index]:
        """Hold the writer lock (re-entrant in this thread). Raises :class:`IndexLockedError`
        at once when another process (or thread) writes."""
        with locked(self._lock, self.root):
            yield self

    def save(self) -> Manifest:
        """Save every FAISS file, then the manifest with fresh counts (the last step of a
        commit). Call after SQLite and Whoosh have committed."""
        for name, store in self.vectors.items():
            store.save(faiss_path(self.path, name))
        releases, paragraphs = self.docs.counts()
        self.manifest = self.manifest.with_counts(releases, paragraphs)
        write_manifest(self.path / MANIFEST_NAME, self.manifest)
        return self.manifest

    def compare_parts(self) -> list[PartDiff]:
        """Compare Whoosh's and every FAISS file's paragraph ids with SQLite's; empty when
        they agree. Counts first (cheap); sets too, since equal counts can hide swapped ids."""
        truth = self.docs.paragraph_ids()
        parts: list[tuple[str, np.ndarray]] = [(WHOOSH_DIR, _as_id_array(self.keywords.ids()))]
        for name, store in self.vectors.items():
            parts.append((f"faiss/{encoder_slug(name)}", np.unique(store.ids().astype(np.int64))))
        diffs = []
        for part, ids in parts:
            if len(ids) == len(truth) and np.array_equal(ids, truth):
                continue
            diffs.append(
                PartDiff(
                    part=part,
                    missing=np.setdiff1d(truth, ids, assume_unique=True),
                    extra=np.setdiff1d(ids, truth, assume_unique=True),
                )
            )
        return diffs

    def verify(self) -> list[str]:
        """Every problem found, in words; empty when the index is sound."""
        problems = [str(d) for d in self.compare_parts()]
        releases, paragraphs = self.docs.counts()
        if (releases, paragraphs) != (self.manifest.releases, self.manifest.paragraphs):
            problems.append(
                f"manifest counts ({self.manifest.releases} releases, "
                f"{self.manifest.paragraphs} paragraphs) are stale: docs.sqlite holds "
                f"{releases} releases, {paragraphs} paragraphs"
            )
        for name, dim in self.manifest.encoders:
            store_dim = int(getattr(self.vectors[name], "dim", dim))
            if store_dim != dim:
                problems.append(f"faiss/{encoder_slug(name)} has dimension {store_dim}, not {dim}")
        return problems


@contextmanager
def locked(lock: FileLock, path: Path) -> Iterator[None]:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise IndexLockedError(
            f"another dalil process is writing to the index at {path}; wait until it has "
            "finished and try again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _open_keywords(path: Path) -> KeywordStore:
    directory = path / WHOOSH_DIR
    if not directory.is_dir():
        raise IndexCorruptError(f"the index at {path} has no {WHOOSH_DIR}/ directory")
    try:
        return KeywordStore.open(directory)
    except IndexNotFoundError as exc:
        raise IndexCorruptError(f"the index at {path} has an empty {WHOOSH_DIR}/ ({exc})") from exc
    except IndexError_:
        raise
    except Exception as exc:  # whoosh raises its own errors for damaged segments
        raise IndexCorruptError(f"{directory}: cannot open the Whoosh index ({exc})") from exc


def _load_vectors(path: Path, name: str, dim: int) -> VectorStore:
    file = faiss_path(path, name)
    if not file.is_file():
        raise IndexCorruptError(f"the index at {path} has no vectors for encoder {name} ({file})")
    try:
        store = VectorStore.load(file)
    except IndexError_:
        raise
    except Exception as exc:  # faiss raises RuntimeError for unreadable files
        raise IndexCorruptError(f"{file}: cannot read the FAISS index ({exc})") from exc
    store_dim = getattr(store, "dim", dim)
    if int(store_dim) != dim:
        raise IndexCorruptError(
            f"{file}: vectors have dimension {store_dim}, the manifest says {dim} for {name}"
        )
    return store


def remove_index_files(path: Path) -> None:
    """Delete an index's own files (manifest, SQLite, Whoosh, FAISS, lock), keeping anything
    else in the directory."""
    (path / MANIFEST_NAME).unlink(missing_ok=True)
    for name in PART_NAMES:
        part = path / name
        if part.is_dir():
            shutil.rmtree(part)
        else:
            part.unlink(missing_ok=True)
    with suppress(OSError):
        (path / LOCK_NAME).unlink(missing_ok=True)
