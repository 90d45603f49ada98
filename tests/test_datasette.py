"""Datasette on a real index with config/datasette.yaml, through Datasette's own test client."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from datasette.plugins import pm
from markupsafe import escape

import archive.datasette_plugin
from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.index.store import apply_capture
from archive.warc.records import HttpRequestData, HttpResponseData
from archive.warc.writer import WarcFileWriter
from tests.datasette_support import METADATA, SETTINGS, get
from tests.index_docs import BASE, FETCHED, Crawl, article_dict, doc, metadata

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    crawl = Crawl(data / "warc", None)
    for path, text, title, section in [
        ("/news/storm", "The harbour wall fell in the storm. The harbour is closed.",
         "Harbour wall falls", "weather"),
        ("/news/market", "Fish prices rose after the harbour closed, traders said.",
         "Market prices rise", "business"),
        ("/news/school", "The school reopened on Monday.", "School reopens", "local"),
    ]:
        meta = metadata(path, article=article_dict(text, title=title, section=section))
        crawl.fetch(path, b"<html><p>" + text.encode() + b"</p></html>", meta=meta,
                    encoding="gzip")
    crawl.writer.close()
    db = open_index(data / "index.db")
    index_warc_directory(db, data / "warc")
    db.close()
    return data


@pytest.fixture
def plugin() -> Iterator[None]:
    # Registered by the project's `datasette` entry point (pyproject.toml); this asserts it is.
    assert pm.get_plugin("newsarchive") is archive.datasette_plugin
    yield




def test_database_is_named_index_with_metadata(data: Path) -> None:
    [meta, db] = get(data, "/-/metadata.json", "/index.json")
    assert meta.json()["title"] == "newsarchive"
    assert "license" in meta.json()
    assert db.status_code == 200
    assert {q["name"] for q in db.json()["queries"]} >= {"search", "latest_articles"}
    assert "articles_per_site_per_day" in {v["name"] for v in db.json()["views"]}


def test_canned_search_is_ranked_with_snippets(data: Path) -> None:
    [r] = get(data, "/index/search.json?q=harbour&_shape=array")
    rows = r.json()
    assert [row["url"] for row in rows] == [BASE + "/news/storm", BASE + "/news/market"]
    assert rows[0]["rank"] <= rows[1]["rank"]
    assert all("<mark>harbour</mark>" in row["snippet"].lower() for row in rows)
    assert all(row["warc_file"] and row["warc_offset"] is not None for row in rows)


@pytest.mark.parametrize(
    "q",
    ["", '"', "harbour AND (", "-wall", "title:x", "NEAR(",
     # Datasette's escape_fts() passed these to FTS5 (400: unterminated string, syntax error).
     "harbour%00", '"the harbour%0A(wall)"', '"harbour%0A-wall"'],
)
def test_canned_search_never_errors_on_input(data: Path, q: str) -> None:
    [r] = get(data, "/index/search.json?_shape=array&q=" + q.replace("(", "%28"))
    assert r.status_code == 200, r.text


def test_canned_search_keeps_quoted_phrases(data: Path) -> None:
    phrase, words = get(data, "/index/search.json?_shape=array&q=%22harbour+wall%22",
                        "/index/search.json?_shape=array&q=harbour+closed")
    assert [row["url"] for row in phrase.json()] == [BASE + "/news/storm"]
    assert {row["url"] for row in words.json()} == {BASE + "/news/storm", BASE + "/news/market"}


def test_canned_search_takes_a_star_as_a_prefix(data: Path) -> None:
    [r] = get(data, "/index/search.json?_shape=array&q=harb*+clos*")
    assert {row["url"] for row in r.json()} == {BASE + "/news/storm", BASE + "/news/market"}


@pytest.mark.parametrize("q", ["%22", "%22%22", "harbour%00", "", "%20"])
def test_table_search_never_errors_on_input(data: Path, q: str) -> None:
    # The README's export searches the articles table (?_search=); Datasette's escape_fts()
    # turned a lone quote, an empty phrase, a NUL or no word at all into 400 "fts5: syntax
    # error near """ (or "unterminated string"). It now reads input as the canned search does.
    search, column = get(data, f"/index/articles.json?_search={q}",
                         f"/index/articles.json?_search_title={q}")
    assert search.status_code == 200 and column.status_code == 200, search.text + column.text


