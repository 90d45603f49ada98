"""End to end: the crawl's index.db is complete, linked to the WARC, searchable, and rebuildable."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from archive.demosite import DemoSite
from archive.warc import iter_records, read_record, warc_files
from tests.conftest import ROOT, Crawl

COMPARED = ("articles", "article_versions", "captures", "crawl_runs")


def _site(crawl: Crawl) -> DemoSite:
    assert crawl.site is not None
    return crawl.site


def _rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, params).fetchall()


def test_every_article_present_once_and_linked_to_its_warc_record(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    rows = _rows(demo_crawl.index, "select * from articles")
    fetched = {i["canonical_url"] for i in demo_crawl.items if i["outcome"] == "article"}
    assert sorted(r["canonical_url"] for r in rows) == sorted(fetched)
    assert len(rows) == len(site.manifest.articles) - 2  # the two older than `since`
    for row in rows:
        record = read_record(demo_crawl.warc_dir, row["warc_file"], row["warc_offset"])
        assert record.rec_type == "response"
        assert record.target_uri == row["url"]
        assert record.position.record_id == row["warc_record_id"]
        assert record.warc_header("WARC-Payload-Digest") == row["payload_digest"]
        digest = base64.b32encode(hashlib.sha1(record.payload).digest()).decode()
        assert row["payload_digest"] == f"sha1:{digest}"


def test_articles_carry_extracted_fields(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    article = site.manifest.articles[3]
    (row,) = _rows(demo_crawl.index, "select * from articles where canonical_url = ?",
                   (site.url + article.path,))
    assert row["title"] == article.title
    assert row["site"] == "demo"
    assert row["word_count"] > 100
    assert article.paragraphs[0] in row["text"]


def test_captures_record_every_fetch(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    outcomes = {(r["url"].removeprefix(site.url), r["outcome"])
                for r in _rows(demo_crawl.index, "select url, outcome from captures")}
    special = site.manifest.special
    assert ("/robots.txt", "robots") in outcomes
    assert ("/feeds/rss.xml", "feed") in outcomes
    assert ("/sitemap.xml", "sitemap") in outcomes
    assert (special["redirect_from"], "redirect") in outcomes
    assert (special["flaky"], "retried") in outcomes
    assert (special["not_found"], "http_error") in outcomes
    assert len(_rows(demo_crawl.index, "select id from captures")) == len(site.sent)


def test_full_text_search_finds_body_not_boilerplate(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    phrase = " ".join(site.manifest.articles[5].paragraphs[1].split()[:6]).strip(".,")
    hits = _rows(demo_crawl.index,
                 "select articles.canonical_url from articles_fts join articles "
                 "on articles.rowid = articles_fts.rowid where articles_fts match ? order by rank",
                 (f'"{phrase}"',))
    assert site.url + site.manifest.articles[5].path in [h[0] for h in hits]
    boilerplate = site.manifest.boilerplate
    for name in ("donation_text", "newsletter_text", "support_banner", "comment_0", "credit_0"):
        words = " ".join(boilerplate[name].split()[:5]).replace('"', "")
        assert not _rows(demo_crawl.index, "select rowid from articles_fts where articles_fts match ?",
                         (f'"{words}"',)), name
    with closing(sqlite3.connect(demo_crawl.index)) as db:
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def _table(db_path: Path, table: str) -> list[dict[str, Any]]:
    """Rows as dicts, sorted, without surrogate ids (captures are keyed by WARC record id)."""
    with closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute(f"select * from {table}")]
    for row in rows:
        if table != "captures":
            row.pop("id", None)
    return sorted(rows, key=repr)


def _assert_same(rebuilt: list[dict[str, Any]], live: list[dict[str, Any]], table: str) -> None:
    assert len(rebuilt) == len(live), table
    for new, old in zip(rebuilt, live, strict=True):
        differing = {k: (new[k], old.get(k)) for k in new if new[k] != old.get(k)}
        assert not differing, f"{table}: {differing}"


def test_rebuild_from_warc_equals_live_index(demo_crawl: Crawl, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    for path in demo_crawl.warc_dir.glob("*.warc.gz"):
        (data / "warc" / path.name).write_bytes(path.read_bytes())
    cli = [sys.executable, "-m", "crawler.cli", "index", "--data", str(data), "--no-progress"]
    result = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for table in COMPARED:
        _assert_same(_table(data / "index.db", table), _table(demo_crawl.index, table), table)
    # Idempotent: a second run changes nothing.
    again = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 WARC files indexed" in again.stderr
    rebuilt = subprocess.run([*cli, "--rebuild"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stderr
    _assert_same(_table(data / "index.db", "articles"), _table(demo_crawl.index, "articles"), "articles")


def test_cli_search_prints_ranked_results(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    title = site.manifest.articles[2].title
    cli = [sys.executable, "-m", "crawler.cli", "search", "--data", str(demo_crawl.data), title]
    result = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("  1. " + title)
    assert "WARC newsarchive-demo-" in result.stdout
    # Snippets that span a paragraph break stay on their line (the demo's "Officials in ..."
    # sentences start paragraphs).
    many = subprocess.run([*cli[:-1], "officials", "--limit", "50"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    lines = many.stdout.splitlines()
    # A Latin-1 terminal gets "?" for what it cannot show (the snippet's "…" raised
    # UnicodeEncodeError before).
    ascii_terminal = subprocess.run(cli, cwd=ROOT, capture_output=True, timeout=60,
                                    env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert ascii_terminal.returncode == 0, ascii_terminal.stderr
    assert b"?" in ascii_terminal.stdout and b"Traceback" not in ascii_terminal.stderr
    assert len(lines) >= 8 and len(lines) % 4 == 0, many.stdout
    for number in range(len(lines) // 4):
        assert lines[4 * number].startswith(f"{number + 1:>3}. ")
        assert all(line.startswith("     ") for line in lines[4 * number + 1 : 4 * number + 4])


RUN_COLUMNS = "id, site, started, finished, outcome, stats, pages, articles, errors, warc_file, warc_offset"


def _index(data: Path, *options: str) -> subprocess.CompletedProcess[str]:
    cli = [sys.executable, "-m", "crawler.cli", "index", "--data", str(data), "--no-progress"]
    result = subprocess.run([*cli, *options], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_the_crawl_archives_its_run_and_an_index_built_from_the_warc_files_has_it(
    demo_crawl: Crawl, tmp_path: Path
) -> None:
    """Issue 4: the index, crawl_runs included, is a projection of the WARC files. The run
    was kept in index.db alone: an index built again had no runs (`newsarchive runs` said
    none), and --rebuild only copied them from the old index."""
    [live] = [tuple(r) for r in _rows(demo_crawl.index, f"select {RUN_COLUMNS} from crawl_runs")]
    run_records = [r for path in warc_files(demo_crawl.warc_dir) for r in iter_records(path)
                   if (r.target_uri or "").startswith("urn:newsarchive:crawl-run:")]
    [record] = run_records
    assert record.rec_type == "metadata" and record.warc_header("WARC-Refers-To") is None
    assert record.warc_header("Content-Type") == "application/json"
    assert record.target_uri == f"urn:newsarchive:crawl-run:demo:{live[2]}"
    payload = json.loads(record.payload)
    assert (payload["site"], payload["started"], payload["finished"], payload["outcome"]) == live[1:5]
    assert payload["outcome"] == "ok" and payload["stats"] == json.loads(live[5])
    # Where its record is, as the crawl wrote it (the record view links the run to it).
    assert live[9:] == (record.position.file, record.position.offset)
    assert (payload["pages"], payload["articles"], payload["errors"]) == live[6:9] == (
        payload["stats"]["response_received_count"], payload["stats"]["articles"], 0)

    # The live index (a copy) read again: its run is there already, nothing is added.
    data = tmp_path / "data"
    shutil.copytree(demo_crawl.warc_dir, data / "warc")
    with closing(sqlite3.connect(demo_crawl.index)) as source, \
            closing(sqlite3.connect(data / "index.db")) as copy:
        source.backup(copy)
    assert "crawl runs added" not in _index(data).stderr
    assert [tuple(r) for r in _rows(data / "index.db", f"select {RUN_COLUMNS} from crawl_runs")] == [live]

    # index.db lost: built from the WARC files alone, the run is back as it was; twice, once.
    (data / "index.db").unlink()
    assert "1 crawl runs added" in _index(data).stderr
    for again in ((), ("--rebuild",)):
        _index(data, *again)
        rows = [tuple(r) for r in _rows(data / "index.db", f"select {RUN_COLUMNS} from crawl_runs")]
        assert rows == [live], again
    runs = subprocess.run([sys.executable, "-m", "crawler.cli", "runs", "--data", str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert runs.returncode == 0, runs.stderr
    [header, line] = runs.stdout.splitlines()
    assert line.split()[0] == "demo" and line.split()[-1] == "ok"
