"""Hardening, politeness (issue 6): robots.txt holds under concurrency, 429/503 Retry-After honoured."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.demosite.hostile import (
    LONG_RETRY_AFTER_SECONDS,
    PAGE_LINKS,
    PRIVATE_LINKS,
    RETRY_AFTER_SECONDS,
)
from tests.conftest import FAST, ROOT, Crawl
from tests.hardening_support import (
    article_rows,
    assert_archive_sound,
    assert_finished,
    assert_logged,
    capture_with,
    captures,
    crawl_theme,
    site_of,
    write_site,
)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    with DemoSite(n_articles=16) as site:
        # Many requests to one host at once is what made Scrapy's robots check race.
        yield crawl_theme(tmp_path_factory.mktemp("politeness"), site, "politeness",
                          settings={"CONCURRENT_REQUESTS": "32",
                                    "CONCURRENT_REQUESTS_PER_DOMAIN": "16"})


def test_crawl_finishes_and_archive_is_sound(crawl: Crawl) -> None:
    assert_finished(crawl)
    assert_archive_sound(crawl)
    site = site_of(crawl)
    assert article_rows(crawl, site.url + "/hostile/a/quiet-harbour") == 1


def test_forty_disallowed_links_on_one_page_none_fetched(crawl: Crawl) -> None:
    site = site_of(crawl)
    private = PAGE_LINKS["politeness"]
    assert len(private) == PRIVATE_LINKS == 40
    assert site.hits("/hostile/links?theme=politeness") == 1   # the page linking them was read
    for path in private:
        assert site.hits(path) == 0, path
        assert_logged(crawl, site.url + path, "robots")
    assert crawl.stats()["newsarchive/robots_disallowed"] == PRIVATE_LINKS
    assert not [p for p in site.requested_paths() if p.startswith("/hostile/private/")]


def test_429_retry_waits_retry_after_seconds(crawl: Crawl) -> None:
    site = site_of(crawl)
    path = "/hostile/a/rate-limited"
    first, retry = site.request_times(path)
    assert retry - first >= RETRY_AFTER_SECONDS
    url = site.url + path
    assert capture_with(crawl, url, "retried").status == 429
    assert capture_with(crawl, url, "article").status == 200
    assert [c.status for c in captures(crawl, url)] == [429, 200]
    assert_logged(crawl, url, "429")
    assert article_rows(crawl, url) == 1


def test_503_retry_waits_until_retry_after_date(crawl: Crawl) -> None:
    site = site_of(crawl)
    path = "/hostile/a/overloaded"
    first, retry = site.request_times(path)
    refused = next(s for s in site.sent if s.path == path and s.status == 503)
    header = dict(refused.headers)["Retry-After"]
    not_before = parsedate_to_datetime(header).timestamp()
    assert not_before - first >= 1.0                  # the server asked for a real wait
    assert retry >= not_before
    url = site.url + path
    assert capture_with(crawl, url, "retried").status == 503
    assert capture_with(crawl, url, "article").status == 200
    assert_logged(crawl, url, "503")
    assert article_rows(crawl, url) == 1


def test_sigterm_during_a_long_retry_after_pause_stops_the_crawl(tmp_path: Path) -> None:
    # The host asks for LONG_RETRY_AFTER_SECONDS (250 s, under NEWSARCHIVE_RETRY_AFTER_MAX);
    # a crawl told to stop sat it out before exiting, past the scheduler's 60 s of grace.
    with DemoSite(n_articles=16) as site:
        write_site(tmp_path / "sites", "hostile-long-pause", site.url, "long_pause")
        data = tmp_path / "data"
        command = [sys.executable, "-m", "scrapy", "crawl", "hostile-long-pause",
                   "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={tmp_path / 'sites'}"]
        for key, value in FAST.items():
            command += ["-s", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):  # the 429 has been answered: the retry now waits
                if site.hits("/hostile/a/long-pause") >= 1 or crawl.poll() is not None:
                    break
                time.sleep(0.05)
            assert site.hits("/hostile/a/long-pause") == 1, "the crawl never asked"
            time.sleep(1)
            crawl.send_signal(signal.SIGTERM)
            _, log = crawl.communicate(timeout=LONG_RETRY_AFTER_SECONDS / 4)
        finally:
            crawl.kill()
    assert "Spider closed (shutdown)" in log  # (an interrupted run exits 1)
    with closing(sqlite3.connect(data / "index.db")) as db:
        (outcome,) = db.execute("select outcome from crawl_runs").fetchone()
        (reason,) = db.execute("select reason from captures where url like '%/long-pause' "
                               "and outcome = 'fetch_error'").fetchone()
    assert outcome == "interrupted"
    assert "the crawl stopped while" in reason and "Retry-After" in reason
    assert site.hits("/hostile/a/long-pause") == 1  # not fetched again against its wish
