"""A crawl started by hand (`scrapy crawl`) holds the site's lease against the scheduler:
kept while the crawl lives, and the crawl stops when somebody else takes it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import pytest

from archive.demosite import DemoSite
from archive.index import open_index
from archive.index.leases import LeaseHeld, sweep_stale_leases, take_lease
from crawler.extensions.runguard import LEASE_TTL
from tests.conftest import FAST, ROOT, SITES

T = TypeVar("T")


def _wait_for(what: str, check: Callable[[], T | None], crawl: subprocess.Popen[bytes],
              log: Path, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        assert crawl.poll() is None, f"the crawl ended early:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _query(index: Path, sql: str) -> list[dict[str, Any]]:
    if not index.exists():
        return []
    with closing(sqlite3.connect(index, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in db.execute(sql)]
        except sqlite3.OperationalError as exc:  # not migrated yet
            if "no such table" in str(exc):
                return []
            raise


def _execute(index: Path, sql: str) -> None:
    with closing(sqlite3.connect(index, timeout=10)) as db, db:
        db.execute(sql)


def test_hand_crawl_keeps_its_lease_while_alive_and_stops_when_it_loses_it(tmp_path: Path) -> None:
    """Regression (bug hunt): a hand crawl suspended past LEASE_TTL (SIGSTOP, Ctrl-Z) lost its
    lease to the scheduler, which recorded it failed and started a second crawl beside it."""
    data = tmp_path / "data"
    index = data / "index.db"
    log = tmp_path / "crawl.log"
    with DemoSite(n_articles=1000, delay=2.0) as site:  # slow: still crawling at the renewal
        command = [sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={site.url}",
                   "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={SITES}",
                   "-s", "NEWSARCHIVE_EXTRACT_WORKERS=1"]
        for key, value in FAST.items():
            command += ["-s", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        with log.open("wb") as out:
            crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            [lease] = _wait_for("the crawl's lease", lambda: _query(
                index, "select * from job_leases where run_id is not null"), crawl, log, 60)
            assert lease["pid"] == lease["child_pid"] == crawl.pid
            # As after a SIGSTOP longer than LEASE_TTL: expired, but its crawl is alive. (Expired
            # now, not in 1970: a process started after its lease ran out holds its pid anew.)
            _execute(index, f"update job_leases set expires = {time.time() - 1}")
            db = open_index(index)
            try:
                with pytest.raises(LeaseHeld):
                    take_lease(db, "crawl:demo", 60)
                assert sweep_stale_leases(db) == []
            finally:
                db.close()
            # Another host took the lease over after it expired there: this crawl must stop.
            _execute(index, "update job_leases set token = 'theirs', host = 'elsewhere', "
                            "pid = 4242, child_pid = null")
            crawl.wait(timeout=LEASE_TTL / 4 + 60)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()
    text = log.read_text()
    [run] = _query(index, "select * from crawl_runs")
    assert run["outcome"] == "lease_lost", text[-3000:]
    assert json.loads(run["stats"])["finish_reason"] == "lease_lost"
    assert "lost the lease of crawl:demo to pid 4242 on elsewhere" in text
    # Not ours any more: the other holder's lease stays.
    assert [row["token"] for row in _query(index, "select * from job_leases")] == ["theirs"]
