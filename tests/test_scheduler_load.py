"""A service running many sites for months: how many crawls run at once, what piles up."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from archive.index import open_index
from archive.schedule import PlannedJob, load_schedule
from crawler.jobs import JobContext, JobRunner
from tests.test_disk_full import small_disk as small_disk  # the fixture  # noqa: F401

# A stand-in crawl that notes when it runs (one file per run, in the directory given).
NOTES_ITS_RUN = (
    "import pathlib, sys, time\n"
    "notes = pathlib.Path(sys.argv[1])\n"
    "(notes / f'{sys.argv[2]}.start').write_text(repr(time.monotonic()))\n"
    "time.sleep(0.6)\n"
    "(notes / f'{sys.argv[2]}.end').write_text(repr(time.monotonic()))\n"
)


class _NotingContext(JobContext):
    def crawl_command(self, site: str, run_id: int) -> list[str]:
        return [sys.executable, "-c", NOTES_ITS_RUN, str(self.data / "notes"), site]


def _most_at_once(notes: Path) -> int:
    """The largest number of stand-in crawls that were running at the same moment."""
    spans = [(float((notes / f"{p.stem}.start").read_text()), float(p.read_text()))
             for p in notes.glob("*.end")]
    return max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)


def _start_crawls(
    data: Path, sites_dir: Path, *, sites: int, max_crawls: int
) -> tuple[JobRunner, list[threading.Thread]]:
    """`sites` stand-in crawls all due at once, each started on its own thread as the
    scheduler starts them."""
    (data / "notes").mkdir(parents=True)
    runner = JobRunner(_NotingContext(data, sites_dir, lease_ttl=6, max_crawls=max_crawls))
    jobs = [PlannedJob(f"crawl:s{n}", "crawl", f"s{n}", None, timedelta(hours=1)) for n in range(sites)]
    workers = [threading.Thread(target=runner.run, args=[job]) for job in jobs]
    for worker in workers:
        worker.start()
    return runner, workers


def test_crawls_due_together_run_at_most_max_crawls_at_once(tmp_path: Path) -> None:
    """Thirty sites due in the same minute started thirty `scrapy crawl`s (each with its own
    extraction workers) at once, on a 2-core machine: a thread per job, nothing bounding them."""
    data = tmp_path / "data"
    runner, workers = _start_crawls(data, tmp_path / "sites", sites=6, max_crawls=2)
    for worker in workers:
        worker.join(60)
    assert not any(worker.is_alive() for worker in workers)
    assert len(list((data / "notes").glob("*.end"))) == 6  # every crawl ran, in turn
    assert _most_at_once(data / "notes") == 2


def test_a_stop_ends_the_crawls_waiting_for_their_turn_without_starting_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner, workers = _start_crawls(data, tmp_path / "sites", sites=3, max_crawls=1)
    deadline = time.monotonic() + 30
    while not list((data / "notes").glob("*.start")):
        assert time.monotonic() < deadline, "no stand-in crawl started"
        time.sleep(0.02)
    runner.stop()
    for worker in workers:
        worker.join(30)
    assert not any(worker.is_alive() for worker in workers)
    assert len(list((data / "notes").glob("*.start"))) == 1


def test_max_crawls_is_read_from_the_schedule_file(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text("[scheduler]\nmax_crawls = 3\n", encoding="utf-8")
    assert load_schedule(path).scheduler.max_crawls == 3
    assert load_schedule(None).scheduler.max_crawls == 4


def _run_one(runner: JobRunner, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="crawler.jobs"):
        runner.run(PlannedJob("crawl:s1", "crawl", "s1", None, timedelta(hours=1)))
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_index_made_unusable_under_the_service_is_one_line_per_turn(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Each turn logged a 24-line traceback ending in sqlite3.OperationalError, as a bug of the
    scheduler itself ("the run failed in the scheduler itself")."""
    data = tmp_path / "data"
    (data / "index.db").mkdir(parents=True)
    runner = JobRunner(_NotingContext(data, tmp_path / "sites", lease_ttl=6))
    [error] = _run_one(runner, caplog)
    assert error.exc_info is None
    assert error.getMessage().startswith(f"crawl:s1: not run: {data / 'index.db'} cannot be used")


def test_a_full_disk_is_one_line_per_turn_and_the_service_goes_on(
        small_disk: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = small_disk / "data"
    (data / "notes").mkdir(parents=True)
    runner = JobRunner(_NotingContext(data, small_disk / "sites", lease_ttl=6))
    free = shutil.disk_usage(small_disk).free
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * free)  # tmpfs: every byte is taken
    [error] = _run_one(runner, caplog)
    assert error.exc_info is None
    message = error.getMessage()
    assert message.startswith(f"crawl:s1: cannot use the index {data / 'index.db'}: ")
    assert message.endswith("(0 bytes free on its disk)"), message
    filler.unlink()
    assert _run_one(runner, caplog) == []  # the next turn runs
    assert list((data / "notes").glob("s1.end"))


