"""Opening the index file (WAL mode, migrations applied) and its write transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from archive.index.schema import MIGRATION_SET, apply_migrations, migrations, unknown_migrations

BUSY_TIMEOUT_MS = 30_000


class IndexUnusable(Exception):
    """The index file is not an SQLite database we can open (damaged, or not a file)."""


class NewerIndex(IndexUnusable):
    """The index was migrated by a later newsarchive: this code must not write it."""


class ForeignDatabase(IndexUnusable):
    """An SQLite database of another program where the index should be: left as it is."""


def open_index(path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    """Open (creating if needed) the index at `path`, WAL mode, migrations applied.

    Raises IndexUnusable, naming the file, when it is no SQLite database (the WARC files,
    the source of truth, can rebuild it), ForeignDatabase when it is another program's, and
    NewerIndex when a later release migrated it.
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


def open_index_for_reading(path: Path | str) -> sqlite_utils.Database:
    """Open the index at `path` only to read it (search, runs), as open_index does when the
    file can be written; else read-only, so an archive on read-only media (a snapshot, a
    mounted share, a copy handed to a researcher) can be searched. open_index failed there
    with "unable to open database file": it switches the file to WAL mode and migrates it.

    Raises IndexUnusable, naming the file, for a damaged file, or for a read-only index of an
    older schema, which only `newsarchive index` on a writable copy can bring up to date.
    """
    path = Path(path)
    try:
        return open_index(path)
    except NewerIndex:
        # Reading is safe: later migrations add to the schema, and what it reads is still there.
        pass
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "unable to open" not in str(exc):
            raise
    db = _open_read_only(path)
    try:
        refuse_foreign(db, path)
    except ForeignDatabase:
        db.close()
        raise
    if migrations.pending(db):
        db.close()
        raise IndexUnusable(
            f"{path} is read-only and of an older schema: copy it (with the WARC files) "
            "somewhere writable and run `newsarchive index` there to bring it up to date"
        )
    return db


def _open_read_only(path: Path) -> sqlite_utils.Database:
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # A WAL index in a directory nobody may write: SQLite cannot create its -shm file.
        # Immutable reads the main file alone, which is exact here: nobody can write it,
        # and a cleanly closed WAL index has nothing left in a -wal file. A copy taken
        # while a crawl ran has: immutable would skip its last commits without a word.
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise IndexUnusable(
                f"{path} is read-only and {wal.name} beside it holds changes SQLite can only "
                f"read with its {path.name}-shm file, which is missing: copy the index with "
                "both files, or copy it somewhere writable and search there"
            ) from None
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise IndexUnusable(f"{path} cannot be read as the index ({exc})") from exc
    return sqlite_utils.Database(conn)


def _open(path: Path, busy_timeout_ms: int) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    # busy_timeout first: the WAL switch and the migrations may wait on another writer.
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    try:
        refuse_foreign(db, path)
    except ForeignDatabase:
        db.close()
        raise
    _enable_wal(db, busy_timeout_ms / 1000)
    # NORMAL in WAL mode is durable against process crashes (a power cut may lose the
    # last commits, which the next rebuild recovers from the WARC files).
    db.execute("PRAGMA synchronous = NORMAL")
    # Upserts that replace a row must fire the FTS delete trigger (DESIGN.md).
    db.execute("PRAGMA recursive_triggers = on")
    db.execute("PRAGMA foreign_keys = on")
    # A later release's index (an operator gone back to an older one): writing it without
    # its later migrations' rules left it silently inconsistent for that release, which
    # takes it for current.
    unknown = unknown_migrations(db)
    if unknown:
        db.close()
        raise NewerIndex(
            f"{path} was brought to a newer schema by a newer newsarchive (migrations "
            f"{', '.join(unknown)} are unknown to this one): upgrade newsarchive, or run "
            "`newsarchive index --rebuild` to build it again from the WARC files for this one"
        )
    apply_migrations(db)
    return db


def refuse_foreign(db: sqlite_utils.Database, path: Path) -> None:
    """Raise ForeignDatabase when `db` holds tables but no record of our migrations: another
    program's database at DATA/index.db (a wrong --data). Opening it switched it to WAL mode
    and ran our migrations on it until one failed ('table "articles" already exists'). Only
    reads: an empty file, or a new one, is ours to create."""
    names = [row[0] for row in db.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite^_%' "
        "escape '^' order by name").fetchall()]
    if not [name for name in names if name != migrations.migrations_table]:
        return
    if migrations.migrations_table in names and db.execute(
        f"select 1 from [{migrations.migrations_table}] where migration_set = ? limit 1",
        [MIGRATION_SET],
    ).fetchone():
        return
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise ForeignDatabase(
        f"{path} is not a newsarchive index but another program's database (tables {shown}), "
        "left unchanged: point --data at newsarchive's data directory, or move the file aside"
    )


def refuse_foreign_file(path: Path) -> None:
    """refuse_foreign for the file at `path`, read-only; a file that is no database (damaged),
    or missing, is left to the caller, which knows what to do with it. Raises
    sqlite3.OperationalError when it cannot be read now (locked past the busy timeout): a
    rebuild took that for a file it may replace, and renamed its index over another program's
    database being written."""
    if not path.is_file():
        return
    # As long as open_index waits (sqlite3's own 5 s gave up on a writer open_index waits for).
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        refuse_foreign(sqlite_utils.Database(conn), path)
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if "file is not a database" in message or "malformed" in message:
            return
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in message:
            return  # a read-only directory without the WAL's -shm: nothing can be replaced there
        raise
    finally:
        conn.close()


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