def test_table_search_reads_words_phrases_and_prefixes_as_the_canned_search(data: Path) -> None:
    prefix, phrase = get(data, "/index/articles.json?_search=harb*+clos*&_shape=array",
                         "/index/articles.json?_search=%22harbour+wall%22&_shape=array")
    assert {row["url"] for row in prefix.json()} == {BASE + "/news/storm", BASE + "/news/market"}
    assert [row["url"] for row in phrase.json()] == [BASE + "/news/storm"]


def test_other_canned_queries(data: Path) -> None:
    per_day, latest, one_site = get(
        data,
        "/index/articles_per_site_per_day.json?_shape=array",
        "/index/latest_articles.json?_shape=array",
        "/index/latest_articles.json?_shape=array&site=nowhere",
    )
    assert per_day.json() == [{"site": "demo", "day": "2026-11-27", "articles": 3}]
    assert len(latest.json()) == 3
    assert one_site.json() == []


def test_taken_down_and_every_fetch_of_an_article(tmp_path: Path) -> None:
    # A researcher asked which stories a site removed: the articles row still showed each
    # as current, and only the captures table held the 404 or 410 of a later run.
    db = open_index(tmp_path / "index.db")
    later, latest = "2026-11-29T04:00:00+00:00", "2026-11-30T04:00:00+00:00"
    for path in ("/news/kept", "/news/removed", "/news/gone", "/news/back"):
        apply_capture(db, doc(path, f"The story told at {path}."))
    apply_capture(db, doc("/news/kept", "The story told at /news/kept.", fetched_at=later))
    apply_capture(db, doc("/news/removed", None, status=404, outcome="http_error", fetched_at=later))
    apply_capture(db, doc("/news/gone", None, status=410, outcome="http_error", fetched_at=later))
    apply_capture(db, doc("/news/back", None, status=404, outcome="http_error", fetched_at=later))
    apply_capture(db, doc("/news/back", "The story told at /news/back.", fetched_at=latest))
    db.close()
    gone, fetches = get(tmp_path, "/index/taken_down.json?_shape=array",
                        f"/index/article_fetches.json?_shape=array&canonical_url={BASE}/news/back")
    assert [(row["canonical_url"], row["status"]) for row in gone.json()] == [
        (BASE + "/news/gone", 410), (BASE + "/news/removed", 404)]
    assert [(row["status"], row["outcome"]) for row in fetches.json()] == [
        (200, "article"), (404, "http_error"), (200, "article")]


def test_taken_down_lists_a_451_and_a_soft_404(tmp_path: Path) -> None:
    # A story withheld by a court order answers 451; many sites answer a removed story with
    # a 200 "page not found" (a soft 404). Neither was listed as taken down.
    db = open_index(tmp_path / "index.db")
    later = "2026-11-29T04:00:00+00:00"
    for path in ("/news/withheld", "/news/soft", "/news/paywalled"):
        apply_capture(db, doc(path, f"The story told at {path}."))
    apply_capture(db, doc("/news/withheld", None, status=451, outcome="http_error", fetched_at=later))
    for path, reason in (("/news/soft", "soft 404: title 'Page not found'"),
                         ("/news/paywalled", "paywall stub: 14 words, isAccessibleForFree false")):
        stub = doc(path, None, fetched_at=later)
        stub.metadata["reason"] = reason
        apply_capture(db, stub)
    db.close()
    (gone,) = get(tmp_path, "/index/taken_down.json?_shape=array")
    assert [(row["canonical_url"], row["status"], row["reason"]) for row in gone.json()] == [
        (BASE + "/news/soft", 200, "soft 404: title 'Page not found'"),
        (BASE + "/news/withheld", 451, None)]


def test_article_history_follows_a_move_to_a_new_url(tmp_path: Path) -> None:
    # Run one archived /news/old; by run two it redirects to /news/new. The history of the
    # story under its new URL lacked the version archived before the move.
    db = open_index(tmp_path / "index.db")
    apply_capture(db, doc("/news/old", "The first version of the story."))
    moved = doc("/news/new", "The story, corrected.", fetched_at="2026-11-29T04:00:00+00:00")
    moved.metadata["aliases"] = [BASE + "/news/old"]
    apply_capture(db, moved)
    db.close()
    (history,) = get(tmp_path, f"/index/article_history.json?_shape=array&canonical_url={BASE}/news/new")
    assert [(row["archived_as"], row["title"]) for row in history.json()] == [
        (BASE + "/news/old", "A title"), (BASE + "/news/new", "A title")]


