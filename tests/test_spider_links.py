"""The news spider's own link checks, on a real spider built by Scrapy from a site config."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.utils.test import get_crawler

from archive.config import load_site
from archive.discovery import DiscoveredLink
from crawler.spiderloader import spider_class

SITE = """
allowed_domains = ["127.0.0.1"]
allow_private_networks = ["127.0.0.1/32"]
sitemaps = ["http://127.0.0.1:8799/sitemap.xml"]
article_patterns = ['/news/']
"""


def test_a_link_longer_than_urllength_limit_is_skipped_not_left_open(tmp_path: Path) -> None:
    (tmp_path / "local.toml").write_text(SITE)
    cls = spider_class(load_site(tmp_path / "local.toml"))
    crawler = get_crawler(cls, {"URLLENGTH_LIMIT": 100})
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    long_sitemap = "http://127.0.0.1:8799/sitemap-" + "x" * 100 + ".xml"
    # Scrapy's UrlLengthMiddleware would drop the request without a callback or errback: a
    # document counted open would never close, and nothing waiting for discovery was fetched.
    assert list(spider._request(long_sitemap, "sitemap", 0)) == []
    assert spider.frontier.open_documents == 0 and spider.frontier.scheduled == 0
    assert crawler.stats.get_value("newsarchive/long_links") == 1
    # Measured as requested: 30 Cyrillic letters are 180 characters percent-encoded.
    assert list(spider._request("http://127.0.0.1:8799/карта-" + "ж" * 24 + ".xml", "sitemap", 0)) == []
    assert crawler.stats.get_value("newsarchive/long_links") == 2
    short = list(spider._request("http://127.0.0.1:8799/sitemap-2.xml", "sitemap", 0))
    assert len(short) == 1 and spider.frontier.open_documents == 1


def _spider(tmp_path: Path) -> Any:
    (tmp_path / "local.toml").write_text(SITE)
    cls = spider_class(load_site(tmp_path / "local.toml"))
    crawler = get_crawler(cls)
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    return spider


def _redirect(spider: Any, url: str, location: bytes | None, body: bytes = b"") -> list[Any]:
    request = Request(url, meta={"kind": "article", "hops": 0, "canonical": url})
    headers = {"Location": location} if location is not None else {}
    response = HtmlResponse(url, status=301, headers=headers, body=body, request=request)
    return list(spider._redirect(response, "article"))


def test_redirect_location_is_read_as_utf8_and_keeps_how_the_article_was_found(
    tmp_path: Path,
) -> None:
    spider = _spider(tmp_path)
    old = "http://127.0.0.1:8799/news/old"
    list(spider._article(DiscoveredLink(url=old, source="feed", title="Harbour plan"), 0))
    out = _redirect(spider, old, "/news/café-story".encode())  # raw UTF-8 bytes
    target = "http://127.0.0.1:8799/news/caf%C3%A9-story"  # was caf%C3%83%C2%A9: a 404
    assert out[0].outcome == "redirect" and out[0].reason == f"redirects to {target}"
    assert target in spider.frontier.requested  # its request waits for discovery to end
    # The feed's entry (its date, its title) goes with the article to its new URL.
    assert [link.source for link in spider.frontier.discovered[target]] == ["feed", "redirect"]
    assert "http://127.0.0.1:8799/news/old" not in spider.frontier.discovered


def test_a_relative_location_is_resolved_against_the_url_not_the_bodys_base_tag(
    tmp_path: Path,
) -> None:
    # Location is relative to the URL asked for (RFC 9110 10.2.2); Scrapy's response.urljoin
    # reads a <base href> in the redirect's HTML body first: a CMS's "Moved" page with its
    # template's <base> sent the story off to the CDN's host, and it was never archived.
    spider = _spider(tmp_path)
    body = b'<html><head><base href="http://cdn.example/static/"></head><body>Moved</body></html>'
    item, *_ = _redirect(spider, "http://127.0.0.1:8799/news/old", b"/news/new", body)
    assert item.reason == "redirects to http://127.0.0.1:8799/news/new"


@pytest.mark.parametrize("location", [None, b"", b"http://[bad", b"http://127.0.0.1:99999/x"])
def test_redirect_without_a_usable_location_is_recorded_as_such(
    tmp_path: Path, location: bytes | None
) -> None:
    (item,) = _redirect(_spider(tmp_path), "http://127.0.0.1:8799/news/gone", location)
    assert item.outcome == "bad_redirect" and "without a usable Location" in item.reason


def test_a_page_linked_again_is_not_counted_against_max_pages_again(tmp_path: Path) -> None:
    spider = _spider(tmp_path)
    page = "http://127.0.0.1:8799/section/harbour?page=2"
    first = list(spider._request(page, "page", 1))
    assert len(first) == 1 and spider.frontier.scheduled == 1  # (robots.txt asked first)
    for again in (page, page + "#top"):
        assert list(spider._request(again, "page", 2)) == []
    assert spider.frontier.scheduled == 1  # Scrapy's dupe filter would drop them after counting


def test_child_sitemaps_dated_before_since_are_not_fetched(tmp_path: Path) -> None:
    """A site's monthly sitemaps back to 2019 used up max_pages before any article."""
    (tmp_path / "local.toml").write_text(SITE + 'since = "30d"\n')
    cls = spider_class(load_site(tmp_path / "local.toml"))
    crawler = get_crawler(cls)
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    base = "http://127.0.0.1:8799"
    today = datetime.now(UTC).date().isoformat()
    children = [("/sitemap-2019-01.xml", "2019-01-31"), ("/sitemap-current.xml", today),
                ("/sitemap-undated.xml", None)]
    index = ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(
        f"<sitemap><loc>{base}{path}</loc>" + (f"<lastmod>{day}</lastmod>" if day else "")
        + "</sitemap>" for path, day in children) + "</sitemapindex>")
    request = Request(base + "/sitemap.xml", meta={"kind": "sitemap", "hops": 0})
    response = XmlResponse(base + "/sitemap.xml", body=index.encode(), request=request)
    spider.frontier.robots.learn(base + "/robots.txt", None)
    requested = [r.url for r in spider.parse_sitemap(response) if isinstance(r, Request)]
    assert requested == [base + "/sitemap-current.xml", base + "/sitemap-undated.xml"]
    assert crawler.stats.get_value("newsarchive/skipped_since_sitemaps") == 1


