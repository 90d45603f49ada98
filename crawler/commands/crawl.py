"""`scrapy crawl` that exits non-zero when the run failed (e.g. sent no request at all)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.runner import SettingsError, set_overrides
from crawler.session import DataDir
from crawler.settings_check import settings_problems
from crawler.spiderloader import SiteSpiderLoader
from crawler.spiders.arguments import spider_args_problem


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        # Scrapy makes only a ValueError of `-s` a usage error: a mapping setting given
        # something else (`-s FEEDS=1`) was a TypeError traceback.
        try:
            set_overrides(self.settings, dict(pair.split("=", 1) for pair in opts.set if "=" in pair))
        except SettingsError as exc:
            raise UsageError(str(exc), print_help=False) from None
        super().process_options(args, opts)
        # Now, before Scrapy builds its crawler process (and its logging, which raised a bad
        # LOG_LEVEL as a traceback), not when the command runs.
        problems = settings_problems(self.settings)
        if problems:
            raise UsageError("; ".join(problems), print_help=False)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one site name")
        assert self.crawler_process and self.settings is not None
        problem = DataDir(Path(self.settings.get("NEWSARCHIVE_DATA", "data"))).problem()
        if problem:
            raise UsageError(problem)
        try:
            crawler = self._create_crawler(args[0])
        except KeyError:  # the spider loader's "Spider not found", as a traceback otherwise
            loader = self.crawler_process.spider_loader
            # Not list(): it stops at another site's broken config, and that file was then
            # given as the reason (a site removed while the scheduler runs, a typo elsewhere).
            known = ", ".join(loader.sites() if isinstance(loader, SiteSpiderLoader)
                              else loader.list()) or "none"
            raise UsageError(f"no site {args[0]!r} (known: {known})") from None
        site = getattr(crawler.spidercls, "site", None)
        problem = spider_args_problem(site, opts.spargs) if site is not None else None
        if problem:
            raise UsageError(problem)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        outcome = crawler.stats.get_value("newsarchive/outcome") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or outcome != "ok":
            self.exitcode = 1
