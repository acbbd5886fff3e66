"""When the phone and chat support channels are open, for any timezone-aware moment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")
# Longest run of closed days we look across for the next opening (Golden Week plus
# operator-configured closures fit many times over).
_SEARCH_DAYS = 366


@dataclass(frozen=True, slots=True)
class Channel:
    """A support channel open on business days from `opens` to `closes` (half-open), Tokyo time."""

    name: str
    opens: time
    closes: time


PHONE = Channel("phone", time(9, 0), time(17, 0))
CHAT = Channel("chat", time(10, 0), time(17, 0))


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """A channel's state at one moment."""

    channel: Channel
    at: datetime
    open: bool
    closes_at: datetime | None
    opens_at: datetime | None
    closed_reason: str | None


@dataclass(frozen=True, slots=True)
class SupportHours:
    """Business-day calendar: weekdays minus Japanese national holidays minus extra closed dates."""

    channels: tuple[Channel, ...] = (PHONE, CHAT)
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_closed_dates(cls, dates: Iterable[date]) -> SupportHours:
        """Default channels with operator-configured closed dates."""
        return cls(extra_closed=frozenset(dates))

    def channel(self, name: str) -> Channel:
        """The channel called `name`."""
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is not a business day ("土曜日", a holiday's name, ...), or None if it is one."""
        if day.weekday() == 5:
            return "土曜日"
        if day.weekday() == 6:
            return "日曜日"
        holiday = holiday_name(day)
        if holiday:
            return holiday
        if day in self.extra_closed:
            return "休業日"
        return None

    def is_business_day(self, day: date) -> bool:
        """True on weekdays that are neither holidays nor extra closed dates."""
        return self.closed_reason(day) is None

    def is_open(self, channel: Channel, at: datetime) -> bool:
        """Whether `channel` takes contacts at `at` (opening minute included, closing minute not)."""
        local = _tokyo(at)
        return (
            self.is_business_day(local.date()) and channel.opens <= local.timetz().replace(tzinfo=None) < channel.closes
        )

    def closes_at(self, channel: Channel, at: datetime) -> datetime | None:
        """When `channel` closes, if it is open at `at`."""
        if not self.is_open(channel, at):
            return None
        return datetime.combine(_tokyo(at).date(), channel.closes, TOKYO)

    def next_opening(self, channel: Channel, at: datetime) -> datetime | None:
        """The first opening of `channel` strictly after `at`; None if none within a year."""
        local = _tokyo(at)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            opening = datetime.combine(day, channel.opens, TOKYO)
            if opening > local and self.is_business_day(day):
                return opening
            if day == date.max:
                break
            day += timedelta(days=1)
        return None

    def status(self, channel: Channel, at: datetime) -> ChannelStatus:
        """Open or closed at `at`, with the closing time or the next opening."""
        _require_aware(at)
        local = _tokyo(at)
        if self.is_open(channel, local):
            return ChannelStatus(channel, local, True, self.closes_at(channel, local), None, None)
        return ChannelStatus(
            channel, local, False, None, self.next_opening(channel, local), self.closed_reason(local.date())
        )

    def statuses(self, at: datetime) -> tuple[ChannelStatus, ...]:
        """The status of every channel at `at`."""
        return tuple(self.status(channel, at) for channel in self.channels)


# The holidays that are days off by law without being a 祝日 of their own.
SUBSTITUTE = "振替休日"
CITIZENS = "国民の休日"
# Each holiday's name in English (the Cabinet Office's), for replies in English.
NAMES_EN = {
    "元日": "New Year's Day",
    "成人の日": "Coming of Age Day",
    "建国記念の日": "National Foundation Day",
    "天皇誕生日": "The Emperor's Birthday",
    "春分の日": "Vernal Equinox Day",
    "昭和の日": "Showa Day",
    "憲法記念日": "Constitution Memorial Day",
    "みどりの日": "Greenery Day",
    "こどもの日": "Children's Day",
    "海の日": "Marine Day",
    "山の日": "Mountain Day",
    "敬老の日": "Respect for the Aged Day",
    "秋分の日": "Autumnal Equinox Day",
    "スポーツの日": "Sports Day",
    "文化の日": "Culture Day",
    "勤労感謝の日": "Labor Thanksgiving Day",
    "体育の日": "Health and Sports Day",  # the Sports Day's name until 2019
    "天皇の即位の日": "Day of the Emperor's Enthronement",
    "即位礼正殿の儀": "Day of the Enthronement Ceremony",
    "即位の礼正殿の儀": "Day of the Enthronement Ceremony",
    "皇太子・皇太子徳仁親王の結婚の儀": "Day of the Crown Prince's Wedding Ceremony",
    SUBSTITUTE: "Substitute Holiday",
    CITIZENS: "Citizens' Holiday",
}


@lru_cache(maxsize=1024)
def holiday_name(day: date, lang: str = "ja") -> str | None:
    """The name of the national holiday on `day` in `lang` ("ja" or "en"), or None.

    jpholiday (light: the holidays package costs 100 ms and 17 MB to import) names a substitute
    holiday after the one it stands for (憲法記念日 振替休日): it is a 振替休日 here.
    """
    name = jpholiday.is_holiday_name(day)
    if not name:
        return None
    name = SUBSTITUTE if str(name).endswith(SUBSTITUTE) else str(name)
    return NAMES_EN.get(name, name) if lang == "en" else name


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("support hours need a timezone-aware datetime")


def _tokyo(at: datetime) -> datetime:
    _require_aware(at)
    return at.astimezone(TOKYO)
