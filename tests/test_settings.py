"""Settings: defaults, env, dalil.toml, precedence and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from dalil.indexer.errors import SettingsError
from dalil.indexer.settings import DEFAULT_ENCODERS, Settings, load_settings, usable_cores


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DALIL_INDEX", "DALIL_ENCODERS", "DALIL_THREADS", "DALIL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DALIL_CONFIG", str(tmp_path / "dalil.toml"))


def test_defaults() -> None:
    s = load_settings()
    assert s.index == Path("index")
    assert s.encoders == DEFAULT_ENCODERS
    assert s.encoder_names == ("e5-small", "use-m3")
    assert s.threads == usable_cores()
    assert s.api_key is None


def test_every_setting_has_help_text() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"


def test_toml_then_env_then_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "dalil.toml").write_text('index = "from-toml"\nthreads = 3\nport = 9000\n')
    monkeypatch.setenv("DALIL_THREADS", "1")
    s = load_settings(port=None, index=tmp_path / "flag")
    assert s.index == tmp_path / "flag"  # explicit override wins
    assert s.threads == 1  # env beats toml
    assert s.port == 9000  # toml beats default


def test_bad_env_value_names_setting_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DALIL_THREADS", "many")
    with pytest.raises(SettingsError, match=r"threads.*DALIL_THREADS.*'many'"):
        load_settings()


def test_bad_toml_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "dalil.toml").write_text("index = [unclosed\n")
    with pytest.raises(SettingsError, match="dalil.toml"):
        load_settings()


@pytest.mark.parametrize("encoders", ["", " , ", "use-m3,use-m3"])
def test_bad_encoder_lists(encoders: str) -> None:
    with pytest.raises(SettingsError, match="encoders"):
        load_settings(encoders=encoders)


def test_paragraph_bounds_checked_together() -> None:
    with pytest.raises(SettingsError, match="min_paragraph_chars.*max_paragraph_chars"):
        load_settings(min_paragraph_chars=1500, max_paragraph_chars=1200)


def test_api_key_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DALIL_API_KEY", "s3cret")
    s = load_settings()
    assert s.api_key is not None and s.api_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
