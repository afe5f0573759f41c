"""``dalil publish --to URL``: upload the live generation for replicas.

Order (a replica never sees half a generation): every file's blob that the store lacks
(content-addressed: unchanged Whoosh segments and FAISS files are already there), then
``checksums.json``'s, then the listing, then ``CURRENT`` is moved by a conditional write.
Uploading the same generation again moves nothing.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.generations.checksums import file_sha256, tracked_files
from dalil.indexer.generations.remote import FileRef, Listing, ReplicationError
from dalil.indexer.generations.stores import Store
from dalil.indexer.store import layout as gens
from dalil.indexer.store.layout import CHECKSUMS_NAME, DOCS_NAME


@dataclass(frozen=True)
class Upload:
    """What :func:`publish_generation` did."""

    generation: str
    listing_key: str
    uploaded: int  # files whose blob was uploaded
    reused: int  # files whose blob the store already held
    bytes_uploaded: int
    moved: bool  # CURRENT now names this generation (False: it already did)
    seconds: float

    def summary(self, url: str) -> str:
        action = "now CURRENT" if self.moved else "already CURRENT"
        return (
            f"published {self.generation} to {url}: {self.uploaded} files uploaded "
            f"({self.bytes_uploaded / 1e6:.1f} MB), {self.reused} already there, "
            f"{action} ({self.seconds:.1f} s)"
        )


def generation_files(directory: Path) -> list[str]:
    """The files of a generation to publish, ``checksums.json`` last."""
    files = [*tracked_files(directory), DOCS_NAME]
    if not (directory / CHECKSUMS_NAME).is_file():
        raise ReplicationError(f"{directory}: no {CHECKSUMS_NAME}; only sealed generations")
    return [*files, CHECKSUMS_NAME]


def publish_generation(root: Path, store: Store) -> Upload:
    """Upload the live generation of the index at ``root`` to ``store`` and make it
    ``CURRENT`` there."""
    started = time.perf_counter()
    root = Path(root)
    name = gens.current_name(root)
    if name is None:
        raise ReplicationError(
            f"{root}: no published generation to upload (run `dalil index` or `dalil reindex`)"
        )
    directory = root / name
    before = store.read_current().current
    files: dict[str, FileRef] = {}
    uploaded = reused = sent = 0
    for rel in generation_files(directory):
        path = directory / rel
        ref = FileRef(file_sha256(path), path.stat().st_size)
        files[rel] = ref
        if not store.exists(ref.key) and store.put_if_absent(ref.key, path):
            uploaded += 1
            sent += ref.size
        else:
            reused += 1
    listing = Listing(name, files)
    _put_listing(store, listing)
    moved = before is None or before.key != listing.key
    if moved:
        store.swap_current(listing.key, before)
    return Upload(name, listing.key, uploaded, reused, sent, moved, time.perf_counter() - started)


def _put_listing(store: Store, listing: Listing) -> None:
    if store.exists(listing.key):
        return
    with tempfile.TemporaryDirectory(prefix="dalil-listing-") as tmp:
        temp = Path(tmp) / "listing.json"
        temp.write_bytes(listing.to_bytes())
        store.put_if_absent(listing.key, temp)
