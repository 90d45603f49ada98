"""rel=canonical adoption in the crawl: which declared URLs an article is stored under."""

from __future__ import annotations

import re

from crawler.items import PageItem
from pipelines.extraction import adopt_canonical

SITE = "https://riverside.example"


def is_article(url: str) -> bool:
    return re.search(r"/news/\d{4}/", url) is not None


def item(path: str) -> PageItem:
    return PageItem(site="riverside", url=SITE + path, canonical_url=SITE + path, kind="article",
                    status=200, content_type="text/html", fetched_at="2026-11-28T10:00:00+00:00",
                    outcome="article", reason=None)


def test_a_declared_article_url_on_the_same_host_is_adopted() -> None:
    page = item("/news/2026/harbour-plan?ref=home")
    adopt_canonical(page, "/news/2026/harbour-plan", is_article)
    assert page.canonical_url == SITE + "/news/2026/harbour-plan"
    assert page.aliases == [SITE + "/news/2026/harbour-plan?ref=home"]


def test_a_claim_to_the_home_or_a_section_page_or_another_host_is_not() -> None:
    # Two stories whose template declared "/" became two versions of one article.
    for declared in ("/", "/news/", "https://aggregator.example/news/2026/harbour-plan"):
        page = item("/news/2026/bridge-closure")
        adopt_canonical(page, declared, is_article)
        assert page.canonical_url == SITE + "/news/2026/bridge-closure" and page.aliases == []


def test_a_declared_url_that_cannot_be_read_keeps_the_page_as_fetched() -> None:
    """canonical_url() raised for a port of 99999, and the item, dropped by Scrapy, never got
    its metadata record or its index row."""
    for declared in ("https://riverside.example:99999/news/2026/harbour-plan", "http://[broken/"):
        page = item("/news/2026/harbour-plan")
        adopt_canonical(page, declared, is_article)
        assert page.canonical_url == SITE + "/news/2026/harbour-plan" and page.aliases == []


def test_an_item_shows_itself_without_its_body() -> None:
    """Scrapy logs the item with an error in a pipeline: the body made each line ~250 KB."""
    page = item("/news/2026/harbour-plan")
    page.body = b"<html>" + b"x" * 250_000
    page.article = {"text": "y" * 12_000}
    assert repr(page) == f"<PageItem article {SITE}/news/2026/harbour-plan outcome=article>"
