"""The real `newsarchive schedule` service in a subprocess, crawling the demo site on a seconds schedule."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from archive.demosite import DemoSite
from archive.index import finish_run, open_index, start_run
from archive.warc import iter_records, warc_files
from archive.warc.verify import verify_directory

ROOT = Path(__file__).resolve().parents[1]
# The demo server is local and ours: no politeness delay, one extraction worker (2 cores).
SCHEDULE = """\
[scheduler]
shutdown_timeout = "{shutdown}"
lease_ttl = "6s"

[settings]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = false
NEWSARCHIVE_EXTRACT_WORKERS = 1
LOG_LEVEL = "INFO"
"""
T = TypeVar("T")


def write_site(sites: Path, base_url: str, timing: str, name: str = "demo") -> Path:
    """config/sites/demo.toml rebased to the live demo site, with a schedule."""
    text = (ROOT / "config" / "sites" / "demo.toml").read_text(encoding="utf-8")
    text, found = re.subn(r"(?m)^base_url = .*$", f'base_url = "{base_url}"', text)
    assert found == 1
    sites.mkdir(parents=True, exist_ok=True)
    path = sites / f"{name}.toml"
    path.write_text(f"{timing}\n{text}", encoding="utf-8")
    return path


@dataclass
class Service:
    """One `newsarchive schedule` process."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@dataclass
class Setup:
    tmp: Path
    sites: Path
    data: Path
    schedule: Path
    services: list[Service]

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "crawler.cli", "schedule", "--data", str(self.data),
                "--sites", str(self.sites), "--schedule-file", str(self.schedule)]

    def refused(self) -> subprocess.CompletedProcess[str]:
        """A service that stops at start (a config error): its exit status and output."""
        return subprocess.run(self.command, cwd=ROOT, capture_output=True, text=True, timeout=60)

    def start(self) -> Service:
        log_path = self.tmp / f"scheduler-{len(self.services)}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        with log_path.open("wb") as log:
            proc = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        service = Service(proc, log_path)
        self.services.append(service)
        return service

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        path = self.data / "index.db"
        if not path.exists():
            return []
        with closing(sqlite3.connect(path, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            try:
                return [dict(row) for row in db.execute(sql, params)]
            except sqlite3.OperationalError as exc:  # not migrated yet
                if "no such table" in str(exc):
                    return []
                raise

    def runs(self, site: str = "demo") -> list[dict[str, Any]]:
        return self.query("select * from crawl_runs where site = ? order by id", (site,))

    def finished(self, site: str = "demo") -> list[dict[str, Any]]:
        return [r for r in self.runs(site) if r["outcome"] != "running"]

    def logs(self) -> str:
        return "\n".join(s.log for s in self.services)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(SCHEDULE.format(shutdown="20s"), encoding="utf-8")
    state = Setup(tmp_path, tmp_path / "sites", tmp_path / "data", schedule, [])
    yield state
    for service in state.services:  # a failed test must not leave a scheduler behind
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait(10)


def wait_for(what: str, check: Callable[[], T | None], setup: Setup, timeout: float = 40) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for service in setup.services:
            assert service.proc.poll() is None, f"scheduler exited early:\n{service.log[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{setup.logs()[-4000:]}")


def running_crawl(setup: Setup) -> dict[str, Any] | None:
    """The lease of a crawl whose subprocess has started and written its first WARC record."""
    leases = setup.query("select * from job_leases where child_pid is not null")
    if leases and list((setup.data / "warc").glob("*.warc.gz.open")):
        return leases[0]
    return None


def assert_no_overlap(runs: list[dict[str, Any]]) -> None:
    spans = sorted((r["started"], r["finished"]) for r in runs)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start, f"runs overlap: {spans}"


def test_scheduled_crawls_run_and_are_recorded(setup: Setup) -> None:
    with setup.schedule.open("a", encoding="utf-8") as schedule:
        schedule.write('[jobs.index]\ntask = "index"\nevery = "2s"\n')
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'every = "1s"')
        service = setup.start()
        wait_for("two finished runs", lambda: len(setup.finished()) >= 2, setup)
        index_done = r"task:index: index ended in [\d.]+ s \(exited with status 0\): \d+ WARC files"
        wait_for("an index update", lambda: re.search(index_done, service.log), setup)
        assert service.stop() == 0, service.log[-3000:]
    first, second = setup.finished()[:2]
    assert first["outcome"] == second["outcome"] == "ok", service.log[-3000:]
    assert first["pages"] > 0 and first["articles"] > 0
    assert json.loads(first["stats"])["newsarchive/outcome"] == "ok"
    # One crawl_runs row per run: RunGuard filled in the row the scheduler created.
    assert len(setup.runs()) == len(setup.finished())
    assert setup.query("select count(*) as n from articles")[0]["n"] == first["articles"]
    assert setup.query("select * from job_leases") == []
    # Each run's end is archived as its row has it (the row the scheduler started), and the
    # index task reading those records meanwhile added no second row. (A run the stop cut
    # short before its crawl began has no record: its scheduler recorded it.)
    archived = [json.loads(r.payload) for path in warc_files(setup.data / "warc")
                for r in iter_records(path)
                if (r.target_uri or "").startswith("urn:newsarchive:crawl-run:")]
    assert sorted((a["site"], a["started"], a["finished"]) for a in archived
                  if a["outcome"] == "ok") == [
        (r["site"], r["started"], r["finished"]) for r in setup.finished() if r["outcome"] == "ok"]
    assert len({(r["site"], r["started"]) for r in setup.runs()}) == len(setup.runs())
    log = service.log
    assert "crawl:demo: never crawled: crawling now" in log
    assert re.search(r"crawl:demo: run \d+ ended: ok; \d+ pages, \d+ articles, 0 errors", log), log
    assert "scheduler stopped" in log


