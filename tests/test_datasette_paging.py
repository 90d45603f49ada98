"""Every row once, page after page: Datasette's table pages and facet views over rows that
share a date, and the export of every article a search finds (as the README shows it)."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from datasette.app import Datasette

from archive.index.database import open_index
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
