"""The index schema: numbered migrations recorded in the database, WAL settings, FTS triggers."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archive.index.database import open_index
from archive.index.schema import applied_migrations, migration_names, migrations
from archive.index.store import CaptureDoc, _article_row, apply_capture, capture_row
from archive.zones import site_zone
from tests.index_docs import doc


def fts_ok(db: sqlite_utils.Database) -> None:
    # Raises sqlite3.DatabaseError ("database disk image is malformed") when the index
    # and the content table disagree.
    db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")


def insert_old_article(old: sqlite_utils.Database, capture: CaptureDoc) -> dict[str, Any]:
    """The articles row of `capture`, as code of the migrations `old` has wrote it: only
    the columns it knew (apply_capture writes today's)."""
    row = _article_row(capture_row(capture), capture.metadata["article"],
                       site_zone(capture.metadata.get("timezone")))
    known = old.table("articles").columns_dict
    row = {k: v for k, v in row.items() if k in known}
    old.table("articles").upsert(row, pk="canonical_url")
    return row


def test_migrations_are_numbered_and_recorded(tmp_path: Path) -> None:
    names = migration_names()
    assert names, "no migrations"
    assert all(re.fullmatch(r"\d{4}_[a-z_]+", n) for n in names), names
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1))
    db = open_index(tmp_path / "index.db")
    assert applied_migrations(db) == names
    assert {"captures", "articles", "article_versions", "crawl_runs", "articles_fts"} <= set(
        db.table_names()
    )


def test_reopening_applies_nothing_and_keeps_schema(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    apply_capture(db, doc("/news/one"))
    schema, applied = db.schema, db.execute("select * from _sqlite_migrations").fetchall()
    db.close()
    again = open_index(path)
    assert again.schema == schema
    assert again.execute("select * from _sqlite_migrations").fetchall() == applied
    assert again.execute("select count(*) from articles").fetchone()[0] == 1


def test_old_database_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0008_articles_published_utc")
    assert applied_migrations(old) == migration_names()[:7]
    old.table("articles").insert({
        "canonical_url": "http://x/a", "site": "demo", "url": "http://x/a", "text": "old row",
        "fetched_at": "2026-11-28T04:00:00+00:00", "capture_id": "c1",
        "published": "2026-11-27T09:30:00+01:00",
    })
    old.close()
    db = open_index(path)
    assert applied_migrations(db) == migration_names()
    assert db.table("articles").get("http://x/a")["published_utc"] == (
        "2026-11-27T08:30:00.000000+00:00"
    )
    fts_ok(db)


def test_an_index_made_before_gated_gets_each_articles_last_fetch(tmp_path: Path) -> None:
    # Crawls decide what to fetch again from last_fetched_at: an empty one would have every
    # archived article fetched again as unknown... or never, as dated before any lastmod.
    path = tmp_path / "index.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0017_articles_gated_last_fetched")
    for day, text in (("28", "first"), ("29", "second")):
        # As the code of 0016 wrote it: the latest capture shown, no gated, no last_fetched_at.
        row = insert_old_article(old, doc("/news/a", text, fetched_at=f"2026-11-{day}T04:00:00+00:00"))
        old.table("article_versions").insert(
            {"canonical_url": row["canonical_url"], "content_sha1": text, "capture_id": row["capture_id"],
             "first_fetched_at": row["fetched_at"], "last_fetched_at": row["fetched_at"]})
    old.close()
    db = open_index(path)
    assert db.execute("select text, gated, fetched_at, last_fetched_at from articles").fetchall() == [
        ("second", 0, "2026-11-29T04:00:00.000000+00:00", "2026-11-29T04:00:00.000000+00:00")]
    fts_ok(db)


def test_an_index_made_before_versions_were_gated_marks_the_teaser_it_shows(tmp_path: Path) -> None:
    # The captures of other versions are not known gated before the files are read again:
    # the migration has the next `newsarchive index` read every file (as a rebuild would).
    path = tmp_path / "index.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0019_versions_gated")
    teaser = doc("/news/a", "a teaser", fetched_at="2026-11-29T04:00:00+00:00")
    teaser.metadata["article"]["gated"] = True
    for capture in (doc("/news/b", "a free story"), teaser):
        row = insert_old_article(old, capture)
        known = old.table("captures").columns_dict
        old.table("captures").insert({k: v for k, v in capture_row(capture).items() if k in known})
        old.table("article_versions").insert(
            {"canonical_url": row["canonical_url"], "content_sha1": capture_row(capture)["content_sha1"],
             "capture_id": row["capture_id"], "first_fetched_at": row["fetched_at"],
             "last_fetched_at": row["fetched_at"], "captures": 1})
    old.table("indexed_files").insert({"name": "a.warc.gz", "size": 1})
    old.close()
    db = open_index(path)
    assert db.execute("select canonical_url, gated from article_versions order by 1").fetchall() == [
        (teaser.metadata["url"], 1), (doc("/news/b").metadata["url"], 0)]
    assert db.execute("select count(*) from indexed_files").fetchone() == (0,)