def test_slow_crawl_is_not_overlapped_but_skipped(setup: Setup) -> None:
    with DemoSite(n_articles=16, delay=0.2) as site:
        write_site(setup.sites, site.url, 'every = "1s"')
        service = setup.start()
        wait_for("two finished runs", lambda: len(setup.finished()) >= 2, setup, timeout=60)
        assert service.stop() == 0
    assert_no_overlap(setup.finished())
    assert "skipped: the previous run is still going" in service.log


def test_second_scheduler_does_not_double_run(setup: Setup) -> None:
    with DemoSite(n_articles=16, delay=0.2) as site:
        write_site(setup.sites, site.url, 'every = "1s"')
        setup.start()
        setup.start()
        wait_for("two finished runs", lambda: len(setup.finished()) >= 2, setup, timeout=60)
        assert [s.stop() for s in setup.services] == [0, 0]
    runs = setup.runs()
    assert all(r["outcome"] in ("ok", "interrupted") for r in runs), runs
    assert_no_overlap(runs)
    assert "skipped, still running elsewhere (pid" in setup.logs()


def test_killed_crawl_is_recorded_failed_and_next_run_succeeds(setup: Setup) -> None:
    with DemoSite(n_articles=16, delay=0.1) as site:
        write_site(setup.sites, site.url, 'every = "1s"')
        service = setup.start()
        lease = wait_for("a crawl writing its WARC", lambda: running_crawl(setup), setup)
        child = lease["child_pid"]
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        assert b"scrapy" in cmdline and b"crawl" in cmdline
        os.kill(child, signal.SIGKILL)
        failed = wait_for("the killed run recorded", lambda: [
            r for r in setup.finished() if r["id"] == lease["run_id"]], setup)[0]
        assert failed["outcome"] == "failed"
        assert json.loads(failed["stats"])["newsarchive/failure"] == "killed by SIGKILL"
        wait_for("a later ok run", lambda: [
            r for r in setup.finished() if r["id"] > lease["run_id"] and r["outcome"] == "ok"], setup)
        assert service.stop() == 0
    assert "killed by SIGKILL" in service.log
    # The next crawl salvaged the WARC file the killed one left open.
    report = verify_directory(setup.data / "warc")
    assert report.ok, report.format()


def test_sigterm_stops_running_crawl_cleanly(setup: Setup) -> None:
    with DemoSite(n_articles=16, delay=0.3) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        wait_for("a crawl writing its WARC", lambda: running_crawl(setup), setup)
        assert service.stop() == 0, service.log[-3000:]
    [run] = setup.runs()
    assert run["outcome"] == "interrupted", service.log[-3000:]
    # Gracefully, within the shutdown timeout: never killed (how long it took is not the point).
    assert "SIGKILL" not in service.log
    report = verify_directory(setup.data / "warc")
    assert report.ok and report.records > 0, report.format()
    assert setup.query("select * from job_leases") == []



def test_second_signal_kills_running_crawls_at_once(setup: Setup) -> None:
    with DemoSite(n_articles=16, delay=2.0) as site:  # in-flight requests outlast the test
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        wait_for("a crawl writing its WARC", lambda: running_crawl(setup), setup)
        service.proc.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        service.proc.send_signal(signal.SIGINT)  # Ctrl-C again: do not wait
        assert service.proc.wait(15) == 0
    [run] = setup.runs()
    assert run["outcome"] == "interrupted"
    assert "stopping: asked twice; sent SIGKILL to 1 job(s)" in service.log
    # The first signal starts the crawl's graceful stop, which records the run's end when
    # the spider closes; the SIGKILL lands before or after that. Before, the scheduler
    # records the kill; after, the crawl's own record stands. Either way nothing is left
    # marked running.
    stats = json.loads(run["stats"])
    if "newsarchive/failure" in stats:
        assert stats["newsarchive/failure"] == "killed by SIGKILL when the scheduler stopped"
    else:  # the crawl's RunGuard wrote the end itself (the scheduler adds an exit code)
        assert run["finished"] is not None and "newsarchive/exit_code" not in stats
    assert setup.query("select * from job_leases") == []

