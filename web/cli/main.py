"""``dalil <command>``: a thin argparse dispatcher over the command modules of this package.

Settings are loaded once here, from the command's flags (argparse destinations named like a
Settings field) + environment + dalil.toml, and passed to the command. Any
:class:`~dalil.indexer.errors.DalilError` (settings included) prints ``dalil: error: <message>`` to
stderr and exits with status 2; so does a full disk (one line, no traceback). Status 1 is
the commands' own "some input failed"; an unexpected error (a bug) prints one line (the
traceback too with ``DALIL_DEBUG=1``) and exits with :data:`EXIT_INTERNAL`, never 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from dalil.indexer import DalilError, Settings, disk_full, load_settings
from dalil.indexer.compat import check_all
from dalil.indexer.version import version
from dalil.web.cli import alerts, index, publish, reindex, schedule, search, serve, verify
from dalil.web.cli import eval as evaluate
from dalil.web.cli.options import add_common_options

# In `dalil --help` order. Each module's `register` only adds its parser; what a command
# needs (encoders, FastAPI, ...) is imported when it runs, so start-up stays cheap.
COMMANDS = (index, search, serve, evaluate, reindex, schedule, alerts, verify, publish)

EXIT_ERROR = 2
EXIT_INTERNAL = 3  # an unexpected exception: a bug in dalil (1 means "some input failed")
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dalil",
        description="Semantic search over press releases in Arabic and English.",
    )
    parser.add_argument("--version", action="version", version=f"dalil {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    for sub in subparsers.choices.values():
        add_common_options(sub)
    return parser


def settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed flags that are settings (``None`` = not given)."""
    fields = Settings.model_fields
    return {name: value for name, value in vars(args).items() if name in fields}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_all()  # a warning on stderr per library whose internals moved
    try:
        settings = load_settings(**settings_overrides(args))
        return int(args.func(args, settings))
    except DalilError as exc:
        print(f"dalil: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("dalil: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `dalil search ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, an honest status
        full = disk_full(exc)
        if full is not None:
            print(f"dalil: error: {full}", file=sys.stderr)
            return EXIT_ERROR
        print(f"dalil: internal error ({type(exc).__name__}): {exc}", file=sys.stderr)
        if os.environ.get("DALIL_DEBUG"):
            traceback.print_exc()
        else:
            print("dalil: set DALIL_DEBUG=1 for the traceback", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
