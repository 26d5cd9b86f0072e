from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from backend.settings import ENV_PREFIX, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def settings_variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f"{ENV_PREFIX}{name}_{sub}".upper() for sub in annotation.model_fields}
        else:
            names.add(f"{ENV_PREFIX}{name}".upper())
    return names


def test_nested_variables_reach_their_concern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANAT_BOT_TOKEN", "123456789:" + "A" * 35)
    monkeypatch.setenv("SANAT_BOT_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("SANAT_WEB_PORT", "9090")
    monkeypatch.setenv("SANAT_DELIVERY_REMINDER_DAYS", "[60, 7]")
    settings = load_settings(_env_file=None)
    assert settings.web.port == 9090
    assert settings.delivery.reminder_days == [60, 7]
    assert settings.bot.token is not None
    assert settings.bot.token.get_secret_value().endswith("A" * 35)
    assert "s3cret" not in repr(settings)  # secrets never print


def test_empty_value_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANAT_BOT_TOKEN", "")
    monkeypatch.setenv("SANAT_REDIS_URL", "")
    settings = load_settings(_env_file=None)
    assert settings.bot.token is None
    assert settings.redis.url is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SANAT_WEB_PORT", "eighty"),
        ("SANAT_DATABASE_URL", "mysql://x"),
        ("SANAT_SCHEDULER_TIMEZONE", "Mars/Olympus"),
        ("SANAT_LOG_LEVEL", "LOUD"),
        ("SANAT_BOT_TOKEN", "not-a-token"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    assert variable in str(error.value)
    if "TOKEN" in variable:
        assert value not in str(error.value)  # a bad token is not echoed either


def test_env_example_documents_every_variable() -> None:
    documented = set(
        re.findall(r"^(SANAT_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert settings_variables() - documented == set()
    assert documented - settings_variables() == set()


def test_env_example_parses_to_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    settings = load_settings()
    assert settings.bot.token is None
    assert settings.database.url == "sqlite+aiosqlite:///./var/sanat.db"
    assert settings.scheduler.timezone == "Asia/Almaty"
