"""Every row once, page after page: Datasette's table pages and facet views over rows that
share a date, the export of every article a search finds (as the README shows it), and
pages that read an index in their configured order rather than sorting the whole table."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette

from archive.index.database import open_index
from archive.index.runs import start_run
from archive.index.store import apply_capture
from tests.datasette_support import METADATA, get
from tests.index_docs import BASE, doc

ROOT = Path(__file__).resolve().parents[1]


def test_every_match_of_a_search_is_exported_past_the_hundred_the_canned_search_shows(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index.db"
    db = open_index(index)
    for n in range(150):
        apply_capture(db, doc(f"/news/harbour-{n}", f"Story {n} of the harbour wall and its repair."))
    apply_capture(db, doc("/news/school", "The school reopened on Monday."))
    db.close()
    canned = get(index.parent, "/index/search.json?q=harbour&_shape=array")[0]
    assert canned.status_code == 200 and len(canned.json()) == 100
    # The README's export command, as written there.
    readme = (ROOT / "README.md").read_text()
    assert "/index/articles.csv?_search=harbour&_sort=canonical_url&_stream=on" in readme
    export = get(index.parent, "/index/articles.csv?_search=harbour&_sort=canonical_url&_stream=on")[0]
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 150
    assert {row["url"].rsplit("/", 1)[1] for row in rows} == {f"harbour-{n}" for n in range(150)}
    assert all("harbour wall" in row["text"] for row in rows)


def test_a_streamed_export_sorted_by_a_column_of_equal_values_loses_rows(tmp_path: Path) -> None:
    # Why the README's export sorts by canonical_url: Datasette 0.65 pages by the sort
    # column, and articles without a date (equal, empty published_utc) came out 100 of 150.
    # When this fails, Datasette streams such sorts whole: the README can say so.
    index = tmp_path / "index.db"
    db = open_index(index)
    for n in range(150):
        apply_capture(db, doc(f"/news/harbour-{n}", f"Story {n} of the harbour wall."))
    db.close()
    export = get(index.parent, "/index/articles.csv?_search=harbour&_sort_desc=published_utc&_stream=on")[0]
    assert len(list(csv.DictReader(io.StringIO(export.text)))) < 150


def browse(index: Path, path: str) -> list[str]:
    """The primary keys of every row, following Datasette's next links from `path`."""
    async def run() -> list[str]:
        ds = Datasette([str(index)], metadata=METADATA, settings={"suggest_facets": False})
        keys: list[str] = []
        url: str | None = path
        while url:
            page = (await ds.client.get(url)).json()
            keys += [",".join(map(str, row[:len(page["primary_keys"]) or 1])) for row in page["rows"]]
            url = page["next_url"] and page["next_url"].removeprefix("http://localhost")
        return keys

    return asyncio.run(run())


def test_facet_pages_show_every_row_once_when_rows_share_a_date(tmp_path: Path) -> None:
    # Datasette 0.65 orders a first page by the sort column alone, the next ones by it and
    # the primary key: rows of one date (or none) came in another order on the first page,
    # and clicking "next" through `language = en` showed 120 of 150 articles, 19 twice.
    index = tmp_path / "index.db"
    db = open_index(index)
    for n in range(150):
        capture = doc(f"/news/story-{n:03d}", f"Story {n} of the harbour wall.",
                      fetched_at=f"2026-11-2{n % 2}T04:00:00+00:00")
        article = capture.metadata["article"]
        article.update(language="en", section="local")
        if n % 5:  # a fifth of them undated
            article["published"] = f"2026-11-2{n % 3}T10:00:00+00:00"
        apply_capture(db, capture)
    db.close()
    stories = {f"{BASE}/news/story-{n:03d}" for n in range(150)}
    for facet in ("", "site=demo&", "language=en&", "section=local&"):
        keys = browse(index, f"/index/articles.json?{facet}_size=20")
        assert sorted(keys) == sorted(stories), facet
    captures = browse(index, "/index/captures.json?_size=20")
    for facet in ("site=demo", "outcome=article", "status=200"):
        assert sorted(browse(index, f"/index/captures.json?{facet}&_size=20")) == sorted(captures), facet
    assert len(set(captures)) == 150


