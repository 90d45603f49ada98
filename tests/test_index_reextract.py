"""`index --reextract` stores what a crawl with the same extractor stores, reads repeated
headers and odd payloads as the crawl does, and stops promptly when interrupted."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
from tqdm import tqdm

from archive.discovery.entries import DiscoveredLink
from archive.extract_pool import ExtractionPool
from archive.index import index_warc_directory, open_index
from archive.index import rebuild as rebuild_module
from archive.warc.records import HttpRequestData, HttpResponseData
from archive.warc.writer import WarcFileWriter
from tests.index_docs import BASE, FETCHED, PAGE, Crawl, article_dict, metadata

TITLE = "Harbour wall gives way in the night storm"


def test_a_timed_out_page_that_now_extracts_gets_the_crawls_reason_and_aliases(tmp_path: Path) -> None:
    # The case --reextract is for: the crawl's machine was busy and the extraction timed out.
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    meta: dict[str, Any] = {
        **metadata("/news/harbour", outcome="extraction_timeout",
                   article={"status": "timeout", "reason": "extraction took longer than 1s"}),
        "reason": "extraction took longer than 1s; worker replaced",
        "discovered": [{"url": BASE + "/news/harbour?utm_source=feed", "source": "feed"},
                       {"url": BASE + "/news/harbour", "source": "sitemap"}],
        "aliases": [],
    }
    crawl.fetch("/news/harbour", PAGE.encode(), meta=meta)
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs, reextract=True)
    assert stats.reextracted == 1 and stats.problems == []
    [capture] = db.execute("select outcome, reason from captures").fetchall()
    assert capture == ("article", None)  # was the timeout's reason on an article
    assert db.execute("select alias_url from article_aliases").fetchall() == [
        (BASE + "/news/harbour?utm_source=feed",)]  # the URL it was found under, as a crawl keeps


def test_an_article_reextracted_into_a_non_article_keeps_no_aliases() -> None:
    from archive.extract import ArticleExtraction
    from archive.index.reextract import with_article

    stored = {**metadata("/news/x", article=article_dict("text")),
              "aliases": [BASE + "/news/x?utm_source=feed"]}
    now = with_article(stored, ArticleExtraction.failed("not_article", "a tag page"))
    assert (now["outcome"], now["reason"], now["aliases"]) == ("not_article", "a tag page", [])


def test_a_payload_the_index_refuses_is_reported_not_a_crash(tmp_path: Path) -> None:
    # An article's metadata without "url": a plain rebuild reported it; --reextract died
    # with KeyError and built nothing, on every run.
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    bad = metadata("/news/bad", article=article_dict("text"))
    del bad["url"]
    crawl.fetch("/news/bad", PAGE.encode(), meta=bad)
    crawl.article("/news/good", "stored text")
    crawl.writer.close()
    stats = index_warc_directory(open_index(tmp_path / "index.db"), warcs, reextract=True)
    assert stats.reextracted == 1 and stats.articles == 1
    assert [p for p in stats.problems if "has no 'url'" in p]


def test_repeated_header_lines_are_read_as_the_crawl_reads_them(tmp_path: Path) -> None:
    # Scrapy reads every Content-Encoding line and the last Last-Modified; the re-extraction
    # read the first of each: "gzip" then "br" could not be decoded, and the date differed.
    writer = WarcFileWriter(tmp_path / "warcs", fsync=False)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
               ("Content-Encoding", "br"), ("Last-Modified", "Mon, 02 Mar 2026 08:00:00 GMT"),
               ("Last-Modified", "Fri, 20 Nov 2026 17:30:00 GMT")]
    positions = writer.write_exchange(
        HttpRequestData("GET", BASE + "/news/harbour", [("Host", "127.0.0.1:8765")]),
        HttpResponseData(BASE + "/news/harbour", 200, "OK", headers,
                         brotli.compress(gzip.compress(PAGE.encode())), FETCHED))
    meta = {**metadata("/news/harbour", article=article_dict("stored")), "fetched_at": FETCHED.isoformat()}
    writer.write_metadata(BASE + "/news/harbour", json.dumps(meta).encode(),
                          refers_to=positions.response.record_id)
    writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, tmp_path / "warcs", reextract=True)
    assert stats.problems == [] and stats.reextracted == 1
    title, candidates = db.execute("select title, date_candidates from articles").fetchone()
    assert title == TITLE
    assert {"source": "http_last_modified", "value": "2026-11-20T17:30:00+00:00"} in json.loads(candidates)


def test_a_page_is_dated_as_of_its_fetch_not_of_the_reextraction(tmp_path: Path) -> None:
    # Dates more than two days after "now" are no dates; "now" was the re-extraction's: a page
    # fetched in June naming September became an article published three months after it was
    # archived, once the index was re-extracted after September.
    page = PAGE.replace('<meta property="article:published_time" content="2026-11-27T09:30:00+01:00">',
                        '<meta property="og:type" content="article">'
                        '<meta property="article:published_time" content="2026-09-15T09:30:00+01:00">')
    writer = WarcFileWriter(tmp_path / "warcs", fsync=False)
    for path, fetched_at in (("/news/june", datetime(2026, 6, 1, 8, tzinfo=UTC)),
                             ("/news/october", datetime(2026, 10, 1, 8, tzinfo=UTC))):
        positions = writer.write_exchange(
            HttpRequestData("GET", BASE + path, [("Host", "127.0.0.1:8765")]),
            HttpResponseData(BASE + path, 200, "OK", [("Content-Type", "text/html")],
                             page.encode(), fetched_at))
        meta = {**metadata(path, article=article_dict("stored")), "fetched_at": fetched_at.isoformat()}
        writer.write_metadata(BASE + path, json.dumps(meta).encode(),
                              refers_to=positions.response.record_id)
    writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, tmp_path / "warcs", reextract=True)
    assert stats.problems == [] and stats.reextracted == 2
    assert dict(db.execute("select url, published from articles").fetchall()) == {
        BASE + "/news/june": None, BASE + "/news/october": "2026-09-15T09:30:00+01:00"}


def test_a_206_answer_archived_before_the_crawl_knew_is_not_extracted_again(tmp_path: Path) -> None:
    # The crawl records a 206 Partial Content answer as truncated, never extracted (part of
    # the page). Records archived before it did hold the stub as an ok article: --reextract
    # extracted the stub again, and the article kept it as a version of its own.
    from tests.test_crawl_frontier import article

    whole = article("Harbour plan")
    part = whole[: len(whole) * 2 // 3]
    writer = WarcFileWriter(tmp_path / "warcs", fsync=False)
    for fetched_at, status, body in ((FETCHED, 200, whole),
                                     (FETCHED.replace(hour=5), 206, part)):
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if status == 206:
            headers.append(("Content-Range", f"bytes 0-{len(part) - 1}/{len(whole)}"))
        positions = writer.write_exchange(
            HttpRequestData("GET", BASE + "/news/plan", [("Host", "127.0.0.1:8765")]),
            HttpResponseData(BASE + "/news/plan", status, "Partial Content" if status == 206
                             else "OK", headers, body, fetched_at))
        meta = {**metadata("/news/plan", article=article_dict(f"stored {status}"), status=status),
                "fetched_at": fetched_at.isoformat()}
        writer.write_metadata(BASE + "/news/plan", json.dumps(meta).encode(),
                              refers_to=positions.response.record_id)
    writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, tmp_path / "warcs", reextract=True)
    assert stats.problems == [] and stats.reextracted == 2
    assert db.execute("select status, outcome, reason, content_sha1 from captures "
                      "order by fetched_at").fetchall()[1:] == [
        (206, "truncated", f"HTTP 206: only part of the page was sent "
                           f"(Content-Range bytes 0-{len(part) - 1}/{len(whole)})", None)]
    assert db.execute("select versions, fetched_at from articles").fetchall() == [
        (1, FETCHED.isoformat(timespec="microseconds"))]


def test_a_feed_title_holds_only_text() -> None:
    # A JSON Feed's "\udc00": the crawl's extraction dropped it, the metadata record wrote it
    # as "?", and a re-extraction gave the article another title (and a new version).
    link = DiscoveredLink(BASE + "/a", "feed", title="Harbour \udc00 council\x1b votes",
                          keywords=("ports\udc00",))
    assert (link.title, link.keywords) == ("Harbour council votes", ("ports",))


def test_leaving_the_pool_on_an_error_drops_the_queued_pages() -> None:
    # Ctrl-C in `index --reextract` waited for every queued page to be extracted first.
    attributes = " ".join(f'a{i}="{i}"' for i in range(100_000))  # trafilatura takes minutes
    slow = f"<html><body><div {attributes}><p>{'text ' * 500}</p></div></body></html>".encode()
    with pytest.raises(KeyboardInterrupt), ExtractionPool(workers=1, timeout=60) as pool:
        futures = [pool.submit(slow, f"{BASE}/slow/{n}") for n in range(4)]
        raise KeyboardInterrupt
    statuses = [f.result(timeout=60).status for f in futures]
    assert statuses == ["error"] * 4  # cancelled with the pool, not extracted one by one


def test_an_interrupted_rebuild_leaves_the_old_index_and_no_half_built_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.index import rebuild_index

    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    crawl.article("/news/harbour", "stored text")
    crawl.writer.close()
    index_warc_directory(open_index(tmp_path / "index.db"), warcs)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rebuild_module, "reextract_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rebuild_index(tmp_path / "index.db", warcs, reextract=True)
    assert not list(tmp_path.glob("index.db.rebuild*"))  # it was left behind
    with sqlite3.connect(tmp_path / "index.db") as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (1,)


def test_the_progress_bar_moves_as_pages_are_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It counted bytes read, and reading a batch comes before extracting it: the bar sat
    # at 0% while pages were extracted, then jumped.
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    for n in range(3):
        crawl.article(f"/news/{n}", "stored text")
    crawl.writer.close()
    seen: list[tuple[int, float]] = []  # (pages re-extracted, bar position) at each extraction
    real_reextract = rebuild_module.reextract_batch

    def reextract(warc_dir: Path, batch: list[Any], pool: Any, problems: list[str],
                  article_urls: Any) -> int:
        seen.append((len(seen), bars[0].n))
        return real_reextract(warc_dir, batch, pool, problems, article_urls)

    bars: list[tqdm[Any]] = []
    real_tqdm = rebuild_module.tqdm

    def keep_bar(*args: Any, **kwargs: Any) -> tqdm[Any]:
        bars.append(real_tqdm(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(rebuild_module, "reextract_batch", reextract)
    monkeypatch.setattr(rebuild_module, "tqdm", keep_bar)
    monkeypatch.setattr(rebuild_module, "BATCH", 1)
    index_warc_directory(open_index(tmp_path / "index.db"), warcs, reextract=True, progress=True)
    # Before each batch's extraction, the bar shows only the batches extracted before it.
    positions = [position for _, position in seen]
    assert positions[0] == 0 and positions == sorted(positions) and len(set(positions)) == 3
    assert bars[0].n == bars[0].total


def test_ctrl_c_in_index_says_what_state_the_index_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import archive.index
    from crawler.cli import main

    (tmp_path / "warc").mkdir()

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(archive.index, "rebuild_index", interrupted)
    monkeypatch.setattr(archive.index, "index_warc_directory", interrupted)
    rebuild = CliRunner().invoke(main, ["index", "--rebuild", "--data", str(tmp_path)])
    assert rebuild.exit_code == 130  # it printed "Aborted!" alone
    assert "interrupted:" in rebuild.output and "is as it was before the rebuild" in rebuild.output
    open_index(tmp_path / "index.db").close()  # an index to update (a missing one is rebuilt)
    update = CliRunner().invoke(main, ["index", "--data", str(tmp_path)])
    assert update.exit_code == 130 and "what was indexed so far is kept" in update.output


def test_sigterm_in_a_rebuild_leaves_the_old_index_and_no_half_built_one(tmp_path: Path) -> None:
    # The scheduler stops an index task with SIGTERM: Ctrl-C cleaned up, SIGTERM left the
    # half-built index.db.rebuild, its -wal and its -shm beside the index.
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "data"
    crawl = Crawl(data / "warc", None)
    for n in range(300):
        crawl.article(f"/news/story-{n}", f"Stored text of story {n}. " * 40)
    crawl.writer.close()
    index_warc_directory(open_index(data / "index.db"), data / "warc")
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-c", "from crawler.cli import main; main()", "index", "--rebuild",
               "--reextract", "--no-progress", "--data", str(data)]
    rebuild = subprocess.Popen(command, cwd=root, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (data / "index.db.rebuild").exists() and rebuild.poll() is None:
        assert time.monotonic() < deadline, "the rebuild never started"
        time.sleep(0.05)
    rebuild.send_signal(signal.SIGTERM)
    _, errors = rebuild.communicate(timeout=60)
    assert rebuild.returncode == 143, errors
    assert "is as it was before the rebuild" in errors
    assert not list(data.glob("index.db.rebuild*"))
    with sqlite3.connect(data / "index.db") as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (300,)


def _declaring_home(crawl: Crawl, path: str, site: str = "demo") -> None:
    """A page the crawl could not extract, whose template declares rel=canonical "/"."""
    body = PAGE.replace("</head>", '<link rel="canonical" href="/"></head>')
    crawl.fetch(path, body.encode(), meta=metadata(
        path, site=site, outcome="extraction_timeout", article={"status": "timeout", "reason": "x"}))


def _reextract_by_cli(data: Path, sites: Path) -> list[str]:
    """The lines `index --rebuild --reextract` prints, its progress bar on."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "index", "--rebuild", "--reextract", "--progress",
         "--data", str(data), "--sites", str(sites)],
        cwd=root, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stderr.replace("\r", "\n").splitlines()