def test_concurrent_first_open(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_index(path).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert applied_migrations(sqlite_utils.Database(path)) == migration_names()


def test_pragmas(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    assert db.journal_mode == "wal"
    assert db.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL
    assert db.execute("pragma busy_timeout").fetchone()[0] >= 1000
    assert db.execute("pragma recursive_triggers").fetchone()[0] == 1


def test_fts_is_kept_current_by_triggers(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    assert {"articles_ai", "articles_ad", "articles_au"} <= {t.name for t in db.triggers}
    apply_capture(db, doc("/news/one", "the harbour flooded overnight"))
    apply_capture(db, doc("/news/two", "a quiet day at the market"))
    fts_ok(db)

    def matches(q: str) -> list[str]:
        return [
            r[0]
            for r in db.execute(
                "select a.url from articles_fts join articles a on a.rowid = articles_fts.rowid"
                " where articles_fts match ? order by a.url",
                [q],
            )
        ]

    assert matches("harbour") == ["http://127.0.0.1:8765/news/one"]
    # A newer capture replaces the text: the old words leave the FTS index.
    apply_capture(
        db, doc("/news/one", "the bridge reopened", fetched_at="2026-11-29T04:00:00+00:00")
    )
    assert matches("harbour") == []
    assert matches("bridge") == ["http://127.0.0.1:8765/news/one"]
    db.execute("delete from articles where url like '%/two'")
    assert matches("market") == []
    fts_ok(db)


def test_integrity_check_detects_a_stale_index(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/one", "the harbour flooded overnight"))
    # Bypass the triggers, as a plain enable_fts() without triggers would.
    db.execute("drop trigger articles_au")
    db.execute("update articles set text = 'something else entirely'")
    try:
        fts_ok(db)
    except sqlite3.DatabaseError:
        return
    raise AssertionError("integrity-check missed a stale FTS index")


def test_opening_a_fresh_index_waits_for_another_processs_first_write(tmp_path: Path) -> None:
    # Another process holds a write transaction on the file before it is in WAL mode: the
    # switch to WAL answers "database is locked" at once, busy_timeout or not. (Its table is
    # not committed yet: a committed table without our migrations is another program's.)
    path = tmp_path / "index.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("begin immediate")
    writer.execute("create table early (x)")
    writer.execute("insert into early values (1)")
    releaser = threading.Timer(0.5, lambda: writer.execute("commit"))
    releaser.start()
    try:
        db = open_index(path)
        assert db.journal_mode == "wal"
        db.conn.close()
    finally:
        releaser.join()
        writer.close()


@pytest.mark.parametrize("make", ["garbage", "directory"])
def test_an_index_file_that_is_no_database_is_a_clear_error(tmp_path: Path, make: str) -> None:
    from click.testing import CliRunner

    from archive.index import IndexUnusable
    from crawler.cli import main

    path = tmp_path / "index.db"
    if make == "garbage":
        path.write_bytes(b"not a database, but something someone saved here\n" * 100)
    else:
        path.mkdir()
    with pytest.raises(IndexUnusable, match=str(path)):
        open_index(path)
    for command in (["search", "harbour"], ["runs"], ["crawl", "demo"]):
        result = CliRunner().invoke(main, [*command, "--data", str(tmp_path)])
        assert result.exit_code == 1 and "cannot be used as the index" in result.output, command
        assert isinstance(result.exception, SystemExit)  # a clean error, no traceback


@pytest.mark.parametrize("kind", ["plain", "sqlite_utils_migrations", "read_only"])
def test_another_programs_database_is_refused_and_left_byte_for_byte(
    tmp_path: Path, kind: str
) -> None:
    """A wrong --data pointing at another tool's DATA/index.db: opening it switched it to WAL
    mode and ran our migrations until one failed ('table "articles" already exists')."""
    import hashlib
    import os
    import stat

    from click.testing import CliRunner

    from archive.index.database import ForeignDatabase, open_index_for_reading
    from crawler.cli import main

    path = tmp_path / "index.db"
    other = sqlite_utils.Database(path)
    other["articles"].insert({"id": 1, "body": "harbour"}, pk="id")
    if kind == "sqlite_utils_migrations":  # another sqlite-utils program's migrations
        other["_sqlite_migrations"].insert({"migration_set": "theirs", "name": "0001_articles"})
    other.close()
    (tmp_path / "warc").mkdir()
    sites = tmp_path / "sites"
    sites.mkdir()
    demo = Path(__file__).resolve().parents[1] / "config" / "sites" / "demo.toml"
    (sites / "demo.toml").write_text(demo.read_text() + '\nevery = "2h"\n')  # for `schedule`
    if kind == "read_only":
        path.chmod(stat.S_IRUSR)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ForeignDatabase, match=f"{path} is not a newsarchive index"):
        open_index(path)
    with pytest.raises(ForeignDatabase, match=str(path)):
        open_index_for_reading(path)
    for command in (["search", "harbour"], ["runs"], ["crawl", "demo"], ["index"],
                    ["index", "--rebuild"], ["schedule", "--schedule-file", os.devnull]):
        result = CliRunner().invoke(main, [*command, "--data", str(tmp_path), "--sites", str(sites)])
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), command  # a clean error, no traceback
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "another program's database" in lines[0], (command, lines)
        assert str(path) in lines[0] and "--data" in lines[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index.db")) == ["index.db"]


def test_a_rebuild_over_another_programs_database_it_cannot_read_yet_leaves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program writing its database (a long transaction, a VACUUM) as `index
    --rebuild` ran with a wrong --data: the check that it is ours gave up after sqlite3's 5 s,
    took 'database is locked' for a file it may replace, and the rebuild renamed its fresh
    index over that program's database once the lock was gone."""
    import archive.index.database as database
    from archive.index.replace import rebuild_index

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "index.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("create table notes (body)")
    other.execute("insert into notes values ('harbour')")
    (tmp_path / "warc").mkdir()
    other.execute("pragma locking_mode = exclusive")  # holds its write lock after the commit
    other.execute("begin exclusive")
    other.execute("insert into notes values ('quay')")
    other.execute("commit")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            rebuild_index(path, tmp_path / "warc")
    finally:
        other.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index.db")) == ["index.db"]
    with pytest.raises(database.ForeignDatabase):
        rebuild_index(path, tmp_path / "warc")
    assert sqlite3.connect(path).execute("select body from notes").fetchall() == [("harbour",), ("quay",)]


def test_an_empty_index_file_is_ours_to_create(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    path.write_bytes(b"")
    db = open_index(path)
    assert applied_migrations(db) == migration_names()
    db.close()


def test_a_full_disk_is_not_called_a_damaged_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is fine: telling the operator to throw it away and rebuild would be wrong."""
    import archive.index.database as database
    from archive.index import IndexUnusable

    apply = database.apply_migrations

    def on_a_full_disk(db: sqlite_utils.Database) -> list[str]:
        db.execute("PRAGMA max_page_count = 2")  # what SQLite reports when the disk is full
        return apply(db)

    monkeypatch.setattr(database, "apply_migrations", on_a_full_disk)
    with pytest.raises(sqlite3.OperationalError, match="full") as caught:
        open_index(tmp_path / "index.db")
    assert not isinstance(caught.value, IndexUnusable)


def test_an_index_of_the_old_tokenizer_is_searched_with_the_new_one(tmp_path: Path) -> None:
    """Migration 0015 rebuilds articles_fts of an existing index with the tokenizer that keeps
    vowel signs in their words and folds Vietnamese letters, and keeps the rank weights."""
    from archive.index.query import search

    path = tmp_path / "index.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0015_fts_words_of_every_script")
    insert_old_article(old, doc("/news/vi", "Kinh tế Việt Nam tăng trưởng mạnh.", title="Kinh tế"))
    old.close()
    db = open_index(path)
    assert applied_migrations(db) == migration_names()
    assert [h.title for h in search(db, "viet")] == ["Kinh tế"]
    assert db.execute("select v from articles_fts_config where k = 'rank'").fetchone() == (
        "bm25(5.0, 2.0, 1.0)",
    )
    assert {"articles_ai", "articles_ad", "articles_au"} <= {t.name for t in db.table("articles").triggers}
    fts_ok(db)


def _from_a_newer_version(path: Path) -> None:
    """An index a later newsarchive migrated: one migration this code does not know."""
    db = open_index(path)
    apply_capture(db, doc("/news/harbour", "The old harbour wall collapsed."))
    db.table("_sqlite_migrations").insert({
        "migration_set": "newsarchive-index", "name": "0099_from_the_future",
        "applied_at": "2027-01-01 00:00:00+00:00",
    })
    db.close()


def test_an_index_of_a_newer_version_is_refused_for_writing(tmp_path: Path) -> None:
    """An operator who goes back to an older release (a rollback, a second machine): its
    crawls and `index` wrote into a schema it does not know, without a word, and the newer
    release then took the index for current."""
    from click.testing import CliRunner

    from archive.index import IndexUnusable
    from crawler.cli import main

    path = tmp_path / "index.db"
    _from_a_newer_version(path)
    with pytest.raises(IndexUnusable, match=r"newer newsarchive.*0099_from_the_future"):
        open_index(path)
    (tmp_path / "warc").mkdir()
    for command in (["index", "--no-progress"], ["crawl", "demo"]):
        result = CliRunner().invoke(main, [*command, "--data", str(tmp_path)])
        assert result.exit_code == 1 and "newer newsarchive" in result.output, (command, result.output)
        assert isinstance(result.exception, SystemExit)
    # What the message offers: an index of this version's schema, built from the WARC files.
    rebuilt = CliRunner().invoke(main, ["index", "--rebuild", "--no-progress", "--data", str(tmp_path)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert applied_migrations(open_index(path)) == migration_names()


def test_an_index_of_a_newer_version_can_still_be_searched(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    _from_a_newer_version(tmp_path / "index.db")
    result = CliRunner().invoke(main, ["search", "harbour", "--data", str(tmp_path)])
    assert result.exit_code == 0 and "harbour" in result.output, result.output
