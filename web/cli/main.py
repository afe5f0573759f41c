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
import difflib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from dalil.indexer import DalilError, disk_full
from dalil.web.cli import alerts, index, publish, reindex, schedule, search, serve, verify
from dalil.web.cli import eval as evaluate
from dalil.web.cli.options import add_common_options

# In `dalil --help` order. Each module's `register` only adds its parser; what a command
# needs (encoders, FastAPI, ...) is imported when it runs, so start-up stays cheap.
COMMANDS = (index, search, serve, evaluate, reindex, schedule, alerts, verify, publish)

EXIT_ERROR = 2
EXIT_INTERNAL = 3  # an unexpected exception: a bug in dalil (1 means "some input failed")
EXIT_INTERRUPTED = 130


class _Version(argparse.Action):
    """``--version``: read from the installed package's metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print dalil's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        print(f"dalil {installed_version()}")
        parser.exit()


def installed_version() -> str:
    from dalil.indexer.version import version

    return version()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dalil",
        description="Semantic search over press releases in Arabic and English.",
    )
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    for sub in subparsers.choices.values():
        add_common_options(sub)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Like ``parser.parse_args``, but an unknown option is reported by the command it was
    given to (its usage, and the option it probably meant), not by the top-level parser."""
    args, extra = parser.parse_known_args(argv)
    if not extra:
        return args
    sub: argparse.ArgumentParser = _subparsers(parser).choices[args.command]
    known = [o for action in sub._actions for o in action.option_strings]
    message = f"unrecognized arguments: {' '.join(extra)}"
    first = next((x.split("=", 1)[0] for x in extra if x.startswith("-")), None)
    if first:
        close = difflib.get_close_matches(first, known, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {close[0]}?)"
    sub.error(message)


def _subparsers(parser: argparse.ArgumentParser) -> Any:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed flags that are settings (``None`` = not given)."""
    from dalil.indexer import Settings

    fields = Settings.model_fields
    return {name: value for name, value in vars(args).items() if name in fields}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
    if args.command != "search":  # search checks after its arguments (search.py)
        from dalil.indexer.compat import check_all

        check_all()  # a warning on stderr per library whose internals moved
    try:
        from dalil.indexer import load_settings  # pydantic: after the arguments

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
