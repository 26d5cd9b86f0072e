"""Settings per concern, read from ``SANAT_*`` environment variables (and ``.env``).

``SANAT_BOT_TOKEN`` maps to ``settings.bot.token``: the first ``_`` after the prefix separates
the concern from the field (``env_nested_max_split=1``), so field names keep their underscores.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "SANAT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is invalid; the message names the environment variable."""


class BotSettings(BaseModel):
    token: SecretStr | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # public base URL Telegram calls, e.g. https://sanat.kz
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None  # X-Telegram-Bot-Api-Secret-Token
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    api_server: str | None = None  # a local Bot API server, e.g. http://127.0.0.1:8082
    username: str | None = None  # the bot's @username, for t.me deep links (invitations)
    backend_url: str = "http://127.0.0.1:8080"
    # Webhook updates handled at once per process; each may hold two database connections
    # (its session and the dialog store), so keep it within the pool (SANAT_DATABASE_POOL_SIZE).
    max_concurrent_updates: int = Field(default=8, ge=1, le=1000)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        head, _, tail = raw.partition(":")
        if not head.isdigit() or len(tail) < 30:
            raise ValueError("must look like 123456789:AA... (the token @BotFather gave you)")
        return value


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./var/sanat.db"
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=200)

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(BaseModel):
    url: str | None = None  # set to keep bot dialog state in Redis (several bot processes)

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("use redis://HOST:PORT/DB")
        return value or None


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    api_tokens_pepper: SecretStr | None = None  # extra secret mixed into API token hashes
    # The console (/console): its public base URL (links the bot sends, the Login Widget's
    # domain, Secure cookies when https) and the key that signs its one-time sign-in links.
    public_url: str = "http://127.0.0.1:8080"
    console_secret: SecretStr | None = None
    console_session_hours: int = Field(default=8, ge=1, le=24 * 30)
    console_link_minutes: int = Field(default=10, ge=1, le=60)


class SchedulerSettings(BaseModel):
    enabled: bool = True
    timezone: str = "Asia/Almaty"
    sweep_interval_seconds: int = Field(default=60, ge=5, le=3600)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class DeliverySettings(BaseModel):
    enabled: bool = True
    global_rate: float = Field(default=25.0, gt=0, le=1000)  # messages per second overall
    per_chat_interval: float = Field(default=1.0, ge=0)  # seconds between messages to one chat
    per_group_per_minute: int = Field(default=20, ge=1, le=60)
    max_attempts: int = Field(default=5, ge=1, le=50)
    quiet_start: dt.time = dt.time(20, 0)  # no reminders from 20:00 ...
    quiet_end: dt.time = dt.time(9, 0)  # ... until 09:00 local time
    reminder_days: list[int] = [180, 90, 30, 7, 0]
    overdue_every_days: int = Field(default=30, ge=1, le=365)
    retention_days: int = Field(default=90, ge=1, le=3650)  # finished outbox rows kept this long
    # Where the send limits live, shared by every worker: auto = Redis when SANAT_REDIS_URL is
    # set, else PostgreSQL when the database is, else in the process (SQLite: one worker).
    limiter: Literal["auto", "redis", "postgres", "local"] = "auto"


class StaffSettings(BaseModel):
    """Organisations' staff: invitation links, roster import, the weekly digest."""

    invitation_ttl_days: int = Field(default=30, ge=1, le=365)
    roster_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=20 * 1024 * 1024)
    roster_max_rows: int = Field(default=5000, ge=1, le=100_000)
    digest_weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday, local time
    digest_time: dt.time = dt.time(9, 0)


class BroadcastSettings(BaseModel):
    """Curator broadcasts and channel duties."""

    progress_interval_seconds: float = Field(default=5.0, ge=1, le=300)
    duty_reminder_time: dt.time = dt.time(10, 0)  # local time of the monthly duty reminder
    september_reminder_day: int = Field(default=1, ge=1, le=30)


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # "SANAT_BOT_TOKEN=" in .env means unset
        extra="ignore",
    )

    env: Literal["dev", "prod", "test"] = "dev"
    bot: BotSettings = BotSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    web: WebSettings = WebSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    delivery: DeliverySettings = DeliverySettings()
    staff: StaffSettings = StaffSettings()
    broadcast: BroadcastSettings = BroadcastSettings()
    log: LogSettings = LogSettings()
    locales_dir: Path = PROJECT_ROOT / "locales"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.scheduler.timezone)


def env_name(location: tuple[int | str, ...]) -> str:
    """The environment variable behind a pydantic error location, e.g. SANAT_WEB_PORT."""
    parts = [str(part) for part in location[:2] if isinstance(part, str)]
    return ENV_PREFIX + "_".join(parts).upper()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            value = error.get("input")
            shown = (
                ""
                if "token" in str(error["loc"]) or "secret" in str(error["loc"])
                else f" (got {value!r})"
            )
            problems.append(f"{env_name(error['loc'])}: {error['msg']}{shown}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None
