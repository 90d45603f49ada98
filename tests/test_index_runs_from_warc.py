"""Crawl runs in the WARC files: `newsarchive index` and `index --rebuild` read each run's
record (archive/index/runrecords.py) back into crawl_runs, beside the old index's rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.index.replace import rebuild_index
from archive.warc.verify import verify_directory
from archive.warc.writer import WarcFileWriter
from tests.index_docs import crawl_demo


def _write_runs(warcs: Path, ends: dict[str, str], **counts: Any) -> None:
    """Run records, one per start -> outcome, as RunGuard writes them at the end of a crawl
    (tests/test_crawl_index.py): each finished an hour after it started."""
    with WarcFileWriter(warcs, fsync=False, hostname="test") as writer:
        for started, outcome in ends.items():
            writer.write_metadata(f"urn:newsarchive:crawl-run:demo:{started}", json.dumps({
                "newsarchive_run": 1, "site": "demo", "started": started,
                "finished": started.replace("T10", "T11"), "outcome": outcome, "pages": 5,
                "articles": 3, **counts}).encode(), refers_to=None)


RUNS = "select id, site, started, finished, outcome, pages, articles, errors from crawl_runs order by id"


def test_crawl_runs_come_from_their_warc_records_and_the_old_index(tmp_path: Path) -> None:
    """A rebuild kept only the old index's runs, copied: a run the old index lacked (lost with
    an index.db built again) stayed lost although its WARC file was there. The runs are read
    from their records now; an old row keeps its id (a lease names it) in place of its
    record's, and a run with no record (its crawl killed first) is carried over."""
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    _write_runs(warcs, {"2026-11-01T10:00:00+00:00": "ok", "2026-11-02T10:00:00+00:00": "host_unavailable"},
                errors=None, stats={"articles": 3, "pages": 5})
    path = tmp_path / "index.db"
    old = open_index(path)
    old.table("crawl_runs").insert_all([
        {"id": 7, "site": "demo", "started": "2026-11-01T10:00:00+00:00", "outcome": "ok",
         "finished": "2026-11-01T11:00:00+00:00", "pages": 5, "articles": 3, "errors": 0},
        # Killed before it wrote its record; its scheduler recorded the end.
        {"id": 8, "site": "demo", "started": "2026-11-03T10:00:00+00:00", "outcome": "failed"},
    ])
    old.table("job_leases").insert({"name": "crawl:demo", "token": "t", "host": "h", "pid": 1,
                                    "run_id": 8, "acquired": "x", "expires": 0.0})
    old.close()
    stats = rebuild_index(path, warcs)
    expected = [
        (7, "demo", "2026-11-01T10:00:00+00:00", "2026-11-01T11:00:00+00:00", "ok", 5, 3, 0),
        (8, "demo", "2026-11-03T10:00:00+00:00", None, "failed", None, None, None),
        (9, "demo", "2026-11-02T10:00:00+00:00", "2026-11-02T11:00:00+00:00", "host_unavailable",
         5, 3, None),
    ]
    rebuilt = open_index(path)
    assert [tuple(r) for r in rebuilt.execute(RUNS)] == expected
    # The summary counted every run record as added, those the old index had (7) too.
    assert (stats.captures, stats.articles, stats.runs_carried, stats.runs, stats.problems) == (
        7, 3, 2, 1, [])
    assert ("crawl runs: 2 carried over from the old index (their ids kept), 1 new from their "
            "WARC records") in stats.format()
    assert [r["run_id"] for r in rebuilt.table("job_leases").rows] == [8]
    assert rebuilt.execute("select count(*) from captures").fetchone()[0] == 7  # no capture of its own
    rebuilt.close()
    stats_again = rebuild_index(path, warcs)  # again: the same rows, none twice
    again = open_index(path)
    assert [tuple(r) for r in again.execute(RUNS)] == expected
    assert "crawl runs: 3 carried over from the old index (their ids kept), 0 new" in stats_again.format()
    assert index_warc_directory(again, warcs).runs == 0  # nothing new
    again.close()
    assert verify_directory(warcs).ok


