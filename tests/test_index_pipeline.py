"""The crawl's index pipeline: pages commit in groups, each page whole or not at all, and
nothing is held back past the interval or the crawl's end."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from archive.demosite import DemoSite
from crawler.items import PageItem
from crawler.session import ArchiveSession
from pipelines.index import IndexPipeline
from tests.conftest import FAST, ROOT, SITES
from tests.index_docs import BASE, doc


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pipeline(data: Path, interval: float, clock: Clock) -> IndexPipeline:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_DATA": str(data),
                                         "NEWSARCHIVE_INDEX_COMMIT_INTERVAL": interval})
    crawler.stats = MemoryStatsCollector(crawler)
    return IndexPipeline(crawler, clock=clock)


def _item(path: str, *docs: Any) -> PageItem:
    item = PageItem(site="demo", url=BASE + path, canonical_url=BASE + path, kind="article",
                    status=200, content_type="text/html", fetched_at="2026-11-28T04:00:00+00:00")
    item.capture_docs = list(docs) or [doc(path, f"The story told at {path}.")]
    return item


def _indexed(data: Path) -> set[str]:
    """What another process (Datasette, a researcher's sqlite3) sees now."""
    if not (data / "index.db").exists():
        return set()
    with closing(sqlite3.connect(data / "index.db")) as db:
        return {url.removeprefix(BASE) for (url,) in db.execute("select canonical_url from articles")}


def test_pages_of_one_interval_are_committed_together(tmp_path: Path) -> None:
    clock = Clock()
    pipeline = _pipeline(tmp_path, 1.0, clock)
    pipeline.process_item(_item("/a"))
    clock.now += 0.5
    pipeline.process_item(_item("/b"))
    assert _indexed(tmp_path) == set()  # still within the interval of /a
    clock.now += 0.5
    pipeline.process_item(_item("/c"))
    assert _indexed(tmp_path) == {"/a", "/b", "/c"}
    clock.now += 0.2
    pipeline.process_item(_item("/d"))
    assert _indexed(tmp_path) == {"/a", "/b", "/c"}  # a new interval starts with /d
    clock.now += 5
    pipeline.commit_if_due()  # what the timer does when no page comes
    assert _indexed(tmp_path) == {"/a", "/b", "/c", "/d"}
    assert pipeline.stats is not None and pipeline.stats.get_value("newsarchive/index/pages") == 4


def test_interval_zero_commits_every_page_at_once(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, 0, Clock())
    pipeline.process_item(_item("/a"))
    assert _indexed(tmp_path) == {"/a"}
    pipeline.process_item(_item("/b"))
    assert _indexed(tmp_path) == {"/a", "/b"}


def test_closing_the_spider_commits_what_is_pending(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, 30.0, Clock())
    pipeline.open_spider()
    assert pipeline.timer is not None and pipeline.timer.running
    pipeline.process_item(_item("/a"))
    pipeline.process_item(_item("/b"))
    assert _indexed(tmp_path) == set()
    pipeline.close_spider()
    assert not pipeline.timer.running
    assert _indexed(tmp_path) == {"/a", "/b"}


def test_a_page_that_cannot_be_indexed_undoes_only_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = _pipeline(tmp_path, 10.0, Clock())
    bad = doc("/bad", "Half of a page.")
    bad.metadata["newsarchive"] = 2  # a format this code does not read: CaptureError
    pipeline.process_item(_item("/a"))
    # Its first capture is fine and applied before the second fails: the savepoint takes it back.
    pipeline.process_item(_item("/bad", doc("/bad", "The first capture."), bad))
    pipeline.process_item(_item("/b"))
    with caplog.at_level(logging.ERROR, logger="pipelines.index"):
        pipeline.commit()
    assert _indexed(tmp_path) == {"/a", "/b"}
    with closing(sqlite3.connect(tmp_path / "index.db")) as db:
        assert not db.execute("select count(*) from captures where url like '%/bad'").fetchone()[0]
    assert f"not indexed: {BASE}/bad" in caplog.text
    assert pipeline.stats is not None
    assert pipeline.stats.get_value("newsarchive/index/not_indexed") == 1
    assert pipeline.stats.get_value("newsarchive/index/pages") == 2


def test_a_group_the_index_refuses_stops_the_crawl_naming_its_pages(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, 10.0, Clock())
    session = ArchiveSession.of(pipeline.session.crawler)
    session.index.execute("pragma busy_timeout = 0")
    pipeline.process_item(_item("/a"))
    pipeline.process_item(_item("/b"))
    with closing(sqlite3.connect(tmp_path / "index.db", isolation_level=None)) as other:
        other.execute("begin immediate")  # another writer holds the lock past our patience
        pipeline.commit()
        other.execute("rollback")
    assert session.failed is not None
    assert f"the index rows of {BASE}/a and 1 other pages" in session.failed
    assert "database is locked" in session.failed
    assert pipeline.stats is not None and pipeline.stats.get_value("newsarchive/index/not_indexed") == 2
    assert _indexed(tmp_path) == set() and pipeline.pending == []


def test_a_running_crawl_shows_its_articles_before_it_ends(tmp_path: Path) -> None:
    """Pages commit while the crawl goes on (not all at its close): a researcher watching the
    index sees articles arrive, and a crawl killed mid-way has its earlier pages indexed."""
    data = tmp_path / "data"
    with DemoSite(n_articles=16, delay=0.4) as site:
        # One request at a time at 0.4 s each: the crawl lasts several seconds.
        command = [sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={site.url}",
                   "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={SITES}",
                   "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSARCHIVE_INDEX_COMMIT_INTERVAL=0.5"]
        for key, value in FAST.items():
            command += ["-s", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}

        def served() -> int:
            return sum(site.hits(article.path) for article in site.manifest.articles)

        crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            while crawl.poll() is None and not _indexed_articles(data):
                time.sleep(0.05)
            served_when_seen = served()
            assert crawl.wait(timeout=120) == 0
        finally:
            crawl.kill()
        assert 0 < served_when_seen < served(), "no article was indexed before the last was fetched"
    with closing(sqlite3.connect(data / "index.db")) as db:
        assert db.execute("select count(*) from articles").fetchone()[0] > 0


def _indexed_articles(data: Path) -> set[str]:
    try:
        with closing(sqlite3.connect(f"file:{data / 'index.db'}?mode=ro", uri=True)) as db:
            return {url for (url,) in db.execute("select canonical_url from articles")}
    except sqlite3.Error:  # not created yet, or its schema not yet written
        return set()


def test_a_page_breaking_a_constraint_undoes_only_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Any sqlite3 error failed the whole group and stopped the crawl as a storage error;
    # a page the index refuses (here a trigger standing in for a constraint) is that page's.
    pipeline = _pipeline(tmp_path, 10.0, Clock())
    session = pipeline.session
    session.index.execute(
        "create trigger refuse_bad before insert on captures when new.url like '%/bad'"
        " begin select raise(abort, 'refused by a constraint'); end")
    for path in ("/a", "/bad", "/b"):
        pipeline.process_item(_item(path))
    with caplog.at_level(logging.ERROR, logger="pipelines.index"):
        pipeline.commit()
    assert session.failed is None
    assert _indexed(tmp_path) == {"/a", "/b"}
    assert f"not indexed: {BASE}/bad" in caplog.text
