"""Stopping `newsarchive schedule` under a crawl, the ways a service manager and an operator do:
the cut run is recorded `interrupted` (and so runs again at start), by the crawl when it can."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.demosite import DemoSite
from archive.index import open_index
from archive.index.leases import lease_holder, renew_lease
from archive.index.rebuild import index_warc_directory
from archive.index.runs import get_run
from archive.schedule import PlannedJob
from archive.warc.verify import verify_directory
from crawler.jobs import JobContext, JobRunner
from tests.test_scheduler import Setup, running_crawl, wait_for, write_site
from tests.test_scheduler import setup as setup  # the fixture  # noqa: F401

# A stand-in crawl that exits with status 1 on SIGTERM, as Scrapy does when a stop cuts it
# short in some ways (a forced stop, a stop before its engine started).
EXITS_1_ON_SIGTERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_systemd_stop_signals_crawl_and_scheduler_at_once_and_the_crawl_stops_cleanly(
        setup: Setup) -> None:
    """Regression (bug hunt): `systemctl stop` (KillMode=control-group) SIGTERMs the crawl and
    the scheduler, which forwards its own: Scrapy took the second as "force", left the WARC
    .open and no stats, exited 1, and the run was recorded failed, never to be rerun."""
    with DemoSite(n_articles=200, delay=0.5) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        lease = wait_for("a crawl writing its WARC", lambda: running_crawl(setup), setup)
        os.kill(lease["child_pid"], signal.SIGTERM)
        service.proc.send_signal(signal.SIGTERM)
        assert service.proc.wait(30) == 0, service.log[-3000:]
    [run] = setup.runs()
    crawl_log = (setup.data / "logs" / f"crawl-demo-run{run['id']}.log").read_text()
    assert run["outcome"] == "interrupted", service.log[-3000:]
    assert "forcing unclean shutdown" not in crawl_log
    assert "Received SIGTERM again within 5 s of the first: the same stop request" in crawl_log
    stats = json.loads(run["stats"])
    assert stats["finish_reason"] == "shutdown"  # recorded by the crawl itself, with its stats
    assert not list((setup.data / "warc").glob("*.open"))
    report = verify_directory(setup.data / "warc")
    assert report.ok and report.records > 0, report.format()


class _ExitsOneContext(JobContext):
    def crawl_command(self, site: str, run_id: int) -> list[str]:
        return [sys.executable, "-c", EXITS_1_ON_SIGTERM]


def test_a_run_cut_short_by_the_stop_is_interrupted_whatever_its_exit_status(tmp_path: Path) -> None:
    """It was `failed` unless the crawl died of SIGTERM or SIGKILL: Scrapy exits 1 when a stop
    cuts it short, and a failed run is not run again at start."""
    data = tmp_path / "data"
    data.mkdir()
    runner = JobRunner(_ExitsOneContext(data, tmp_path / "sites", lease_ttl=6))
    job = PlannedJob("crawl:demo", "crawl", "demo", None, timedelta(hours=1))
    worker = threading.Thread(target=runner.run, args=[job])
    worker.start()
    log = data / "logs" / "crawl-demo-run1.log"
    deadline = time.monotonic() + 30
    while not (log.exists() and "ready" in log.read_text()):
        assert time.monotonic() < deadline, "the stand-in crawl did not start"
        time.sleep(0.05)
    runner.stop()
    assert runner.signal_children(signal.SIGTERM) == 1
    worker.join(30)
    assert not worker.is_alive()
    db = open_index(data / "index.db")
    try:
        run = get_run(db, 1)
        stats = json.loads(db.execute("select stats from crawl_runs where id = 1").fetchone()[0])
    finally:
        db.close()
    assert run is not None and run.outcome == "interrupted"
    assert stats["newsarchive/failure"] == "exited with status 1 when the scheduler stopped"


def test_sigterm_as_the_spider_opens_is_recorded_interrupted_by_the_crawl(setup: Setup) -> None:
    """Regression (bug hunt): a stop between the spider's opening and the engine's start
    closes no spider; the scheduled crawl recorded nothing, and the scheduler called the run
    failed (exit status 1), so it did not run again at start."""
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        log = setup.data / "logs" / "crawl-demo-run1.log"
        deadline = time.monotonic() + 60
        while not (log.exists() and "Spider opened" in log.read_text(errors="replace")):
            assert time.monotonic() < deadline, f"no spider opened:\n{service.log[-3000:]}"
            time.sleep(0.005)
        service.proc.send_signal(signal.SIGTERM)
        assert service.proc.wait(30) == 0, service.log[-3000:]
    [run] = setup.runs()
    assert run["outcome"] == "interrupted", service.log[-3000:]
    # The crawl recorded its own end (the scheduler adds an exit code when it has to).
    assert "newsarchive/exit_code" not in json.loads(run["stats"]), run["stats"]


def test_signals_after_the_service_stopped_do_not_change_its_exit_status(setup: Setup) -> None:
    """Regression (bug hunt): Ctrl-C twice exited 130 (143 for SIGTERM) when the second came
    as the stopped service exited, where Python gives signals their default action back."""
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        wait_for("the first run", lambda: setup.finished(), setup)
        service.proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30
        while "scheduler stopped" not in service.log:
            assert time.monotonic() < deadline and service.proc.poll() is None, service.log[-3000:]
            time.sleep(0.01)
        while service.proc.poll() is None:  # Ctrl-C held down while the process exits
            service.proc.send_signal(signal.SIGINT)
            time.sleep(0.001)
        assert service.proc.wait(30) == 0, service.log[-3000:]
    assert "Traceback" not in service.log


def test_a_crawl_whose_lease_the_scheduler_lost_is_stopped_once(setup: Setup) -> None:
    """Regression (operator bug hunt): a scheduled crawl whose lease is taken from its
    scheduler (the row deleted by hand to clear a lease thought stuck, then taken by another
    scheduler or a hand crawl) ran on beside the crawl that took it, while its scheduler
    logged 'lost its lease to another scheduler' at every renewal (every 15 s at the default
    lease_ttl) until it ended. A crawl started by hand stops in that case (lease_lost); the
    scheduler now stops its own the same way, once, and records the run lease_lost."""
    with DemoSite(n_articles=200, delay=0.5) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        lease = wait_for("a crawl writing its WARC", lambda: running_crawl(setup), setup)
        db = open_index(setup.data / "index.db")
        try:
            db.execute("delete from job_leases where name = 'crawl:demo'")
            db.conn.commit()
        finally:
            db.close()
        wait_for("the crawl's end", lambda: setup.finished(), setup, timeout=20)
        time.sleep(2)  # renewals, had the crawl run on
        assert service.stop() == 0, service.log[-3000:]
    [run] = setup.runs()
    assert run["outcome"] == "lease_lost", service.log[-3000:]
    assert run["pages"] and run["pages"] < 200
    assert service.log.count("lost its lease") == 1, service.log[-3000:]
    assert f"run {run['id']} ended: lease_lost" in service.log
    assert not list((setup.data / "warc").glob("*.open"))
    assert lease["run_id"] == run["id"]
    # The run's WARC record says so too: an index built from the WARC files alone has the
    # same row. It said `interrupted` (the crawl took our SIGTERM for a stop), and a lost
    # index.db came back with the run to be crawled again at the next start.
    rebuilt = open_index(setup.tmp / "rebuilt.db")
    try:
        assert index_warc_directory(rebuilt, setup.data / "warc").runs == 1
        [again] = [dict(r) for r in rebuilt.query("select * from crawl_runs")]
    finally:
        rebuilt.close()
    assert again == run


def test_a_busy_index_at_the_first_renewal_still_notes_the_crawls_run_and_pid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (review): the scheduler noted its crawl's run and pid in the lease at its
    first renewal only, and a busy index then (logged, retried later) left them out for
    good. A crawl the service stopped then found a lease not naming its run, took it for
    lost (RunGuard) and recorded `lease_lost`, never run again at start, not `interrupted`;
    and a lease without its crawl's pid was taken over while an orphan crawl ran on."""
    data = tmp_path / "data"
    data.mkdir()
    calls = []

    def busy_once(*args: Any, **kwargs: Any) -> bool:
        calls.append(kwargs)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return renew_lease(*args, **kwargs)

    monkeypatch.setattr("crawler.jobs.renew_lease", busy_once)
    runner = JobRunner(_ExitsOneContext(data, tmp_path / "sites", lease_ttl=2))
    job = PlannedJob("crawl:demo", "crawl", "demo", None, timedelta(hours=1))
    worker = threading.Thread(target=runner.run, args=[job])
    worker.start()
    try:
        deadline = time.monotonic() + 15
        while len(calls) < 3:  # the busy one and two more (every 0.5 s)
            assert time.monotonic() < deadline, "no renewal"
            time.sleep(0.05)
        db = open_index(data / "index.db")
        try:
            lease = lease_holder(db, "crawl:demo")
        finally:
            db.close()
        [child] = runner._children.values()
        assert lease is not None
        assert (lease.run_id, lease.child_pid) == (1, child.pid)
    finally:
        runner.stop()
        runner.signal_children(signal.SIGTERM)
        worker.join(30)
    assert not worker.is_alive()