def test_facets_configured_and_suggestions_off(data: Path) -> None:
    [r] = get(data, "/index/articles.json")
    body = r.json()
    facets = body["facet_results"]
    assert set(facets) == {"site", "language", "section", "published_utc"}
    assert facets["published_utc"]["type"] == "date"
    assert {v["value"]: v["count"] for v in facets["section"]["results"]} == {
        "weather": 1, "business": 1, "local": 1,
    }
    assert body["suggested_facets"] == []


def test_read_only(data: Path) -> None:
    write, count = get(
        data,
        "/index.json?sql=delete+from+articles",
        "/index.json?sql=select+count(*)+as+n+from+articles&_shape=array",
    )
    assert write.status_code == 400
    assert count.json() == [{"n": 3}]
    assert not any(q.get("write") for q in METADATA["databases"]["index"]["queries"].values())


def test_sql_time_limit(data: Path) -> None:
    slow = ("/index.json?sql=with+recursive+c(x)+as+(select+1+union+all+select+x%2B1+from+c)"
            "+select+count(*)+from+c")
    [r] = get(data, slow, settings={**SETTINGS, "sql_time_limit_ms": 50})
    assert r.status_code == 400
    assert "too long" in r.text


def test_plugin_highlights_and_links_records(data: Path, plugin: None) -> None:
    [html] = get(data, "/index/search?q=harbour")
    assert "<mark>harbour</mark>" in html.text.lower()
    assert "&lt;mark&gt;harbour" not in html.text.lower()
    assert 'href="/-/warc/' in html.text


def test_plugin_links_the_metadata_record_of_a_capture(data: Path, plugin: None) -> None:
    # A fetch that got no response (refused, DNS) has only its metadata record, which the
    # viewer opens: the captures page showed its file as plain text, with no way to it.
    db = open_index(data / "index.db")
    row = next(db.query("select metadata_warc_file as f, metadata_warc_offset as o from captures"))
    db.close()
    path = f"/-/warc/{row['f']}/{row['o']}"
    html, record = get(data, "/index/captures", path)
    assert f'href="{path}"' in html.text
    assert record.status_code == 200 and "metadata record" in record.text


def test_plugin_record_view(data: Path, plugin: None) -> None:
    db = open_index(data / "index.db")
    row = db.table("articles").get(BASE + "/news/storm")
    db.close()
    path = f"/-/warc/{row['warc_file']}/{row['warc_offset']}"
    record, page, bad, missing = get(
        data, path, path + "?view=page", "/-/warc/..%2Findex.db/0", f"{path}1"
    )
    assert record.status_code == 200
    assert str(escape(row["warc_record_id"])) in record.text and "HTTP/1.1 200" in record.text
    assert "The harbour wall fell" in record.text  # decoded from gzip
    assert page.status_code == 200 and "sandbox" in page.headers["content-security-policy"]
    assert page.content.startswith(b"<html>")
    assert bad.status_code == 404 and missing.status_code == 404


def test_plugin_record_view_reads_the_archived_charset_and_refuses_odd_requests(
    tmp_path: Path, plugin: None
) -> None:
    crawl = Crawl(tmp_path / "warc", None)
    text = "Центральный банк повысил ставку"
    crawl.fetch("/news/rate", b"<html><p>" + text.encode("cp1251") + b"</p></html>",
                meta=metadata("/news/rate", article=article_dict(text, title="Ставка")),
                content_type="text/html; charset=windows-1251")
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")
    row = db.table("articles").get(BASE + "/news/rate")
    db.close()
    (tmp_path / "warc" / "folder.warc.gz").mkdir()
    record, huge, folder = get(
        tmp_path, f"/-/warc/{row['warc_file']}/{row['warc_offset']}",
        f"/-/warc/{row['warc_file']}/99999999999999999999", "/-/warc/folder.warc.gz/0",
    )
    assert record.status_code == 200 and text in record.text  # was U+FFFD throughout
    assert huge.status_code == 404 and folder.status_code == 404  # both were 500


