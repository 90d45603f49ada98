"""Scrapy spider loader that makes one spider per `config/sites/<name>.toml`."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from archive.config import ConfigError, SiteConfig, read_sites
from crawler.spiders.news import NewsSpider


def spider_class(site: SiteConfig) -> type[NewsSpider]:
    """A NewsSpider subclass bound to one site config (Scrapy wants a class per name)."""
    return type(
        f"{site.name.title().replace('-', '').replace('_', '')}Spider",
        (NewsSpider,),
        {"name": site.name, "site": site, "allowed_domains": list(site.allowed_domains)},
    )


class SiteSpiderLoader:
    def __init__(self, settings: BaseSettings):
        sites_dir = Path(settings.get("NEWSARCHIVE_SITES", "config/sites"))
        try:
            sites, self._broken = read_sites(sites_dir)
        except ConfigError as exc:
            # A wrong config is a maintainer's typo: one clear line, never a traceback.
            sys.stderr.write(f"newsarchive: {exc}\n")
            raise SystemExit(2) from None
        # Another site's broken config does not stop this crawl (a file being edited while
        # the scheduler runs failed every site's crawls); only a crawl of that site stops.
        self._spiders = {name: spider_class(site) for name, site in sites.items()}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name not in self._spiders and spider_name in self._broken:
            sys.stderr.write(f"newsarchive: {self._broken[spider_name]}\n")
            raise SystemExit(2)
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        """The sites; `scrapy list` is a maintainer's check, so a broken config stops it."""
        if self._broken:
            for error in self._broken.values():
                sys.stderr.write(f"newsarchive: {error}\n")
            raise SystemExit(2)
        return self.sites()

    def sites(self) -> builtins.list[str]:
        """The sites whose configs are good, whatever the others' state."""
        return sorted(self._spiders)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name, cls in self._spiders.items() if cls.handles_request(request)]
