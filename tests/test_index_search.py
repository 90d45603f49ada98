"""query.search: ranked FTS5 hits with snippets; user input never raises an FTS syntax error."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import sqlite_utils

from archive.index.database import open_index, transaction
from archive.index.query import (
    MAX_TERMS,
    SearchQueryError,
    archived_articles,
    check_index,
    fts_query,
    search,
)
from archive.index.store import apply_capture
from tests.index_docs import BASE, doc, read_only_view


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/storm", "The harbour wall fell in the storm. " * 3,
                          title="Harbour wall falls"))
    apply_capture(db, doc("/news/market", "Fish prices at the market rose after the harbour "
                          "closed, traders said.", title="Market prices rise"))
    apply_capture(db, doc("/news/other", "Nothing to see.", title="Quiet day", site="other"))
    return db


def test_ranked_with_snippets(db: sqlite_utils.Database) -> None:
    hits = search(db, "harbour")
    assert [h.url for h in hits] == [BASE + "/news/storm", BASE + "/news/market"]
    assert hits[0].rank <= hits[1].rank
    assert "[harbour]" in hits[0].snippet.lower()
    assert hits[0].warc_record_id is not None
    assert search(db, "harbour", limit=1)[0].url == BASE + "/news/storm"


def test_all_words_and_phrases(db: sqlite_utils.Database) -> None:
    assert [h.url for h in search(db, "harbour traders")] == [BASE + "/news/market"]
    assert search(db, '"wall fell"')[0].url == BASE + "/news/storm"
    assert search(db, '"fell wall"') == []


def test_site_filter(db: sqlite_utils.Database) -> None:
    assert [h.site for h in search(db, "quiet", site="other")] == ["other"]
    assert search(db, "quiet", site="demo") == []


@pytest.mark.parametrize(
    "text", ['harbour"', "harbour -wall", "AND", "(harbour", "title:", "^*", "NEAR(", "a:b'c"]
)
def test_user_input_never_breaks_fts(db: sqlite_utils.Database, text: str) -> None:
    search(db, text)  # no exception: at worst, no hits


def test_empty_and_raw_errors(db: sqlite_utils.Database) -> None:
    with pytest.raises(SearchQueryError, match="empty"):
        search(db, '  ""  ')
    with pytest.raises(SearchQueryError, match="cannot search"):
        search(db, "harbour AND (", raw=True)
    assert len(search(db, "harb*", raw=True)) == 2
    with pytest.raises(SearchQueryError, match="not UTF-8"):
        search(db, "caf\udce9")  # "café" from a Latin-1 terminal, as Python passes it on
    with pytest.raises(SearchQueryError, match="limit must be from 1"):
        search(db, "harbour", limit=10**20)


def test_fts_query_quoting() -> None:
    assert fts_query('wall "the storm" x"y') == '"wall" "the storm" "x" "y"'
    assert fts_query("say \"hi") == '"say" "hi"'


def test_archived_articles(db: sqlite_utils.Database) -> None:
    archived = archived_articles(db, "demo")
    assert set(archived) == {BASE + "/news/storm", BASE + "/news/market"}
    assert archived_articles(db, "nowhere") == {}


def test_check_index(db: sqlite_utils.Database) -> None:
    assert check_index(db) == []
    db.execute("drop trigger articles_au")
    db.execute("update articles set text = 'changed behind the index' where url like '%storm'")
    db.execute("delete from captures where url like '%market'")
    problems = check_index(db)
    assert len(problems) == 2
    assert "articles_fts does not match" in problems[0]
    assert problems[1] == "1 articles without their capture row"


def test_odd_input_is_a_search_error_not_an_sqlite_one(db: sqlite_utils.Database) -> None:
    # A NUL ended SQLite's string ("unterminated string"); raw mode let FTS5's own
    # complaints through as sqlite3.OperationalError.
    assert [h.url for h in search(db, "harbour\x00wall")] == [BASE + "/news/storm"]
    for raw in ("*harbour", '"', 'harbour "wall'):
        with pytest.raises(SearchQueryError, match="cannot search for"):
            search(db, raw, raw=True)
    # An empty site (an unset $SITE in a script) searched every site.
    for empty in ("", "  "):
        with pytest.raises(SearchQueryError, match="empty site name"):
            search(db, "harbour", site=empty)


def test_search_and_runs_work_on_read_only_media(db: sqlite_utils.Database, tmp_path: Path) -> None:
    """An archive copied to read-only media (a snapshot, a mounted share) is still searchable:
    open_index switches to WAL and migrates, and failed there with "unable to open database file"."""
    db.close()
    cli = [sys.executable, "-m", "crawler.cli"]
    view = tmp_path / "ro"
    found = read_only_view(tmp_path, view, [*cli, "search", "harbour", "--data", str(view)])
    assert found.returncode == 0, found.stderr
    assert "Harbour wall falls" in found.stdout and "Market prices rise" in found.stdout
    runs = read_only_view(tmp_path, tmp_path / "ro2", [*cli, "runs", "--data", str(tmp_path / "ro2")])
    assert runs.returncode == 0 and "no crawl runs" in runs.stderr, runs.stderr


def test_read_only_index_of_an_older_schema_is_named(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    db.execute("delete from _sqlite_migrations where name = '0010_article_aliases'")
    db.conn.commit()
    db.close()
    cli = [sys.executable, "-m", "crawler.cli"]
    view = tmp_path / "ro"
    found = read_only_view(tmp_path, view, [*cli, "search", "harbour", "--data", str(view)])
    assert found.returncode == 1
    assert "is read-only and of an older schema" in found.stderr and "Traceback" not in found.stderr


def test_read_only_copy_with_a_write_ahead_log_but_no_shm_is_refused(tmp_path: Path) -> None:
    """A copy taken while a crawl wrote (backup tools often skip -shm): the immutable read
    skipped the -wal file's commits and searched without them, without a word."""
    live = tmp_path / "live"
    db = open_index(live / "index.db")
    db.execute("pragma wal_autocheckpoint = 0")  # the commit stays in the -wal file
    with transaction(db):
        apply_capture(db, doc("/news/storm", "The harbour wall fell in the storm.",
                              title="Harbour wall falls"))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("index.db", "index.db-wal"):
        shutil.copy(live / name, copy / name)
    db.close()
    assert (copy / "index.db-wal").stat().st_size > 0
    cli = [sys.executable, "-m", "crawler.cli"]
    view = tmp_path / "ro"
    found = read_only_view(copy, view, [*cli, "search", "harbour", "--data", str(view)])
    assert found.returncode == 1, found.stdout
    assert "index.db-wal beside it holds changes" in found.stderr
    assert "Traceback" not in found.stderr


