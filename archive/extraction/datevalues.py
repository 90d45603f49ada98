"""Normalise the dates pages state in markup ("2024-03-04T10:00Z", "20240304", "Mon, 04 Mar
2024 10:00:00 GMT") to ISO 8601 text that keeps only what the value states."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_NUMERIC = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b|^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?\s*$")


def normalise_date(value: str, *, now: datetime | None = None) -> str | None:
    """ISO 8601 text keeping only what the value states: a day, or a time with its offset."""
    value = value.strip()
    if not value:
        return None
    iso = _ISO.match(value)
    if iso:
        year, month, day, hour, minute, second, offset = iso.groups()
        if hour is not None and offset is None:
            offset = _zone_offset(value[iso.end():])
        return _compose(year, month, day, hour, minute, second, offset, now)
    compact = _COMPACT.match(value)
    if compact:
        year, month, day, hour, minute, second = compact.groups()
        return _compose(year, month, day, hour, minute, second, None, now)
    numeric = _NUMERIC.match(value)
    if numeric:
        y1, m1, d1, d2, m2, y2 = numeric.groups()
        return _compose(y1 or y2, m1 or m2, d1 or d2, None, None, None, None, now)
    text = rfc822_date(value)
    if text is None or not plausible_date(text, now):
        return None
    return text


# The time in an RFC 822 date, and a year written after it (asctime): the zone follows. (Not
# matched as "(.*)$": "." stops at a line break, and the search went on from every later
# "0:00", each to its line's end, quadratic, and took a later line's zone.)
_TIME = re.compile(r"\d:\d{2}(?::\d{2})?\s*(?:\d{4}\b)?")


def rfc822_date(value: str) -> str | None:
    """An RFC 822 date ("Wed, 03 Dec 2025 10:00:00 +0100") as ISO 8601 text keeping only what
    it states; None when it is none. email.utils knows only the North American zone names:
    with another ("10:00:00 CET", JavaScript's "GMT+0100 (Central European Time)") it gives
    a time without its offset, which the index then read as UTC, hours off."""
    try:
        parsed = parsedate_to_datetime(value)
    # OverflowError: a year or an offset of twenty digits ("+99999999999999999999")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is not None:
        return parsed.isoformat()
    clock = _TIME.search(value)
    zone = value[clock.end():].strip() if clock else ""
    if "(" in zone:  # a comment: "+0100 (CET)" is read above; "GMT+0100 (CET)" or "(CET)" here
        before, _, comment = zone.partition("(")
        zone = before.strip() or comment.rstrip(") ")
    if zone in ("", "-0000"):  # no zone stated, like an ISO time without one; -0000 is UTC
        return parsed.isoformat()
    offset = _zone_offset(zone)
    if offset is None or offset == "?" or int(offset[1:3]) > 14 or int(offset[4:]) > 59:
        return parsed.date().isoformat()  # the day stands, the time's zone is unknown
    return parsed.isoformat() + offset


def _compose(
    year: str, month: str, day: str, hour: str | None, minute: str | None,
    second: str | None, offset: str | None, now: datetime | None,
) -> str | None:
    try:
        day_value = datetime(int(year), int(month), int(day))
        if hour is not None and minute is not None:
            day_value = day_value.replace(hour=int(hour), minute=int(minute), second=int(second or 0))
    except ValueError:
        return None
    if not _plausible(day_value, now):
        return None
    if hour is None:
        return day_value.date().isoformat()
    text = day_value.isoformat()
    if offset:
        if offset == "Z":
            return text + "+00:00"
        digits = offset[1:].replace(":", "")
        if len(digits) == 2:
            digits += "00"
        if len(digits) != 4 or int(digits[:2]) > 14 or int(digits[2:]) > 59:
            # "+99:99", or "+530" read as "+53": the day stands, the time's zone is unknown
            # (a wrong offset put published_utc hours off, or made it NULL).
            return day_value.date().isoformat()
        return f"{text}{offset[0]}{digits[:2]}:{digits[2:4]}"
    return text


# Zone names after an ISO time ("2024-03-04T10:00:00 EST", "... GMT+0200"): the offsets of the
# unambiguous ones. Another name leaves the day only: a time read as UTC would be hours off.
_ZONES = {"UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00", "EST": "-05:00", "EDT": "-04:00",
          "CST": "-06:00", "CDT": "-05:00", "MST": "-07:00", "MDT": "-06:00", "PST": "-08:00",
          "PDT": "-07:00"}
# Matched on the stripped text: a \s* on either side of the optional offset backtracked over
# every split of the spaces between them, 4 s for 40,000 (a feed's date, on the reactor).
_ZONE = re.compile(r"\(?([A-Za-z]{1,5})\)?\s*(?:([+-]\d{2}):?(\d{2}))?")


def _zone_offset(rest: str) -> str | None:
    """The offset a zone name after the time states; "?" (no valid offset) for an unknown name."""
    zone = _ZONE.fullmatch(rest.strip())
    if zone is None:
        return None
    name, hours, minutes = zone.groups()
    if name.upper() in ("UTC", "GMT") and hours:
        return f"{hours}:{minutes}"
    return _ZONES.get(name.upper(), "?")


def plausible_date(value: str, now: datetime | None = None) -> bool:
    """Whether an ISO 8601 date (or date and time) lies between 1990 and two days from now."""
    try:
        day = datetime.fromisoformat(value[:10])
    except ValueError:
        return False
    return _plausible(day, now)


def _plausible(value: datetime, now: datetime | None) -> bool:
    limit = (now or datetime.now(UTC)).replace(tzinfo=None) + timedelta(days=2)
    return datetime(1990, 1, 1) <= value <= limit
