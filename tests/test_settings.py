from __future__ import annotations

from pathlib import Path

import pytest

from bots.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "FAQ_PATH", "PORT", "LINE_API_BASE_URL", "SLACK_API_BASE_URL", "SUPPORT_CLOSED_DATES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.port == 8080
    assert settings.faq_path is None
    assert settings.database_url.startswith("sqlite:///")
    assert settings.missing_for_line() == ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///x.db",
        "sqlite+aiosqlite:///x.db",
        "postgres://u@h/db",
        "postgresql://u@h/db",
        "postgresql+asyncpg://u@h/db",
    ],
)
def test_database_spellings_of_design_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == url


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://u:secret@h/db"),
        ("DATABASE_URL", "garbage"),
        ("DATABASE_URL", "postgresql://u:secret@h:notaport/db"),
        ("DATABASE_URL", "postgresql://u:secret@h:99999/db"),
        ("DATABASE_URL", "postgresql://u:secret@h:0/db"),
        ("LINE_API_BASE_URL", "not a url"),
        ("SLACK_API_BASE_URL", "ftp://example"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("FAQ_PATH", "/nowhere/faq.yaml"),
        ("SUPPORT_CLOSED_DATES", "2026-12-31,someday"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "line-token secret-half"),  # two values pasted as one
        ("DATABASE_URL", "postgresql:/secret@h/db"),  # one slash short
        ("DATABASE_URL", "sqlite:secret.db"),
        ("SLACK_HANDOFF_CHANNEL", "xoxb-secret-token"),  # a token pasted in the wrong box is not printed
        ("SLACK_API_BASE_URL", "xoxb-secret-token"),
        ("SLACK_BOT_TOKEN", "xoxb-1\x1bsecret"),  # an escape key pressed while pasting
        ("LINE_CHANNEL_SECRET", "ａｂｃ１２３"),  # full-width, from a Japanese input method
        ("METRICS_TOKEN", "scrape secret"),
    ],
)
def test_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value)
    assert "secret" not in str(caught.value)  # a database password never reaches the message


def test_empty_faq_path_means_the_builtin_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQ_PATH", "")
    assert load_settings().faq_path is None


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=9090\nSUPPORT_CLOSED_DATES=2026-12-30, 2026-12-31\n")
    settings = load_settings()
    assert settings.port == 9090
    assert [d.isoformat() for d in settings.support_closed_dates] == ["2026-12-30", "2026-12-31"]


@pytest.mark.parametrize(
    "name", ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SLACK_SIGNING_SECRET", "METRICS_TOKEN"]
)
def test_a_credential_pasted_with_a_line_break_is_trimmed(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "  abc123\n")
    assert getattr(load_settings(_env_file=None), name.lower()) == "abc123"


def test_a_credential_of_whitespace_alone_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", " ")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "token")
    assert load_settings(_env_file=None).missing_for_line() == ["LINE_CHANNEL_SECRET"]


def test_socket_mode_needs_no_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert load_settings(_env_file=None).missing_for_slack() == ["SLACK_SIGNING_SECRET"]  # over HTTP
    monkeypatch.setenv("SLACK_APP_TOKEN", "  ")
    assert load_settings(_env_file=None).missing_for_slack() == ["SLACK_SIGNING_SECRET"]  # whitespace is unset
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load_settings(_env_file=None).missing_for_slack() == []  # nothing comes by HTTP to sign