def test_a_rel_canonical_not_adopted_is_one_warning_after_the_bar_not_a_raw_log_line(
        tmp_path: Path) -> None:
    # The refusal was logged, and with no logging configured Python printed the bare message
    # into the middle of the progress bar, once per page.
    data = tmp_path / "data"
    crawl = Crawl(data / "warc", None)
    stories = [f"/news/2026/11/27/story-{n}" for n in range(3)]
    for path in stories:
        _declaring_home(crawl, path)
    crawl.writer.close()
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_bytes((Path(__file__).parents[1] / "config/sites/demo.toml").read_bytes())
    lines = [line for line in _reextract_by_cli(data, sites) if line and not line.startswith("indexing:")]
    assert lines[0].startswith("1 WARC files indexed"), lines  # the summary, then the warnings
    for path in stories:
        [warning] = [line for line in lines if BASE + path + " " in line]
        assert warning.startswith("warning: ") and "rel=canonical" in warning
        assert lines.index(warning) > 0


def test_reextracting_a_site_without_a_config_in_sites_says_so_once(tmp_path: Path) -> None:
    # Its pages' rel=canonical cannot be judged without the site's article patterns: they
    # kept their URLs, and nothing said why.
    data = tmp_path / "data"
    crawl = Crawl(data / "warc", None)
    for n in range(3):
        _declaring_home(crawl, f"/news/2026/11/27/story-{n}", site="gone")
    crawl.writer.close()
    sites = tmp_path / "sites"
    sites.mkdir()
    lines = _reextract_by_cli(data, sites)
    [warning] = [line for line in lines if "'gone'" in line]
    assert warning.startswith("warning: ") and str(sites) in warning
    assert "no rel=canonical adopted" in warning


