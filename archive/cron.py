"""Cron expressions as operators write them (crontab(5)) turned into APScheduler 3 triggers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger

# crontab(5) numbers the week from Sunday (0 or 7); APScheduler 3's CronTrigger numbers it
# from Monday (0) and rejects 7 (its issue 286, fixed only in 4.x): "0 3 * * 0" would crawl
# on Mondays. Every weekday field is rewritten into explicit day names, which both agree on.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_ITEM = re.compile(r"^(?P<range>\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?$")


def _day_number(text: str, expr: str) -> int:
    """0-7 for a crontab day (7 is Sunday again, so "1-7" is a range that ends on it)."""
    text = text.lower()
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    if text.isdigit() and int(text) <= 7:
        return int(text)
    raise ValueError(f"{expr!r}: {text!r} is not a day of the week (0-7 or sun-sat)")


def crontab_day_of_week(field: str, expr: str = "") -> str:
    """A crontab(5) day-of-week field (Sunday = 0 or 7) as a list of day names for APScheduler."""
    expr = expr or field
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        match = _DAY_ITEM.match(item)
        if not match:
            raise ValueError(f"{expr!r}: {item!r} is not a day-of-week item")
        if match["range"] == "*":
            first, last = 0, 6
        else:
            first = _day_number(match["first"], expr)
            if match["last"] is not None:
                last = _day_number(match["last"], expr)
            else:
                last = 7 if match["step"] else first  # "1/2": from Monday to the end of the week
        step = int(match["step"] or 1)
        if step < 1 or last < first:
            raise ValueError(f"{expr!r}: {item!r} is an empty day range")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# crontab's day-of-month and month items: numbers, ranges, steps (month names become numbers).
_NUMERIC_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def crontab_numeric(field: str, name: str, expr: str) -> str:
    """A day-of-month or month field as crontab(5) reads it, month names as numbers.

    APScheduler 3 matches month names with an unanchored pattern: "jan-dec/2" lost its step
    (every month, not every other one), and "lastx" in the day field passed as its "last"."""
    if name == "month":
        def number(word: re.Match[str]) -> str:
            if word[0].lower() not in _MONTH_NAMES:
                raise ValueError(f"{expr!r}: {word[0]!r} is not a month (1-12 or jan-dec)")
            return str(_MONTH_NAMES.index(word[0].lower()) + 1)

        field = re.sub(r"[A-Za-z]+", number, field)
    if not _NUMERIC_FIELD.match(field):
        raise ValueError(f"{expr!r}: {field!r} is not a crontab {name} field")
    return field


# crontab(5)'s nicknames for the five fields. @reboot is a time only a cron daemon has.
_NICKNAMES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}


def _five_fields(expr: str) -> str:
    """The expression with a crontab nickname ("@daily") replaced by its five fields."""
    word = expr.strip()
    if not word.startswith("@"):
        return expr
    if word.lower() == "@reboot":
        raise ValueError(
            f"{expr!r} has no meaning for the scheduler: it runs crawls at times, not at boot "
            "(a crawl missed while it was down runs when it starts); give a time, e.g. '@daily'"
        )
    if word.lower() not in _NICKNAMES:
        raise ValueError(
            f"{expr!r} is not a cron expression: crontab's nicknames are "
            f"{', '.join(_NICKNAMES)}"
        )
    return _NICKNAMES[word.lower()]


def cron_trigger(expr: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """`*/30 * * * *` (or a crontab nickname, `@daily`) -> CronTrigger, with crontab's weekday
    numbering; ValueError when wrong."""
    fields = _five_fields(expr).split()
    if len(fields) != 5:
        raise ValueError(
            f"{expr!r} is not a cron expression: it has {len(fields)} fields, cron has 5 "
            "(minute hour day-of-month month day-of-week, e.g. '*/30 * * * *')"
        )
    minute, hour, day, month, day_of_week = fields
    if day != "*" and day_of_week != "*":
        # cron runs when either matches; APScheduler 3 only when both do.
        raise ValueError(
            f"{expr!r}: restrict the day of the month or the day of the week, not both "
            "(cron and APScheduler disagree on what both mean)"
        )
    weekdays = crontab_day_of_week(day_of_week, expr)
    day, month = crontab_numeric(day, "day-of-month", expr), crontab_numeric(month, "month", expr)
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays,
                           timezone=timezone)
    except ValueError as exc:
        raise ValueError(f"{expr!r} is not a valid cron expression ({exc})") from None


def check_cron(expr: str) -> str:
    """Pydantic validator: the expression unchanged when it is a valid cron expression that
    can fire ("0 3 30 2 *", 30 February, was accepted and the service then did nothing)."""
    if cron_trigger(expr, timezone="UTC").get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"{expr!r} never matches a date")
    return expr
