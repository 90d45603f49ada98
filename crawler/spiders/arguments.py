"""Spider arguments (`scrapy crawl SITE -a NAME=VALUE`) checked before a crawl starts."""

from __future__ import annotations

from typing import Any

from archive.config import ConfigError, SiteConfig, rebase


def spider_args_problem(site: SiteConfig, arguments: dict[str, Any]) -> str | None:
    """Why these `-a` arguments cannot start a crawl of `site`, or None. Spider arguments
    become spider attributes: `-a name=other` archived the crawl as another site (its runs,
    its lease, its WARC names), and a bad base_url failed with two tracebacks."""
    unknown = sorted(set(arguments) - {"base_url"})
    if unknown:
        return f"unknown spider argument {unknown[0]!r}: the only one is base_url"
    if "base_url" in arguments:
        try:
            rebase(site, arguments["base_url"])
        except ConfigError as exc:
            return str(exc)
    return None
