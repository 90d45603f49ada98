"""Opening the index file (WAL mode, migrations applied) and its write transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from archive.index.schema import apply_migrations

BUSY_TIMEOUT_MS = 30_000


class IndexUnusable(Exception):
    """The index file is not an SQLite database we can open (damaged, or not a file)."""


def open_index(path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    """Open (creating if needed) the index at `path`, WAL mode, migrations applied.

    Raises IndexUnusable, naming the file, when it is no SQLite database (the WARC files,
    the source of truth, can rebuild it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path, busy_timeout_ms)
    except sqlite3.DatabaseError as exc:
        # Only a file that is no database: a full disk, a read-only file system or a busy
        # index is a storage problem, and the index itself is fine.
        message = str(exc)
        damaged = "file is not a database" in message or "malformed" in message
        if not (damaged or (path.exists() and not path.is_file())):
            raise
        raise IndexUnusable(
            f"{path} cannot be used as the index ({exc}): move it aside and run "
            "`newsarchive index --rebuild`, which builds it again from the WARC files"
        ) from exc


def _open(path: Path, busy_timeout_ms: int) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    # busy_timeout first: the WAL switch and the migrations may wait on another writer.
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    _enable_wal(db, busy_timeout_ms / 1000)
    # NORMAL in WAL mode is durable against process crashes (a power cut may lose the
    # last commits, which the next rebuild recovers from the WARC files).
    db.execute("PRAGMA synchronous = NORMAL")
    # Upserts that replace a row must fire the FTS delete trigger (DESIGN.md).
    db.execute("PRAGMA recursive_triggers = on")
    db.execute("PRAGMA foreign_keys = on")
    apply_migrations(db)
    return db


def _enable_wal(db: sqlite_utils.Database, patience: float) -> None:
    # Two processes opening a fresh index at once (two schedulers, a scheduler and a crawl):
    # the switch to WAL can answer "database is locked" at once, without the busy handler
    # (SQLite returns SQLITE_BUSY rather than risk a deadlock). Once one switch is done the
    # file stays in WAL mode and the next attempt has nothing to do.
    deadline = time.monotonic() + patience
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction; nested use becomes a savepoint.

    BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    instead of failing with SQLITE_BUSY when a read turns into a write. Callers that
    apply many captures (the rebuild, a batching pipeline) wrap them in one of these:
    each apply_capture is then a savepoint inside it.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        # Inside the try: a COMMIT that fails (a full disk) must roll back too, or every later
        # transaction() would silently nest in this one and never commit.
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.rollback()
        raise
