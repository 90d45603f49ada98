"""apply_capture: one transaction per capture, idempotent, independent of arrival order."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from archive.extract import ArticleExtraction
from archive.index import check_index
from archive.index.database import open_index, transaction
from archive.index.runs import finish_run, start_run
from archive.index.store import CaptureDoc, CaptureError, apply_capture, forget_capture
from tests.index_docs import BASE, doc, dump

ROOT = Path(__file__).resolve().parents[1]


def count(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def test_article_capture_fills_every_table(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    d = doc("/news/harbour", "The harbour flooded overnight. Boats were lost.")
    apply_capture(db, d)
    [row] = list(db.table("articles").rows)
    assert row["canonical_url"] == BASE + "/news/harbour"
    assert row["site"] == "demo"
    assert row["word_count"] == 7
    assert json.loads(row["authors"]) == ["Ada Lovelace", "Grace Hopper"]
    assert json.loads(row["tags"]) == ["harbour", "weather"]
    assert row["published"] == "2026-11-27T09:30:00+01:00"
    assert row["fetched_at"] == "2026-11-28T04:00:00.123456+00:00"
    assert d.response is not None
    assert (row["warc_file"], row["warc_offset"], row["warc_length"]) == (
        d.response.file, d.response.offset, d.response.length,
    )
    assert row["warc_record_id"] == d.response.record_id == row["capture_id"]
    assert row["payload_digest"] == d.response.payload_digest
    assert row["versions"] == 1
    cap = db.table("captures").get(d.response.record_id)
    assert cap["outcome"] == "article" and cap["status"] == 200
    assert d.metadata_position is not None
    assert cap["metadata_record_id"] == d.metadata_position.record_id
    assert count(db, "article_versions") == 1
    assert count(db, "articles_fts") == 1


def test_only_ok_articles_make_article_rows(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/tag/weather", None))
    empty = doc("/news/empty", "")
    assert empty.metadata["article"] is not None
    empty.metadata["article"]["status"] = "empty"
    apply_capture(db, empty)
    # A fetch that got no response: keyed by its metadata record.
    failed = doc("/news/gone", None, outcome="fetch_error", status=None)
    failed = dataclasses.replace(failed, response=None)
    apply_capture(db, failed)
    assert count(db, "captures") == 3
    assert count(db, "articles") == count(db, "article_versions") == count(db, "articles_fts") == 0
    assert failed.metadata_position is not None
    assert db.table("captures").get(failed.metadata_position.record_id)["warc_file"] is None


def test_applying_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    docs = [doc("/news/a", "alpha text"), doc("/tag/x", None), doc("/news/b", "beta text")]
    for d in docs:
        apply_capture(db, d)
    before, changes = dump(path), db.conn.total_changes
    for d in docs:
        apply_capture(db, d)
    assert db.conn.total_changes == changes
    assert dump(path) == before


def test_latest_capture_wins_whatever_the_order(tmp_path: Path) -> None:
    old = doc("/news/a", "first draft", fetched_at="2026-11-28T04:00:00+00:00")
    new = doc("/news/a", "corrected text", fetched_at="2026-11-29T04:00:00+00:00")
    again = doc("/news/a", "corrected text", fetched_at="2026-11-30T04:00:00+00:00")
    dumps = []
    for name, order in (("fwd", [old, new, again]), ("rev", [again, new, old])):
        db = open_index(tmp_path / f"{name}.db")
        for d in order:
            apply_capture(db, d)
        art = db.execute("select text, fetched_at, first_fetched_at, versions from articles")
        assert art.fetchall() == [
            ("corrected text", "2026-11-30T04:00:00.000000+00:00",
             "2026-11-28T04:00:00.000000+00:00", 2)
        ]
        versions = db.execute(
            "select text, first_fetched_at, last_fetched_at, captures from article_versions"
            " order by first_fetched_at"
        ).fetchall()
        assert versions == [
            ("first draft", "2026-11-28T04:00:00.000000+00:00",
             "2026-11-28T04:00:00.000000+00:00", 1),
            ("corrected text", "2026-11-29T04:00:00.000000+00:00",
             "2026-11-30T04:00:00.000000+00:00", 2),
        ]
        db.close()
        dumps.append(dump(tmp_path / f"{name}.db"))
    assert dumps[0] == dumps[1]


def gated(path: str, text: str, fetched_at: str, *, is_gated: bool) -> CaptureDoc:
    capture = doc(path, text, fetched_at=fetched_at)
    capture.metadata["article"]["gated"] = is_gated
    return capture


def test_a_free_version_is_shown_before_gated_ones_whatever_the_order(tmp_path: Path) -> None:
    # A paywall put up days after publishing: the teaser of a revisit, the latest capture,
    # replaced the full text in `articles` and in search.
    full = gated("/news/a", "the full story of the harbour", "2026-11-28T04:00:00+00:00",
                 is_gated=False)
    teaser = gated("/news/a", "a teaser", "2026-11-29T04:00:00+00:00", is_gated=True)
    again = gated("/news/a", "a teaser", "2026-11-30T04:00:00+00:00", is_gated=True)
    columns = "text, gated, fetched_at, first_fetched_at, last_fetched_at, versions"
    dumps = []
    for n, order in enumerate(itertools.permutations([full, teaser, again])):
        db = open_index(tmp_path / f"{n}.db")
        for capture in order:
            apply_capture(db, capture)
        assert db.execute(f"select {columns} from articles").fetchall() == [
            ("the full story of the harbour", 0, "2026-11-28T04:00:00.000000+00:00",
             "2026-11-28T04:00:00.000000+00:00", "2026-11-30T04:00:00.000000+00:00", 2)]
        assert check_index(db) == []
        db.close()
        dumps.append(dump(tmp_path / f"{n}.db"))
    assert all(d == dumps[0] for d in dumps)


def test_each_version_says_whether_it_is_gated_whatever_the_order(tmp_path: Path) -> None:
    # article_versions (and so the canned article_history) did not say which version was a
    # paywall's teaser: a researcher took the teaser for a rewrite of the story. A text
    # fetched both free and gated is free: it was there to read.
    full = gated("/news/a", "the full story of the harbour", "2026-11-28T04:00:00+00:00",
                 is_gated=False)
    teaser = gated("/news/a", "a teaser", "2026-11-29T04:00:00+00:00", is_gated=True)
    again = gated("/news/a", "a teaser", "2026-11-30T04:00:00+00:00", is_gated=True)
    later = gated("/news/a", "the full story of the harbour", "2026-12-01T04:00:00+00:00",
                  is_gated=True)
    dumps = []
    for n, order in enumerate(itertools.permutations([full, teaser, again, later])):
        db = open_index(tmp_path / f"{n}.db")
        for capture in order:
            apply_capture(db, capture)
        assert db.execute("select text, gated, captures from article_versions "
                          "order by text").fetchall() == [
            ("a teaser", 1, 2), ("the full story of the harbour", 0, 2)]
        db.close()
        dumps.append(dump(tmp_path / f"{n}.db"))
    assert all(d == dumps[0] for d in dumps)
    db = open_index(tmp_path / "0.db")
    for capture in (full, teaser):  # (a salvage cut them out of their WARC file)
        assert capture.response is not None
        forget_capture(db, capture.response.record_id)
    assert db.execute("select text, gated from article_versions order by text").fetchall() == [
        ("a teaser", 1), ("the full story of the harbour", 1)]


@pytest.mark.parametrize("first_gated", [True, False])
def test_among_versions_alike_in_access_the_latest_is_shown(
    tmp_path: Path, first_gated: bool
) -> None:
    old = gated("/news/a", "old text", "2026-11-28T04:00:00+00:00", is_gated=first_gated)
    new = gated("/news/a", "new text", "2026-11-29T04:00:00+00:00", is_gated=first_gated)
    for name, order in (("fwd", [old, new]), ("rev", [new, old])):
        db = open_index(tmp_path / f"{name}.db")
        for capture in order:
            apply_capture(db, capture)
        assert db.execute("select text, gated from articles").fetchall() == [
            ("new text", int(first_gated))]
    free_again = gated("/news/a", "free again", "2026-11-30T04:00:00+00:00", is_gated=False)
    apply_capture(db, free_again)
    assert db.execute("select text, gated from articles").fetchall() == [("free again", 0)]


def test_forgetting_a_version_not_shown_sums_up_the_row_again(tmp_path: Path) -> None:
    # (A salvage cut it out of its WARC file.) The row kept counting the version, and kept
    # its fetch times: crawls took the article for fetched later than it was.
    early = gated("/news/a", "early teaser", "2026-11-28T04:00:00+00:00", is_gated=True)
    late = gated("/news/a", "a teaser", "2026-11-29T04:00:00+00:00", is_gated=True)
    full = gated("/news/a", "full text", "2026-11-27T04:00:00+00:00", is_gated=False)
    db = open_index(tmp_path / "index.db")
    for capture in (early, late, full):
        apply_capture(db, capture)
    for capture in (early, late):
        assert capture.response is not None
        assert forget_capture(db, capture.response.record_id) is None
    db.close()
    clean = open_index(tmp_path / "clean.db")
    apply_capture(clean, full)
    clean.close()
    assert dump(tmp_path / "index.db") == dump(tmp_path / "clean.db")


def test_a_record_written_before_gated_reads_as_free(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    capture = doc("/news/a", "old record")
    assert "gated" not in capture.metadata["article"]
    apply_capture(db, capture)
    assert db.execute("select gated from articles").fetchall() == [(0,)]
    assert ArticleExtraction.from_dict(capture.metadata["article"]).gated is False


def test_reextraction_of_a_capture_replaces_its_version(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    d = doc("/news/a", "text with a donation box")
    apply_capture(db, d)
    assert d.metadata["article"] is not None
    d.metadata["article"]["text"] = "clean text"
    apply_capture(db, d)
    assert db.execute("select text from article_versions").fetchall() == [("clean text",)]
    assert db.execute("select text, versions from articles").fetchall() == [("clean text", 1)]


def test_failure_mid_transaction_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    apply_capture(db, doc("/news/before", "kept"))
    before = dump(path)
    # Fail after the captures row is written, before the articles row (and its FTS row).
    db.execute(
        "create temp trigger boom before insert on article_versions"
        " begin select raise(abort, 'simulated failure'); end"
    )
    with pytest.raises(sqlite3.IntegrityError, match="simulated failure"):
        apply_capture(db, doc("/news/after", "lost"))
    assert not db.conn.in_transaction
    assert dump(path) == before
    db.execute("drop trigger boom")
    apply_capture(db, doc("/news/after", "now kept"))
    assert count(db, "articles") == 2


CRASH_SCRIPT = """
import os, sys
from archive.index.database import open_index
from archive.index.store import apply_capture
from tests.index_docs import doc
db = open_index(sys.argv[1])
# Die (no cleanup, like kill -9) inside the transaction, right after the articles row.
db.conn.create_function("die", 0, lambda: os._exit(3))
db.execute("create temp trigger die after insert on articles begin select die(); end")
apply_capture(db, doc("/news/crash", "never committed"))
"""


def test_crash_mid_transaction_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    apply_capture(db, doc("/news/before", "kept"))
    db.close()
    before = dump(path)
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path)], cwd=ROOT, check=False)
    assert proc.returncode == 3
    assert dump(path) == before
    db = open_index(path)
    db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")


def test_outer_transaction_batches_and_rolls_back_together(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    with pytest.raises(RuntimeError), transaction(db):
        apply_capture(db, doc("/news/a", "alpha"))
        apply_capture(db, doc("/news/b", "beta"))
        raise RuntimeError("batch failed")
    assert count(db, "captures") == 0
    with transaction(db):
        apply_capture(db, doc("/news/a", "alpha"))
        apply_capture(db, doc("/news/b", "beta"))
    assert count(db, "articles") == 2


def test_bad_metadata_is_a_clear_error(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    bad = doc("/news/a", "x")
    with pytest.raises(CaptureError, match="newsarchive v1"):
        apply_capture(db, CaptureDoc({**bad.metadata, "newsarchive": 2}, None, None))
    with pytest.raises(CaptureError, match="fetched_at"):
        apply_capture(db, CaptureDoc({**bad.metadata, "fetched_at": "yesterday"}, None, None))
    assert count(db, "captures") == 0


@pytest.mark.parametrize(("change", "error"), [
    ({"site": None}, "no 'site'"),
    ({"site": ["demo"]}, "field site holds list"),
    ({"status": "two hundred"}, "field status holds str"),
    ({"aliases": "http://x.test/a"}, "aliases is not a list of URLs"),
    ({"aliases": [{"url": "http://x.test/a"}]}, "aliases is not a list of URLs"),
    ({"discovery": {"source": {"a": 1}}}, "discovery.source holds dict"),
    ({"article": {"status": "ok", "text": 123}}, "article.text holds int"),
    ({"article": {"status": "ok", "text": "x", "gated": "no"}}, "article.gated holds str"),
    ({"fetched_at": "0001-01-01T00:30:00+01:00"}, "out of range in UTC"),
    ({"timezone": 1}, "field timezone holds int"),
    ({"timezone": "Mars/Olympus_Mons"}, "field timezone: 'Mars/Olympus_Mons' is not an IANA"),
    # A folder of the tz database: IsADirectoryError stopped the whole rebuild.
    ({"timezone": "America"}, "field timezone: 'America' is not an IANA"),
    ({"timezone": "x" * 300}, "field timezone: 'x+' is not an IANA"),
])
def test_malformed_metadata_is_refused_whole(
    tmp_path: Path, change: dict[str, object], error: str
) -> None:
    """Hand-edited or foreign payloads: a CaptureError naming the field, never a TypeError or
    an SQLite error halfway through (which would undo a whole batch of a file's captures)."""
    db = open_index(tmp_path / "index.db")
    bad = doc("/news/a", "x")
    with pytest.raises(CaptureError, match=error):
        apply_capture(db, CaptureDoc({**bad.metadata, **change}, None, None))
    assert count(db, "captures") == 0


def test_a_page_date_out_of_range_in_utc_is_kept_but_not_indexed_as_time(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    capture = doc("/news/a", "x")
    capture.metadata["article"]["published"] = "0001-01-01T00:00:00+05:00"
    apply_capture(db, capture)
    assert db.execute("select published, published_utc from articles").fetchone() == (
        "0001-01-01T00:00:00+05:00", None)


@pytest.mark.parametrize(("zone", "published", "utc"), [
    ("Europe/Berlin", "2026-11-28T00:30:00", "2026-11-27T23:30:00.000000+00:00"),
    ("Europe/Berlin", "2026-07-28T00:30:00", "2026-07-27T22:30:00.000000+00:00"),  # summer
    ("America/New_York", "2026-11-28T21:00:25", "2026-11-29T02:00:25.000000+00:00"),
    # The page's own offset is its word, whatever the site's zone.
    ("America/New_York", "2026-11-28T21:00:25+01:00", "2026-11-28T20:00:25.000000+00:00"),
    # A day names no instant: moved to 23:00 the day before, it was counted on that day.
    ("Europe/Berlin", "2026-11-28", "2026-11-28T00:00:00.000000+00:00"),
    # Before year 1 in UTC: kept, not indexed as a time.
    ("Asia/Tokyo", "0001-01-01T00:30:00", None),
    (None, "2026-11-28T00:30:00", "2026-11-28T00:30:00.000000+00:00"),  # no zone: UTC
])
def test_a_page_time_without_offset_is_in_the_zone_the_crawl_recorded(
    tmp_path: Path, zone: str | None, published: str, utc: str | None
) -> None:
    db = open_index(tmp_path / "index.db")
    capture = doc("/news/a", "x")
    capture.metadata["article"]["published"] = published
    if zone:
        capture.metadata["timezone"] = zone
    apply_capture(db, capture)
    assert db.execute("select published, published_utc from articles").fetchone() == (
        published, utc)


def test_date_candidates_are_stored_the_same_whatever_their_key_order(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    capture = doc("/news/a", "x")
    apply_capture(db, capture)
    stored = db.execute("select date_candidates from articles").fetchone()[0]
    # A re-extraction's dicts come in the dataclass' field order, the crawl's JSON sorted.
    capture.metadata["article"]["date_candidates"] = [
        {"source": "json_ld", "value": "2026-11-27T09:30:00+01:00"}]
    apply_capture(db, capture)
    assert db.execute("select date_candidates from articles").fetchone()[0] == stored
    assert stored == '[{"source": "json_ld", "value": "2026-11-27T09:30:00+01:00"}]'


def test_a_reextraction_that_takes_back_the_only_article_removes_its_row(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    capture = doc("/news/story", "The harbour wall collapsed.")
    apply_capture(db, capture)
    capture.metadata = {**capture.metadata, "outcome": "not_article",
                        "article": {**capture.metadata["article"], "status": "not_article"}}
    apply_capture(db, capture)  # what `index --reextract` does when the extractor changed its mind
    clean = open_index(tmp_path / "clean.db")
    apply_capture(clean, capture)
    assert count(db, "articles") == count(db, "article_versions") == 0
    assert dump(tmp_path / "index.db") == dump(tmp_path / "clean.db")
    assert check_index(db) == []


def test_crawl_runs(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    run = start_run(db, "demo", "2026-11-28T04:00:00+00:00")
    assert db.table("crawl_runs").get(run)["outcome"] == "running"
    finish_run(db, run, "2026-11-28T04:05:00+00:00", "finished",
               {"response_received_count": 40, "articles": 31, "log_count/ERROR": 2})
    row = db.table("crawl_runs").get(run)
    assert (row["pages"], row["articles"], row["errors"], row["outcome"]) == (40, 31, 2, "finished")
    assert json.loads(row["stats"])["articles"] == 31
    assert start_run(db, "demo", "2026-11-29T04:00:00+00:00") == run + 1
    with pytest.raises(KeyError):
        finish_run(db, 999, "2026-11-28T04:05:00+00:00", "finished", {})