def test_a_section_page_fetched_first_as_an_article_is_still_read_for_links(tmp_path: Path) -> None:
    """A feed's topic link or a withdrawn story's redirect fetched a section page as an
    "article"; reached later as a page, Scrapy's dupe filter dropped that request, and the
    articles only that section linked were never found."""
    spider = _spider(tmp_path)
    base = "http://127.0.0.1:8799"
    spider.frontier.robots.learn(base + "/robots.txt", None)
    section = base + "/section/world"
    (as_article,) = spider._request(section, "article", 0, canonical=section)
    (as_page,) = spider._request(section, "page", 1)
    # The frontier deduplicates pages itself (first_page); Scrapy's filter must not.
    assert as_page.dont_filter and as_page.meta["kind"] == "page"
    assert list(spider._request(section, "page", 1)) == []


def test_an_error_reading_robots_txt_keeps_the_crawl_off_its_origin_and_settles_what_waited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A robots.txt the rules' reader fails on (the hunts found an overflow and a zone it
    # could not open): the requests held for its rules waited for ever, and the run ended
    # `ok` having fetched nothing.
    spider = _spider(tmp_path)
    story = "http://127.0.0.1:8799/news/harbour"
    held = list(spider._request(story, "article", 0, canonical=story))
    [robots_request] = [r for r in held if r.meta.get("kind") == "robots"]

    def broken(origin: str, body: bytes) -> None:
        raise OverflowError("integer too large")

    monkeypatch.setattr(spider.frontier.robots, "learn", broken)
    response = HtmlResponse(robots_request.url, body=b"User-agent: *\nAllow: /\n",
                            request=robots_request)
    out = list(spider.parse(response))
    assert [getattr(o, "outcome", None) for o in out][:1] == ["processing_error"]
    assert spider.frontier.held == {}  # nothing waits any more
    assert spider.crawler.stats.get_value("newsarchive/robots_unreachable") == ["http://127.0.0.1:8799"]
    assert not [o for o in out if isinstance(o, Request)]  # the story is not fetched unread


