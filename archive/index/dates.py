"""Date-times in the index: UTC ISO 8601 with microseconds, so string order is time order."""

from __future__ import annotations

from datetime import UTC, tzinfo

from archive.zones import aware


class CaptureError(ValueError):
    """A metadata payload the index cannot project (wrong version, missing fields)."""


def normalize_time(value: str, *, what: str = "time", zone: tzinfo = UTC) -> str:
    """ISO 8601 in UTC with microseconds, so that string order is time order. A time without
    an offset is in `zone` (archive.zones.aware)."""
    try:
        parsed = aware(value, zone)
    except (TypeError, ValueError) as exc:
        raise CaptureError(f"{what} is not an ISO 8601 date-time: {value!r}") from exc
    try:
        return parsed.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError as exc:  # "0001-01-01T00:00:00+05:00" is before year 1 in UTC
        raise CaptureError(f"{what} is out of range in UTC: {value!r}") from exc


def utc_or_none(value: str | None, zone: tzinfo = UTC) -> str | None:
    """normalize_time() for dates from pages: None when absent or not ISO 8601. A page's time
    without an offset is in its site's zone (the metadata record's `timezone`)."""
    if not value:
        return None
    try:
        return normalize_time(value, zone=zone)
    except CaptureError:
        return None
