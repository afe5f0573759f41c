"""The S3 backend of :mod:`indexer.generations.stores` (boto3; AWS S3 or any S3-compatible
server: MinIO, Ceph, moto). Credentials, region and endpoint come from the standard AWS
settings (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL``, ~/.aws) unless ``s3_endpoint_url`` is set.

Write-once objects use ``If-None-Match: *``; ``CURRENT`` moves with ``If-Match: <etag>``
(or ``If-None-Match: *`` when there is none), and is polled with ``If-None-Match: <etag>``
(a 304 costs no body). Objects are single PUTs (S3's limit: 5 GB per file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dalil.indexer.generations.remote import (
    CURRENT_KEY,
    ObjectMissingError,
    PublishConflictError,
    ReplicationError,
)
from dalil.indexer.generations.stores import Current, CurrentRead

_CHUNK = 1 << 20
_MISSING = ("404", "NoSuchKey", "NotFound")
_CONFLICT = ("412", "PreconditionFailed", "409", "ConditionalRequestConflict")


def _code(exc: Exception) -> str:
    response: dict[str, Any] = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Store:
    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None) -> None:
        try:
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as exc:
            raise ReplicationError("s3:// needs boto3: pip install 'dalil[cluster]'") from exc
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._client = boto3.client("s3", endpoint_url=endpoint_url)
        self._errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None) -> S3Store:
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ReplicationError(f"{url}: no bucket; use s3://BUCKET/PREFIX")
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, what: str, key: str, exc: Exception) -> ReplicationError:
        if _code(exc) in _MISSING:
            return ObjectMissingError(f"{self.url}: {key} is missing")
        return ReplicationError(f"{self.url}: cannot {what} {key}: {exc}")

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors as exc:
            if _code(exc) in _MISSING:
                return False
            raise self._fail("look up", key, exc) from exc
        return True

    def put_if_absent(self, key: str, path: Path) -> bool:
        try:
            with Path(path).open("rb") as body:
                self._client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=body, IfNoneMatch="*"
                )
        except self._errors as exc:
            if _code(exc) in _CONFLICT:  # already there (write-once)
                return False
            raise self._fail("upload", key, exc) from exc
        return True

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            return bytes(response["Body"].read())
        except self._errors as exc:
            raise self._fail("download", key, exc) from exc

    def get_file(self, key: str, target: Path) -> None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            with Path(target).open("wb") as out:
                for chunk in response["Body"].iter_chunks(_CHUNK):
                    out.write(chunk)
        except self._errors as exc:
            raise self._fail("download", key, exc) from exc

    def read_current(self, etag: str | None = None) -> CurrentRead:
        extra = {"IfNoneMatch": etag} if etag else {}
        try:
            response = self._client.get_object(
                Bucket=self.bucket, Key=self._key(CURRENT_KEY), **extra
            )
        except self._errors as exc:
            code = _code(exc)
            if code in ("304", "NotModified"):
                return CurrentRead(False, None)
            if code in _MISSING:
                return CurrentRead(True, None)
            raise self._fail("read", CURRENT_KEY, exc) from exc
        body = bytes(response["Body"].read()).decode().strip()
        return CurrentRead(True, Current(body, str(response["ETag"])))

    def swap_current(self, key: str, expected: Current | None) -> None:
        condition = {"IfMatch": expected.etag} if expected else {"IfNoneMatch": "*"}
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(CURRENT_KEY),
                Body=(key + "\n").encode(),
                **condition,
            )
        except self._errors as exc:
            if _code(exc) in _CONFLICT:
                raise PublishConflictError(
                    f"{self.url}: CURRENT changed while publishing (another publisher?); retry"
                ) from exc
            raise self._fail("move", CURRENT_KEY, exc) from exc