def test_an_article_that_cannot_be_requested_costs_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Requested when the last feed or sitemap is read, outside parse()'s guard: one article's
    # error (an overflow, found by the security hunt) dropped every other and the start pages.
    spider = _spider(tmp_path)
    spider.frontier.robots.learn("http://127.0.0.1:8799", b"User-agent: *\nAllow: /\n")
    stories = [f"http://127.0.0.1:8799/news/{name}" for name in ("first", "broken", "last")]
    for url in stories:
        spider.frontier.waiting_articles.append(url, 1, {})
    spider.frontier.open_documents = 1
    real = spider.frontier.too_old

    def too_old(canonical: str) -> bool:
        if canonical.endswith("/broken"):
            raise OverflowError("date value out of range")
        return real(canonical)

    monkeypatch.setattr(spider.frontier, "too_old", too_old)
    out = list(spider._document_done())
    assert [r.url for r in out if isinstance(r, Request)] == [stories[0], stories[2]]


def test_a_robots_txt_read_at_last_reopens_the_origin_and_the_run_is_not_robots_unreachable(
    tmp_path: Path,
) -> None:
    # A first reading that failed (503) closed the origin and listed it for RunGuard; a
    # re-reading past NEWSARCHIVE_ROBOTS_MAX_AGE that succeeds reopened the origin, but the run
    # still ended `robots_unreachable` for it.
    spider = _spider(tmp_path)
    asked = "http://127.0.0.1:8799/robots.txt"
    spider._robots_unread(asked)
    assert spider.crawler.stats.get_value("newsarchive/robots_unreachable") == ["http://127.0.0.1:8799"]
    request = Request(asked, meta={"robots_origin": asked})
    response = HtmlResponse(asked, body=b"User-agent: *\nAllow: /\n", request=request)
    list(spider.parse_robots(response))
    assert not spider.crawler.stats.get_value("newsarchive/robots_unreachable")
    assert not spider.frontier.robots.unreachable(asked)


def test_an_article_released_after_a_robots_txt_reread_obeys_the_new_rules(tmp_path: Path) -> None:
    # Requests are made as the crawl has room for them: rules read again meanwhile
    # (NEWSARCHIVE_ROBOTS_MAX_AGE) apply to the articles not yet handed to Scrapy.
    spider = _spider(tmp_path)
    spider.frontier.robots.learn("http://127.0.0.1:8799", b"User-agent: *\nAllow: /\n")
    stories = [f"http://127.0.0.1:8799/news/{name}" for name in ("open", "private-memo")]
    for url in stories:
        spider.frontier.waiting_articles.append(url, 1, {})
    spider.frontier.open_documents = 1
    spider._releasing = True  # as start() does: it releases them
    assert list(spider._document_done()) == []
    assert spider.frontier.scheduled == 2  # counted against max_pages now, in the feed's order
    spider.frontier.robots.learn("http://127.0.0.1:8799", b"User-agent: *\nDisallow: /news/private\n")
    ready = [spider.frontier.ready.popleft() for _ in range(len(spider.frontier.ready))]
    out = [each for entry in ready for each in spider._release(*entry)]
    assert [r.url for r in out] == [stories[0]]
    assert spider.frontier.scheduled == 1
    assert spider.crawler.stats.get_value("newsarchive/robots_disallowed") == 1