def test_run_logs_older_than_keep_logs_are_removed(tmp_path: Path) -> None:
    """Every run writes DATA/logs/crawl-<site>-run<N>.log and nothing ever removed one: thirty
    sites every ten minutes leave 130,000 files a month (5 KB each at the least)."""
    data = tmp_path / "data"
    logs = data / "logs"
    (data / "notes").mkdir(parents=True)
    logs.mkdir()
    old = [logs / "crawl-gone-run5.log", logs / "task-index-20260101T000000.log"]
    kept = [logs / "crawl-gone-run6.log", logs / "operator-notes.log"]
    for path in old + kept:
        path.write_text("a log\n")
    two_days_ago = time.time() - 2 * 86400
    for path in [*old, logs / "operator-notes.log"]:
        os.utime(path, (two_days_ago, two_days_ago))
    runner = JobRunner(_NotingContext(data, tmp_path / "sites", lease_ttl=6, keep_logs=86400))
    runner.run(PlannedJob("crawl:s1", "crawl", "s1", None, timedelta(hours=1)))
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in kept)  # recent, or not a run's log
    assert (logs / "crawl-s1-run1.log").exists()  # this run's


def test_keep_logs_is_read_from_the_schedule_file(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text('[scheduler]\nkeep_logs = "90d"\n', encoding="utf-8")
    assert load_schedule(path).scheduler.keep_logs == "90d"
    assert load_schedule(None).scheduler.keep_logs == "30d"


class _RefusedContext(JobContext):
    def crawl_command(self, site: str, run_id: int) -> list[str]:
        # What `scrapy crawl` prints, last, for a site config broken while the service runs.
        return [sys.executable, "-c",
                "import sys; print('Scrapy started\\nnewsarchive: s1.toml: bogus: unknown key');"
                " sys.exit(2)"]


def test_a_crawl_that_refuses_to_start_says_why_in_its_run_and_the_service_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A site config broken while the service runs failed each turn as 'exited with status 2',
    in crawl_runs and in the service's log: the reason was only in the run's own log file."""
    data = tmp_path / "data"
    runner = JobRunner(_RefusedContext(data, tmp_path / "sites", lease_ttl=6))
    with caplog.at_level(logging.INFO, logger="crawler.jobs"):
        runner.run(PlannedJob("crawl:s1", "crawl", "s1", None, timedelta(hours=1)))
    db = open_index(data / "index.db")
    try:
        [stats] = [json.loads(row[0]) for row in db.execute("select stats from crawl_runs")]
    finally:
        db.close()
    reason = "exited with status 2: newsarchive: s1.toml: bogus: unknown key"
    assert stats["newsarchive/failure"] == reason
    assert "run 1 ended: failed in" in caplog.text and reason in caplog.text


def test_a_crawl_waits_for_an_index_deleted_under_the_service(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The service opened (so created) an empty index.db for the lease, and the crawl then took
    every archived article for new and fetched and archived it all again."""
    data = tmp_path / "data"
    (data / "notes").mkdir(parents=True)
    (data / "warc").mkdir()
    (data / "warc" / "newsarchive-s1-20260101000000000-00000-host-1.warc.gz").write_bytes(b"")
    runner = JobRunner(_NotingContext(data, tmp_path / "sites", lease_ttl=6))
    [error] = _run_one(runner, caplog)
    assert error.getMessage() == (
        f"crawl:s1: not run: {data / 'index.db'} is missing but {data / 'warc'} holds 1 WARC "
        "file(s): run `newsarchive index` to build it from them first")
    assert not (data / "index.db").exists()
    assert not list((data / "notes").glob("*"))


def test_a_crawl_waiting_longer_than_misfire_grace_time_is_skipped(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """misfire_grace_time says how late a run may start (a busy machine): a crawl that waited
    for its turn longer than that still started, however late."""
    data = tmp_path / "data"
    (data / "notes").mkdir(parents=True)
    runner = JobRunner(_NotingContext(data, tmp_path / "sites", lease_ttl=6, max_crawls=1,
                                      misfire_grace_time=0.2))
    jobs = [PlannedJob(f"crawl:s{n}", "crawl", f"s{n}", None, timedelta(hours=1)) for n in range(2)]
    with caplog.at_level(logging.INFO, logger="crawler.jobs"):
        first = threading.Thread(target=runner.run, args=[jobs[0]])
        first.start()
        deadline = time.monotonic() + 30
        while not (data / "notes" / "s0.start").exists():
            assert time.monotonic() < deadline, "the first stand-in crawl did not start"
            time.sleep(0.02)
        runner.run(jobs[1])  # waits for its turn, then gives up
        first.join(30)
    assert not (data / "notes" / "s1.start").exists()
    assert "crawl:s1: skipped: it waited for its turn longer than misfire_grace_time" in caplog.text


# A stand-in task that notes what a crawl starting at that moment would be told.
NOTES_WHAT_A_CRAWL_SEES = (
    "import pathlib, sys\n"
    "from crawler.session import DataDir\n"
    "pathlib.Path(sys.argv[1]).write_text(repr(DataDir(pathlib.Path(sys.argv[2])).problem()))\n"
)


class _NotingTaskContext(JobContext):
    def task_command(self, task: str) -> list[str]:
        return [sys.executable, "-c", NOTES_WHAT_A_CRAWL_SEES, str(self.data / "seen"), str(self.data)]


def _archive_without_index(tmp_path: Path) -> Path:
    """A data directory whose index.db was deleted: its WARC files remain."""
    from tests.index_docs import Crawl, metadata

    data = tmp_path / "data"
    crawl = Crawl(data / "warc", None)
    crawl.fetch("/news/storm", meta=metadata("/news/storm"))
    crawl.writer.close()
    return data


def test_an_index_task_builds_a_deleted_index_without_opening_it_to_the_crawls(tmp_path: Path) -> None:
    """The service opened (so created) index.db empty for the index task's lease: until the
    task had indexed every WARC file, a crawl due meanwhile took the index for built and
    archived again every article not indexed yet."""
    data = _archive_without_index(tmp_path)
    runner = JobRunner(_NotingTaskContext(data, tmp_path / "sites", lease_ttl=6))
    runner.run(PlannedJob("index:index", "index", "index", None, timedelta(hours=1)))
    assert "is missing but" in (data / "seen").read_text()  # a crawl is still refused
    assert not (data / "index.db").exists()


def test_a_restarted_service_does_not_create_a_deleted_index(tmp_path: Path) -> None:
    """Its first look at the index (stale leases, the runs to catch up) created it empty, and
    every crawl then took every archived article for new."""
    from crawler.scheduler import SchedulerService
    from tests.test_scheduler import write_site

    data = _archive_without_index(tmp_path)
    write_site(tmp_path / "sites", "http://127.0.0.1:9", 'every = "1h"')
    service = SchedulerService(data, tmp_path / "sites", None)
    service._add_jobs(service.scheduler)
    assert [job.id for job in service.scheduler.get_jobs()] == ["crawl:demo"]
    assert not (data / "index.db").exists()


def test_newsarchive_index_puts_a_missing_index_in_place_only_when_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in place, a half-built index.db was there for a crawl to take for built."""
    from click.testing import CliRunner

    import archive.index.replace
    from archive.index.rebuild import index_warc_directory
    from crawler.cli import main
    from crawler.session import DataDir

    data = _archive_without_index(tmp_path)
    seen: list[str | None] = []

    def noting(*args: object, **kwargs: object) -> object:
        seen.append(DataDir(data).problem())
        return index_warc_directory(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archive.index, "index_warc_directory", noting)
    monkeypatch.setattr(archive.index.replace, "index_warc_directory", noting)
    result = CliRunner().invoke(main, ["index", "--no-progress", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert seen and all(problem and "is missing but" in problem for problem in seen)
    assert DataDir(data).problem() is None
    db = open_index(data / "index.db")
    try:
        assert db.table("captures").count == 1
    finally:
        db.close()


def test_a_task_that_found_problems_names_its_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Regression (operator bug hunt): a WARC file left where `newsarchive index` does not
    read it (uncompressed, or in a subfolder) makes the index task that finds it exit 1; the
    service logged the last of its problems alone, and not the log that holds them all, as
    it does for a crawl that did not end ok."""
    data = _archive_without_index(tmp_path)
    (data / "warc" / "gunzipped.warc").write_bytes(b"WARC/1.1\r\n")
    (data / "warc" / "2025").mkdir()
    shutil.copy(next((data / "warc").glob("*.warc.gz")), data / "warc" / "2025")
    runner = JobRunner(JobContext(data, tmp_path / "sites", lease_ttl=6))
    with caplog.at_level(logging.INFO, logger="crawler.jobs"):
        runner.run(PlannedJob("task:index", "index", "index", None, timedelta(hours=6)))
    (log,) = (data / "logs").glob("task-index-*.log")
    ended = [r for r in caplog.records if "index ended" in r.getMessage()]
    assert [r.levelno for r in ended] == [logging.WARNING]
    assert ended[0].getMessage().startswith("task:index: index ended in ")
    assert f"(exited with status 1, log {log}): problem: " in ended[0].getMessage()
    assert "gunzipped.warc" in log.read_text() and "2025/" in log.read_text()
