"""Where a time zone's UTC offset changes, in integer microseconds since the epoch.

The business calendar (:mod:`tickets.sla.calendar`) maps local wall-clock service hours to
UTC per year; it needs, for each UTC year, the stretches over which the zone's offset is
constant. Those depend on the zone alone, so they are computed once per zone and year and
shared by every calendar of that zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
DAY_US = 86_400 * SECOND_US
_ONE_US = timedelta(microseconds=1)
# Offsets are sampled this often to find daylight-saving transitions; no zone has two
# transitions closer together than this.
_TRANSITION_PROBE_US = 6 * 3_600 * SECOND_US


def year_start_us(year: int) -> int:
    return (date(year, 1, 1).toordinal() - EPOCH_ORDINAL) * DAY_US


@lru_cache(maxsize=1024)
def year_segments(zone_name: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """The offset segments around UTC year ``year``, shared by every calendar of a zone."""
    start, end = year_start_us(year) - 2 * DAY_US, year_start_us(year + 1) + 2 * DAY_US
    return tuple(_offset_segments(ZoneInfo(zone_name), start, end))


def _offset_us(zone: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset // _ONE_US


def _offset_segments(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """``[start, end)`` split where the zone's UTC offset changes: (from, to, offset) µs.

    Offsets are probed every few hours and each change is narrowed down to the second
    by bisection (zone transitions fall on whole seconds).
    """
    probe = _TRANSITION_PROBE_US // SECOND_US
    second, last_second = start // SECOND_US, end // SECOND_US
    offset = _offset_us(zone, second)
    segments: list[tuple[int, int, int]] = []
    segment_start = second
    while second < last_second:
        ahead = min(second + probe, last_second)
        if _offset_us(zone, ahead) == offset:
            second = ahead
            continue
        low, high = second, ahead
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_us(zone, middle) == offset:
                low = middle
            else:
                high = middle
        segments.append((segment_start * SECOND_US, high * SECOND_US, offset))
        segment_start, second, offset = high, high, _offset_us(zone, high)
    segments.append((segment_start * SECOND_US, last_second * SECOND_US, offset))
    return segments