def test_a_rebuilds_catch_up_re_extracts_only_what_the_crawl_wrote_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A crawl committing to the old index during `index --rebuild --reextract` made each
    # catch-up pass extract the whole archive again (up to 5 more times, each long enough
    # for the crawl to write again), and the summary counted and warned of every page twice.
    from contextlib import closing

    from archive.config import read_sites
    from archive.index import replace

    warcs = tmp_path / "warc"
    crawl = Crawl(warcs, None)
    for n in range(3):
        _declaring_home(crawl, f"/news/2026/11/27/story-{n}")
    crawl.writer.close()
    path = tmp_path / "index.db"
    old = open_index(path)
    index_warc_directory(old, warcs)
    old.close()
    real, calls = replace.index_warc_directory, []

    def while_a_crawl_writes(*args: Any, **kwargs: Any) -> Any:
        if not calls:  # the crawl records something in the old index meanwhile
            with closing(sqlite3.connect(path)) as conn, conn:
                conn.execute("insert into crawl_runs (site, started, outcome) "
                             "values ('demo', 'x', 'running')")
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(replace, "index_warc_directory", while_a_crawl_writes)
    sites, _ = read_sites(Path(__file__).parents[1] / "config/sites")
    stats = replace.rebuild_index(path, warcs, reextract=True,
                                  article_urls={"demo": sites["demo"].is_article})
    assert len(calls) == 2 and stats.problems == []
    assert stats.reextracted == 3
    assert len(stats.canonicals_refused) == 3, stats.canonicals_refused


def test_the_rel_canonicals_not_adopted_are_counted_only_the_first_kept(tmp_path: Path) -> None:
    # Every page of a site whose template declares "/" is refused: each message was kept to
    # the end of the run (some 200 bytes a page, 200 MB over a million pages) to show ten.
    from archive.config import read_sites

    crawl = Crawl(tmp_path / "warc", None)
    for n in range(13):
        _declaring_home(crawl, f"/news/2026/11/27/story-{n}")
    crawl.writer.close()
    sites, _ = read_sites(Path(__file__).parents[1] / "config/sites")
    stats = index_warc_directory(open_index(tmp_path / "index.db"), tmp_path / "warc", reextract=True,
                                 article_urls={"demo": sites["demo"].is_article})
    assert len(stats.canonicals_refused) == rebuild_module.REFUSED_SHOWN == 10
    lines = stats.format().splitlines()
    assert sum(line.startswith("warning: ") for line in lines) == 11
    assert "warning: and 3 more pages whose rel=canonical was not adopted" in lines
