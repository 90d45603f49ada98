"""Leases in the index database: one scheduled run of a crawl (or task) at a time, across processes."""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.index.database import transaction
from archive.index.runs import finish_run


@dataclass(frozen=True)
class Lease:
    """A row of `job_leases`: who runs `name` now, and until when it counts without renewal."""

    name: str
    token: str
    host: str
    pid: int
    child_pid: int | None
    run_id: int | None
    acquired: str
    expires: float

    @property
    def owner(self) -> str:
        # The holder is a scheduler (its crawl's pid noted once spawned) or a crawl started
        # by hand (scrapy crawl, newsarchive crawl): "scheduler pid" misnamed the second.
        # (A crawl started by hand notes its own pid as the crawl's: not repeated.)
        child = f", its crawl pid {self.child_pid}" if self.child_pid not in (None, self.pid) else ""
        return f"pid {self.pid} on {self.host}{child}, since {self.acquired}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Lease:
        return cls(**{key: row[key] for key in cls.__dataclass_fields__})


class LeaseHeld(Exception):
    """Somebody else runs it now."""

    def __init__(self, holder: Lease):
        super().__init__(f"{holder.name} is leased to {holder.owner}")
        self.holder = holder


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: it exists
        return True
    return True


# How far a process's start time, as /proc gives it (boot time in whole seconds), may be off.
_START_SLACK = 5.0


def _started_at(pid: int) -> float | None:
    """When process `pid` started (unix time), where /proc tells (Linux); else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        # Field 22, starttime, in clock ticks since boot; the name before ")" may hold spaces.
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, IndexError, ValueError):
        return None


def _runs_for(lease: Lease, pid: int | None) -> bool:
    """Whether `pid` is alive and may be the lease's process. Its holder renewed the lease
    after the process started, so one started after the lease ran out has its pid reused: a
    reboot after a power cut, an index restored from a backup taken while a crawl ran."""
    if pid is None or not pid_alive(pid):
        return False
    started = _started_at(pid)
    return started is None or started <= lease.expires + _START_SLACK


def is_stale(lease: Lease, now: float, host: str, *, starting_pid: int | None = None) -> bool:
    """May the lease be taken over?

    On another host only expiry tells. On this one the processes tell more: a lease whose
    scheduler and crawl are both gone is free at once (the scheduler was killed), and one
    whose crawl still runs is not, even expired (its scheduler died, the orphan crawl goes
    on and must not get a twin). `starting_pid` is a process that holds no lease yet (a
    scheduler starting): a lease naming it was a predecessor's that had the same pid.
    """
    if lease.host != host:
        return lease.expires < now

    def runs(pid: int | None) -> bool:
        return pid != starting_pid and _runs_for(lease, pid)

    if not (runs(lease.pid) or runs(lease.child_pid)):
        return True
    return lease.expires < now and not runs(lease.child_pid)


def _get(db: sqlite_utils.Database, name: str) -> Lease | None:
    cursor = db.execute("select * from job_leases where name = ?", [name])
    row = cursor.fetchone()
    if row is None:
        return None
    return Lease.from_row(dict(zip([c[0] for c in cursor.description], row, strict=True)))


def lease_holder(db: sqlite_utils.Database, name: str) -> Lease | None:
    """The current lease on `name`, stale or not."""
    return _get(db, name)


def take_lease(db: sqlite_utils.Database, name: str, ttl: float, *, pid: int | None = None,
               host: str | None = None) -> Lease:
    """Take the lease on `name` for `ttl` seconds, atomically; LeaseHeld when it is taken.

    A stale lease is taken over; a crawl run it still shows as running is recorded as
    interrupted, since whoever held the lease is gone without recording its end.
    """
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    now = time.time()
    # BEGIN IMMEDIATE: the read and the write below are one step for every other process.
    with transaction(db):
        current = _get(db, name)
        if current is not None:
            if not is_stale(current, now, host):
                raise LeaseHeld(current)
            _end_orphan_run(db, current)
        lease = Lease(name, uuid.uuid4().hex, host, pid, None, None,
                      datetime.now(UTC).isoformat(timespec="seconds"), now + ttl)
        db.execute("insert or replace into job_leases "
                   "(name, token, host, pid, child_pid, run_id, acquired, expires) "
                   "values (?, ?, ?, ?, ?, ?, ?, ?)",
                   [lease.name, lease.token, lease.host, lease.pid, None, None, lease.acquired,
                    lease.expires])
    return lease


def _end_orphan_run(db: sqlite_utils.Database, stale: Lease) -> None:
    """Record the run a stale lease shows as running `interrupted`: the crawl and the
    scheduler holding its lease both went away without recording its end, as a crawl does
    only when killed with its service (a container stop, an OOM kill of the unit, a power
    cut); a crawl that dies under a live scheduler is recorded `failed` by it. Recorded
    `failed`, it was not run again at start, as a crawl the service stopped cleanly is."""
    if stale.run_id is None:
        return
    row = db.execute("select outcome from crawl_runs where id = ?", [stale.run_id]).fetchone()
    if row is not None and row[0] == "running":
        finish_run(db, stale.run_id, datetime.now(UTC).isoformat(), "interrupted",
                   {"newsarchive/failure": f"the processes holding its lease ({stale.owner}) went "
                                          "away without recording its end: killed with its service?"})


def sweep_stale_leases(db: sqlite_utils.Database, host: str | None = None, *,
                       starting_pid: int | None = None) -> list[Lease]:
    """Drop every stale lease, recording the run it shows as running as interrupted (the
    scheduler's catch-up runs it again at once). Called when a scheduler starts: a run
    SIGKILLed with its scheduler (an OOM kill, a power cut) otherwise stayed "running" until
    its site's next turn took the lease, a week later for a weekly one.

    `starting_pid`, the scheduler's own pid, holds none of them: a container's service is
    pid 1 again after a restart, and the lease of the one killed mid-crawl looked held by
    it (is_stale)."""
    host = socket.gethostname() if host is None else host
    now = time.time()
    swept = []
    with transaction(db):
        cursor = db.execute("select * from job_leases")
        names = [c[0] for c in cursor.description]
        for lease in [Lease.from_row(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]:
            if is_stale(lease, now, host, starting_pid=starting_pid):
                _end_orphan_run(db, lease)
                db.execute("delete from job_leases where name = ? and token = ?",
                           [lease.name, lease.token])
                swept.append(lease)
    return swept


def renew_lease(db: sqlite_utils.Database, lease: Lease, ttl: float, *, child_pid: int | None = None,
                run_id: int | None = None) -> bool:
    """Extend the lease (and note the crawl's pid and run); False when it is no longer ours."""
    with transaction(db):
        cursor = db.execute(
            "update job_leases set expires = ?, child_pid = coalesce(?, child_pid), "
            "run_id = coalesce(?, run_id) where name = ? and token = ?",
            [time.time() + ttl, child_pid, run_id, lease.name, lease.token],
        )
    return cursor.rowcount == 1


def release_lease(db: sqlite_utils.Database, lease: Lease) -> None:
    """Give the lease up (a no-op when somebody took it over meanwhile)."""
    with transaction(db):
        db.execute("delete from job_leases where name = ? and token = ?", [lease.name, lease.token])
