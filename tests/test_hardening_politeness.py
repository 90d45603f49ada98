"""Hardening, politeness (issue 6): robots.txt holds under concurrency, 429/503 Retry-After honoured."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest

from archive.demosite import DemoSite
from archive.demosite.hostile import PAGE_LINKS, PRIVATE_LINKS, RETRY_AFTER_SECONDS
from tests.conftest import Crawl
from tests.hardening_support import (
    article_rows,
    assert_archive_sound,
    assert_finished,
    assert_logged,
    capture_with,
    captures,
    crawl_theme,
    site_of,
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
