"""An extraction pool that breaks mid-crawl (one of pebble's own threads dies) is started again
once, then fails the pages fast: the crawl always finishes, with every page in the WARC and the
index, and a run outcome that says so when extraction was lost for good."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.warc import iter_records, warc_files
from crawler import settings as project_settings
from tests.conftest import Crawl, scrapy_crawl
from tests.pool_break_support import POISON_ENV

POISONED = {"EXTENSIONS": json.dumps({**project_settings.EXTENSIONS,
                                      "tests.pool_break_support.PoisonedExtraction": 900})}


def _outcomes(crawl: Crawl) -> dict[str, tuple[str, str | None]]:
    with closing(sqlite3.connect(crawl.index)) as db:
        return {url: (outcome, reason) for url, outcome, reason
                in db.execute("select url, outcome, reason from captures")}


def _archived(crawl: Crawl) -> set[str]:
    return {record.target_uri
            for path in warc_files(crawl.warc_dir) for record in iter_records(path)
            if record.rec_type == "response"}


def _run_outcome(crawl: Crawl) -> str:
    with closing(sqlite3.connect(crawl.index)) as db:
        return str(db.execute("select outcome from crawl_runs order by id desc").fetchone()[0])


def test_a_pool_broken_once_is_started_again_and_the_crawl_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DemoSite(n_articles=24) as site:
        poisoned = site.url + site.manifest.articles[0].path
        monkeypatch.setenv(POISON_ENV, poisoned)
        crawl = scrapy_crawl("demo", tmp_path / "data", base_url=site.url, settings=POISONED,
                             timeout=60)
    assert crawl.returncode == 0, crawl.log[-3000:]
    outcomes = _outcomes(crawl)
    assert outcomes[poisoned][0] == "extraction_error"
    broke = [url for url, (_, reason) in outcomes.items()
             if reason and reason.startswith("the extraction pool broke")]
    assert poisoned in broke
    # The pages it held failed, and only those; the others were extracted (some by the new pool).
    assert {url for url, (outcome, _) in outcomes.items() if outcome == "extraction_error"} == set(broke)
    assert sum(outcome == "article" for outcome, _ in outcomes.values()) >= 1
    assert "the extraction pool broke, starting a new one" in crawl.log
    assert _archived(crawl) >= set(outcomes)
    assert crawl.stats()["newsarchive/extraction_pool_breaks"] == 1
    assert _run_outcome(crawl) == "ok"
    # The cause, with its traceback, in the crawl's log.
    assert "message_manager_loop" in crawl.log and "_refuse_to_load" in crawl.log


def test_a_pool_broken_for_good_fails_the_rest_and_the_crawl_still_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every article breaks the pool it goes to, and no new pool is started.
    monkeypatch.setenv(POISON_ENV, "/")
    with DemoSite(n_articles=24) as site:
        crawl = scrapy_crawl("demo", tmp_path / "data", base_url=site.url, timeout=60,
                             settings={**POISONED, "NEWSARCHIVE_EXTRACT_RESTARTS": "0"})
    assert crawl.returncode == 1, crawl.log[-3000:]  # an outcome that is not ok
    outcomes = _outcomes(crawl)
    articles = [url for url, (outcome, _) in outcomes.items() if outcome in ("article", "extraction_error")]
    assert len(articles) >= 20
    assert {outcomes[url][0] for url in articles} == {"extraction_error"}
    assert all((outcomes[url][1] or "").startswith("the extraction pool") for url in articles)
    assert _archived(crawl) >= set(outcomes)
    assert _run_outcome(crawl) == "extraction_failed"
    assert "extraction pool is unusable" in crawl.log
