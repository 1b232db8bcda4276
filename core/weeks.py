"""ISO weeks in the config's time zone, as UTC instants (Monday 00:00 local to Monday 00:00)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 1970, 9000  # the years a report week may fall in


@dataclass(frozen=True)
class Week:
    """One report week: `start` and `end` are UTC instants of local Monday midnights.

    `as_of` is the instant the week is computed as of (SPEC §5): its end for a complete week
    (None means the end), or the run instant for the week in progress.
    """

    label: str
    monday: date
    start: datetime
    end: datetime
    as_of: datetime | None = None

    @property
    def cutoff(self) -> datetime:
        """The instant the week is computed as of: records at or after it do not count."""
        return self.end if self.as_of is None else self.as_of

    @property
    def complete(self) -> bool:
        return self.cutoff >= self.end

    def at(self, instant: datetime) -> Week:
        """This week as of `instant`: a later instant means the complete week.

        Raises ValueError for an instant before the week starts (it has not begun then).
        """
        if instant.tzinfo is None:
            raise ValueError("as-of instants carry a time zone")
        if instant <= self.start:
            raise ValueError(f"week {self.label} has not started at {instant.isoformat()}")
        return replace(self, as_of=None if instant >= self.end else instant.astimezone(UTC))

    def workdays_before(self, zone: ZoneInfo) -> int:
        """Monday-Friday days of the week whose local 00:00 is before `as_of` (5 when complete)."""
        if self.complete:
            return 5
        return sum(
            1
            for offset in range(5)
            if datetime.combine(self.monday + timedelta(days=offset), time(0), tzinfo=zone) < self.cutoff
        )

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


def week_in_progress(now: datetime, zone: ZoneInfo) -> Week:
    """The week containing `now` in `zone`, as of `now` (SPEC §6: the default report)."""
    return Week.of(now.astimezone(zone).date(), zone).at(now)


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
