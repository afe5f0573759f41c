"""Options shared by the ``dalil`` commands (one module per command in this package).

A command module exposes ``register(subparsers) -> None`` (adds its parser with
:func:`add_command` and sets ``func=run``) and ``run(args, settings) -> int`` (the exit
status). Argparse destinations named like a :class:`~dalil.indexer.settings.Settings` field (e.g.
``index``, ``encoders``, ``threads``, ``batch_size``, ``host``, ``port``) are passed to
``load_settings`` as overrides, so a flag wins over the environment and dalil.toml.
"""

from __future__ import annotations

import argparse
from contextlib import suppress
from pathlib import Path
from typing import Any


def add_command(subparsers: Any, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """Add a command parser that has the common options (``--index PATH``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, **kwargs)
    add_common_options(parser)
    return parser


def add_indexing_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that encode: ``--batch-size``, ``--threads``,
    ``--no-progress`` and ``-v``."""
    parser.add_argument("--batch-size", type=int, metavar="N", help="paragraphs per batch")
    parser.add_argument("--threads", type=int, metavar="N", help="threads per encoder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the seconds spent per stage and notes on the input (detected encodings)",
    )
    add_cluster_options(parser)


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """``--workers N`` / ``--cluster ADDRESS``: encode on Dask (``dalil[cluster]``)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="encode on a local Dask cluster of N single-thread worker processes",
    )
    where.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="encode on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 "
        "(default: $DALIL_CLUSTER or cluster in dalil.toml)",
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--index PATH`` (env ``DALIL_INDEX``, default ./index); no-op if already there."""
    with suppress(argparse.ArgumentError):  # the command added its own --index
        parser.add_argument(
            "--index",
            type=Path,
            metavar="PATH",
            help="index directory (default: $DALIL_INDEX or ./index)",
        )
