"""Replace the index with one built afresh from the WARC files, one index run at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import sqlite_utils

from archive.index.database import open_index, transaction
from archive.index.rebuild import IndexStats, index_warc_directory


@contextlib.contextmanager
def index_lock(db_path: Path) -> Iterator[None]:
    """One index run (`newsarchive index`, with or without --rebuild) at a time on an index;
    RuntimeError when another holds it. Two rebuilds built into one `.rebuild` file and moved
    each other's half-built index over the real one (its crawl runs, kept nowhere else, were
    lost); two incremental runs paired one response twice. The live crawl needs no lock: it
    writes one transaction per page."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another `newsarchive index` is running on {path}: let it "
                               "finish, then run this one again") from None
        yield


def rebuild_index(
    db_path: Path, warc_dir: Path, *, reextract: bool = False, progress: bool = False
) -> IndexStats:
    """Build a fresh index from the WARC files and put it in place of `db_path`.

    Built beside it as `NAME.rebuild` and renamed over it at the end, so the old index
    stays usable until the new one is complete. crawl_runs is carried over (runs are not
    in the WARC files). Refuses while another process has the old index open: its `-wal`
    file would be applied to the new database.
    """
    db_path = Path(db_path)
    with index_lock(db_path):
        return _rebuild(db_path, warc_dir, reextract=reextract, progress=progress)


def _rebuild(db_path: Path, warc_dir: Path, *, reextract: bool, progress: bool) -> IndexStats:
    fresh = db_path.with_name(db_path.name + ".rebuild")
    for leftover in _sqlite_files(fresh):
        leftover.unlink(missing_ok=True)
    db = open_index(fresh)
    damaged = False
    try:
        try:
            stats = index_warc_directory(db, warc_dir, reextract=reextract, progress=progress)
        except BaseException:
            # Interrupted (Ctrl-C) or failed: the old index stays as it was, and half a new
            # one is no use to anybody (it was left behind as NAME.rebuild).
            db.close()
            for partial in _sqlite_files(fresh):
                partial.unlink(missing_ok=True)
            raise
        if db_path.exists():
            try:
                _copy_crawl_runs(db, db_path)
            except sqlite3.DatabaseError as exc:
                # What open_index tells the owner of a damaged index to do: rebuild it.
                damaged = True
                stats.problems.append(f"{db_path} is damaged ({exc}): its crawl runs (not kept "
                                      f"in the WARC files) are lost; it is kept as {db_path}.damaged")
    finally:
        db.close()
    if damaged:
        os.replace(db_path, db_path.with_name(db_path.name + ".damaged"))
        for leftover in _sqlite_files(db_path)[1:]:
            leftover.unlink(missing_ok=True)
    elif db_path.exists():
        # Closing the last connection checkpoints and deletes the -wal file; if it is
        # still there, someone else holds the index open.
        with closing(sqlite3.connect(db_path)) as conn:
            conn.execute("pragma wal_checkpoint(TRUNCATE)")
        if any(p.exists() for p in _sqlite_files(db_path)[1:]):
            raise RuntimeError(
                f"{db_path} is open in another process (a crawl or Datasette?); stop it and "
                f"rerun, or use the rebuilt index at {fresh}"
            )
    os.replace(fresh, db_path)
    return stats


def _copy_crawl_runs(db: sqlite_utils.Database, old_path: Path) -> None:
    db.execute("attach database ? as previous", [str(old_path)])
    try:
        tables = {r[0] for r in db.execute("select name from previous.sqlite_master")}
        if "crawl_runs" not in tables:
            return
        old_columns = {r[1] for r in db.execute("pragma previous.table_info(crawl_runs)")}
        columns = ", ".join(c for c in db.table("crawl_runs").columns_dict if c in old_columns)
        with transaction(db):
            db.execute(
                f"insert into crawl_runs ({columns}) select {columns} from previous.crawl_runs"
            )
    finally:
        db.execute("detach database previous")


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
