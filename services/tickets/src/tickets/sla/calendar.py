"""Business calendars: service hours in local wall-clock time, holidays, business time.

Business time is real elapsed time while the service is open. The service is open at
an instant when that instant's local wall-clock reading (date and time, in the
calendar's time zone) falls inside one of the service intervals of that weekday and
the local date is not a holiday. This one rule settles every daylight-saving case:

- a service interval that touches a skipped hour (spring forward) is shorter by the
  skipped part; a wall time that does not exist is never open;
- a service interval that touches a repeated hour (fall back) is longer: both passes
  through the repeated wall times are open, because both are real minutes a customer
  waits;
- the end of an interval is exclusive: at 17:00 a 09:00-17:00 desk is closed, and 60
  business minutes from 16:00 are due at 17:00 that day, not at 09:00 the next.

Nothing here steps minute by minute. Per UTC year the calendar computes, once, the
sorted open intervals as integer microseconds since the epoch with a running total of
business time before each; adding and measuring business time are then two binary
searches. Years are built lazily and cached; holiday sets are cached per country,
subdivision and year.

All public methods take timezone-aware datetimes (any zone) and return UTC ones;
naive datetimes are refused with ``ValueError``.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from careplane_shared.sla_policy import CalendarSpec, clock_minutes
from tickets.sla.offsets import DAY_US, EPOCH_ORDINAL, MINUTE_US, year_segments, year_start_us

__all__ = ["BusinessCalendar"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A calendar with weekly hours always has business time within a year or two; this
# bound turns a calendar whose hours are all swallowed by holidays into an error
# instead of an endless search.
_MAX_EMPTY_YEARS = 10


def _utc(at: datetime) -> datetime:
    zone = at.tzinfo
    if zone is UTC:
        return at
    if zone is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: the SLA engine needs aware datetimes")
    return at.astimezone(UTC)


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=4096)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


class _Year:
    """The open intervals of one UTC calendar year, clipped to it.

    Bounds are UTC datetimes and sums are timedeltas rather than integers: building a
    datetime or timedelta from an integer costs far more than the arithmetic itself,
    and the hot path then needs no conversion at all.
    """

    __slots__ = ("after", "cumulative", "ends", "first", "starts", "total", "year")

    def __init__(self, year: int, intervals: list[tuple[int, int]]) -> None:
        self.year = year
        self.first = datetime(year, 1, 1, tzinfo=UTC)
        self.after = datetime(year + 1, 1, 1, tzinfo=UTC)
        self.starts = [_from_us(start) for start, _ in intervals]
        self.ends = [_from_us(end) for _, end in intervals]
        # cumulative[i] is the business time before interval i; the last entry is the
        # year's total, so a bisect on it finds the interval where a sum is reached.
        self.cumulative = [_ZERO]
        running = 0
        for start, end in intervals:
            running += end - start
            self.cumulative.append(timedelta(microseconds=running))
        self.total = self.cumulative[-1]

    def position(self, at: datetime) -> timedelta:
        """Business time from the start of the year up to ``at``."""
        index = bisect_right(self.starts, at) - 1
        if index < 0:
            return _ZERO
        end = self.ends[index]
        return self.cumulative[index] + ((at if at < end else end) - self.starts[index])

    def instant_at(self, position: timedelta) -> datetime:
        """The earliest instant at which ``position`` (> 0) business time has elapsed."""
        index = bisect_left(self.cumulative, position, 1) - 1
        return self.starts[index] + (position - self.cumulative[index])


class BusinessCalendar:
    """Business-time arithmetic over a resolved ``CalendarSpec``.

    Instances are immutable from the outside and safe to share between threads; use
    ``BusinessCalendar.for_spec`` to share the precomputed years between callers.
    """

    def __init__(self, spec: CalendarSpec) -> None:
        if spec.use_customer_center:
            raise ValueError(
                "the calendar defers to the customer's support center: resolve the policy "
                "with SlaPolicy.resolved(center_calendar) before computing with it"
            )
        self.spec = spec
        self.timezone = ZoneInfo(spec.timezone)
        self.always_open = spec.always_open
        self._country = spec.holiday_country
        self._subdivision = spec.holiday_subdivision
        if self._country is not None:
            try:
                holidays.country_holidays(self._country, subdiv=self._subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"no holiday calendar for {self._country}: {exc}") from exc
        self._extra_holidays = frozenset(spec.extra_holidays)
        self._weekly = tuple(_merged_day(spec, weekday) for weekday in range(7))
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_spec(cls, spec: CalendarSpec) -> BusinessCalendar:
        """A shared calendar for ``spec``: equal specs get the same warmed-up instance."""
        return _calendar_for_json(spec.model_dump_json())

    # -- queries ---------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the service is open at ``at`` (interval starts inclusive, ends not)."""
        moment = _utc(at)
        if self.always_open:
            return True
        year = self._year(moment.year)
        index = bisect_right(year.starts, moment) - 1
        return index >= 0 and moment < year.ends[index]

    def is_holiday(self, day: date) -> bool:
        """Whether the local date ``day`` is closed as a holiday (public or the vendor's)."""
        return day in self._extra_holidays or (
            self._country is not None
            and day in _public_holidays(self._country, self._subdivision, day.year)
        )

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the first instant the service opens after it.

        A business clock that starts outside service hours starts here.
        """
        moment = _utc(at)
        if self.always_open:
            return moment
        year = self._year(moment.year)
        index = bisect_right(year.starts, moment) - 1
        if index >= 0 and moment < year.ends[index]:
            return moment
        if index + 1 < len(year.starts):
            return year.starts[index + 1]
        empty_years = 0
        while True:
            year = self._year(year.year + 1)
            if year.starts:
                return year.starts[0]
            empty_years += 1
            self._check_empty_run(empty_years)

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The earliest instant by which ``minutes`` business minutes have passed since
        ``start``; ``start`` itself for zero minutes.

        From a closed instant this counts from the next opening, so it is also the due
        time of a business clock received at ``start``.
        """
        if minutes < 0:
            raise ValueError("cannot add a negative number of business minutes")
        return self.add_business_time(start, minutes * _MINUTE)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """Like ``add_business_minutes`` for any non-negative duration."""
        moment = _utc(start)
        if duration <= _ZERO:
            if duration < _ZERO:
                raise ValueError("cannot add a negative business duration")
            return moment
        if self.always_open:
            return moment + duration
        year = self._year(moment.year)
        position = year.position(moment) + duration
        empty_years = 0
        while position > year.total:
            position -= year.total
            year = self._year(year.year + 1)
            empty_years = empty_years + 1 if not year.starts else 0
            self._check_empty_run(empty_years)
        return year.instant_at(position)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; negative when ``end`` precedes ``start``."""
        low, high = _utc(start), _utc(end)
        if self.always_open:
            return high - low
        if high < low:
            return -self.business_time_between(high, low)
        first, last = self._year(low.year), self._year(high.year)
        if first is last:
            return last.position(high) - first.position(low)
        elapsed = first.total - first.position(low) + last.position(high)
        for year_number in range(first.year + 1, last.year):
            elapsed += self._year(year_number).total
        return elapsed

    def business_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes in ``[start, end)``, truncated toward zero."""
        elapsed = self.business_time_between(start, end)
        return elapsed // _MINUTE if elapsed >= _ZERO else -(-elapsed // _MINUTE)

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open periods overlapping ``[start, end)``, clipped to it, in UTC."""
        low, high = _utc(start), _utc(end)
        if high <= low:
            return []
        if self.always_open:
            return [(low, high)]
        periods: list[tuple[datetime, datetime]] = []
        for year_number in range(low.year, high.year + 1):
            year = self._year(year_number)
            first = max(bisect_right(year.starts, low) - 1, 0)
            for index in range(first, len(year.starts)):
                period_start = max(year.starts[index], low)
                period_end = min(year.ends[index], high)
                if period_start >= high:
                    break
                if period_start >= period_end:
                    continue
                # Years are clipped at UTC new year; rejoin what the clipping split.
                if periods and periods[-1][1] == period_start:
                    periods[-1] = (periods[-1][0], period_end)
                else:
                    periods.append((period_start, period_end))
        return periods

    def local_time(self, at: datetime) -> datetime:
        """``at`` as local wall-clock time of the calendar's zone."""
        return _utc(at).astimezone(self.timezone)

    def describe(self, at: datetime) -> str:
        """``at`` for people: local weekday, date, time and zone abbreviation, e.g.
        ``Fri 07 Mar 2025 17:30 CET``."""
        local = self.local_time(at)
        # Not strftime: its day and month names follow the process locale.
        clock = f"{local.hour:02d}:{local.minute:02d}"
        if local.second or local.microsecond:
            clock += f":{local.second:02d}"
        return (
            f"{_DAY_NAMES[local.weekday()]} {local.day:02d} {_MONTH_NAMES[local.month - 1]} "
            f"{local.year} {clock} {local.tzname()}"
        )

    # -- the precomputed years -----------------------------------------------------------

    def _check_empty_run(self, empty_years: int) -> None:
        if empty_years > _MAX_EMPTY_YEARS:
            raise ValueError(
                f"the calendar has no service hours for {_MAX_EMPTY_YEARS} years in a row"
            )

    def _year(self, year: int) -> _Year:
        built = self._years.get(year)
        if built is not None:
            return built
        with self._lock:
            built = self._years.get(year)
            if built is None:
                built = _Year(year, self._build_intervals(year))
                self._years[year] = built
            return built

    def _closed_dates(self, years: range) -> frozenset[date]:
        closed = set(self._extra_holidays)
        if self._country is not None:
            for year in years:
                closed |= _public_holidays(self._country, self._subdivision, year)
        return frozenset(closed)

    def _build_intervals(self, year: int) -> list[tuple[int, int]]:
        """The open intervals within UTC year ``year``, sorted and joined."""
        year_start, year_end = year_start_us(year), year_start_us(year + 1)
        # Local dates within two days of the UTC year cover every zone offset.
        segments = year_segments(self.spec.timezone, year)
        closed = self._closed_dates(range(year - 1, year + 2))
        first_day = date(year - 1, 12, 30).toordinal()
        last_day = date(year + 1, 1, 2).toordinal()
        pieces: list[tuple[int, int]] = []
        for ordinal in range(first_day, last_day + 1):
            day = date.fromordinal(ordinal)
            day_hours = self._weekly[day.weekday()]
            if not day_hours or day in closed:
                continue
            midnight = (ordinal - EPOCH_ORDINAL) * DAY_US
            for open_minute, close_minute in day_hours:
                wall_open = midnight + open_minute * MINUTE_US
                wall_close = midnight + close_minute * MINUTE_US
                # Within a segment wall time is UTC plus a fixed offset; the interval's
                # real instants are its wall times mapped back through each segment.
                for segment_start, segment_end, offset in segments:
                    low = max(wall_open - offset, segment_start, year_start)
                    high = min(wall_close - offset, segment_end, year_end)
                    if low < high:
                        pieces.append((low, high))
        pieces.sort()
        joined: list[tuple[int, int]] = []
        for low, high in pieces:
            if joined and low <= joined[-1][1]:
                if high > joined[-1][1]:
                    joined[-1] = (joined[-1][0], high)
            else:
                joined.append((low, high))
        return joined


def _merged_day(spec: CalendarSpec, weekday: int) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start_text, end_text in spec.hours.for_weekday(weekday):
        start, end = clock_minutes(start_text), clock_minutes(end_text)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@lru_cache(maxsize=256)
def _calendar_for_json(spec_json: str) -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec.model_validate_json(spec_json))
