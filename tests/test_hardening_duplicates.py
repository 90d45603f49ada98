"""Hardening, duplicates (issue 6): one article known by many URLs is fetched once and stored once;
pages naming one rel=canonical end as one article with their URLs recorded as aliases."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.demosite import hostile_pages as pages
from archive.demosite.hostile import FEED_LINKS
from archive.urls import canonical_url
from tests.conftest import ROOT, Crawl
from tests.hardening_support import (
    article_rows,
    assert_archive_sound,
    assert_finished,
    capture_with,
    captures,
    crawl_theme,
    query,
    site_of,
)
from tests.pool_break_support import POISON_ENV
from tests.test_crawl_pool_break import POISONED

STORY = "/hostile/a/duplicate-story"
# The variants in the feed that a server sees as requests (a fragment never reaches it).
REQUESTABLE_VARIANTS = [link for link in FEED_LINKS["duplicates"]
                        if link.startswith(("/hostile/a/duplicate-story?", "/amp/"))]
SYNDICATED = ["/hostile/a/syndicated-one", "/hostile/a/syndicated-two"]
ORIGINAL = "/hostile/a/original-story"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    with DemoSite(n_articles=16) as site:
        yield crawl_theme(tmp_path_factory.mktemp("duplicates"), site, "duplicates")


def test_crawl_finishes_and_archive_is_sound(crawl: Crawl) -> None:
    assert_finished(crawl)
    assert_archive_sound(crawl)
    assert article_rows(crawl, site_of(crawl).url + "/hostile/a/quiet-harbour") == 1


def test_feed_variants_are_all_there() -> None:
    variants = [link for link in FEED_LINKS["duplicates"] if "duplicate-story" in link]
    assert STORY not in variants   # only variants: the crawl must find the plain URL itself
    assert any("utm_" in v for v in variants) and any("fbclid=" in v for v in variants)
    assert any("#" in v for v in variants) and any(v.startswith("/amp/") for v in variants)
    assert len(REQUESTABLE_VARIANTS) == 3


def test_url_variants_fetched_once_by_the_plain_url(crawl: Crawl) -> None:
    site = site_of(crawl)
    assert site.hits(STORY) == 1
    for variant in REQUESTABLE_VARIANTS:
        assert site.hits(variant) == 0, variant
    assert [c.outcome for c in captures(crawl, site.url + STORY)] == ["article"]
    assert crawl.stats()["newsarchive/duplicate_links"] >= 3


def test_url_variants_stored_as_one_article(crawl: Crawl) -> None:
    site = site_of(crawl)
    assert article_rows(crawl, site.url + STORY) == 1
    rows = query(crawl, "select canonical_url from articles where text like ?",
                 f"%{pages.DUPLICATE_LEAD}%")
    assert rows == [(site.url + STORY,)]


def test_pages_naming_one_canonical_are_one_article(crawl: Crawl) -> None:
    site = site_of(crawl)
    for path in SYNDICATED:
        assert site.hits(path) == 1, path    # nothing tells them apart before they are fetched
        capture_with(crawl, site.url + path, "article")
    rows = query(crawl, "select canonical_url from articles where text like ?",
                 f"%{pages.SYNDICATED_LEAD}%")
    assert rows == [(site.url + ORIGINAL,)]


def test_aliases_recorded(crawl: Crawl) -> None:
    site = site_of(crawl)
    rows = set(query(crawl, "select alias_url, canonical_url from article_aliases"))
    # Pages naming another URL as rel=canonical: stored under it, their own URL an alias.
    assert {(site.url + path, site.url + ORIGINAL) for path in SYNDICATED} <= rows
    # Every URL variant the story was discovered under (utm_*, fbclid, #fragment, /amp/).
    variants = {site.url + link for link in FEED_LINKS["duplicates"] if "duplicate-story" in link}
    assert {alias for alias, canonical in rows if canonical == site.url + STORY} == variants


# Variants a loopback server on a random port cannot serve: checked on the URL function itself.
@pytest.mark.parametrize(("variant", "plain"), [
    ("http://news.example:80/hostile/a/duplicate-story", "http://news.example/hostile/a/duplicate-story"),
    ("https://news.example:443/hostile/a/duplicate-story", "https://news.example/hostile/a/duplicate-story"),
    ("https://bücher.example/hostile/a/duplicate-story",
     "https://xn--bcher-kva.example/hostile/a/duplicate-story"),
    ("https://xn--bcher-kva.example/hostile/a/duplicate-story?utm_source=x&fbclid=y#top",
     "https://xn--bcher-kva.example/hostile/a/duplicate-story"),
    ("https://news.example/amp/hostile/a/duplicate-story", "https://news.example/hostile/a/duplicate-story"),
])
def test_default_port_and_idn_variants_are_one_url(variant: str, plain: str) -> None:
    assert canonical_url(variant) == canonical_url(plain) == plain


def test_loopback_port_is_not_a_default_port() -> None:
    assert canonical_url("http://127.0.0.1:8080/hostile/a/x") != canonical_url("http://127.0.0.1/hostile/a/x")


def _stored_as(db_path: Path, base: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The articles' URLs and their aliases, as paths (two crawls run on two ports)."""
    with closing(sqlite3.connect(db_path)) as db:
        articles = sorted(url.removeprefix(base) for (url,) in db.execute(
            "select canonical_url from articles"))
        aliases = sorted((alias.removeprefix(base), url.removeprefix(base)) for alias, url in
                         db.execute("select alias_url, canonical_url from article_aliases"))
    return articles, aliases


def test_reextraction_stores_pages_under_their_canonical_as_the_crawl_does(
        crawl: Crawl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`index --rebuild --reextract` of pages the crawl could not extract (its pool broken:
    what the crawl's log says the rebuild is for) stored the two syndicated pages as two
    articles under their own URLs: re-extraction never adopted their rel=canonical."""
    monkeypatch.setenv(POISON_ENV, "/")
    with DemoSite(n_articles=16) as site:
        broken = crawl_theme(tmp_path, site, "duplicates", settings={
            **POISONED, "NEWSARCHIVE_EXTRACT_RESTARTS": "0"})
        base = site.url
    assert _stored_as(broken.index, base)[0] == []  # nothing extracted
    index = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "index", "--data", str(broken.data), "--sites",
         str(tmp_path / "sites"), "--rebuild", "--reextract", "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert index.returncode == 0, index.stderr
    assert _stored_as(broken.index, base) == _stored_as(crawl.index, site_of(crawl).url)