def archive_odd_responses(tmp_path: Path) -> dict[str, str]:
    """Responses a hostile or broken server sends, archived as received: their record paths."""
    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    paths = {}
    cyrillic = "<html><p>Центральный банк повысил ставку</p></html>".encode("cp1251")
    for name, headers, payload in [
        # 2 KB of gzip in gzip that inflates to 32 MiB: the view inflated it whole, in memory.
        ("bomb", [("Content-Type", "text/html"), ("Content-Encoding", "gzip, gzip")],
         gzip.compress(gzip.compress(bytes(32 * 1024 * 1024)))),
        ("lying", [("Content-Type", "text/html; charset=utf-8")], cyrillic),
        ("nul", [("Content-Type", "text/html\x00; charset=utf-8")], b"<html><p>nul</p></html>"),
        ("untyped", [], b"\n<!DOCTYPE html><html><p>No Content-Type</p></html>"),
        ("octet", [("Content-Type", "application/octet-stream")], b"<html><p>A story</p></html>"),
        ("binary", [("Content-Type", "application/octet-stream")], b"%PDF-1.4\n%%EOF\n"),
    ]:
        positions = writer.write_exchange(
            HttpRequestData("GET", f"{BASE}/{name}", [("Host", "127.0.0.1:8765")]),
            HttpResponseData(f"{BASE}/{name}", 200, "OK", headers, payload, FETCHED),
        )
        paths[name] = f"/-/warc/{positions.response.file}/{positions.response.offset}"
    writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")  # the viewer opens only records it knows
    db.close()
    return paths


def test_plugin_record_view_of_hostile_responses(tmp_path: Path, plugin: None) -> None:
    paths = archive_odd_responses(tmp_path)
    bomb, bomb_page, lying, lying_page, nul_page, digits = get(
        tmp_path, paths["bomb"], paths["bomb"] + "?view=page", paths["lying"],
        paths["lying"] + "?view=page", paths["nul"] + "?view=page",
        paths["nul"].rsplit("/", 1)[0] + "/" + "9" * 4301,
    )
    # Decoded up to a limit, then shown as archived with the reason.
    assert bomb.status_code == 200 and "Shown as archived" in bomb.text
    assert "more than 16,777,216 bytes" in bomb.text
    assert bomb_page.status_code == 200 and len(bomb_page.content) < 100_000
    # A header that names a charset the bytes are not in: read as extraction reads them.
    assert "Центральный банк" in lying.text
    assert lying_page.headers["content-type"] == "text/html"  # the browser reads the page
    # A NUL in the archived Content-Type made the server drop the connection.
    assert nul_page.status_code == 200
    assert nul_page.headers["content-type"] == "application/octet-stream"
    assert digits.status_code == 404  # 4,301 digits: int() refused them, a 500


def test_plugin_page_view_of_html_served_without_a_type_is_html(tmp_path: Path, plugin: None) -> None:
    # Sent without a Content-Type, or as application/octet-stream, the crawl read the page as
    # HTML (Scrapy sniffs it) and indexed it as an article, but "View the archived page"
    # served it as application/octet-stream: the browser downloaded a file.
    paths = archive_odd_responses(tmp_path)
    untyped, octet, binary = get(tmp_path, *(paths[name] + "?view=page"
                                             for name in ("untyped", "octet", "binary")))
    assert untyped.headers["content-type"] == "text/html"
    assert octet.headers["content-type"] == "text/html"
    assert binary.headers["content-type"] == "application/octet-stream"
    assert octet.headers["content-security-policy"] == archive.datasette_plugin.PAGE_CSP


