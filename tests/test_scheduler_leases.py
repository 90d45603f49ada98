"""Crawl leases in a real index database, and the crawl_runs table as `newsarchive runs` prints it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive.index import finish_run, open_index, start_run
from archive.index.leases import (
    LeaseHeld,
    lease_holder,
    release_lease,
    renew_lease,
    sweep_stale_leases,
    take_lease,
)
from archive.index.runs import (
    format_runs,
    interrupted_in_a_row,
    interrupted_last,
    last_started,
    recent_runs,
)
from crawler.cli import main

HOST = "this-host"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_index(tmp_path / "index.db")
    yield database
    database.close()


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_lease_is_exclusive_until_released(db: sqlite_utils.Database) -> None:
    lease = take_lease(db, "crawl:demo", 60, host=HOST)
    assert lease.pid == os.getpid()
    with pytest.raises(LeaseHeld) as held:
        take_lease(db, "crawl:demo", 60, host=HOST)
    assert held.value.holder.token == lease.token
    assert str(held.value).startswith(f"crawl:demo is leased to pid {os.getpid()} on {HOST}")
    take_lease(db, "crawl:other", 60, host=HOST)  # other sites are independent
    release_lease(db, lease)
    again = take_lease(db, "crawl:demo", 60, host=HOST)
    assert again.token != lease.token


def test_lease_of_a_dead_scheduler_is_taken_over_and_its_run_interrupted(
        db: sqlite_utils.Database, dead_pid: int) -> None:
    run_id = start_run(db, "demo", datetime.now(UTC).isoformat())
    stale = take_lease(db, "crawl:demo", 60, pid=dead_pid, host=HOST)
    assert renew_lease(db, stale, 60, run_id=run_id)
    # Not expired, but on this host and its process is gone: free at once.
    lease = take_lease(db, "crawl:demo", 60, host=HOST)
    assert lease_holder(db, "crawl:demo") == lease
    row = db.table("crawl_runs").get(run_id)
    assert row["outcome"] == "interrupted"  # run again at the next start, as a stopped one
    assert f"the processes holding its lease (pid {dead_pid}" in json.loads(row["stats"])[
        "newsarchive/failure"]
    assert not renew_lease(db, stale, 60), "the old owner may no longer renew it"
    release_lease(db, stale)  # nor release it
    assert lease_holder(db, "crawl:demo") == lease


def test_orphan_crawl_keeps_its_lease_after_expiry(db: sqlite_utils.Database, dead_pid: int) -> None:
    # The scheduler died (dead pid) but its crawl subprocess (here: this process) still runs.
    lease = take_lease(db, "crawl:demo", 0.01, pid=dead_pid, host=HOST)
    renew_lease(db, lease, 0.01, child_pid=os.getpid())
    time.sleep(0.05)
    with pytest.raises(LeaseHeld):
        take_lease(db, "crawl:demo", 60, host=HOST)


def test_a_pid_reused_since_the_lease_ran_out_does_not_hold_it(
        db: sqlite_utils.Database, dead_pid: int) -> None:
    """A reboot after a power cut, or an index restored from a backup taken while a crawl ran:
    the lease's crawl pid now belongs to another process, started after the lease ran out. It
    was taken for the orphan crawl: the site was never crawled again while that process lived."""
    run_id = start_run(db, "demo", datetime.now(UTC).isoformat())
    lease = take_lease(db, "crawl:demo", 60, pid=dead_pid, host=HOST)
    assert renew_lease(db, lease, 60, run_id=run_id)
    ran_out = time.time() - 30
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            db.execute("update job_leases set child_pid = ?, expires = ?", [other.pid, ran_out])
            db.conn.commit()
            swept = sweep_stale_leases(db, host=HOST)
        finally:
            other.kill()
    assert [stale.name for stale in swept] == ["crawl:demo"]
    assert db.table("crawl_runs").get(run_id)["outcome"] == "interrupted"


def test_expiry_decides_for_another_host(db: sqlite_utils.Database) -> None:
    take_lease(db, "crawl:demo", 60, host="elsewhere", pid=1)
    with pytest.raises(LeaseHeld):
        take_lease(db, "crawl:demo", 60, host=HOST)
    db.execute("update job_leases set expires = ?", [time.time() - 1])
    db.conn.commit()
    assert take_lease(db, "crawl:demo", 60, host=HOST).host == HOST


def test_expired_lease_of_a_living_scheduler_without_crawl_is_stale(db: sqlite_utils.Database) -> None:
    take_lease(db, "crawl:demo", 0.01, host=HOST)
    time.sleep(0.05)
    take_lease(db, "crawl:demo", 60, host=HOST)


def runs_db(db: sqlite_utils.Database) -> None:
    start = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    for number, (site, outcome) in enumerate([("demo", "ok"), ("other", "failed"), ("demo", "ok")]):
        started = start + timedelta(hours=number)
        run_id = start_run(db, site, started.isoformat())
        finish_run(db, run_id, (started + timedelta(seconds=75.5)).isoformat(), outcome,
                   {"pages": 40, "articles": 16, "errors": 0} if outcome == "ok" else {})
    start_run(db, "demo", (start + timedelta(hours=3)).isoformat())


def test_interrupted_last_names_sites_whose_latest_run_was_cut(db: sqlite_utils.Database) -> None:
    start = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    for number, (site, outcome) in enumerate(
        [("demo", "interrupted"), ("demo", "ok"), ("other", "ok"), ("other", "interrupted")]
    ):
        started = start + timedelta(hours=number)
        finish_run(db, start_run(db, site, started.isoformat()), started.isoformat(), outcome, {})
    assert interrupted_last(db) == {"other"}


def test_a_crawl_interrupted_three_times_in_a_row_is_not_run_again_at_start(
    db: sqlite_utils.Database,
) -> None:
    # Killed with its service each time (out of memory), it ran again at every restart.
    start = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    outcomes = [("demo", "ok"), *[("demo", "interrupted")] * 3, ("other", "ok"),
                *[("other", "interrupted")] * 2]
    for number, (site, outcome) in enumerate(outcomes):
        started = start + timedelta(hours=number)
        finish_run(db, start_run(db, site, started.isoformat()), started.isoformat(), outcome, {})
    assert interrupted_last(db) == {"other"}
    assert interrupted_in_a_row(db) == {"demo"}
    finish_run(db, start_run(db, "demo", (start + timedelta(hours=9)).isoformat()),
               (start + timedelta(hours=9)).isoformat(), "ok", {})
    assert interrupted_in_a_row(db) == set()


def test_recent_runs_and_last_started(db: sqlite_utils.Database) -> None:
    runs_db(db)
    assert [r.outcome for r in recent_runs(db, limit=2)] == ["running", "ok"]
    assert [r.site for r in recent_runs(db, site="other")] == ["other"]
    assert last_started(db) == {"demo": datetime(2026, 11, 28, 7, 0, tzinfo=UTC),
                                "other": datetime(2026, 11, 28, 5, 0, tzinfo=UTC)}
    assert format_runs(recent_runs(db)).splitlines() == [
        "site   start (UTC)          duration  pages  articles  errors  outcome",
        "demo   2026-11-28 07:00:00                                     running",
        "demo   2026-11-28 06:00:00     1m15s     40        16       0  ok",
        "other  2026-11-28 05:00:00     1m15s                           failed",
        "demo   2026-11-28 04:00:00     1m15s     40        16       0  ok",
    ]


def test_cli_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["runs", "--data", str(tmp_path)])
    assert result.exit_code == 1 and "no index at" in result.output
    db = open_index(tmp_path / "index.db")
    runs_db(db)
    db.close()
    result = runner.invoke(main, ["runs", "--data", str(tmp_path), "--site", "demo", "--limit", "1"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1].split() == ["demo", "2026-11-28", "07:00:00", "running"]
    result = runner.invoke(main, ["runs", "--data", str(tmp_path), "--site", "nowhere"])
    assert result.exit_code == 1 and "no site 'nowhere' in this index (its sites: demo" in result.output


def test_stale_leases_are_swept_when_a_scheduler_starts(
        db: sqlite_utils.Database, dead_pid: int) -> None:
    # A crawl SIGKILLed with its scheduler stayed "running" until its site's next turn took
    # the lease: a week later for a weekly schedule, never for a site taken off it.
    run_id = start_run(db, "demo", datetime.now(UTC).isoformat())
    stale = take_lease(db, "crawl:demo", 60, pid=dead_pid, host=HOST)
    assert renew_lease(db, stale, 60, run_id=run_id, child_pid=dead_pid)
    live = take_lease(db, "crawl:other", 60, host=HOST)  # this process: alive
    swept = sweep_stale_leases(db, host=HOST)
    assert [lease.name for lease in swept] == ["crawl:demo"]
    assert lease_holder(db, "crawl:demo") is None
    assert lease_holder(db, "crawl:other") == live
    (outcome,) = db.execute("select outcome from crawl_runs where id = ?", [run_id]).fetchone()
    assert outcome == "interrupted"


def test_runs_refuses_a_limit_sqlite_cannot_hold(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    open_index(tmp_path / "index.db").close()
    result = CliRunner().invoke(main, ["runs", "--data", str(tmp_path), "--limit", "99999999999999999999"])
    assert result.exit_code == 2 and "--limit" in result.output  # an OverflowError traceback before
