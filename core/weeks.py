"""ISO weeks in the config's time zone, as UTC instants (Monday 00:00 local to Monday 00:00)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 1970, 9000  # the years a report week may fall in


@dataclass(frozen=True)
class Week:
    """One report week: `start` and `end` are UTC instants of local Monday midnights."""

    label: str
    monday: date
    start: datetime
    end: datetime

    @classmethod
    def of(cls, day: date, zone: ZoneInfo) -> Week:
        monday = day - timedelta(days=day.weekday())
        year, number, _ = monday.isocalendar()
        start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(UTC)
        return cls(f"{year}-W{number:02d}", monday, start, end)

    @classmethod
    def parse(cls, label: str, zone: ZoneInfo) -> Week:
        """`2026-W47` -> that week; raises ValueError with a readable message."""
        try:
            year_text, week_text = label.upper().split("-W")
            monday = date.fromisocalendar(int(year_text), int(week_text), 1)
        except ValueError:
            raise ValueError(f"'{label}' is not an ISO week like 2026-W47") from None
        if not FIRST_YEAR <= monday.year <= LAST_YEAR:
            # A page looks back several weeks and a UTC instant must exist for each local
            # midnight: years at the ends of the calendar overflow, so they are refused here.
            raise ValueError(f"'{label}' is outside the years {FIRST_YEAR}-{LAST_YEAR}")
        return cls.of(monday, zone)

    def previous(self, zone: ZoneInfo, count: int = 1) -> Week:
        return Week.of(self.monday - timedelta(days=7 * count), zone)

    @property
    def local_sunday(self) -> date:
        return self.monday + timedelta(days=6)


def last_complete_week(now: datetime, zone: ZoneInfo) -> Week:
    """The last week that has fully ended at `now` in `zone`."""
    current = Week.of(now.astimezone(zone).date(), zone)
    return current.previous(zone)


def weeks_between(first: date, last: date, zone: ZoneInfo) -> list[Week]:
    """Every week touching the dates from `first` to `last` inclusive."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    weeks = [Week.of(first, zone)]
    while weeks[-1].local_sunday < last:
        weeks.append(Week.of(weeks[-1].monday + timedelta(days=7), zone))
    return weeks
