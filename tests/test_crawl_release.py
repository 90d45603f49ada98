"""The articles a sitemap names are handed to Scrapy as the crawl has room for them (issue 4:
memory flat in the number of pages): few queued at any moment, each still fetched once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest
from scrapy import Request, signals
from scrapy.crawler import Crawler

from crawler import settings as project
from crawler.spiders.release import RELEASE_AHEAD
from tests.conftest import scrapy_crawl
from tests.test_crawl_frontier import (  # noqa: F401
    _Handler,
    _Server,
    article,
    listing,
    server,
    serving,
    site,
    sitemap,
)

STORIES = 150
CONCURRENT = 2


class SchedulerHighWater:
    """Extension (test only): the most requests Scrapy's scheduler held at once, as a stat."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def request_scheduled(self, request: Request) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.scheduler is not None and self.crawler.stats is not None:
            # Sent before the request is queued: it counts too.
            self.crawler.stats.max_value("test/scheduler_high_water", len(engine.scheduler) + 1)  # type: ignore[arg-type]


def test_a_sitemaps_articles_are_queued_a_few_at_a_time_and_each_fetched_once(
    server: _Server, tmp_path: Path  # noqa: F811
) -> None:
    # When the sitemap was read, all its articles became Requests queued at once: ~2 KB of
    # memory each until fetched, 190 MB by the 2,000th page of a 16,000-article sitemap.
    port = server.server_address[1]
    stories = [f"/news/story-{'abcdefghij'[n // 100]}{'abcdefghij'[n // 10 % 10]}{'abcdefghij'[n % 10]}"
               for n in range(STORIES)]
    server.routes = {"/sitemap.xml": (200, sitemap(port, dict.fromkeys(stories, "2026-11-01")), []),
                     "/": (200, listing("/section/world"), []),
                     "/section/world": (200, listing("/news/from-the-section"), []),
                     "/news/from-the-section": (200, article("From the section"), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, sitemaps="['/sitemap.xml']", start_urls="['/']",
         follow_patterns=r"['/section/']")
    extensions = {**project.EXTENSIONS, f"{__name__}.SchedulerHighWater": 900}
    result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites", settings={
        "CONCURRENT_REQUESTS": str(CONCURRENT), "EXTENSIONS": json.dumps(extensions)})
    assert result.returncode == 0, result.log[-3000:]
    stats = result.stats()
    # The bound, and the start page or a robots.txt on top: not the 150 the sitemap listed.
    assert stats["test/scheduler_high_water"] <= RELEASE_AHEAD * CONCURRENT + 2
    assert sorted(hit for hit in server.hits if hit.startswith("/news/story-")) == stories
    # The start page and what it links are still fetched, after the sitemap's articles (but
    # those sent at the same moment).
    pages = ("/", "/section/world", "/news/from-the-section")
    assert [server.hits.count(page) for page in pages] == [1, 1, 1]
    before = server.hits[:server.hits.index("/")]
    assert len([hit for hit in before if hit.startswith("/news/story-")]) >= STORIES - CONCURRENT
    assert stats["newsarchive/articles_discovered"] == STORIES + 1
    assert stats["item_scraped_count"] == STORIES + 5  # with robots.txt, the sitemap, two pages


class _RulesChange(_Handler):
    """robots.txt allows everything the first time it is read, and nothing under /news/ after."""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.server.hits.append(self.path)
            first = self.server.hits.count(self.path) == 1
            self.send(200, b"User-agent: *\n" + (b"Allow: /\n" if first else b"Disallow: /news/\n"),
                      [("Content-Type", "text/plain")])
            return
        if self.path.startswith("/news/"):
            time.sleep(0.02)  # the run outlives NEWSARCHIVE_ROBOTS_MAX_AGE
        super().do_GET()


@pytest.fixture
def rules_change() -> Iterator[_Server]:
    with serving(_RulesChange) as httpd:
        yield httpd


