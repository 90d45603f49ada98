"""Run one crawl in this process (the Twisted reactor runs once per process) and return its stats."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from twisted.python.failure import Failure

from crawler.settings_check import settings_problems


class SettingsError(ValueError):
    """A project setting has a value the crawl cannot use."""


class CrawlNotStarted(RuntimeError):
    """The crawl could not be set up: a Scrapy component its settings name cannot be built."""


def crawl_settings(data: Path, sites: Path, overrides: dict[str, Any] | None = None) -> Any:
    """Project settings (crawler.settings) with the data and sites directories set.

    Raises SettingsError for an override Scrapy cannot take.
    """
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.set("NEWSARCHIVE_DATA", str(data), priority="cmdline")
    settings.set("NEWSARCHIVE_SITES", str(sites), priority="cmdline")
    set_overrides(settings, overrides or {})
    return settings


def set_overrides(settings: Any, overrides: dict[str, Any]) -> None:
    """Set `overrides` at the command line's priority; SettingsError for a value Scrapy
    cannot take."""
    for key, value in overrides.items():
        try:
            settings.set(key, value, priority="cmdline")
        except (TypeError, ValueError) as exc:
            # Only a mapping setting (FEEDS, ITEM_PIPELINES) refuses a value here: given `1`
            # or `out.json` it raised a TypeError or JSONDecodeError traceback.
            raise SettingsError(f"setting {key}={value!r} is not a JSON object, as {key} "
                                f"needs ({exc})") from None


def run_crawl(site: str, data: Path, sites: Path, spider_args: dict[str, str] | None = None,
              overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl one site to completion; returns Scrapy's stats (`newsarchive/outcome` says how it went).

    Raises SettingsError, before anything starts, for a setting the crawl cannot use, and
    CrawlNotStarted for a crawl that could not be set up.
    """
    settings = crawl_settings(data, sites, overrides)
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("; ".join(problems))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(site)
    not_started: list[Failure] = []

    def failed(failure: Failure) -> Failure | None:
        if crawler.stats is not None and crawler.stats.get_value("start_time") is not None:
            return failure  # failed while it ran: Twisted logs the traceback
        not_started.append(failure)
        return None

    # Unhandled, it was a traceback printed by Twisted after an 'outcome None' summary.
    process.crawl(crawler, **(spider_args or {})).addErrback(failed)
    process.start()
    if not_started:
        error = not_started[0].value
        raise CrawlNotStarted(f"the crawl of {site!r} did not start: {type(error).__name__}: "
                              f"{error}")
    assert crawler.stats is not None
    return crawler.stats.get_stats()


def crawl_summary(stats: dict[str, Any]) -> str:
    """One line on how a crawl went, from its stats."""
    return (
        f"outcome {stats.get('newsarchive/outcome')}: "
        f"{stats.get('downloader/response_count', 0)} responses, "
        f"{stats.get('newsarchive/extraction/ok', 0)} articles, "
        f"{stats.get('log_count/ERROR', 0)} errors"
    )
