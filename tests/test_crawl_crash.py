"""SIGKILL a real crawl mid-write: start-up salvage keeps every complete record, the next run
fetches what was left, and the WARC files and the index end up valid and complete."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.warc import iter_records, verify_directory, warc_files
from archive.warc.reader import scan_file
from tests.conftest import FAST, ROOT, SITES, scrapy_crawl


def _complete_pairs(warc_dir: Path) -> set[str]:
    """Ids of complete records in the `.open` files; an exchange counts only whole (salvage keeps
    a request/response pair together or not at all)."""
    records = [e.record for p in warc_dir.glob("*.open") for e in scan_file(p) if e.record]
    ids = {r.position.record_id for r in records}
    kept = set()
    for record in records:
        partner = record.warc_header("WARC-Concurrent-To")
        if record.rec_type in ("request", "response") and partner not in ids:
            continue
        kept.add(record.position.record_id)
    return kept


def _start_crawl(site: DemoSite, data: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={site.url}",
               "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={SITES}"]
    for key, value in FAST.items():
        command += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_after(process: subprocess.Popen[bytes], warc_dir: Path, records: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the crawl ended before {records} records were written")
        if sum(1 for p in warc_dir.glob("*.open") for e in scan_file(p) if e.record) >= records:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        time.sleep(0.02)
    process.kill()
    pytest.fail("the crawl wrote too slowly")


def _indexed_articles(index: Path) -> set[str]:
    if not index.exists():
        return set()
    with closing(sqlite3.connect(index)) as db:
        return {row[0] for row in db.execute("select canonical_url from articles")}


# Ten kill points spread over the crawl's ~190 records (40 articles), drawn once with a fixed seed.
KILL_POINTS = sorted(random.Random(20261128).sample(range(2, 120), 10))


@pytest.mark.parametrize("kill_after", KILL_POINTS)
def test_sigkill_then_restart(tmp_path: Path, kill_after: int) -> None:
    data = tmp_path / "data"
    warc_dir = data / "warc"
    with DemoSite(n_articles=40, delay=0.01) as site:
        _kill_after(_start_crawl(site, data), warc_dir, kill_after)
        assert list(warc_dir.glob("*.open")), "the kill left no file being written"
        before = _complete_pairs(warc_dir)
        assert len(before) >= kill_after - 2
        indexed = _indexed_articles(data / "index.db")
        crawl = scrapy_crawl("demo", data, base_url=site.url)
        assert crawl.returncode == 0, crawl.log[-3000:]
        cutoff = datetime.now(UTC) - timedelta(days=30)
        wanted = {site.url + a.path for a in site.manifest.articles if a.published_at >= cutoff}
        flaky = site.url + site.manifest.special["flaky"]
        # Our own index says what was archived: the new run does not fetch it again.
        for url in indexed - {flaky}:
            assert site.hits(url.removeprefix(site.url)) == 1, url

    assert not list(warc_dir.glob("*.open"))
    report = verify_directory(warc_dir)
    assert report.ok, report.format()
    after = {r.position.record_id for p in warc_files(warc_dir) for r in iter_records(p)}
    assert before <= after, f"{len(before - after)} records written before the kill were lost"
    archived = _indexed_articles(data / "index.db")
    with closing(sqlite3.connect(data / "index.db")) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
        orphans = db.execute("select count(*) from articles where capture_id not in "
                             "(select id from captures)").fetchone()[0]
    assert archived == wanted
    assert orphans == 0


def test_second_crawl_of_a_site_does_not_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DemoSite(n_articles=16, delay=0.5) as site:  # slow: the first crawl lasts seconds
        first = _start_crawl(site, data)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _lease_taken(data / "index.db"):
            time.sleep(0.05)
        second = scrapy_crawl("demo", data, base_url=site.url)
        assert first.poll() is None, "the first crawl ended before the second one started"
        assert first.wait(timeout=120) == 0
    assert second.returncode == 1
    assert "another crawl of demo is running" in second.log
    assert "sent no request at all" not in second.log  # it blamed the site's config too
    assert site.hits("/robots.txt") == 1  # the second crawl sent nothing


def _lease_taken(index: Path) -> bool:
    if not index.exists():
        return False
    try:
        with closing(sqlite3.connect(index)) as db:
            return db.execute("select count(*) from job_leases where name = 'crawl:demo'").fetchone()[0] > 0
    except sqlite3.OperationalError:  # the schema is still being created
        return False


def _articles_so_far(index: Path) -> set[str]:
    try:
        return _indexed_articles(index)
    except sqlite3.OperationalError:  # the crawl is still creating the index
        return set()


def test_sigterm_to_the_process_group_stops_the_crawl_not_its_extraction(tmp_path: Path) -> None:
    """`kill -- -PGID`, timeout(1), a terminal's job control: the signal reached the extraction
    workers too, they died mid-page, the pool broke, and every page in flight came out an
    extraction error (with its whole item, body included, in the log)."""
    data = tmp_path / "data"
    with DemoSite(n_articles=120, delay=0.05) as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={site.url}",
                   "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={SITES}"]
        for key, value in FAST.items():
            command += ["-s", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while len(_articles_so_far(data / "index.db")) < 5:
                assert crawl.poll() is None, "the crawl ended before it was stopped"
                assert time.monotonic() < deadline, "the crawl extracted too slowly"
                time.sleep(0.05)
            os.killpg(crawl.pid, signal.SIGTERM)
            _, log = crawl.communicate(timeout=60)
        finally:
            crawl.kill()
    assert "Spider closed (shutdown)" in log
    assert "Unexpected error within the Pool" not in log and "worker died" not in log
    with closing(sqlite3.connect(data / "index.db")) as db:
        (outcome,) = db.execute("select outcome from crawl_runs").fetchone()
        errors = db.execute("select count(*) from captures where article_status = 'error'").fetchone()
    assert outcome == "interrupted" and errors == (0,)
    assert verify_directory(data / "warc").ok


def _started_runs(index: Path) -> int:
    try:
        with closing(sqlite3.connect(index, timeout=0.05)) as db:
            return int(db.execute("select count(*) from crawl_runs").fetchone()[0])
    except sqlite3.OperationalError:  # not created, or being written
        return 0


def test_a_stop_signal_right_after_the_spider_opens_still_records_the_run(tmp_path: Path) -> None:
    """A SIGTERM between the spider's opening and the engine's start closed nothing: the run
    stayed "running" and its lease was held by a dead pid until the site's next crawl."""
    data = tmp_path / "data"
    with DemoSite(n_articles=16, delay=0.3) as site:
        crawl = _start_crawl(site, data)
        try:
            deadline = time.monotonic() + 60
            while not _started_runs(data / "index.db"):  # the run has begun: stop it at once
                assert crawl.poll() is None and time.monotonic() < deadline
                time.sleep(0.002)
            crawl.send_signal(signal.SIGTERM)
            crawl.wait(timeout=60)
        finally:
            crawl.kill()
    with closing(sqlite3.connect(data / "index.db")) as db:
        runs = db.execute("select outcome from crawl_runs").fetchall()
        leases = db.execute("select * from job_leases").fetchall()
    assert runs == [("interrupted",)] and leases == []
