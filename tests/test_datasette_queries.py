"""Canned queries and facets that must agree with each other, through Datasette's own test
client on a real index (config/datasette.yaml as shipped)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from archive.index.database import open_index
from archive.index.store import apply_capture
from tests.datasette_support import METADATA, SETTINGS, get
from tests.index_docs import BASE, doc

ROOT = Path(__file__).resolve().parents[1]




def test_a_canned_query_that_stops_at_a_number_of_rows_says_so() -> None:
    # taken_down listed the 500 most recent removals and latest_articles 100 articles with
    # nothing on the page saying there could be more: a researcher counted them as all.
    for name, query in METADATA["databases"]["index"]["queries"].items():
        limits = re.findall(r"\blimit (\d+)", query["sql"])
        if limits:
            assert f" {limits[-1]} " in query["description"], name


def test_the_day_facet_counts_the_days_articles_per_site_per_day_counts(tmp_path: Path) -> None:
    # A Tokyo site's page gives "2026-11-28T03:00:00" (no offset, its timezone in the config):
    # 18:00 UTC on the 27th, the day articles_per_site_per_day counts it on. The articles
    # table's date facet read the page's own text with SQLite's date() and counted it on
    # the 28th, and a click on that day listed it there.
    db = open_index(tmp_path / "index.db")
    for path, published in (("/news/night", "2026-11-28T03:00:00"),
                            ("/news/noon", "2026-11-28T12:00:00+09:00")):
        capture = doc(path, f"The story told at {path}.")
        capture.metadata["timezone"] = "Asia/Tokyo"
        capture.metadata["article"]["published"] = published
        apply_capture(db, capture)
    db.close()
    per_day, table = get(tmp_path, "/index/articles_per_site_per_day.json?_shape=array",
                         "/index/articles.json")
    days = {row["day"]: row["articles"] for row in per_day.json()}
    assert days == {"2026-11-27": 1, "2026-11-28": 1}
    [facet] = [f for f in table.json()["facet_results"].values() if f["type"] == "date"]
    assert {v["value"]: v["count"] for v in facet["results"]} == days
    night = next(v for v in facet["results"] if v["value"] == "2026-11-27")
    (clicked,) = get(tmp_path, night["toggle_url"].removeprefix("http://localhost")
                     .replace("/index/articles?", "/index/articles.json?"))
    assert [row[0] for row in clicked.json()["rows"]] == [BASE + "/news/night"]


def test_another_database_served_beside_the_index_keeps_datasettes_own_search(
    tmp_path: Path,
) -> None:
    # The index's table search reads `econom*` as a prefix (escape_fts replaced by the
    # plugin), in FTS5 syntax, "econom"*. The plugin is loaded by every Datasette of the
    # environment, and that syntax is no prefix in FTS4: `datasette index.db notes.db` (or
    # notes.db alone) found nothing for notes.db's `econom*`, which Datasette's own finds.
    open_index(tmp_path / "index.db").close()
    notes = sqlite_utils.Database(tmp_path / "notes.db")
    notes["notes"].insert_all([{"id": 1, "title": "The economy grows"},
                               {"id": 2, "title": "The harbour wall"}], pk="id")
    notes["notes"].enable_fts(["title"], fts_version="FTS4")
    notes.close()
    prefix, word = get(tmp_path, "/notes/notes.json?_search=econom*&_shape=array",
                       "/notes/notes.json?_search=harbour&_shape=array",
                       beside=(tmp_path / "notes.db",))
    assert [row["id"] for row in prefix.json()] == [1]
    assert [row["id"] for row in word.json()] == [2]


def test_articles_per_site_per_day_has_every_day_of_a_long_archive(tmp_path: Path) -> None:
    # A canned query returns at most max_returned_rows (1,000) rows, its CSV too, without a
    # word: one site archived for three years (or ten sites for 100 days) lost its oldest
    # days from the per-day counts. They are a view now, paged and streamed like a table.
    db = open_index(tmp_path / "index.db")
    start = date(2023, 1, 1)
    for n in range(1100):
        capture = doc(f"/news/day-{n}", f"The story of day {n}.")
        capture.metadata["article"]["published"] = f"{start + timedelta(days=n)}T12:00:00Z"
        apply_capture(db, capture)
    db.close()
    export, page = get(tmp_path, "/index/articles_per_site_per_day.csv?_stream=on",
                       "/index/articles_per_site_per_day.json?_shape=objects")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1100 and {row["articles"] for row in rows} == {"1"}
    assert (rows[0]["day"], rows[-1]["day"]) == (str(start + timedelta(days=1099)), str(start))
    assert page.json()["filtered_table_rows_count"] == 1100


def test_a_search_of_one_word_many_times_is_as_quick_as_of_it_once(tmp_path: Path) -> None:
    # FTS5 ranks each repeat of a term on its own: "harbour " 2,000 times over 150 articles
    # took 1.3 s of SQLite (8,000 times over 3,000 articles 15 s, past the time limit),
    # holding one of Datasette's three query threads; a repeat adds nothing to a search.
    db = open_index(tmp_path / "index.db")
    for n in range(150):
        apply_capture(db, doc(f"/news/harbour-{n}", f"Story {n} of the harbour wall."))
    db.close()
    [r] = get(tmp_path, "/index/search.json?_shape=array&q=" + "harbour+" * 2000,
              settings={**SETTINGS, "sql_time_limit_ms": 300})
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()) == 100


def test_a_search_of_one_word_in_many_spellings_is_refused_quickly(tmp_path: Path) -> None:
    # The repeats above, spelt in other cases: terms to FTS5, one word to the index. 2,000
    # spellings of "lighthouses" over 150 articles ran past the time limit as the repeats did.
    db = open_index(tmp_path / "index.db")
    for n in range(150):
        apply_capture(db, doc(f"/news/light-{n}", f"Story {n} of the lighthouses."))
    db.close()
    spellings = "+".join(
        "".join(c.upper() if n >> k & 1 else c for k, c in enumerate("lighthouses"))
        for n in range(2000))
    search, table = get(tmp_path, "/index/search.json?_shape=array&q=" + spellings,
                        "/index/articles.json?_shape=array&_search=" + spellings,
                        settings={**SETTINGS, "sql_time_limit_ms": 300})
    assert search.status_code == 200 and table.status_code == 200, search.text[:300]


def test_every_fetch_of_a_moved_article_as_its_history_lists_its_versions(tmp_path: Path) -> None:
    # Run one archived /news/old; in run two it redirects to /news/new. article_history of
    # /news/new lists the version archived as /news/old, but article_fetches of /news/new
    # left out that fetch and the redirect: the record history pointed to was in no fetch.
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/old", "The first version of the story."))
    later = "2026-11-29T04:00:00+00:00"
    hop = doc("/news/old", None, status=301, outcome="redirect", fetched_at=later)
    hop.metadata["reason"] = f"redirects to {BASE}/news/new"
    apply_capture(db, hop)
    moved = doc("/news/new", "The story, corrected.", fetched_at="2026-11-29T04:00:01+00:00")
    moved.metadata["aliases"] = [BASE + "/news/old"]
    apply_capture(db, moved)
    db.close()
    history, fetches = get(
        tmp_path, f"/index/article_history.json?_shape=array&canonical_url={BASE}/news/new",
        f"/index/article_fetches.json?_shape=array&canonical_url={BASE}/news/new")
    assert [(row["url"], row["status"], row["outcome"]) for row in fetches.json()] == [
        (BASE + "/news/old", 200, "article"), (BASE + "/news/old", 301, "redirect"),
        (BASE + "/news/new", 200, "article")]
    fetched = {(row["warc_file"], row["warc_offset"]) for row in fetches.json()}
    assert {(row["warc_file"], row["warc_offset"]) for row in history.json()} <= fetched


def test_taken_down_lists_an_article_stored_under_its_rel_canonical(tmp_path: Path) -> None:
    # The feed links /news/123; the page declares rel=canonical /news/123-harbour-wall, under
    # which the article is stored (/news/123 its alias). A revisit asks for /news/123 again
    # and gets a 404, recorded under that URL: taken_down joined it to no article and never
    # listed the story, though article_fetches shows the 404.
    db = open_index(tmp_path / "index.db")
    stored = doc("/news/123", "The harbour wall fell.")
    stored.metadata["canonical_url"] = BASE + "/news/123-harbour-wall"
    stored.metadata["aliases"] = [BASE + "/news/123"]
    apply_capture(db, stored)
    apply_capture(db, doc("/news/123", None, status=404, outcome="http_error",
                          fetched_at="2026-11-29T04:00:00+00:00"))
    db.close()
    gone, fetches = get(
        tmp_path, "/index/taken_down.json?_shape=array",
        f"/index/article_fetches.json?_shape=array&canonical_url={BASE}/news/123-harbour-wall")
    assert [row["status"] for row in fetches.json()] == [200, 404]
    assert [(row["canonical_url"], row["status"]) for row in gone.json()] == [
        (BASE + "/news/123-harbour-wall", 404)]


def test_article_history_says_which_version_is_a_paywalls_teaser(tmp_path: Path) -> None:
    # A paywall put up after publishing: the history listed the teaser as one more version
    # of the story, with nothing to tell it from a rewrite.
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/a", "The whole story of the harbour wall, told in full."))
    teaser = doc("/news/a", "The harbour wall...", fetched_at="2026-11-29T04:00:00+00:00")
    teaser.metadata["article"]["gated"] = True
    apply_capture(db, teaser)
    db.close()
    (history,) = get(tmp_path, f"/index/article_history.json?_shape=array&canonical_url={BASE}/news/a")
    assert [(row["text"], row["gated"]) for row in history.json()] == [
        ("The whole story of the harbour wall, told in full.", 0), ("The harbour wall...", 1)]
