"""Settings read once at start-up from the environment or `.env`, then passed in."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "postgres", "postgresql", "postgresql+asyncpg"})
CREDENTIALS = (
    "line_channel_secret",
    "line_channel_access_token",
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "metrics_token",
)


class KnowledgeSettings(BaseSettings):
    """The one setting `supportbot check` needs, so a bad unrelated variable does not stop it."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    faq_path: Path | None = Field(default=None, alias="FAQ_PATH")

    @field_validator("faq_path", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("faq_path")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value


class Settings(KnowledgeSettings):
    """Every setting the bot reads; names are the environment variables of DESIGN.md."""

    line_channel_secret: str | None = Field(default=None, alias="LINE_CHANNEL_SECRET")
    line_channel_access_token: str | None = Field(default=None, alias="LINE_CHANNEL_ACCESS_TOKEN")
    line_api_base_url: str = Field(default="https://api.line.me", alias="LINE_API_BASE_URL")
    line_reply_timeout: float = Field(default=5.0, alias="LINE_REPLY_TIMEOUT", gt=0, le=50)
    line_max_pending: int = Field(default=128, alias="LINE_MAX_PENDING", ge=1)
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_BASE_URL")
    slack_handoff_channel: str | None = Field(default=None, alias="SLACK_HANDOFF_CHANNEL")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    handoff_claim_timeout: float = Field(default=10.0, alias="HANDOFF_CLAIM_TIMEOUT", gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, alias="MAX_BODY_BYTES", ge=1024)
    # When set, GET /metrics answers only a request bearing it (Authorization: Bearer ...).
    metrics_token: str | None = Field(default=None, alias="METRICS_TOKEN")
    log_format: Literal["plain", "json"] = Field(default="plain", alias="LOG_FORMAT")
    rate_limit_messages: int = Field(default=10, alias="RATE_LIMIT_MESSAGES", ge=1)
    rate_limit_window: float = Field(default=60.0, alias="RATE_LIMIT_WINDOW", gt=0)
    database_url: str = Field(default="sqlite:///supportbot.db", alias="DATABASE_URL")
    port: int = Field(default=8080, alias="PORT", ge=1, le=65535)
    support_closed_dates: Annotated[tuple[date, ...], NoDecode] = Field(default=(), alias="SUPPORT_CLOSED_DATES")

    @field_validator("support_closed_dates", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator(*CREDENTIALS, mode="before")
    @classmethod
    def _credential(cls, value: object) -> object:
        # Pasted into a dashboard, a token often brings a line break along; it would make every
        # call or signature check fail later, far from here. Around it, whitespace is cut; inside,
        # it is an error (no token has any); whitespace alone is no value.
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value.isascii() or any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError("contains whitespace, control or non-ASCII characters, which no credential has")
        return value or None

    @field_validator("line_api_base_url", "slack_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("not an http(s) URL")  # no value: a token pasted here must not be printed
        return value

    @field_validator("slack_handoff_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value):
            raise ValueError("must be a channel ID such as C0123456789 (not a #name)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme in DATABASE_SCHEMES and "://" not in value:
            raise ValueError("cannot be read: a database URL looks like sqlite:///path or postgresql://host/db")
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(f"unsupported database URL scheme {scheme!r} (use sqlite:/// or postgresql://)")
        try:
            port = urlsplit(value).port
        except ValueError as exc:  # the message names the part, never the URL and its password
            raise ValueError(f"cannot be read: {exc}") from None
        if port == 0:
            raise ValueError("cannot be read: port 0")
        return value

    def missing_for_line(self) -> list[str]:
        """LINE settings that are absent (an empty list means LINE is on)."""
        return [
            name
            for name, value in (
                ("LINE_CHANNEL_SECRET", self.line_channel_secret),
                ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token),
            )
            if not value
        ]

    def missing_for_slack(self) -> list[str]:
        """Slack settings that are absent (an empty list means Slack is on)."""
        required = [("SLACK_BOT_TOKEN", self.slack_bot_token)]
        if not self.slack_app_token:  # over Socket Mode nothing comes by HTTP, so nothing is signed
            required.append(("SLACK_SIGNING_SECRET", self.slack_signing_secret))
        return [name for name, value in required if not value]


S = TypeVar("S", bound=KnowledgeSettings)


class SettingsError(Exception):
    """A setting that is present but malformed; the message names it."""


class StartupError(Exception):
    """A setting that is well formed but does not work (the database cannot be opened, Slack
    refuses the app token); the message names the variable."""


def one_line(exc: BaseException) -> str:
    """An exception as one line, its type first; the first line only, which names no password."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0][:200]}" if message else type(exc).__name__


def database_failure(exc: BaseException) -> StartupError:
    """The start-up error for a database that cannot be opened."""
    return StartupError(f"DATABASE_URL: cannot open the database ({one_line(exc)})")


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one message naming each variable."""
    return _load(Settings, overrides)


def load_knowledge_settings() -> KnowledgeSettings:
    """Only FAQ_PATH, for commands that need nothing else."""
    return _load(KnowledgeSettings, {})


def _load(kind: type[S], overrides: dict[str, object]) -> S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from exc