def test_plugin_record_view_opens_only_records_the_index_knows(tmp_path: Path, plugin: None) -> None:
    """Deflate stores an incompressible payload verbatim: a page of random bytes around a gzip
    member of its own making put that member in the file, and /-/warc/FILE/OFFSET at it showed
    a made-up "response" of any URL, in the archive's own viewer and ?view=page."""
    import os

    from archive.warc.reader import read_record

    forged_http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>Minister resigns</h1>"
    forged = gzip.compress(
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://news.example/resigns\r\n"
        b"WARC-Date: 2026-01-01T00:00:00Z\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000000>\r\n"
        b"Content-Type: application/http;msgtype=response\r\n"
        b"Content-Length: %d\r\n\r\n%s\r\n\r\n" % (len(forged_http), forged_http))
    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    positions = writer.write_exchange(
        HttpRequestData("GET", f"{BASE}/noise", [("Host", "127.0.0.1:8765")]),
        HttpResponseData(f"{BASE}/noise", 200, "OK", [("Content-Type", "application/octet-stream")],
                         os.urandom(100_000) + forged + os.urandom(5_000), FETCHED),
    )
    writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")
    db.close()
    file = positions.response.file
    inside = (tmp_path / "warc" / file).read_bytes().find(forged)
    assert inside > positions.response.offset  # stored verbatim: a record to whoever reads there
    assert read_record(tmp_path / "warc", file, inside).target_uri == "https://news.example/resigns"
    genuine, view, page = get(tmp_path, f"/-/warc/{file}/{positions.response.offset}",
                              f"/-/warc/{file}/{inside}", f"/-/warc/{file}/{inside}?view=page")
    assert genuine.status_code == 200 and f"{BASE}/noise" in genuine.text
    for response in (view, page):
        assert response.status_code == 404 and "resigns" not in response.text
        assert "no record the index knows" in response.text


def test_home_page_links_work_behind_a_base_url(data: Path) -> None:
    # Behind a proxy at /archive/, "/index/search" left the proxy; a relative link stays in it
    # (the description is shown on the home page only).
    links = re.findall(r'href="([^"]+)"', METADATA["description_html"])
    assert links and not any(link.startswith("/") for link in links)
    home, *targets = get(data, "/", *(urljoin("/", link) for link in links),
                         settings={**SETTINGS, "base_url": "/archive/"})
    assert all(f'href="{link}"' in home.text for link in links)
    assert [t.status_code for t in targets] == [200] * len(links)


def test_an_index_of_an_older_schema_is_named_at_startup(tmp_path: Path) -> None:
    """Served right after an upgrade (before a crawl or `newsarchive index` migrated it), or
    an old copy: the articles table answered 500 "Cannot sort table by published_utc"."""
    import click
    import sqlite_utils

    from archive.index.schema import migrations

    old = sqlite_utils.Database(tmp_path / "index.db")
    migrations.apply(old, stop_before="0008_articles_published_utc")
    old.table("articles").insert({
        "canonical_url": "http://x/a", "site": "demo", "url": "http://x/a", "text": "harbour",
        "fetched_at": "2026-11-28T04:00:00+00:00", "capture_id": "c1",
    })
    old.close()
    older = r"older schema .*from 0008_articles_published_utc.*`newsarchive index --data"
    with pytest.raises(click.ClickException, match=older):
        get(tmp_path, "/index/articles")
    open_index(tmp_path / "index.db").close()  # what the message asks for
    [page] = get(tmp_path, "/index/articles.json?_shape=array")
    assert page.status_code == 200 and len(page.json()) == 1


def test_an_archive_on_read_only_media_is_served_as_the_readme_says(data: Path, tmp_path: Path) -> None:
    """README: mutable mode stops at start on a read-only mount; `-i` serves it, archived records too."""
    import shutil
    import sys

    from tests.index_docs import read_only_view

    db = open_index(data / "index.db")
    row = db.table("articles").get(BASE + "/news/storm")
    db.close()
    # A copy as one is handed out: closed, no -wal or -shm file beside it.
    copy = tmp_path / "copy"
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    datasette = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    view = tmp_path / "ro"
    for flag, page in [([], "/index/articles.json"), (["-i"], "/index/articles.json"),
                       (["-i"], f"/-/warc/{row['warc_file']}/{row['warc_offset']}")]:
        served = read_only_view(copy, view, [datasette, "serve", *flag, str(view / "index.db"),
                                             "-m", str(ROOT / "config/datasette.yaml"), "--get", page])
        view.rmdir()
        assert (served.returncode == 0) == bool(flag), (flag, page, served.stdout[-300:])
        assert ("harbour wall fell" in served.stdout.lower()) == bool(flag), (flag, page)
        # Mutable mode does not start at all (README): Datasette's check at start fails.
        assert ("unable to open database file" in served.stderr) != bool(flag), served.stderr[-300:]
