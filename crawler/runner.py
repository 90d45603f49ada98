"""Run one crawl in this process (the Twisted reactor runs once per process) and return its stats."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.settings_check import settings_problems


class SettingsError(ValueError):
    """A project setting has a value the crawl cannot use."""


def crawl_settings(data: Path, sites: Path, overrides: dict[str, Any] | None = None) -> Any:
    """Project settings (crawler.settings) with the data and sites directories set."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.set("NEWSARCHIVE_DATA", str(data), priority="cmdline")
    settings.set("NEWSARCHIVE_SITES", str(sites), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(site: str, data: Path, sites: Path, spider_args: dict[str, str] | None = None,
              overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl one site to completion; returns Scrapy's stats (`newsarchive/outcome` says how it went).

    Raises SettingsError, before anything starts, for a project setting the crawl cannot use.
    """
    settings = crawl_settings(data, sites, overrides)
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("; ".join(problems))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(site)
    process.crawl(crawler, **(spider_args or {}))
    process.start()
    assert crawler.stats is not None
    return crawler.stats.get_stats()
