"""``dalil publish --to URL``: upload the live index generation for replicas.

URL: ``s3://BUCKET/PREFIX`` (AWS or any S3-compatible server; endpoint and credentials from
``s3_endpoint_url`` / the standard AWS variables) or a shared directory. Only files the store
does not hold yet are uploaded (content-addressed); ``CURRENT`` moves last, by a conditional
write, so replicas (``dalil serve --replica-of URL``) never see half a generation.

Exit status: 0 published (or already current), 2 on an error (CURRENT not moved).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dalil.indexer import SettingsError
from dalil.web.cli.options import add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "publish",
        help="upload the live index generation for replicas (S3 or a shared directory)",
        description=(
            "Upload the live generation to s3://BUCKET/PREFIX or a shared directory as "
            "write-once, content-addressed objects, then move CURRENT there. Replicas follow "
            "with `dalil serve --replica-of URL`."
        ),
    )
    parser.add_argument(
        "--to",
        metavar="URL",
        help="s3://BUCKET/PREFIX or a directory (default: [publish] to in dalil.toml)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import open_store, publish_generation

    url = args.to or (settings.publish.to if settings.publish else None)
    if not url:
        from dalil.indexer import config_path

        raise SettingsError(
            f"where to? give --to s3://BUCKET/PREFIX (or a directory), or a [publish] table "
            f"with to = ... in {config_path()}"
        )
    upload = publish_generation(settings.index, open_store(url, settings))
    print(upload.summary(url))
    return 0