def test_missed_run_is_caught_up_once_after_restart(setup: Setup) -> None:
    # The history a scheduler that was down for three days leaves: its last runs.
    db = open_index(setup.data / "index.db")
    now = datetime.now(UTC)
    for site, started, outcome in (("demo", now - timedelta(days=3), "ok"),
                                   ("fresh", now - timedelta(minutes=1), "ok"),
                                   ("cut", now - timedelta(minutes=1), "interrupted")):
        run_id = start_run(db, site, started.isoformat())
        finish_run(db, run_id, (started + timedelta(seconds=5)).isoformat(), outcome, {"pages": 1})
    db.close()
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'schedule = "0 3 * * *"')      # missed 3 times: runs once
        write_site(setup.sites, site.url, 'every = "10m"', name="fresh")  # not due: does not run
        write_site(setup.sites, site.url, 'every = "7d"', name="cut")     # cut short: runs again
        service = setup.start()
        wait_for("the caught-up runs", lambda: len(setup.finished()) >= 2
                 and len(setup.finished("cut")) >= 2, setup)
        time.sleep(3)  # a second catch-up would have started by now
        assert service.stop() == 0
    runs = setup.runs()
    assert len(runs) == 2 and runs[1]["outcome"] == "ok", runs
    assert len(setup.runs("fresh")) == 1
    cut = setup.runs("cut")
    assert len(cut) == 2 and cut[1]["outcome"] == "ok", cut
    assert "crawl:demo: a run due at" in service.log and "was missed" in service.log
    assert "crawl:cut: its last run (started" in service.log and "was interrupted" in service.log
    assert "crawl:fresh: every 10m, next run" in service.log


def test_bad_schedule_is_a_clear_error(setup: Setup) -> None:
    path = write_site(setup.sites, "http://127.0.0.1:9", 'schedule = "61 * * * *"')
    result = setup.refused()
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {path}: schedule: '61 * * * *' is not a valid cron expression (Error validating "
        "expression '61': the last value (61) is higher than the maximum value (59))"
    )
    assert not (setup.data / "index.db").exists()


@pytest.mark.parametrize(("line", "problem"), [
    ("WARC_GZIP_LEVEL = 42", "WARC_GZIP_LEVEL='42' must be from -1 to 9"),
    # Checked as the crawls get them, after `-s`: these passed as TOML values, then failed
    # every crawl ("1000000.5", "True"), or crashed its start with a traceback ("no").
    ("WARC_MAX_SIZE = 1000000.5", "WARC_MAX_SIZE='1000000.5' is not a whole number"),
    ("NEWSARCHIVE_EXTRACT_TIMEOUT = true", "NEWSARCHIVE_EXTRACT_TIMEOUT='True' is not a number"),
    ('WARC_FSYNC = "no"', "WARC_FSYNC='no' is not true or false (True, False, 1 or 0)"),
    ('CONCURRENT_REQUESTS = "many"', "CONCURRENT_REQUESTS='many' is not a whole number"),
])
def test_a_bad_crawl_setting_in_the_schedule_file_stops_the_service_at_start(
    setup: Setup, line: str, problem: str
) -> None:
    """It failed every crawl, on every turn, with the reason only in each crawl's log."""
    write_site(setup.sites, "http://127.0.0.1:9", 'every = "1h"')
    text = setup.schedule.read_text(encoding="utf-8")
    setup.schedule.write_text(text.replace("[settings]\n", f"[settings]\n{line}\n"))
    result = setup.refused()
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: {setup.schedule}: settings: setting {problem}"


def test_one_broken_site_config_leaves_the_other_sites_scheduled(setup: Setup) -> None:
    """A typo in one site's file stopped every site's crawls at the next restart."""
    broken = write_site(setup.sites, "http://127.0.0.1:9", 'every = "1s"\nbogus_key = 1', name="typo")
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        wait_for("the good site's run", lambda: len(setup.finished()) >= 1, setup)
        assert service.stop() == 0
    assert setup.finished()[0]["outcome"] == "ok" and setup.runs("typo") == []
    assert f"not scheduled: {broken}: bogus_key: unknown key" in service.log


def test_a_starting_scheduler_ends_the_runs_its_dead_predecessors_left(setup: Setup) -> None:
    # A crawl SIGKILLed with its scheduler stayed "running" until its site's next turn took
    # the lease: never, for a site taken off the schedule ("gone" here).
    from archive.index.leases import renew_lease, take_lease

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    setup.data.mkdir(parents=True)
    db = open_index(setup.data / "index.db")
    run_id = start_run(db, "gone", datetime.now(UTC).isoformat())
    lease = take_lease(db, "crawl:gone", 3600, pid=gone.pid)
    assert renew_lease(db, lease, 3600, run_id=run_id, child_pid=gone.pid)
    db.close()
    with DemoSite(n_articles=16) as site:
        write_site(setup.sites, site.url, 'every = "1h"')
        service = setup.start()
        ended = wait_for("the orphan run ended", lambda: [
            r for r in setup.finished("gone") if r["outcome"] == "interrupted"], setup)
        assert service.stop() == 0
    failure = json.loads(ended[0]["stats"])["newsarchive/failure"]
    assert failure.startswith("the processes holding its lease")
    assert "crawl:gone: its holder is gone" in service.log
