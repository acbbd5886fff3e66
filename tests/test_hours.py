from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import jpholiday
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.hours import CHAT, PHONE, TOKYO, SupportHours, holiday_name

HOURS = SupportHours()


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


# (moment, phone open, chat open)
OPEN_CASES = [
    ("2026-11-24T08:59:59", False, False),  # Tuesday, before phone opens
    ("2026-11-24T09:00:00", True, False),  # phone opens on the minute
    ("2026-11-24T09:59:59", True, False),
    ("2026-11-24T10:00:00", True, True),  # chat opens on the minute
    ("2026-11-24T16:59:00", True, True),
    ("2026-11-24T16:59:59.999999", True, True),
    ("2026-11-24T17:00:00", False, False),  # half-open: closed at 17:00:00
    ("2026-11-24T23:59:00", False, False),
    ("2026-11-28T11:00:00", False, False),  # Saturday
    ("2026-11-29T11:00:00", False, False),  # Sunday
    ("2026-11-23T11:00:00", False, False),  # 勤労感謝の日 (Monday)
    ("2026-05-06T11:00:00", False, False),  # substitute holiday for 憲法記念日
    ("2026-09-22T11:00:00", False, False),  # citizens' holiday between 敬老の日 and 秋分の日
    ("2026-09-24T11:00:00", True, True),
    ("2027-01-01T11:00:00", False, False),  # 元日
    ("2027-03-22T11:00:00", False, False),  # substitute holiday for 春分の日
    ("2027-09-23T11:00:00", False, False),  # 秋分の日
    ("2027-09-24T11:00:00", True, True),
]


@pytest.mark.parametrize(("moment", "phone", "chat"), OPEN_CASES)
def test_is_open(moment: str, phone: bool, chat: bool) -> None:
    at = jst(moment)
    assert HOURS.is_open(PHONE, at) is phone
    assert HOURS.is_open(CHAT, at) is chat


# (moment, channel, next opening)
NEXT_CASES = [
    ("2026-11-24T08:00:00", PHONE, "2026-11-24T09:00:00"),
    ("2026-11-24T09:30:00", CHAT, "2026-11-24T10:00:00"),
    ("2026-11-24T17:00:00", PHONE, "2026-11-25T09:00:00"),
    ("2026-11-27T17:00:00", PHONE, "2026-11-30T09:00:00"),  # Friday evening -> Monday
    ("2026-11-28T11:00:00", PHONE, "2026-11-30T09:00:00"),  # Saturday -> 11月30日(月)
    ("2026-11-21T11:00:00", CHAT, "2026-11-24T10:00:00"),  # Saturday before the Monday holiday
    ("2026-05-01T17:30:00", PHONE, "2026-05-07T09:00:00"),  # across Golden Week
    ("2026-09-18T17:00:00", CHAT, "2026-09-24T10:00:00"),  # across the September holidays
    ("2026-12-31T17:00:00", PHONE, "2027-01-04T09:00:00"),  # New Year holiday and weekend
]


@pytest.mark.parametrize(("moment", "channel", "expected"), NEXT_CASES)
def test_next_opening(moment: str, channel: object, expected: str) -> None:
    status = HOURS.status(channel, jst(moment))  # type: ignore[arg-type]
    assert not status.open
    assert status.opens_at == jst(expected)
    assert status.closes_at is None


def test_open_status_reports_closing_time() -> None:
    status = HOURS.status(PHONE, jst("2026-11-24T10:30:00"))
    assert status.open
    assert status.closes_at == jst("2026-11-24T17:00:00")
    assert status.opens_at is None


@pytest.mark.parametrize(
    ("moment", "phone", "chat"),
    [
        (datetime(2026, 11, 24, 1, 30, tzinfo=UTC), True, True),  # 10:30 JST
        (datetime(2026, 11, 24, 0, 30, tzinfo=UTC), True, False),  # 09:30 JST
        (datetime(2026, 11, 23, 19, 30, tzinfo=ZoneInfo("America/New_York")), True, False),  # 09:30 JST
        (datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/London")), False, False),  # 18:00 JST
        (datetime(2026, 11, 24, 17, 30, tzinfo=timezone(timedelta(hours=-8))), True, True),  # Wed 10:30 JST
        (datetime(2026, 11, 27, 17, 30, tzinfo=timezone(timedelta(hours=-8))), False, False),  # Sat 10:30 JST
    ],
)
def test_any_timezone(moment: datetime, phone: bool, chat: bool) -> None:
    assert HOURS.is_open(PHONE, moment) is phone
    assert HOURS.is_open(CHAT, moment) is chat


def test_reported_times_are_tokyo_whatever_the_input_zone() -> None:
    status = HOURS.status(CHAT, datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # 19:00 JST
    assert status.opens_at is not None
    assert status.opens_at.utcoffset() == timedelta(hours=9)
    assert status.opens_at == jst("2026-11-25T10:00:00")


def test_extra_closed_dates() -> None:
    hours = SupportHours.with_closed_dates([date(2026, 12, 30), date(2026, 12, 31)])
    assert not hours.is_open(PHONE, jst("2026-12-30T11:00:00"))
    assert hours.closed_reason(date(2026, 12, 30)) == "休業日"
    assert hours.status(PHONE, jst("2026-12-29T17:00:00")).opens_at == jst("2027-01-04T09:00:00")


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 11, 28), "土曜日"),
        (date(2026, 11, 29), "日曜日"),
        (date(2026, 11, 23), "勤労感謝の日"),
        (date(2026, 9, 22), "国民の休日"),
        (date(2026, 11, 24), None),
    ],
)
def test_closed_reason(day: date, reason: str | None) -> None:
    assert HOURS.closed_reason(day) == reason


def test_substitute_holiday_is_named() -> None:
    assert HOURS.closed_reason(date(2026, 5, 6)) == "振替休日"


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURS.status(PHONE, datetime(2026, 11, 24, 10, 0))


@given(minutes=st.integers(min_value=0, max_value=60 * 24 * 800), offset=st.integers(min_value=-12, max_value=14))
def test_statuses_are_consistent_in_any_zone(minutes: int, offset: int) -> None:
    at = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(timezone(timedelta(hours=offset)))
    for status in HOURS.statuses(at):
        if status.open:
            assert status.closes_at is not None and status.closes_at > at
            assert not HOURS.is_open(status.channel, status.closes_at)
        else:
            assert status.opens_at is not None and status.opens_at > at
            assert HOURS.is_open(status.channel, status.opens_at)
            assert not HOURS.is_open(status.channel, status.opens_at - timedelta(microseconds=1))


def test_every_holiday_jpholiday_knows_has_an_english_name() -> None:
    names = {holiday_name(day, "en") for year in range(1990, 2031) for day, _ in jpholiday.year_holidays(year)}
    assert all(name is not None and name.isascii() for name in names), names


def test_every_holiday_of_2026_and_2027_has_an_english_name() -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(730)]
    named = {day: holiday_name(day, "en") for day in days if holiday_name(day)}
    assert len(named) == 35  # 18 in 2026 (a substitute and a citizens' holiday among them), 17 in 2027
    assert all(name is not None and name.isascii() for name in named.values()), named
    assert named[date(2026, 5, 6)] == "Substitute Holiday" and named[date(2026, 9, 22)] == "Citizens' Holiday"
