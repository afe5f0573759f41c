"""dalil's one settings object, read once from the environment (``DALIL_*``) and
``dalil.toml`` (or the file named by ``DALIL_CONFIG``), then passed down explicitly.

Precedence: explicit arguments (CLI flags) > environment > dalil.toml > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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

    path: str = Field(
        min_length=1,
        description=(
            "A file, a folder (read recursively) or a glob such as 'feeds/*.jsonl'; relative "
            "paths are taken from the directory of dalil.toml."
        ),
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
    def _path_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("path must not be blank")
        return value.strip()


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
    keep_generations: int = Field(
        3,
        ge=1,
        le=100,
        description="Index generations kept on disk, the live one included (older are deleted).",
    )
    host: str = Field("127.0.0.1", description="Address `dalil serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `dalil serve` listens on.")

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
    def _paragraph_bounds(self) -> Settings:
        if self.min_paragraph_chars >= self.max_paragraph_chars:
            raise ValueError(
                f"min_paragraph_chars ({self.min_paragraph_chars}) must be below "
                f"max_paragraph_chars ({self.max_paragraph_chars})"
            )
        return self

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
    where = f"[[sources]] table #{int(loc[1]) + 1}" if len(loc) > 1 else "sources"
    key = f" key '{loc[2]}'" if len(loc) > 2 else ""
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        known = ", ".join(SourceConfig.model_fields)
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
            if err["loc"][0] == "sources":
                problems.append(_source_problem(err))
                continue
            problems.append(
                f"setting '{name}' (env DALIL_{name.upper()}) has bad value "
                f"{err.get('input')!r}: {err['msg']}"
            )
        raise SettingsError("; ".join(problems)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed dalil.toml
        raise SettingsError(f"cannot read settings file {config_path()}: {exc}") from None
