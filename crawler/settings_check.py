"""The project's own settings checked before a crawl starts: a bad value (`-s`, a schedule
file's [settings], the environment) gets one line naming it, not a traceback mid-crawl."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Callable
from typing import Any


def _int(low: int, high: int | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool):  # int(True) is 1: a TOML `true` passed, then failed as "True"
            return "is not a whole number"
        try:
            number = int(value)
        except (TypeError, ValueError):
            return "is not a whole number"
        if number < low or (high is not None and number > high):
            return f"must be from {low} to {high}" if high is not None else f"must be at least {low}"
        return None

    return check


def _float(
    *, above: float | None = None, least: float | None = None, most: float | None = None
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool):
            return "is not a number"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "is not a number"
        if above is not None and not number > above:
            return f"must be more than {above:g}"
        if number != number:  # NaN passes every comparison below
            return "is not a number"
        if least is not None and number < least:
            return f"must be at least {least:g}"
        if most is not None and number > most:
            return f"must be at most {most:g}"
        return None

    return check


def _bool(value: Any) -> str | None:
    # What Scrapy's getbool reads; "no" or "off" raised mid-start, and the crawl went on
    # without its WARC writer and blamed the network.
    if isinstance(value, bool) or value in ("True", "true", "False", "false"):
        return None
    try:
        int(value)
    except (TypeError, ValueError):
        return "is not true or false (True, False, 1 or 0)"
    return None


def _hosts(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return 'is not JSON like {"example.com": "127.0.0.1"}'
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return 'is not a mapping of host names to addresses like {"example.com": "127.0.0.1"}'
    for name, address in value.items():
        try:
            ipaddress.ip_address(address)
        except ValueError:  # every request to that name failed, in a run "that sent no request"
            return f"pins {name!r} to {address!r}, which is not an IP address"
    return None


def _log_level(value: Any) -> str | None:
    # What logging's setLevel takes: a name as written (WARN and FATAL too), or a number.
    # "debug", or "10" as `-s` gives it, raised "Unknown level" as a traceback while Scrapy
    # set up its logging.
    if value in logging.getLevelNamesMapping() or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    return "is not a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL"


def _given_path(value: Any) -> str | None:
    # Path("") is the current directory: `-s NEWSARCHIVE_DATA=` (an unset shell variable)
    # archived into it, as `newsarchive --data ""` did (crawler.cli_options.GivenPath).
    return "is an empty path; give a path (`.` for the current directory)" if str(value) == "" else None


def _file_name_part(value: Any) -> str | None:
    # "../x" wrote the WARC files beside DATA/warc, where verify and index never look.
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", str(value)):
        return None
    return "must be letters, digits, '.', '_' or '-' (it starts every WARC file's name)"


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    # Scrapy's own, that a schedule file's [settings] or `-s` may well set.
    "CONCURRENT_REQUESTS": _int(1),
    "CONCURRENT_REQUESTS_PER_DOMAIN": _int(1),
    "CONCURRENT_ITEMS": _int(1),
    "DOWNLOAD_DELAY": _float(least=0),
    "DOWNLOAD_TIMEOUT": _float(above=0),
    "DOWNLOAD_MAXSIZE": _int(0),
    "RETRY_TIMES": _int(0),
    "AUTOTHROTTLE_START_DELAY": _float(least=0),
    "AUTOTHROTTLE_MAX_DELAY": _float(least=0),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": _float(above=0),
    "CLOSESPIDER_TIMEOUT": _float(least=0),
    "CLOSESPIDER_ITEMCOUNT": _int(0),
    "CLOSESPIDER_PAGECOUNT": _int(0),
    "LOG_LEVEL": _log_level,
    # Ours.
    "NEWSARCHIVE_DATA": _given_path,
    "NEWSARCHIVE_SITES": _given_path,
    "NEWSARCHIVE_EXTRACT_WORKERS": _int(0),
    "NEWSARCHIVE_EXTRACT_TIMEOUT": _float(above=0),
    "NEWSARCHIVE_EXTRACT_RESTARTS": _int(0),
    # 0: a commit per page; the pages of an interval are held in memory until their commit.
    "NEWSARCHIVE_INDEX_COMMIT_INTERVAL": _float(least=0, most=60),
    "NEWSARCHIVE_MAX_BODY": _int(0),
    "NEWSARCHIVE_RUN_ID": _int(0),
    "NEWSARCHIVE_HOSTS": _hosts,
    "NEWSARCHIVE_RETRY_AFTER_MAX": _float(least=0),  # 0: never wait for a Retry-After
    "NEWSARCHIVE_RETRY_AFTER_TIMES": _int(0),
    "NEWSARCHIVE_BACKOFF_BASE": _float(least=0),  # 0: no back-off, retried at once
    "NEWSARCHIVE_CRAWL_DELAY_MAX": _float(least=0),  # 0: Crawl-delay not kept
    "NEWSARCHIVE_ROBOTS_MAX_AGE": _float(above=0),
    "NEWSARCHIVE_GC_THRESHOLD": _int(0),  # 0: Python's defaults
    "NEWSARCHIVE_MALLOC_ARENA_MAX": _int(0),  # 0: glibc's default
    "WARC_GZIP_LEVEL": _int(-1, 9),  # -1: zlib's default level
    "WARC_MAX_SIZE": _int(1),
    "WARC_PREFIX": _file_name_part,
}


def settings_problems(settings: Any) -> list[str]:
    """One line per setting whose value the crawl cannot use: those above, and every
    setting whose default is True or False (ours and Scrapy's)."""
    problems = []
    for name in sorted({*_CHECKS, *_flags()}):
        value = settings.get(name)
        if value is None:
            continue
        problem = _CHECKS.get(name, _bool)(value)
        if problem:
            problems.append(f"setting {name}={value!r} {problem}")
    return problems


def _flags() -> set[str]:
    from scrapy.settings import default_settings

    from crawler import settings as ours

    return {
        name for module in (default_settings, ours) for name, value in vars(module).items()
        if name.isupper() and isinstance(value, bool)
    }
