"""The deployment window: is it open now, and do the remaining steps fit before it closes?

>>> w = Window("02:00", "04:00", "Europe/Moscow")
>>> w.contains(datetime(2026, 1, 24, 2, 30, tzinfo=ZoneInfo("Europe/Moscow")))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from gate.settings import Settings


@dataclass(frozen=True, slots=True)
class Window:
    """A daily window ``start``–``end`` (HH:MM) in time zone ``tz``; may span midnight.

    >>> Window("23:00", "01:00", "UTC").contains(datetime(2026, 1, 1, 0, 30, tzinfo=ZoneInfo("UTC")))
    True
    """

    start: str
    end: str
    tz: str
    always_open: bool = False

    def _bounds(self, now: datetime) -> tuple[datetime, datetime] | None:
        zone = ZoneInfo(self.tz)
        local = now.astimezone(zone)
        s = time.fromisoformat(self.start)
        e = time.fromisoformat(self.end)
        for day in (local.date() - timedelta(days=1), local.date()):
            opens = datetime.combine(day, s, zone)
            closes = datetime.combine(day if e > s else day + timedelta(days=1), e, zone)
            if opens <= local < closes:
                return opens, closes
        return None

    def contains(self, now: datetime) -> bool:
        """``now`` is inside the window (always, for a rehearsal's open window)."""
        return self.always_open or self._bounds(now) is not None

    def remaining_s(self, now: datetime) -> float:
        """Seconds until the window closes (infinite when open-ended, 0 outside)."""
        if self.always_open:
            return float("inf")
        bounds = self._bounds(now)
        return 0.0 if bounds is None else (bounds[1] - now).total_seconds()

    def fits(self, budget_s: float, now: datetime) -> bool:
        """``budget_s`` seconds of steps fit before the window closes."""
        return self.contains(now) and budget_s <= self.remaining_s(now)

    def describe(self, now: datetime) -> str:
        """Human description of the window relative to ``now``."""
        local = now.astimezone(ZoneInfo(self.tz))
        if self.always_open:
            return f"window open (WINDOW_OPEN), now {local:%Y-%m-%d %H:%M} {self.tz}"
        return f"window {self.start}–{self.end} {self.tz}, now {local:%Y-%m-%d %H:%M %Z}"


def window_of(settings: Settings) -> Window:
    """The deployment window the settings name (``WINDOW_START``..``WINDOW_END`` in ``WINDOW_TZ``, ``WINDOW_OPEN``)."""
    return Window(settings.window_start, settings.window_end, settings.window_tz, settings.window_open)


def clock(settings: Settings) -> datetime:
    """The current time (``WINDOW_NOW`` overrides it, for rehearsals and self-tests; a naive one is UTC)."""
    moment = settings.window_now or datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