def test_a_site_the_index_does_not_hold_is_named_by_search_and_runs(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """A typo ('demoo') printed "no articles match" / "no crawl runs" and exited 0."""
    from click.testing import CliRunner

    from crawler.cli import main

    db.close()
    for command in (["search", "harbour", "--site", "demoo"], ["runs", "--site", "demoo"]):
        result = CliRunner().invoke(main, [*command, "--data", str(tmp_path)])
        assert result.exit_code == 1, result.output
        assert "no site 'demoo' in this index (its sites: demo, other)" in result.output
    # A site it holds, with nothing to show: still an empty answer, exit 0.
    quiet = CliRunner().invoke(main, ["search", "harbour", "--site", "other", "--data", str(tmp_path)])
    assert quiet.exit_code == 0 and "no articles match" in quiet.output


def test_a_database_that_is_not_our_index_is_one_line_from_search_and_runs(tmp_path: Path) -> None:
    """Another tool's SQLite file as DATA/index.db (a wrong --data): search and runs ended in
    a traceback from the migrations ('table "articles" already exists'); crawl said it in one
    line."""
    import sqlite3
    from contextlib import closing

    from click.testing import CliRunner

    from crawler.cli import main

    with closing(sqlite3.connect(tmp_path / "index.db")) as other:
        other.execute("create table articles (x)")
        other.commit()
    for command in (["search", "harbour"], ["runs"]):
        result = CliRunner().invoke(main, [*command, "--data", str(tmp_path)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert (f"Error: {tmp_path / 'index.db'} is not a newsarchive index but another "
                "program's database (tables articles), left unchanged") in result.output


VIETNAMESE = "Kinh tế Việt Nam tăng trưởng mạnh. Ngân hàng Nhà nước giữ nguyên lãi suất."
HINDI = "भारतीय रिज़र्व बैंक ने आज ब्याज दरें स्थिर रखीं। अर्थव्यवस्था में सुधार हो रहा है।"


def test_words_of_every_script_are_whole_words_and_fold_their_accents(tmp_path: Path) -> None:
    """unicode61's defaults took Devanagari (and Thai, Bengali...) vowel signs for separators:
    a word was indexed as fragments, one letter found every word it began, and the snippet
    marked [अर्थव्यवस्थ]ा, cut before its last sign. Letters with two marks (Vietnamese ệ, ướ)
    kept them: "viet" found no "Việt" where "zurich" finds "Zürich"."""
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/vi", VIETNAMESE, title="Kinh tế"))
    apply_capture(db, doc("/news/hi", HINDI, title="बैंक"))
    assert [h.url for h in search(db, "viet nam")] == [BASE + "/news/vi"]
    assert [h.url for h in search(db, '"nha nuoc"')] == [BASE + "/news/vi"]
    [hit] = search(db, "अर्थव्यवस्था")
    assert "[अर्थव्यवस्था] में" in hit.snippet
    assert search(db, "स") == []  # the first letter of स्थिर is no word of the text


def test_a_word_ending_in_a_star_is_a_prefix(db: sqlite_utils.Database) -> None:
    """'harb*' found nothing (the star was quoted away, so it searched for the word 'harb'),
    though FTS5 and every search box take it as the words beginning so."""
    assert [h.url for h in search(db, "harb*")] == [BASE + "/news/storm", BASE + "/news/market"]
    assert [h.url for h in search(db, "harb* trad*")] == [BASE + "/news/market"]
    assert fts_query('harb* "wall*" *') == '"harb"* "wall*"'
    for odd in ("-*", "(*", "'*"):
        assert search(db, odd) == []
    with pytest.raises(SearchQueryError, match="empty search"):
        search(db, "** *")


def test_a_search_of_more_words_than_anyone_types_is_refused(db: sqlite_utils.Database) -> None:
    # Each term is ranked on its own; repeats are asked once, but "Harbour hArbour haRbour"
    # are different terms to ask and one word to the index (case and accents fold): 2,000
    # spellings of "international" over 3,000 articles took 24 s, with no time limit here.
    spellings = [
        "".join(c.upper() if n >> k & 1 else c for k, c in enumerate("harbour")) for n in range(33)
    ]
    assert len(search(db, " ".join(spellings[:MAX_TERMS]))) == 2  # as "harbour": every one asked
    with pytest.raises(SearchQueryError, match=f"at most {MAX_TERMS} words"):
        search(db, " ".join(spellings))
    assert len(search(db, "harbour " * 100)) == 2  # one word, however often
