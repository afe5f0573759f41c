"""dalil's one settings object, read once from the environment (``DALIL_*``) and
``dalil.toml`` (or the file named by ``DALIL_CONFIG``), then passed down explicitly.

Precedence: explicit arguments (CLI flags) > environment > dalil.toml > defaults.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dalil.indexer.errors import SettingsError

DEFAULT_ENCODERS = "e5-small,use-m3"


def usable_cores() -> int:
    """Cores this process may run on (respects affinity / cgroup-style pinning)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def config_path() -> Path:
    return Path(os.environ.get("DALIL_CONFIG", "dalil.toml"))


class SourceConfig(BaseModel):
    """One configured source of releases (a ``[[sources]]`` table in dalil.toml). The
    defaults fill only fields a release lacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(
        None,
        min_length=1,
        description=(
            "A file, a folder (read recursively) or a glob such as 'feeds/*.jsonl'; relative "
            "paths are taken from the directory of dalil.toml."
        ),
    )
    feed: str | None = Field(None, description="URL of an RSS 2.0, RSS 1.0 or Atom feed.")
    sitemap: str | None = Field(None, description="URL of a sitemap or sitemap index.")
    pages: str | None = Field(
        None, description="URL of a listing page whose links matching `links` are releases."
    )
    links: str | None = Field(
        None, description="Regular expression the release links of a `pages` listing match."
    )
    include: str | None = Field(
        None, description="Regular expression a release URL must match (web sources)."
    )
    exclude: str | None = Field(
        None, description="Regular expression of release URLs to leave out (web sources)."
    )
    max_pages: int = Field(
        100, ge=1, le=100_000, description="Release pages fetched per run (web sources)."
    )
    source: str | None = Field(None, description="Source name for releases that have none.")
    language: str | None = Field(
        None, description="Language (ISO 639-1) for releases whose language is unknown."
    )
    category: str | None = Field(None, description="Category for releases that have none.")
    delete_missing: bool = Field(
        False,
        description=(
            "Delete from the index the releases read from this source before that are no "
            "longer in it (a source that cannot be read deletes nothing)."
        ),
    )

    @field_validator("path")
    @classmethod
    def _path_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("path must not be blank")
        return value.strip() if value is not None else None

    @field_validator("feed", "sitemap", "pages")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value.strip()):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None

    @field_validator("links", "include", "exclude")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        given = [k for k in SOURCE_KINDS if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(SOURCE_KINDS)} (got {', '.join(given) or 'none'})"
            )
        if self.pages and not self.links:
            raise ValueError("a `pages` listing needs `links`, the pattern of its release links")
        if self.delete_missing and (self.feed or self.pages):
            raise ValueError(
                "delete_missing needs a source that lists every release (a path or a "
                "sitemap); a feed or listing page shows only the newest"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in SOURCE_KINDS if getattr(self, k))

    @property
    def location(self) -> str:
        """The path or URL this source reads."""
        return str(getattr(self, self.kind))

    @property
    def is_web(self) -> bool:
        return self.kind != "path"


SOURCE_KINDS = ("path", "feed", "sitemap", "pages")


class WebSettings(BaseModel):
    """How web sources are fetched (the ``[web]`` table of dalil.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = Field(
        "dalil/0.1 (press-release search; +https://example.invalid/dalil)",
        min_length=1,
        description="User-Agent sent with every request; robots.txt is read for its first word.",
    )
    timeout: float = Field(20.0, gt=0, le=600, description="Seconds per request.")
    max_bytes: int = Field(
        5_000_000, ge=1000, description="Largest response read (bigger ones are failures)."
    )
    retries: int = Field(3, ge=0, le=10, description="Retries after a 429 or 5xx answer.")
    backoff: float = Field(
        1.0, ge=0, le=60, description="Seconds before the first retry, doubled each time."
    )
    per_host: int = Field(2, ge=1, le=16, description="Requests at once to one host.")
    delay: float = Field(
        1.0, ge=0, le=60, description="Seconds between the starts of two requests to one host."
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed per request.")


class AlertConfig(BaseModel):
    """A saved search whose new matches are posted to a webhook after each published
    generation (an ``[[alerts]]`` table, or ``POST /api/alerts``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Alert name.")
    query: str = Field(min_length=1, max_length=1000, description="The search text.")
    mode: Literal["hybrid", "keyword", "semantic"] = Field(
        "hybrid", description="Retrieval mode of the search."
    )
    source: str | None = None
    language: str | None = None
    category: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    min_score: float | None = Field(
        None,
        description="Relevance threshold: hits scoring below it (as in /api/search) are left out.",
    )
    webhook: str = Field(pattern=r"^https?://", description="URL the matches are POSTed to.")


class PublishConfig(BaseModel):
    """Where every ``dalil reindex`` also uploads the generation it publishes (the
    ``[publish]`` table of dalil.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str = Field(
        min_length=1,
        description="s3://BUCKET/PREFIX or a shared directory that replicas read from.",
    )


class Settings(BaseSettings):
    """Every setting, with its help text. Environment: ``DALIL_<NAME>``; TOML: ``name = ...``."""

    model_config = SettingsConfigDict(
        env_prefix="DALIL_",
        extra="ignore",
        frozen=True,
        validate_default=True,
    )

    index: Path = Field(Path("index"), description="Index directory (default ./index).")
    encoders: str = Field(
        DEFAULT_ENCODERS,
        description=(
            "Comma-separated encoders for the dense side: e5-small, use-m3, or any "
            "sentence-transformers model name or local path."
        ),
    )
    threads: int = Field(
        default_factory=usable_cores,
        ge=1,
        le=256,
        description="Threads each encoder and BLAS may use (default: usable cores).",
    )
    batch_size: int = Field(32, ge=1, le=4096, description="Paragraphs encoded per batch.")
    max_paragraph_chars: int = Field(
        1200,
        ge=200,
        le=20000,
        description="Longest index paragraph; longer ones split at sentence boundaries.",
    )
    min_paragraph_chars: int = Field(
        60,
        ge=0,
        le=2000,
        description="Shorter fragments merge into a neighbouring paragraph.",
    )
    api_key: SecretStr | None = Field(
        None, description="API key for write endpoints; with none set, writes are refused."
    )
    sources: tuple[SourceConfig, ...] = Field(
        (),
        description=(
            "Sources `dalil reindex` keeps the index in line with: [[sources]] tables in "
            "dalil.toml with path, source, language, category and delete_missing."
        ),
    )
    web: WebSettings = Field(
        WebSettings.model_validate({}), description="Fetching web sources: the [web] table."
    )
    alerts: tuple[AlertConfig, ...] = Field(
        (), description="Saved searches posted to webhooks: [[alerts]] tables in dalil.toml."
    )
    keep_generations: int = Field(
        3,
        ge=1,
        le=100,
        description="Index generations kept on disk, the live one included (older are deleted).",
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Encode on a local Dask cluster of N single-thread worker processes "
        "(needs dalil[cluster]).",
    )
    cluster: str | None = Field(
        None,
        description="Encode on the Dask cluster whose scheduler is at this address, e.g. "
        "tcp://10.0.0.5:8786 (needs dalil[cluster]).",
    )
    publish: PublishConfig | None = Field(
        None, description="[publish] to = 's3://BUCKET/PREFIX': every reindex also uploads."
    )
    replica_of: str | None = Field(
        None,
        description="`dalil serve` as a replica: follow the generations published to this "
        "s3://BUCKET/PREFIX or shared directory.",
    )
    poll_interval: float = Field(
        10.0, gt=0, le=86400, description="Seconds between a replica's looks at CURRENT."
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="S3-compatible endpoint (e.g. http://minio:9000); default: "
        "$AWS_ENDPOINT_URL or AWS. Credentials come from the standard AWS variables.",
    )
    host: str = Field("127.0.0.1", description="Address `dalil serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `dalil serve` listens on.")
    # -- hardening: limits of what input and clients may cost (docs: README "Limits") ----
    date_min_year: int = Field(
        1900, ge=1, le=9999, description="Earliest year a release date may have."
    )
    date_max_year: int = Field(
        2100, ge=1, le=9999, description="Latest year a release date may have."
    )
    max_body_bytes: int = Field(
        10_000_000,
        ge=1024,
        le=1_000_000_000,
        description="Largest request body (bytes); larger ones get 413 before they are read.",
    )
    max_search_cost: int = Field(
        2200,
        ge=100,
        le=1_000_000,
        description=(
            "Most result rows one request may ask for: the sum of k + offset over its searches "
            "(a batch included); more gets 422."
        ),
    )
    max_concurrent_searches: int = Field(
        4, ge=1, le=1024, description="Searches computed at once; the rest wait in a queue."
    )
    search_queue_seconds: float = Field(
        10.0,
        ge=0,
        le=600,
        description="Longest wait for a search slot; then 503 with Retry-After.",
    )
    allowed_hosts: str = Field(
        "localhost,127.0.0.1,::1",
        description=(
            "Comma-separated Host names the server answers (400 otherwise); '*' for any, "
            "'*.example.org' for subdomains. The host `dalil serve` binds to is added."
        ),
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="A client must send its request head (and each body chunk) within this.",
    )
    keep_alive_seconds: float = Field(
        5.0, gt=0, le=600, description="An idle keep-alive connection is closed after this."
    )
    max_connections: int = Field(
        200, ge=1, le=100_000, description="Open connections beyond this get 503."
    )

    @field_validator("encoders")
    @classmethod
    def _encoders_not_empty(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names:
            raise ValueError("at least one encoder name is needed, e.g. 'e5-small,use-m3'")
        if len(set(names)) != len(names):
            raise ValueError(f"an encoder is named twice in {value!r}")
        return ",".join(names)

    @model_validator(mode="after")
    def _one_cluster(self) -> Settings:
        if self.workers is not None and self.cluster is not None:
            raise ValueError(
                f"workers ({self.workers}) and cluster ({self.cluster!r}) are both set: "
                "give one (unset DALIL_CLUSTER / DALIL_WORKERS or the dalil.toml key)"
            )
        return self

    @model_validator(mode="after")
    def _paragraph_bounds(self) -> Settings:
        if self.min_paragraph_chars >= self.max_paragraph_chars:
            raise ValueError(
                f"min_paragraph_chars ({self.min_paragraph_chars}) must be below "
                f"max_paragraph_chars ({self.max_paragraph_chars})"
            )
        names = [a.name for a in self.alerts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"[[alerts]] names must differ: {', '.join(twice)} is used twice")
        return self

    @model_validator(mode="after")
    def _year_bounds(self) -> Settings:
        if self.date_min_year > self.date_max_year:
            raise ValueError(
                f"date_min_year ({self.date_min_year}) must not be after date_max_year "
                f"({self.date_max_year})"
            )
        return self

    @property
    def years(self) -> tuple[int, int]:
        """Plausible release years, inclusive."""
        return (self.date_min_year, self.date_max_year)

    @property
    def host_names(self) -> tuple[str, ...]:
        """``allowed_hosts`` as a list, with the bound host added (unless a wildcard)."""
        names = [n.strip() for n in self.allowed_hosts.split(",") if n.strip()]
        if self.host not in ("0.0.0.0", "::", "") and self.host not in names:
            names.append(self.host)
        return tuple(names)

    @property
    def encoder_names(self) -> tuple[str, ...]:
        return tuple(self.encoders.split(","))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


def _source_problem(err: Any) -> str:
    """A ``[[sources]]`` error: which table (1-based) and which key."""
    loc = err["loc"]
    table = str(loc[0])
    where = f"[[{table}]] table #{int(loc[1]) + 1}" if len(loc) > 1 else table
    key = f" key '{loc[2]}'" if len(loc) > 2 else ""
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        model = AlertConfig if table == "alerts" else SourceConfig
        known = ", ".join(model.model_fields)
        message = f"unknown key (known: {known})"
    return f"{where} in {config_path()}{key}: {message} (got {err.get('input')!r})"


def load_settings(**overrides: Any) -> Settings:
    """Read settings once. ``overrides`` (e.g. CLI flags) win; ``None`` values are ignored.

    Raises :class:`SettingsError` naming the setting, the bad value and where it came from.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"])
            if not name:  # a check across settings: its message names them
                problems.append(f"settings: {err['msg'].removeprefix('Value error, ')}")
                continue
            if err["loc"][0] in ("sources", "alerts") and len(err["loc"]) > 1:
                problems.append(_source_problem(err))
                continue
            problems.append(
                f"setting '{name}' (env DALIL_{name.upper()}) has bad value "
                f"{err.get('input')!r}: {err['msg']}"
            )
        raise SettingsError("; ".join(problems)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed dalil.toml
        raise SettingsError(f"cannot read settings file {config_path()}: {exc}") from None
