"""``dalil verify``: check the live index generation (or one named with ``--generation``).

Checks the manifest, SQLite's integrity, that SQLite, Whoosh and every FAISS file hold the
same paragraph ids, and the files against the checksums recorded when the generation was
published. Prints ``ok: ...`` or one problem per line. Exit status: 0 sound, 1 problems found,
2 when there is no index to check.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dalil.web.cli.options import add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "verify",
        help="check an index: manifest, paragraph ids across parts, file checksums",
        description=(
            "Check the live index generation: manifest, SQLite integrity, the same paragraph "
            "ids in FAISS, Whoosh and SQLite, and file checksums. Exit 0 when sound, 1 when "
            "problems were found (one per line)."
        ),
    )
    parser.add_argument(
        "--generation", metavar="NAME", help="check this generation (e.g. gen-000003)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import verify_index

    verdict = verify_index(Path(settings.index), args.generation)
    for problem in verdict.problems:
        print(problem)
    if verdict.manifest is None:
        return 1
    manifest = verdict.manifest
    print(
        f"ok: {verdict.directory} ({manifest.releases} releases, {manifest.paragraphs} "
        f"paragraphs, encoders {', '.join(manifest.encoder_names)})"
    )
    return 0