def test_a_day_of_the_date_facet_shows_every_article_once_when_they_share_a_time(
    tmp_path: Path,
) -> None:
    # Pages of day-only dates ("2026-11-20", from the URL say) share one published_utc. A
    # click on that day in the date facet read its first page through 0008's one-column
    # index backwards (rowid descending) and the next pages by canonical_url: 150 articles
    # came out as 110, 30 of them twice.
    index = tmp_path / "index.db"
    db = open_index(index)
    for n in range(150):
        capture = doc(f"/news/day-{n:03d}", f"Story {n} of the day.")
        capture.metadata["article"]["published"] = "2026-11-20"
        apply_capture(db, capture)
    db.close()
    keys = browse(index, "/index/articles.json?published_utc__date=2026-11-20&_size=20")
    assert sorted(keys) == sorted(f"{BASE}/news/day-{n:03d}" for n in range(150))


@pytest.fixture(scope="module")
def sortable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of a few pages more than one page of 10 rows, in every table shown sorted."""
    data = tmp_path_factory.mktemp("sortable")
    db = open_index(data / "index.db")
    for n in range(12):
        fetched = f"2026-11-28T04:{n:02d}:00+00:00"
        apply_capture(db, doc(f"/news/{n}", f"story {n}", fetched_at=fetched))
        start_run(db, "demo", fetched)
    db.close()
    return data


SORTED_TABLES = {name: table for name, table in METADATA["databases"]["index"]["tables"].items()
                 if "sort_desc" in table}


def page_plans(data: Path, path: str) -> list[tuple[str, list[str]]]:
    """The SQL of the first two pages of `path` (10 rows a page), each with its query plan."""
    [first] = get(data, f"{path}&_size=10")
    pages = [first]
    if first.json()["next"]:
        pages += get(data, f"{path}&_size=10&_next={first.json()['next']}")
    conn = sqlite3.connect(data / "index.db")
    plans = []
    for page in pages:
        query = page.json()["query"]
        plan = [row[3] for row in conn.execute("explain query plan " + query["sql"], query["params"])]
        plans.append((query["sql"], plan))
    conn.close()
    return plans


def test_table_pages_in_their_configured_order_read_an_index(sortable: Path) -> None:
    # Each table's default order (sort_desc) and its next pages (Datasette's keyset query:
    # `where (col < :p or col is null or ...) order by col desc, pk`) had no index to read in
    # that order: every page read and sorted the whole table. At 100k articles page 2 of
    # `articles` took 0.5 s, of `captures` and `article_versions` as long; the 3 s limit
    # failed them a few times larger. Plans do not depend on table size (no ANALYZE), but
    # do on the page size: SQLite 3.40 prefers the OR's indexes below ~10 rows a page.
    assert set(SORTED_TABLES) == {"articles", "article_versions", "captures", "crawl_runs"}
    for name in SORTED_TABLES:
        pages = page_plans(sortable, f"/index/{name}.json?")
        assert len(pages) == 2
        for sql, plan in pages:
            assert not any("TEMP B-TREE" in step or "MULTI-INDEX" in step for step in plan), (
                sql, plan)


def test_facet_values_in_the_configured_order_read_an_index(sortable: Path) -> None:
    # A click on a facet value (`?language=en`) read every row of that value through the
    # one-column index and sorted them all for each page: 0.4 s a page at 100k articles,
    # nearly all `en`. Date facets filter on date(col), which no index serves.
    conn = sqlite3.connect(sortable / "index.db")
    for name, table in SORTED_TABLES.items():
        for column in (f for f in table.get("facets", []) if isinstance(f, str)):
            [value] = conn.execute(f"select {column} from {name} limit 1").fetchone()
            for sql, plan in page_plans(sortable, f"/index/{name}.json?{column}={value}"):
                assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), (sql, plan)
    conn.close()


def test_latest_articles_of_one_site_reads_that_site_only(sortable: Path) -> None:
    # `(:site = '' or site = :site)` read the newest articles of every site until it had 100 of
    # this one: a site with nothing recent (or a typo) read the whole table, 0.1 s per 100k
    # articles, past the time limit on a big archive.
    sql = METADATA["databases"]["index"]["queries"]["latest_articles"]["sql"]
    conn = sqlite3.connect(sortable / "index.db")
    plan = [row[3] for row in conn.execute("explain query plan " + sql, {"site": "nowhere"})]
    conn.close()
    assert any("(site=? AND published_utc>?)" in step for step in plan), plan
    pages = get(sortable, *(f"/index/latest_articles.json?_shape=array&site={site}"
                            for site in ("", "demo", "nowhere")))
    assert [len(page.json()) for page in pages] == [12, 12, 0]