def test_rules_read_again_apply_to_the_articles_not_yet_released(
    rules_change: _Server, tmp_path: Path
) -> None:
    # All queued when the sitemap was read, a sitemap's articles were fetched under the rules
    # of that moment however long the run, NEWSARCHIVE_ROBOTS_MAX_AGE or not.
    port = rules_change.server_address[1]
    stories = [f"/news/story-{'abcdefghij'[n // 10]}{'abcdefghij'[n % 10]}" for n in range(100)]
    rules_change.routes = {"/sitemap.xml": (200, sitemap(port, dict.fromkeys(stories, "2026-11-01")), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, rules_change, sitemaps="['/sitemap.xml']")
    result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites", settings={
        "CONCURRENT_REQUESTS": str(CONCURRENT), "NEWSARCHIVE_ROBOTS_MAX_AGE": "0.5"})
    assert result.returncode == 0, result.log[-3000:]
    hits = rules_change.hits
    assert hits.count("/robots.txt") >= 2
    fetched = [hit for hit in hits if hit.startswith("/news/")]
    assert len(fetched) == len(set(fetched)) < len(stories)
    # After the second reading, only what was already queued or on its way.
    second = [n for n, hit in enumerate(hits) if hit == "/robots.txt"][1]
    late = [hit for hit in hits[second:] if hit.startswith("/news/")]
    assert len(late) <= RELEASE_AHEAD * CONCURRENT + CONCURRENT
    assert result.stats()["newsarchive/robots_disallowed"] == len(stories) - len(fetched)


def test_a_sitemaps_articles_go_before_the_section_pages_it_lists(server: _Server, tmp_path: Path) -> None:  # noqa: F811
    # Articles outrank pages (priority 0 over -10). The sitemap's pages were queued as it was
    # read, its articles kept for the release: with more pages queued than the release's
    # bound, no article was released until every page, and what they linked, had gone out.
    port = server.server_address[1]
    letters = "abcdefghij"
    stories = [f"/news/story-{letters[n // 10]}{letters[n % 10]}" for n in range(40)]
    sections = [f"/section/part-{letters[n // 10]}{letters[n % 10]}" for n in range(30)]
    entries = dict.fromkeys([*stories, *sections], "2026-11-01")
    server.routes = {"/sitemap.xml": (200, sitemap(port, entries), []),
                     **{path: (200, listing(), []) for path in sections},
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, sitemaps="['/sitemap.xml']", follow_patterns=r"['/section/']")
    result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites", settings={
        "CONCURRENT_REQUESTS": str(CONCURRENT)})
    assert result.returncode == 0, result.log[-3000:]
    fetched = [hit for hit in server.hits if hit.startswith(("/news/", "/section/"))]
    assert sorted(hit for hit in fetched if hit.startswith("/news/")) == stories
    # (Some sections go out while the sitemap is read, before its articles are decided on.)
    first = fetched[:len(stories) + CONCURRENT]
    assert len([hit for hit in first if hit.startswith("/section/")]) <= CONCURRENT, fetched


@pytest.fixture
def other_origin() -> Iterator[_Server]:
    with serving() as httpd:
        yield httpd


def test_articles_on_an_origin_whose_robots_txt_is_unread_are_released_a_few_at_a_time(
    server: _Server, other_origin: _Server, tmp_path: Path  # noqa: F811
) -> None:
    # A sitemap naming its stories on another origin (the site's www. host, another port):
    # that origin's robots.txt unread when discovery ended, every story was held for it and
    # queued at once when it was read, as before the lazy release.
    other = other_origin.server_address[1]
    stories = [f"/news/story-{'abcdefghij'[n // 10]}{'abcdefghij'[n % 10]}" for n in range(60)]
    urls = "".join(f"<url><loc>http://127.0.0.1:{other}{path}</loc></url>" for path in stories)
    server.routes = {"/sitemap.xml": (
        200, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(), [])}
    other_origin.routes = {path: (200, article(path), []) for path in stories}
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    extensions = {**project.EXTENSIONS, f"{__name__}.SchedulerHighWater": 900}
    result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites", settings={
        "CONCURRENT_REQUESTS": str(CONCURRENT), "EXTENSIONS": json.dumps(extensions)})
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(hit for hit in other_origin.hits if hit.startswith("/news/")) == stories
    assert other_origin.hits.count("/robots.txt") == 1
    assert result.stats()["test/scheduler_high_water"] <= RELEASE_AHEAD * CONCURRENT + 2