def test_a_run_the_index_still_shows_running_is_completed_from_its_record(tmp_path: Path) -> None:
    """A crawl that could not record its end in the index (a locked or full index.db) but
    wrote its WARC record stayed `running` in crawl_runs for good: a run the index had was
    never read from its record. Its row (its id kept) now gets the record's end; a row with
    an end keeps it."""
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    _write_runs(warcs, {"2026-11-01T10:00:00+00:00": "ok", "2026-11-02T10:00:00+00:00": "host_unavailable"},
                errors=0, stats={"articles": 3})
    expected = [
        (4, "demo", "2026-11-01T10:00:00+00:00", "2026-11-01T11:00:00+00:00", "ok", 5, 3, 0),
        (5, "demo", "2026-11-02T10:00:00+00:00", None, "failed", None, None, None),
    ]
    for rebuild in (False, True):
        path = tmp_path / f"index-{rebuild}.db"
        db = open_index(path)
        db.table("crawl_runs").insert_all([
            {"id": 4, "site": "demo", "started": "2026-11-01T10:00:00+00:00", "outcome": "running"},
            {"id": 5, "site": "demo", "started": "2026-11-02T10:00:00+00:00", "outcome": "failed"},
        ])
        db.conn.commit()
        if rebuild:  # `newsarchive index --rebuild`: the old index's rows carried over
            db.close()
            stats = rebuild_index(path, warcs)
            db = open_index(path)
        else:
            stats = index_warc_directory(db, warcs)
            assert stats.runs == 1
        assert stats.problems == []
        assert [tuple(r) for r in db.execute(RUNS)] == expected, rebuild
        assert json.loads(db.table("crawl_runs").get(4)["stats"]) == {"articles": 3}
        db.close()


def test_an_unreadable_crawl_run_record_is_reported(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    with WarcFileWriter(warcs, fsync=False, hostname="test") as writer:
        writer.write_metadata("urn:newsarchive:crawl-run:demo:2026-11-01",
                              b'{"newsarchive_run": 1, "site": 3}', refers_to=None)
        writer.write_metadata("urn:newsarchive:crawl-run:demo:2026-11-02",
                              b'{"newsarchive_run": 1, "si', refers_to=None)
        # A count past SQLite's integers, and JSON nested past Python's recursion limit: the
        # index build stopped with a traceback (OverflowError, RecursionError), at every run.
        writer.write_metadata("urn:newsarchive:crawl-run:demo:2026-11-03", json.dumps({
            "newsarchive_run": 1, "site": "demo", "started": "2026-11-03", "pages": 2**63,
            "errors": -(2**63) - 1, "stats": {"huge": 2**70}}).encode(), refers_to=None)
        writer.write_metadata("urn:newsarchive:crawl-run:demo:2026-11-04",
                              b"[" * 100_000 + b"]" * 100_000, refers_to=None)
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert [p.split(": ", 1)[1] for p in stats.problems] == [
        "crawl run record urn:newsarchive:crawl-run:demo:2026-11-01: wrong site, started",
        "crawl run record urn:newsarchive:crawl-run:demo:2026-11-02 is not readable JSON: "
        "Unterminated string starting at: line 1 column 24 (char 23)",
        "crawl run record urn:newsarchive:crawl-run:demo:2026-11-03: wrong pages, errors",
        "crawl run record urn:newsarchive:crawl-run:demo:2026-11-04 is not readable JSON: "
        "nested too deeply",
    ]
    assert stats.captures == 7 and stats.runs == 0
    assert db.execute("select count(*) from crawl_runs").fetchone()[0] == 0


def test_a_rebuild_takes_where_each_run_record_is_from_the_warc_files(tmp_path: Path) -> None:
    """The old index's rows kept where their records had been: a run whose WARC file was
    deleted (or rewritten by another tool, its records elsewhere) still linked to it after a
    rebuild, and the record view answered 410 "run `newsarchive index --rebuild`" for ever.
    A rebuilt row is where its record is in the WARC files, or nowhere."""
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    _write_runs(warcs, {"2026-11-01T10:00:00+00:00": "ok"})
    path = tmp_path / "index.db"
    old = open_index(path)
    old.table("crawl_runs").insert_all([
        {"id": 1, "site": "demo", "started": "2026-11-01T10:00:00+00:00", "outcome": "ok",
         "warc_file": "moved.warc.gz", "warc_offset": 4321},
        {"id": 2, "site": "demo", "started": "2026-11-02T10:00:00+00:00", "outcome": "ok",
         "warc_file": "deleted.warc.gz", "warc_offset": 1234},
    ])
    old.close()
    index_warc_directory(fresh := open_index(tmp_path / "fresh.db"), warcs)
    where = "select id, warc_file, warc_offset from crawl_runs order by id"
    (_, record_file, record_offset), = fresh.execute(where).fetchall()
    fresh.close()
    rebuild_index(path, warcs)
    rebuilt = open_index(path)
    assert rebuilt.execute(where).fetchall() == [(1, record_file, record_offset), (2, None, None)]
    rebuilt.close()
