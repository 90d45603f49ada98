"""One scheduled run: take its lease, run `scrapy crawl` (or a task) as a subprocess, record how it ended."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from archive.index import IndexUnusable, finish_run, open_index, start_run
from archive.index.leases import (
    Lease,
    LeaseHeld,
    lease_holder,
    release_lease,
    renew_lease,
    take_lease,
)
from archive.index.runs import CrawlRun, get_run
from archive.schedule import PlannedJob
from crawler.extensions.runguard import LEASE_LOST
from crawler.session import DataDir

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The logs `keep_logs` applies to: one per run, as _crawl and _task name them.
RUN_LOGS = ("crawl-*-run*.log", "task-*-*.log")
# How often the logs are pruned: each run would list a directory of up to a month of runs.
PRUNE_EVERY = 3600.0
# What each task of config/schedule.toml runs: `newsarchive <command>` in a subprocess, so
# that a shutdown can stop it like a crawl.
TASK_COMMANDS: dict[str, list[str]] = {
    "index": ["index", "--no-progress"],
    "verify": ["verify"],
}


@dataclass(frozen=True)
class JobContext:
    """What every run needs, built once by the service."""

    data: Path                                   # absolute: the subprocesses run elsewhere
    sites: Path
    crawl_settings: list[str] = field(default_factory=list)   # NAME=VALUE for `scrapy crawl -s`
    lease_ttl: float = 60.0
    max_crawls: int = 4                          # crawls running at once; the others wait
    keep_logs: float | None = None               # seconds a run's log is kept; None: for ever
    misfire_grace_time: float | None = None      # seconds a crawl may wait for its turn

    @property
    def index(self) -> Path:
        return self.data / "index.db"

    @property
    def log_dir(self) -> Path:
        return self.data / "logs"

    def crawl_command(self, site: str, run_id: int) -> list[str]:
        command = [sys.executable, "-m", "scrapy", "crawl", site,
                   "-s", f"NEWSARCHIVE_DATA={self.data}", "-s", f"NEWSARCHIVE_SITES={self.sites}",
                   "-s", f"NEWSARCHIVE_RUN_ID={run_id}"]
        for setting in self.crawl_settings:
            command += ["-s", setting]
        return command

    def task_command(self, task: str) -> list[str]:
        return [sys.executable, "-m", "crawler.cli", *TASK_COMMANDS[task],
                "--data", str(self.data), "--sites", str(self.sites)]


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def last_line(log_path: Path, tail: int = 4096) -> str:
    """The last line of a log (read from its end: a long crawl's log runs to megabytes)."""
    try:
        with log_path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - tail))
            lines = log.read().decode("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


class JobRunner:
    """Runs planned jobs (in APScheduler's worker threads) and knows their subprocesses."""

    def __init__(self, context: JobContext):
        self.context = context
        self._lock = threading.Condition()
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._active = 0
        self._stopping = False
        self._crawling = 0                        # crawls holding one of the max_crawls turns
        self._waiting: set[str] = set()           # crawls due, waiting for a turn
        self._pruned_at: float | None = None      # time.monotonic() of the last pruning
        self._index_built = False                 # a task found no index and left one
        self._index_missing = False               # crawls are refused for want of the index
        self._index_wanted = False                # ... newly: the index task is to run now

    # -- the service's side -------------------------------------------------------------
    def stop(self) -> None:
        """Start nothing new from now on."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()              # the crawls waiting for a turn give up

    def signal_children(self, signum: int, *, group: bool = False) -> int:
        """Send a signal to every running subprocess (its whole process group with group=True)."""
        with self._lock:
            children = list(self._children.values())
        for child in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                # SIGTERM goes to the crawl alone: Scrapy stops gracefully and closes its
                # extraction workers itself. SIGKILL takes the workers down with it.
                # The crawl may have had a SIGTERM already (`systemctl stop` signals the
                # whole unit): it is sent anyway, since only the crawl can tell whether one
                # came (a `kill` of the scheduler alone reaches no crawl), and the crawl takes
                # a second SIGTERM within seconds as the same stop (RepeatedStopSignal).
                if group:
                    os.killpg(child.pid, signum)
                else:
                    child.send_signal(signum)
        return len(children)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is in progress (subprocess ended and outcome recorded)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._active == 0, timeout)

    @property
    def stopping(self) -> bool:
        with self._lock:
            return self._stopping

    @property
    def active(self) -> int:
        with self._lock:
            return self._active

    def waiting(self, job_id: str) -> bool:
        """Whether this job's run is due but waits for a turn (max_crawls are running)."""
        with self._lock:
            return job_id in self._waiting

    def index_built(self) -> bool:
        """Whether a task run found the index missing and left it built (True once): the crawls
        refused meanwhile (DataDir.problem) are to catch up."""
        with self._lock:
            built, self._index_built = self._index_built, False
            return built

    def index_wanted(self) -> bool:
        """Whether a crawl was refused for want of the index, the first time since it was
        there (True once): the index task is to build it now, not at its time."""
        with self._lock:
            wanted, self._index_wanted = self._index_wanted, False
            return wanted

    def index_asked(self) -> None:
        """The index task runs now to build the missing index: no crawl refused meanwhile
        asks for it again (nor one refused after the task failed: it waits for its time)."""
        with self._lock:
            self._index_missing = True

    # -- a run ------------------------------------------------------------------------------
    def run(self, job: PlannedJob) -> None:
        """One run of `job`; never raises (the service keeps going whatever happens)."""
        with self._lock:
            if self._stopping:
                return
            self._active += 1
        turn = False
        try:
            turn = job.kind != "crawl" or self._take_turn(job)
            if turn:
                self._run(job)
        except IndexUnusable as exc:
            logger.error("%s: not run: %s", job.id, exc)
        except sqlite3.Error as exc:
            # A full disk, an index deleted or locked under the service: one line each turn,
            # not a traceback as if the scheduler were broken; the next turn tries again.
            logger.error("%s: cannot use the index %s: %s (%s)", job.id,
                         self.context.index, exc, self._free_space())
        except OSError as exc:  # the data directory: its log, its lock, the subprocess
            logger.error("%s: %s (%s)", job.id, exc, self._free_space())
        except Exception:
            logger.exception("%s: the run failed in the scheduler itself", job.id)
        finally:
            with self._lock:
                self._active -= 1
                if turn and job.kind == "crawl":
                    self._crawling -= 1
                self._lock.notify_all()

    def _free_space(self) -> str:
        try:
            return f"{shutil.disk_usage(self.context.data).free:,} bytes free on its disk"
        except OSError as exc:
            return f"its disk: {exc.strerror}"

    def _take_turn(self, job: PlannedJob) -> bool:
        """Wait until fewer than max_crawls crawls run and count this one in; False on a stop."""
        limit = self.context.max_crawls
        with self._lock:
            if self._crawling >= limit and not self._stopping:
                logger.info("%s: waiting for its turn: %d crawls are running (max_crawls)",
                            job.id, self._crawling)
                self._waiting.add(job.id)
                try:
                    # As late as APScheduler lets a run start (a busy machine), and no later.
                    turn = self._lock.wait_for(lambda: self._crawling < limit or self._stopping,
                                               self.context.misfire_grace_time)
                finally:
                    self._waiting.discard(job.id)
                if not turn:
                    logger.warning("%s: skipped: it waited for its turn longer than "
                                   "misfire_grace_time", job.id)
                    return False
            if self._stopping:
                return False
            self._crawling += 1
            return True

    def _run(self, job: PlannedJob) -> None:
        # Before opening the index for the lease, which would create a deleted one empty.
        problem = DataDir(self.context.data).problem() if job.kind == "crawl" else None
        with self._lock:
            if problem and not self.context.index.exists():  # DataDir.missing_index
                self._index_wanted |= not self._index_missing
                self._index_missing = True
            elif job.kind == "crawl":
                self._index_missing = False
        if problem:
            logger.error("%s: not run: %s", job.id, problem)
            return
        if job.kind != "crawl" and not self.context.index.exists():
            # No index to hold a lease in: opening one would create it empty, and the crawls
            # due meanwhile would take it for built (DataDir.problem). `newsarchive index`
            # builds it beside and moves it in place whole, one index run at a time (index_lock).
            self._task(None, job, None)
            if self.context.index.exists():
                with self._lock:
                    self._index_built, self._index_missing = True, False
            return
        db = open_index(self.context.index)
        try:
            try:
                lease = take_lease(db, job.id, self.context.lease_ttl)
            except LeaseHeld as held:
                logger.warning("%s: skipped, still running elsewhere (%s)", job.id, held.holder.owner)
                return
            try:
                if job.kind == "crawl":
                    self._crawl(db, job, lease)
                else:
                    self._task(db, job, lease)
            finally:
                release_lease(db, lease)
        finally:
            db.close()

    def _prune_logs(self) -> None:
        """Remove the run logs not written for keep_logs (at most once every PRUNE_EVERY)."""
        keep = self.context.keep_logs
        with self._lock:
            now = time.monotonic()
            if keep is None or (self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY):
                return
            self._pruned_at = now
        cutoff = time.time() - keep
        removed = 0
        for pattern in RUN_LOGS:
            for path in self.context.log_dir.glob(pattern):
                # A running crawl's log is written as it goes: its mtime is recent.
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        if removed:
            logger.info("removed %d run log(s) of %s not written for %s (keep_logs)",
                        removed, self.context.log_dir, timedelta(seconds=keep))

    def _spawn(self, job: PlannedJob, command: list[str], log_path: Path) -> subprocess.Popen[bytes] | None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._prune_logs()
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        with self._lock:
            if self._stopping:
                return None
            with log_path.open("ab") as log:
                # A session of its own: Ctrl-C in the terminal reaches the scheduler only, which
                # sends one SIGTERM. A second signal would make Scrapy stop uncleanly.
                child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self._children[job.id] = child
        return child

    def _wait(self, db: sqlite_utils.Database | None, job: PlannedJob, lease: Lease | None,
              child: subprocess.Popen[bytes], run_id: int | None = None) -> tuple[int, bool]:
        """Wait for the subprocess, renewing the lease (if it has one): its return code, and
        whether the lease was lost meanwhile (the subprocess was then told to stop)."""
        renew_every = max(0.5, self.context.lease_ttl / 4)
        lost = False
        # Noted at every renewal, not the first only: a busy index then (logged, retried)
        # left the lease without them for good, and the crawl, seeing a lease not naming its
        # run, recorded a stop of the service lease_lost (RunGuard), never run again.
        noted = {"child_pid": child.pid, "run_id": run_id}
        try:
            kept = self._renew(db, job, lease, **noted)
            while True:
                if not kept and not lost:
                    # Somebody else holds it now and may run the job already: two crawls of
                    # one site must not run on. Stopped cleanly, as a crawl started by hand
                    # stops itself (RunGuard); ours ran on, an error logged at each renewal.
                    lost = True
                    with contextlib.suppress(ProcessLookupError):
                        child.send_signal(signal.SIGTERM)
                try:
                    returncode = child.wait(timeout=renew_every)
                    break
                except subprocess.TimeoutExpired:
                    if not lost:
                        kept = self._renew(db, job, lease, **noted)
        finally:
            with self._lock:
                self._children.pop(job.id, None)
        if returncode != 0:
            # Whatever the crawl left behind (extraction workers) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
        return returncode, lost

    def _renew(self, db: sqlite_utils.Database | None, job: PlannedJob, lease: Lease | None,
               **noted: int | None) -> bool:
        """Extend the lease; False (logged) when it is no longer ours."""
        if db is None or lease is None:
            return True
        try:
            if renew_lease(db, lease, self.context.lease_ttl, **noted):
                return True
            holder = lease_holder(db, lease.name)
        except sqlite3.OperationalError as exc:
            # A busy index must not make us lose track of a running crawl: retry next time.
            logger.warning("%s: could not renew its lease (%s)", job.id, exc)
            return True
        logger.error("%s: lost its lease to %s: stopping it", job.id,
                     holder.owner if holder else "nobody (its row was deleted)")
        return False

    def _lease_lost(self, db: sqlite_utils.Database, run_id: int, returncode: int) -> None:
        """Record the run `lease_lost` unless the crawl did (RunGuard, seeing the lease gone,
        in its row and its WARC record alike), with the stats it recorded (as `interrupted`,
        where it could not read the lease): a run so recorded would run again at the service's
        next start."""
        row = db.execute("select stats, outcome from crawl_runs where id = ?", [run_id]).fetchone()
        if row and row[1] == LEASE_LOST:
            return  # rewritten, the row would differ from the run's WARC record
        stats = json.loads(row[0]) if row and row[0] else {}
        finish_run(db, run_id, datetime.now(UTC).isoformat(), LEASE_LOST,
                   {**stats, "newsarchive/outcome": LEASE_LOST, "newsarchive/exit_code": returncode,
                    "newsarchive/failure": "its scheduler lost the lease: stopped"})

    def _crawl(self, db: sqlite_utils.Database, job: PlannedJob, lease: Lease) -> None:
        site = job.target
        run_id = start_run(db, site, datetime.now(UTC).isoformat())
        log_path = self.context.log_dir / f"crawl-{site}-run{run_id}.log"
        began = time.monotonic()
        try:
            child = self._spawn(job, self.context.crawl_command(site, run_id), log_path)
        except OSError as exc:
            finish_run(db, run_id, datetime.now(UTC).isoformat(), "failed",
                       {"newsarchive/failure": f"could not start the crawl: {exc}"})
            raise
        if child is None:
            finish_run(db, run_id, datetime.now(UTC).isoformat(), "interrupted",
                       {"newsarchive/failure": "the scheduler stopped before the crawl started"})
            return
        logger.info("%s: run %d started (pid %d, log %s)", job.id, run_id, child.pid, log_path)
        returncode, lost = self._wait(db, job, lease, child, run_id)
        if lost:
            self._lease_lost(db, run_id, returncode)
            self._log_end(job, get_run(db, run_id), describe_exit(returncode),
                          time.monotonic() - began, log_path)
            return
        run = get_run(db, run_id)
        if run is None or run.running:
            # The crawl died before RunGuard recorded its end: killed, crashed, or stopped by our
            # own shutdown before Scrapy had its signal handlers up.
            failure = describe_exit(returncode) if returncode else "exited without recording its end"
            outcome = "failed"
            said = last_line(log_path) if returncode > 0 else ""
            if said and not self.stopping:
                # A crawl that refuses to start (its site's config broken or removed while the
                # service runs) says why last: the reason was only in the run's own log file.
                failure = f"{failure}: {said}"
            if self.stopping:
                # Whatever its exit status: a crawl the stop cut short did not make its crawl and
                # runs again at start. A stop reaches a crawl in more ways than our own SIGTERM
                # (systemd signals it too; Scrapy then exits 1), and `failed` was never rerun.
                outcome, failure = "interrupted", f"{failure} when the scheduler stopped"
            finish_run(db, run_id, datetime.now(UTC).isoformat(), outcome,
                       {"newsarchive/failure": failure, "newsarchive/exit_code": returncode})
            self._log_end(job, get_run(db, run_id), failure, time.monotonic() - began, log_path)
            return
        self._log_end(job, run, describe_exit(returncode), time.monotonic() - began, log_path)

    def _log_end(self, job: PlannedJob, run: CrawlRun | None, how: str, seconds: float,
                 log_path: Path) -> None:
        if run is None:
            logger.error("%s: run vanished from crawl_runs (%s)", job.id, how)
            return
        level = logging.INFO if run.outcome == "ok" else logging.WARNING
        counts = "" if run.pages is None else (
            f"; {run.pages} pages, {run.articles or 0} articles, {run.errors or 0} errors")
        logger.log(level, "%s: run %d ended: %s%s in %.1f s (%s%s)", job.id, run.id, run.outcome,
                   counts, seconds, how, "" if run.outcome == "ok" else f", log {log_path}")

    def _task(self, db: sqlite_utils.Database | None, job: PlannedJob, lease: Lease | None) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        log_path = self.context.log_dir / f"task-{job.target}-{stamp}.log"
        began = time.monotonic()
        child = self._spawn(job, self.context.task_command(job.kind), log_path)
        if child is None:
            return
        logger.info("%s: %s started (pid %d, log %s)", job.id, job.kind, child.pid, log_path)
        returncode, _ = self._wait(db, job, lease, child)
        level = logging.INFO if returncode == 0 else logging.WARNING
        # Its last line is one problem of however many (an index or verify that found some
        # exits 1, every turn until they are dealt with): the log holds them all.
        logger.log(level, "%s: %s ended in %.1f s (%s%s): %s", job.id, job.kind,
                   time.monotonic() - began, describe_exit(returncode),
                   "" if returncode == 0 else f", log {log_path}", last_line(log_path))
