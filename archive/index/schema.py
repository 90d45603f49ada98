"""The index schema: numbered sqlite-utils migrations, recorded in the database itself."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.db import DescIndex
from sqlite_utils.migrations import Migrations

from archive.index.dates import utc_or_none

MIGRATION_SET = "newsarchive-index"
FTS_COLUMNS = ("title", "description", "text")
# unicode61's defaults take combining marks (Unicode M*) for separators: a Devanagari, Bengali
# or Thai word, whose vowel signs are marks, was indexed as fragments (one letter found every
# word it began; snippets cut words before their last sign). remove_diacritics 2 also folds
# letters with two marks (Vietnamese ệ, ướ), as 1 folds ü and é. Marks that are no Latin
# diacritics (Arabic harakat, Hebrew niqqud) stay part of their word.
FTS_TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
# FTS5's `rank` weighs a hit in the title above one in the description, above one in the body.
FTS_RANK = "bm25(5.0, 2.0, 1.0)"

migrations = Migrations(MIGRATION_SET)

# The WARC position of a record, repeated on every table that links to one.
_POSITION = {
    "warc_file": str,
    "warc_offset": int,
    "warc_length": int,
    "warc_record_id": str,
    "payload_digest": str,
}


@migrations(name="0001_captures")
def m0001_captures(db: sqlite_utils.Database) -> None:
    # One row per fetch. The id is the response record id, or the metadata record id
    # when the fetch got no response: stable across rebuilds, so re-applying is a no-op.
    db.table("captures").create(
        {
            "id": str,
            "url": str,
            "site": str,
            "canonical_url": str,
            "status": int,
            "content_type": str,
            "fetched_at": str,
            "outcome": str,
            "reason": str,
            "discovery_source": str,
            "article_status": str,
            # sha1 of the extracted title + text, set only for captures that made an article row:
            # article_versions is derived from it.
            "content_sha1": str,
            **_POSITION,
            "metadata_warc_file": str,
            "metadata_warc_offset": int,
            "metadata_warc_length": int,
            "metadata_record_id": str,
        },
        pk="id",
        not_null=["url", "fetched_at", "outcome"],
    )
    db.table("captures").create_index(["site", "fetched_at"])
    db.table("captures").create_index(["url"])
    db.table("captures").create_index(["canonical_url", "content_sha1"])
    db.table("captures").create_index(["outcome"])


@migrations(name="0002_articles")
def m0002_articles(db: sqlite_utils.Database) -> None:
    db.table("articles").create(
        {
            "canonical_url": str,
            "site": str,
            "url": str,
            "fetched_at": str,
            "first_fetched_at": str,
            "versions": int,
            "word_count": int,
            "title": str,
            "authors": str,
            "published": str,
            "modified": str,
            "language": str,
            "description": str,
            "sitename": str,
            "section": str,
            "tags": str,
            "image": str,
            "date_source": str,
            "date_candidates": str,
            "text": str,
            "capture_id": str,
            **_POSITION,
        },
        pk="canonical_url",
        not_null=["site", "url", "fetched_at", "capture_id"],
    )
    db.table("articles").create_index(["site", "published"])
    db.table("articles").create_index(["published"])
    db.table("articles").create_index(["fetched_at"])
    db.table("articles").create_index(["language"])
    db.table("articles").create_index(["section"])
    # Triggers keep the FTS index current on every insert/update/delete; without them
    # enable_fts() leaves the index silently stale (DESIGN.md).
    db.table("articles").enable_fts(list(FTS_COLUMNS), create_triggers=True, tokenize="unicode61")


@migrations(name="0003_article_versions")
def m0003_article_versions(db: sqlite_utils.Database) -> None:
    # One row per distinct extracted title + text of an article; dates and position are derived
    # from the captures that produced that text, so the result is independent of the
    # order in which captures arrive (live crawl and rebuild agree).
    db.table("article_versions").create(
        {
            "canonical_url": str,
            "content_sha1": str,
            "first_fetched_at": str,
            "last_fetched_at": str,
            "captures": int,
            "title": str,
            "word_count": int,
            "text": str,
            "capture_id": str,
            **_POSITION,
        },
        pk=("canonical_url", "content_sha1"),
        not_null=["first_fetched_at", "capture_id"],
    )
    db.table("article_versions").create_index(["canonical_url", "first_fetched_at"])


@migrations(name="0004_crawl_runs")
def m0004_crawl_runs(db: sqlite_utils.Database) -> None:
    db.table("crawl_runs").create(
        {
            "id": int,
            "site": str,
            "started": str,
            "finished": str,
            "outcome": str,
            "stats": str,
            "pages": int,
            "articles": int,
            "errors": int,
        },
        pk="id",
        not_null=["site", "started"],
    )
    db.table("crawl_runs").create_index(["site", "started"])


@migrations(name="0005_indexed_files")
def m0005_indexed_files(db: sqlite_utils.Database) -> None:
    # Closed WARC files already projected into the index: name + size, so a second
    # `newsarchive index` skips them and a file that changed (salvaged) is redone.
    db.table("indexed_files").create(
        {
            "name": str,
            "size": int,
            "records": int,
            "captures": int,
            "reextract": int,
            "indexed_at": str,
        },
        pk="name",
    )


@migrations(name="0006_fts_rank_weights")
def m0006_fts_rank_weights(db: sqlite_utils.Database) -> None:
    # `order by rank` in our search and the canned query ranks with FTS_RANK.
    _set_fts_rank(db)


def _set_fts_rank(db: sqlite_utils.Database) -> None:
    db.execute("insert into articles_fts(articles_fts, rank) values('rank', ?)", [FTS_RANK])


@migrations(name="0007_unpaired_responses")
def m0007_unpaired_responses(db: sqlite_utils.Database) -> None:
    # Responses already read from an indexed file whose metadata record has not been seen:
    # the writer may roll over between a response and its metadata record, so the pair can
    # span two files indexed by different runs. Left-overs are responses whose metadata was
    # never written (the crawl died first).
    db.table("unpaired_responses").create(
        {
            "record_id": str,
            "url": str,
            "status": int,
            "date": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "payload_digest": str,
        },
        pk="record_id",
    )


@migrations(name="0008_articles_published_utc")
def m0008_articles_published_utc(db: sqlite_utils.Database) -> None:
    # `published` keeps the page's own offset, so its string order is not time order:
    # "latest articles" needed a full scan and sort. A UTC copy can be indexed.
    articles = db.table("articles")
    articles.add_column("published_utc", str)
    for key, published in db.execute(
        "select canonical_url, published from articles where published is not null"
    ).fetchall():
        articles.update(key, {"published_utc": utc_or_none(published)})
    articles.create_index(["published_utc"])
    articles.create_index(["site", "published_utc"])


@migrations(name="0009_job_leases")
def m0009_job_leases(db: sqlite_utils.Database) -> None:
    # One row per scheduled crawl (or task) running now, so two scheduler processes never run
    # one site at once: APScheduler's max_instances holds within one process only (DESIGN.md).
    # A row whose owner stopped renewing it (expires, unix time) or whose processes are gone
    # may be taken over.
    db.table("job_leases").create(
        {
            "name": str,       # "crawl:<site>" or "task:<job>"
            "token": str,      # unique per acquisition: only its taker renews or releases it
            "host": str,
            "pid": int,        # the scheduler process holding the lease
            "child_pid": int,  # the crawl subprocess, once started
            "run_id": int,     # the crawl_runs row of this run
            "acquired": str,
            "expires": float,
        },
        pk="name",
        not_null=["token", "host", "pid", "acquired", "expires"],
    )


@migrations(name="0010_article_aliases")
def m0010_article_aliases(db: sqlite_utils.Database) -> None:
    # Other URLs of one article: pages whose rel=canonical names another URL of the same host
    # are stored under that canonical URL; the URL they were fetched by is recorded here.
    db.table("article_aliases").create(
        {"alias_url": str, "canonical_url": str, "site": str, "first_seen": str},
        pk="alias_url",
        not_null=["canonical_url", "first_seen"],
    )
    db.table("article_aliases").create_index(["canonical_url"])


@migrations(name="0011_reread_for_aliases")
def m0011_reread_for_aliases(db: sqlite_utils.Database) -> None:
    # Files marked indexed before 0010 were read when no alias was stored, and `index` skips
    # marked files: their aliases never reached article_aliases, and crawls fetched those
    # URLs again. The next `newsarchive index` reads every file once more (applying a
    # capture again changes nothing else).
    db.execute("delete from indexed_files")


@migrations(name="0012_captures_by_metadata_file")
def m0012_captures_by_metadata_file(db: sqlite_utils.Database) -> None:
    # Every file an index run reads asks which captures it held (to drop those a salvage cut
    # out): without this index each file scanned the whole captures table.
    db.table("captures").create_index(["metadata_warc_file"])


@migrations(name="0013_table_page_order")
def m0013_table_page_order(db: sqlite_utils.Database) -> None:
    # Datasette shows each table newest first (sort_desc in config/datasette.yaml) and pages
    # on with `order by col desc, pk` and an OR of conditions: without an index in exactly
    # that order every page read and sorted the whole table (0.5 s at 100k articles, past
    # the 3 s time limit a few times larger). crawl_runs' pk is its rowid, in every index.
    for table, column, pk in (
        ("articles", "published_utc", ["canonical_url"]),
        ("captures", "fetched_at", ["id"]),
        ("article_versions", "first_fetched_at", ["canonical_url", "content_sha1"]),
        ("crawl_runs", "started", []),
    ):
        db.table(table).create_index([DescIndex(column), *pk])


@migrations(name="0014_facet_values_in_page_order")
def m0014_facet_values_in_page_order(db: sqlite_utils.Database) -> None:
    # A click on a facet value (config/datasette.yaml) shows its rows in the table's order:
    # through a one-column index SQLite read all rows of the value and sorted them for each
    # page (0.4 s a page for `language = en` at 100k articles). Each facet column gets an
    # index in that order, in place of its one-column index where there was one.
    for table, column, order in (
        ("articles", "language", "published_utc"),
        ("articles", "section", "published_utc"),
        ("captures", "outcome", "fetched_at"),
        ("captures", "status", "fetched_at"),
        ("crawl_runs", "outcome", "started"),
    ):
        db.execute(f"drop index if exists idx_{table}_{column}")
        db.table(table).create_index([column, order])


@migrations(name="0015_fts_words_of_every_script")
def m0015_fts_words_of_every_script(db: sqlite_utils.Database) -> None:
    # Rebuilds articles_fts (and its triggers) with FTS_TOKENIZE from the articles table; the
    # rank setting lives in the FTS table, so it is set again.
    db.table("articles").enable_fts(
        list(FTS_COLUMNS), create_triggers=True, tokenize=FTS_TOKENIZE, replace=True
    )
    _set_fts_rank(db)


@migrations(name="0016_captures_by_warc_position")
def m0016_captures_by_warc_position(db: sqlite_utils.Database) -> None:
    # The Datasette viewer opens /-/warc/FILE/OFFSET only where the index knows a record
    # (archive/datasette_plugin.py): without this index each view scanned every capture.
    db.table("captures").create_index(["warc_file", "warc_offset"])


@migrations(name="0017_articles_gated_last_fetched")
def m0017_articles_gated_last_fetched(db: sqlite_utils.Database) -> None:
    # The row shows a free version of an article before a paywall's teaser (gated), so its
    # fetched_at is no longer the article's last fetch: crawls decide what to fetch again
    # from last_fetched_at. Rows made before this held their latest version, not known to be
    # gated (`index --rebuild --reextract` finds out).
    articles = db.table("articles")
    articles.add_column("gated", int, not_null_default=0)
    articles.add_column("last_fetched_at", str)
    db.execute(
        "update articles set last_fetched_at = coalesce((select max(v.last_fetched_at) "
        "from article_versions as v where v.canonical_url = articles.canonical_url), fetched_at)"
    )


@migrations(name="0018_facet_pages_in_a_total_order")
def m0018_facet_pages_in_a_total_order(db: sqlite_utils.Database) -> None:
    # Datasette 0.65 orders a table's first page by the sort column alone and the pages after
    # it by that column and the primary key: among rows of one value (articles of one date,
    # or none) the first page came in the order of 0014's indexes, read backwards (rowid
    # descending), and the next pages skipped or repeated rows (120 of 150 `language = en`
    # articles, 19 twice). Each facet's index now ends with the sort column descending and
    # the primary key ascending: read forwards, it gives the first page in the pages' order.
    # (crawl_runs' primary key is its rowid, in every index.)
    for table, columns, order, pk in (
        ("articles", ("site", "language", "section"), "published_utc", ["canonical_url"]),
        ("captures", ("site", "outcome", "status"), "fetched_at", ["id"]),
        ("crawl_runs", ("site", "outcome"), "started", []),
        ("article_versions", ("canonical_url",), "first_fetched_at", ["content_sha1"]),
    ):
        for column in columns:
            db.execute(f"drop index if exists idx_{table}_{column}_{order}")
            db.table(table).create_index([column, DescIndex(order), *pk])


@migrations(name="0019_versions_gated")
def m0019_versions_gated(db: sqlite_utils.Database) -> None:
    # article_versions did not say which version was a paywall's teaser (only the articles
    # row, of the version it shows, did). A version is gated when every fetch of its text
    # was (a text also fetched free was there to read): each capture keeps its own flag.
    # Captures indexed before this are not known, but those shown by a gated article; the
    # next `newsarchive index` reads every file again (as 0011) and finds out the rest.
    db.table("captures").add_column("gated", int)
    db.table("article_versions").add_column("gated", int, not_null_default=0)
    db.execute("update captures set gated = 1 where id in "
               "(select capture_id from articles where gated = 1)")
    db.execute("update article_versions set gated = coalesce((select min(c.gated) from captures "
               "as c where c.canonical_url = article_versions.canonical_url "
               "and c.content_sha1 = article_versions.content_sha1), 0)")
    db.execute("delete from indexed_files")


@migrations(name="0020_unread_files")
def m0020_unread_files(db: sqlite_utils.Database) -> None:
    # WARC files `newsarchive index` does not read (uncompressed, in a subfolder, not named
    # in UTF-8), as they were when a run reported them: one reported and unchanged since is
    # a warning of later runs, not a failure of every run until it is moved.
    db.table("unread_files").create(
        {"name": str, "size": int, "mtime_ns": int, "reason": str, "reported_at": str},
        pk="name",
    )


@migrations(name="0021_crawl_run_records")
def m0021_crawl_run_records(db: sqlite_utils.Database) -> None:
    # Where each run's WARC record is: the record view (/-/warc/FILE/OFFSET) shows only the
    # records the index knows, and answered 404 for a run's. Runs indexed before this get
    # theirs from `newsarchive index --rebuild`.
    db.table("crawl_runs").add_column("warc_file", str)
    db.table("crawl_runs").add_column("warc_offset", int)


@migrations(name="0022_articles_per_site_per_day_view")
def m0022_articles_per_site_per_day_view(db: sqlite_utils.Database) -> None:
    # A canned query of Datasette returns at most max_returned_rows (1,000), its CSV too:
    # the per-day counts of a long archive lost their oldest days. A view is paged and
    # streamed like a table. Its order (site, day unique) is total: pages never overlap.
    db.create_view("articles_per_site_per_day", """
        select site, date(published_utc) as day, count(*) as articles
        from articles
        group by site, day
        order by day desc, site""")


@migrations(name="0023_one_index_in_page_order")
def m0023_one_index_in_page_order(db: sqlite_utils.Database) -> None:
    # 0008's one-column index on published_utc, beside 0013's (published_utc desc, pk): for a
    # click on a day of the date facet SQLite read the first page through it, backwards
    # (articles of one time in rowid descending order), and the next pages by the pk, so
    # they skipped or repeated articles. 0013's index serves every query 0008's did.
    db.execute("drop index if exists idx_articles_published_utc")


def migration_names() -> list[str]:
    """The migrations this code knows, in the order they apply."""
    return [m.name for m in migrations._migrations]


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """The migrations recorded in this database, in the order they were applied."""
    return [m.name for m in migrations.applied(db)]


def unknown_migrations(db: sqlite_utils.Database) -> list[str]:
    """Migrations recorded in this database that this code does not know (a later release's)."""
    known = set(migration_names())
    return [name for name in applied_migrations(db) if name not in known]


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations under one write lock; return the names applied.

    BEGIN IMMEDIATE serialises two processes opening a new index at once (the crawl and
    `newsarchive index`): the second waits, re-reads what is pending, and finds nothing.
    """
    if not migrations.pending(db):
        return []
    db.execute("BEGIN IMMEDIATE")
    try:
        pending = [m.name for m in migrations.pending(db)]
        # Inside our transaction each migration runs in a savepoint (sqlite-utils atomic()).
        migrations.apply(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    return pending
