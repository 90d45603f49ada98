"""`newsarchive schedule`: the long-lived service that starts each due crawl and task on APScheduler 3."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from archive.config import ConfigError, parse_duration, read_sites
from archive.index import IndexUnusable, open_index
from archive.index.leases import sweep_stale_leases
from archive.index.runs import (
    MAX_INTERRUPTED_IN_A_ROW,
    interrupted_in_a_row,
    interrupted_last,
    last_started,
)
from archive.schedule import PlannedJob, ScheduleFile, first_run, load_schedule, plan_jobs
from crawler.jobs import JobContext, JobRunner
from crawler.runner import SettingsError, crawl_settings
from crawler.session import DataDir
from crawler.settings_check import settings_problems

logger = logging.getLogger(__name__)

# After SIGKILL, how long the runs get to record their outcome before the service exits anyway.
RECORD_TIMEOUT = 30.0


class SchedulerService:
    """Plans the jobs from the site configs and the schedule file, runs them until a signal."""

    def __init__(self, data: Path, sites: Path, schedule_file: Path | None):
        self.schedule: ScheduleFile = load_schedule(schedule_file)
        # The crawl settings are checked now: a bad value failed every crawl, on every turn,
        # with the reason only in each crawl's log.
        # As the crawls get them: text after `-s NAME=`, where a TOML 1000000.5 or true
        # passed as a number and failed every crawl as "1000000.5" or "True".
        passed = dict(s.split("=", 1) for s in self.schedule.scrapy_settings())
        try:
            problems = settings_problems(crawl_settings(data, sites, passed))
        except SettingsError as exc:
            problems = [str(exc)]
        if problems:
            raise ConfigError(f"{schedule_file}: settings: {'; '.join(problems)}")
        # One site's broken config leaves that site unscheduled (logged at start), not every
        # site: a typo in one file stopped the whole archive at the next restart.
        good, self.broken = read_sites(sites)
        self.jobs: list[PlannedJob] = plan_jobs(good, self.schedule)
        if self.broken and not self.jobs:
            raise next(iter(self.broken.values()))
        if not self.jobs:
            raise ConfigError(
                f"{sites}: nothing to schedule: give a site `schedule` (cron) or `every` (e.g. '2h'), "
                f"or add [jobs.<name>] to {schedule_file or 'a schedule file'}"
            )
        options = self.schedule.scheduler
        self.shutdown_timeout = parse_duration(options.shutdown_timeout).total_seconds()
        self.context = JobContext(data.resolve(), sites.resolve(), self.schedule.scrapy_settings(),
                                  parse_duration(options.lease_ttl).total_seconds(),
                                  options.max_crawls,
                                  parse_duration(options.keep_logs).total_seconds(),
                                  self._grace_seconds())
        self.runner = JobRunner(self.context)
        self._stop = threading.Event()
        self._force = threading.Event()
        # Built now, not in run(): a time zone that cannot be used is a start-up error with a
        # one-line message, like every other problem found here.
        self.scheduler = self._scheduler(schedule_file)

    def _grace_seconds(self) -> float | None:
        grace = self.schedule.scheduler.misfire_grace_time
        return parse_duration(grace).total_seconds() if grace else None

    def _scheduler(self, schedule_file: Path | None) -> BackgroundScheduler:
        try:
            return BackgroundScheduler(
                timezone=self.schedule.scheduler.timezone,
                # A thread per job: a run never waits for a free worker (and so never "misfires").
                executors={"default": ThreadPoolExecutor(max_workers=len(self.jobs))},
                job_defaults={
                    # One run per job in this process (the lease covers other processes); runs
                    # missed meanwhile collapse into one instead of queueing up.
                    "max_instances": 1,
                    "coalesce": True,
                    "misfire_grace_time": self._grace_seconds(),
                },
            )
        except (LookupError, ValueError) as exc:
            # The zone, unset, is the machine's as tzlocal reads it, and tzlocal refuses a POSIX
            # TZ such as TZ=UTC0 (ZoneInfoNotFoundError, a LookupError) or a TZ path it cannot
            # use (ValueError). A zone set in the file was checked when the file was read.
            # args[0]: str() of a KeyError is its repr, quotes and a "\n" in it.
            reason = " ".join(str(exc.args[0] if exc.args else exc).split())
            raise ConfigError(
                f"cannot tell the machine's time zone ({reason}): set [scheduler] timezone "
                f"(e.g. 'UTC') in {schedule_file or 'a schedule file (--schedule-file)'}"
            ) from None

    def _history(self, *, sweep: bool = True) -> tuple[dict[str, datetime], set[str]]:
        """When each site's crawl last started, and the sites whose last crawl was cut short;
        stale leases are swept on the way (at start: later, the leases are ours)."""
        if not self.context.index.exists():
            # Deleted (or never built): nothing to sweep or catch up from, and opening it would
            # create it empty, which the crawls would then take for built (DataDir.problem).
            missing = DataDir(self.context.data).missing_index()
            if missing:
                logger.warning("crawls are not run: %s", missing)
            return {}, set()
        db = open_index(self.context.index)
        try:
            for lease in sweep_stale_leases(db, starting_pid=os.getpid()) if sweep else ():
                ended = f"; run {lease.run_id} recorded as interrupted" if lease.run_id else ""
                logger.warning("%s: its holder is gone (%s)%s", lease.name, lease.owner, ended)
            for site in sorted(interrupted_in_a_row(db)):
                logger.warning("%s: its last %d runs were interrupted: not run again at start (a "
                               "crawl killed with its service each time?); it waits for its schedule",
                               site, MAX_INTERRUPTED_IN_A_ROW)
            return last_started(db), interrupted_last(db)
        finally:
            db.close()

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; then stop the running jobs cleanly. The exit status."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        scheduler = self.scheduler
        scheduler.add_listener(self._on_event,
                               EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_EXECUTED)
        for problem in self.broken.values():
            logger.error("not scheduled: %s", problem)
        self._add_jobs(scheduler)
        scheduler.start()
        for job in scheduler.get_jobs():
            logger.info("%s: %s, next run %s", job.id, job.name, job.next_run_time)
        while not self._stop.wait(1.0):
            pass
        self.runner.stop()
        scheduler.shutdown(wait=False)
        self._stop_running()
        logger.info("scheduler stopped")
        # Nothing is left to stop. Python gives its handlers' signals their default action back
        # as it exits, and a second Ctrl-C or SIGTERM landing then killed the process: exit
        # status 130 or 143 after a clean stop. (Python leaves an ignored signal ignored.)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        return 0

    def _add_jobs(self, scheduler: BackgroundScheduler) -> None:
        started, interrupted = self._history()
        now = datetime.now(scheduler.timezone)
        for job in self.jobs:
            trigger, at_once = self._first_run(job, started, interrupted, now)
            extra: dict[str, Any] = {} if at_once is None else {"next_run_time": at_once}
            if job.kind == "index" and DataDir(self.context.data).missing_index():
                # The crawls wait for it (DataDir.problem): not until its time (6 h as shipped).
                # A new data directory has nothing to build it from: the first crawl makes it.
                extra["next_run_time"] = now
                logger.info("%s: the index is missing: building it now", job.id)
                self.runner.index_asked()
            scheduler.add_job(self.runner.run, trigger, args=[job], id=job.id, name=job.timing,
                              **extra)

    def _first_run(self, job: PlannedJob, started: dict[str, datetime], interrupted: set[str],
                   now: datetime) -> tuple[BaseTrigger, datetime | None]:
        """The job's trigger, and `now` when a crawl is to run at once (logged why)."""
        # Only crawls have a history (crawl_runs) to catch up from; tasks wait for their time.
        last = started.get(job.target) if job.kind == "crawl" else None
        cut = job.kind == "crawl" and job.target in interrupted
        first = first_run(job, last, now, self.scheduler.timezone, interrupted=cut)
        if job.kind != "crawl" or first.missed is None:
            return first.trigger, None
        if last is None:
            logger.info("%s: never crawled: crawling now", job.id)
        elif cut:
            logger.info("%s: its last run (started %s) was interrupted: running it again now",
                        job.id, last.isoformat(timespec="seconds"))
        else:
            logger.info("%s: a run due at %s was missed (last run started %s): running it now, "
                        "once", job.id, first.missed.isoformat(timespec="seconds"),
                        last.isoformat(timespec="seconds"))
        return first.trigger, now

    def _catch_up(self) -> None:
        """A task found the index missing and left it built (the index task, at start): the
        crawls catch up from the history it holds, as at start. Until then they were refused
        (DataDir.problem) and, judged from no history at all, waited for their next time:
        2 h after the index was built for `every = "2h"`, midnight for a `@daily` run missed."""
        if self._stop.is_set():
            return
        logger.info("the index is built: the crawls catch up from its history")
        try:
            # Not swept: the leases in it now are this service's own runs.
            started, interrupted = self._history(sweep=False)
        except (IndexUnusable, sqlite3.Error) as exc:
            logger.error("cannot read the crawls' history from %s: %s: they run at their time",
                         self.context.index, exc)
            return
        now = datetime.now(self.scheduler.timezone)
        for job in self.jobs:
            if job.kind == "crawl":
                trigger, at_once = self._first_run(job, started, interrupted, now)
                next_run = at_once or trigger.get_next_fire_time(None, now)
                try:
                    self.scheduler.modify_job(job.id, trigger=trigger, next_run_time=next_run)
                except JobLookupError:
                    # A stop came while the history was read: the scheduler shut down has no
                    # jobs to modify, and a traceback in the listener marred a clean stop.
                    return
                if at_once is None:
                    logger.info("%s: %s, next run %s", job.id, job.timing, next_run)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            self._force.set()
            return
        self._stop.set()

    def _on_event(self, event: SchedulerEvent) -> None:
        if isinstance(event, JobSubmissionEvent) and event.code == EVENT_JOB_MAX_INSTANCES:
            due = ", ".join(t.isoformat(timespec="seconds") for t in event.scheduled_run_times)
            still = ("still waits for its turn (max_crawls)" if self.runner.waiting(event.job_id)
                     else "is still going")
            logger.warning("%s: run due at %s skipped: the previous run %s", event.job_id, due, still)
        elif isinstance(event, JobExecutionEvent) and event.code == EVENT_JOB_MISSED:
            logger.warning("%s: run due at %s skipped: it came later than misfire_grace_time",
                           event.job_id, event.scheduled_run_time.isoformat(timespec="seconds"))
        elif event.code == EVENT_JOB_EXECUTED:
            if self.runner.index_wanted():
                self._build_index()
            if self.runner.index_built():
                self._catch_up()

    def _build_index(self) -> None:
        """A crawl was refused: the index is gone (deleted under the service). The index task
        builds it now; at its time (6 h as shipped) every crawl until then was refused."""
        now = datetime.now(self.scheduler.timezone)
        for job in self.jobs:
            if job.kind == "index" and not self._stop.is_set():
                try:
                    self.scheduler.modify_job(job.id, next_run_time=now)
                except JobLookupError:  # stopped meanwhile, as in _catch_up
                    return
                self.runner.index_asked()
                logger.info("%s: the index is missing: building it now", job.id)

    def _stop_running(self) -> None:
        """SIGTERM to every running subprocess, SIGKILL to what is left after the timeout."""
        if not self.runner.active:
            return
        sent = self.runner.signal_children(signal.SIGTERM)
        logger.info("stopping: sent SIGTERM to %d running job(s); waiting up to %.0f s",
                    sent, self.shutdown_timeout)
        deadline = time.monotonic() + self.shutdown_timeout
        while time.monotonic() < deadline and not self._force.is_set():
            if self.runner.wait_idle(min(0.1, max(0.0, deadline - time.monotonic()))):
                return
        killed = self.runner.signal_children(signal.SIGKILL, group=True)
        logger.warning("stopping: %s; sent SIGKILL to %d job(s)",
                       "asked twice" if self._force.is_set() else
                       f"still running after {self.shutdown_timeout:.0f} s", killed)
        if not self.runner.wait_idle(RECORD_TIMEOUT):
            logger.error("stopping: %d run(s) did not record their end", self.runner.active)
