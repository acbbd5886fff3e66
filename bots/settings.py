"""Settings read once at start-up from the environment or `.env`, then passed in."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the bot reads; names are the environment variables of DESIGN.md."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    line_channel_secret: str | None = Field(default=None, alias="LINE_CHANNEL_SECRET")
    line_channel_access_token: str | None = Field(default=None, alias="LINE_CHANNEL_ACCESS_TOKEN")
    line_api_base_url: str = Field(default="https://api.line.me", alias="LINE_API_BASE_URL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_BASE_URL")
    slack_handoff_channel: str | None = Field(default=None, alias="SLACK_HANDOFF_CHANNEL")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    database_url: str = Field(default="sqlite:///supportbot.db", alias="DATABASE_URL")
    faq_path: Path | None = Field(default=None, alias="FAQ_PATH")
    port: int = Field(default=8080, alias="PORT", ge=1, le=65535)
    support_closed_dates: Annotated[tuple[date, ...], NoDecode] = Field(default=(), alias="SUPPORT_CLOSED_DATES")

    @field_validator("support_closed_dates", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator("faq_path")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
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
        return [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not value
        ]


class SettingsError(Exception):
    """A setting that is present but malformed; the message names it."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one message naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from exc
