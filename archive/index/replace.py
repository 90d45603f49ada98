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

from archive.index.database import open_index, refuse_foreign_file, transaction
from archive.index.rebuild import IndexStats, index_warc_directory
from archive.index.reextract import ArticleUrls
from archive.index.runrecords import add_run


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
    db_path: Path, warc_dir: Path, *, reextract: bool = False, progress: bool = False,
    article_urls: ArticleUrls | None = None,
) -> IndexStats:
    """Build a fresh index from the WARC files and put it in place of `db_path`.

    Built beside it as `NAME.rebuild` and renamed over it at the end, so the old index
    stays usable until the new one is complete. Crawl runs come from their WARC records, and
    the old index's rows are carried over (those of runs that wrote no record too: a crawl
    killed first, whose end its scheduler recorded; archives older than those records), as
    are the leases of runs still open. Refuses while another process has the old index open: its `-wal`
    file would be applied to the new database. `reextract` and `article_urls`: as for
    index_warc_directory.
    """
    db_path = Path(db_path)
    # Another program's database (a wrong --data) is no damaged index: the swap replaced it.
    refuse_foreign_file(db_path)
    with index_lock(db_path):
        return _rebuild(db_path, warc_dir, reextract=reextract, progress=progress,
                        article_urls=article_urls)


def _discard(fresh: Path, db: sqlite_utils.Database | None) -> None:
    if db is not None:
        db.close()
    for partial in _sqlite_files(fresh):
        partial.unlink(missing_ok=True)


def _rebuild(db_path: Path, warc_dir: Path, *, reextract: bool, progress: bool,
             article_urls: ArticleUrls | None) -> IndexStats:
    fresh = db_path.with_name(db_path.name + ".rebuild")
    for leftover in _sqlite_files(fresh):
        leftover.unlink(missing_ok=True)
    db = None
    try:
        # (Opening it applies the migrations: a SIGTERM there left it behind too.)
        db = open_index(fresh)
        watch = _Writes(db_path)
    except BaseException:
        _discard(fresh, db)
        raise
    damaged = False
    try:
        try:
            stats = index_warc_directory(db, warc_dir, reextract=reextract, progress=progress,
                                         article_urls=article_urls)
            # A crawl that wrote meanwhile (new WARC files, records added to its own) put its
            # pages in the old index, and they were lost at the swap: read what is new since,
            # as `newsarchive index` would, until the old index stops changing.
            for _ in range(CATCH_UP_ROUNDS):
                if not watch.changed():
                    break
                # Only what is new: re-extracting it all again took as long again, each round.
                stats.absorb(index_warc_directory(db, warc_dir, reextract=reextract,
                                                  article_urls=article_urls, reextract_indexed=False))
        except BaseException:
            # Interrupted (Ctrl-C) or failed: the old index stays as it was, and half a new
            # one is no use to anybody (it was left behind as NAME.rebuild).
            _discard(fresh, db)
            raise
        if db_path.exists():
            try:
                stats.runs_carried, stats.runs = _copy_crawl_runs(db, db_path)
            except sqlite3.DatabaseError as exc:
                # What open_index tells the owner of a damaged index to do: rebuild it.
                damaged = True
                stats.problems.append(f"{db_path} is damaged ({exc}): its crawl runs not kept in "
                                      "the WARC files (a crawl killed before it wrote its record) "
                                      f"are lost; it is kept as {db_path}.damaged")
    finally:
        db.close()
        watch.close()
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
                f"rerun, or put the rebuilt index {fresh} in its place and run `newsarchive "
                "index` once the crawl is over (it lacks what the crawl writes from now on)"
            )
    os.replace(fresh, db_path)
    return stats


# How many times a rebuild reads what a live crawl added meanwhile before it gives up waiting
# for the crawl (the in-use check then stops it).
CATCH_UP_ROUNDS = 5


class _Writes:
    """Whether anybody committed to the old index since this was made (or last asked)."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path) if path.exists() else None
        self._version = self._current()

    def _current(self) -> int | None:
        if self._conn is None:
            return None
        try:
            version: int = self._conn.execute("pragma data_version").fetchone()[0]
        except sqlite3.DatabaseError:  # damaged: the rebuild is what fixes it
            return None
        return version

    def changed(self) -> bool:
        now = self._current()
        changed, self._version = now != self._version, now
        return changed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _copy_crawl_runs(db: sqlite_utils.Database, old_path: Path) -> tuple[int, int]:
    """The old index's runs, and the leases of the runs still open (a SIGKILLed crawl's lease
    is how its `running` row is found and closed as failed; without it the row stayed
    `running` for ever). An old row keeps its id (a lease and the scheduler name a run by it)
    and takes the place of the row its run's WARC record made (the same site and start),
    that record's end if it was still `running`, and where that record is; the runs only the
    WARC files know follow under new ids. How many runs were carried over, and how many the
    WARC files added."""
    db.execute("attach database ? as previous", [str(old_path)])
    try:
        tables = {r[0] for r in db.execute("select name from previous.sqlite_master")}
        with transaction(db):
            if "crawl_runs" in tables:
                columns = _shared_columns(db, "crawl_runs")
                warc_runs = [{key: value for key, value in run.items() if key != "id"}
                             for run in db.query("select * from crawl_runs order by started")]
                db.execute("delete from crawl_runs")
                db.execute(f"insert into crawl_runs ({columns}) select {columns} from "
                           "previous.crawl_runs")
                # Where a run's record is, the WARC files say (add_run fills it in): one
                # deleted or rewritten since left the row linking to it after the rebuild.
                db.execute("update crawl_runs set warc_file = null, warc_offset = null")
                # As `newsarchive index` reads them into the old index (a `running` row
                # completed by its record, too).
                for run in warc_runs:
                    add_run(db, run)
                carried = db.execute("select count(*) from previous.crawl_runs").fetchone()[0]
                total = db.execute("select count(*) from crawl_runs").fetchone()[0]
                counts = (carried, total - carried)
            else:
                counts = (0, db.execute("select count(*) from crawl_runs").fetchone()[0])
            if "job_leases" in tables:
                columns = _shared_columns(db, "job_leases")
                db.execute(f"insert into job_leases ({columns}) select {columns} from previous.job_leases")
    finally:
        db.execute("detach database previous")
    return counts


def _shared_columns(db: sqlite_utils.Database, table: str) -> str:
    """The columns of `table` the old index has too (it may predate some)."""
    old_columns = {r[1] for r in db.execute(f"pragma previous.table_info({table})")}
    return ", ".join(c for c in db.table(table).columns_dict if c in old_columns)


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
