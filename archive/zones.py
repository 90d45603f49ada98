"""A site's times without an offset as instants: read in the site's `timezone`, else in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Files of the tz database that name no zone: the machine's own setting (differs from one
# machine to the next, so a rebuild elsewhere would read the same record otherwise).
_NOT_ZONES = {"localtime", "posixrules"}


def site_zone(name: str | None) -> tzinfo:
    """The zone a site config (or a metadata record) names; UTC when it names none.
    ValueError when the name is not an IANA time zone this machine knows."""
    if name is None:
        return UTC
    try:
        if name not in _NOT_ZONES:
            return ZoneInfo(name)
    # ValueError: "../etc/passwd", "/abs/path"; OSError: a folder of the tz database
    # ("America"), a name too long for a file name (a hostile or damaged metadata record).
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    spelled = [z for z in available_timezones() - _NOT_ZONES if z.lower() == name.lower()]
    hint = f" (did you mean {spelled[0]!r}?)" if spelled else ""
    raise ValueError(f"{name!r} is not an IANA time zone name like 'Europe/Berlin' or "
                     f"'America/New_York'{hint}")


def aware(value: str, zone: tzinfo = UTC) -> datetime:
    """ISO 8601 text as an aware datetime; ValueError when it is not ISO 8601.

    A time without an offset ("2025-04-29T21:00:25", as ~2% of pages and many sitemaps give
    it) is a wall-clock time where the site is: `zone`. A clock time that happens twice (the
    hour the clocks go back) is taken the first time (fold=0); one that never happens (the
    hour they go forward) as if the clocks had not moved yet: either is an hour at most off.

    A day without a time ("2026-11-20") stays its midnight in UTC whatever the zone: it names
    a day, not an instant, and shifted to 23:00 UTC the day before it would be counted as
    that other day (the index's per-day counts) by every site east of Greenwich.
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=UTC if _is_day(value) else zone)


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
