"""Bodies a server encodes, cuts or garbles: the crawl reads them as a re-extraction reads
their archived bytes, and never takes part of a page for the whole of it."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from backports import zstd
from warcio.archiveiterator import ArchiveIterator

from archive.warc import iter_records, warc_files
from tests.conftest import ROOT, Crawl, scrapy_crawl
from tests.http_support import QuietHandler

WORDS = "The harbour council voted on Tuesday to extend the ferry service for another year. "
ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(f"<p>{WORDS * 3} Paragraph {n}.</p>" for n in range(12))
    + "</article></body></html>"
)


def page(title: str) -> bytes:
    return ARTICLE.format(title=title).encode()


def cut(data: bytes) -> bytes:
    return data[: len(data) * 6 // 10]


# path -> (status, headers, body as sent). Each body is sent with an honest Content-Length.
PAGES: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    # Cut in transit, then served whole-looking: Scrapy's gunzip kept the part that inflated.
    "/news/cut-gzip": (200, [("Content-Encoding", "gzip")], cut(gzip.compress(page("Cut")))),
    # What Scrapy decodes and a re-extraction refused ("cannot re-extract").
    "/news/junk-after": (200, [("Content-Encoding", "gzip")],
                         gzip.compress(page("Junk after")) + b"\n<!-- junk -->"),
    "/news/charset-coding": (200, [("Content-Encoding", "UTF-8")], page("Charset coding")),
    "/news/zstd": (200, [("Content-Encoding", "zstd")], zstd.compress(page("Zstd page"))),
    # A redirect's body is never read: an invalid one lost the redirect as a fetch_error.
    "/news/moved": (301, [("Content-Encoding", "gzip"), ("Location", "/news/target")], b"Moved"),
    "/news/target": (200, [], page("Target")),
    "/news/plain": (200, [], page("Plain")),
}
ROBOTS = b"User-agent: *\nAllow: /news/\nDisallow: /news/plain\n"


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        port = self.server.server_address[1]
        if self.path == "/robots.txt" and self.server.plain_robots:
            self.send(200, ROBOTS, [("Content-Type", "text/plain")])
        elif self.path == "/robots.txt" and self.path not in self.server.lost:
            body = gzip.compress(ROBOTS)
            self.send(200, cut(body) if self.server.cut_robots else body,
                      [("Content-Encoding", "gzip")])
        elif self.path == "/rss":
            items = "".join(f"<item><title>{p}</title><link>http://127.0.0.1:{port}{p}</link></item>"
                            for p in self.server.pages if p != "/news/target")
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(),
                      [("Content-Type", "application/rss+xml")])
        elif self.path in self.server.lost:
            # Content-Length promises the whole body; the connection drops half way.
            body = ROBOTS * 4 if self.path == "/robots.txt" else page("Lost")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif self.path in self.server.pages:
            status, headers, body = self.server.pages[self.path]
            self.send(status, body, [("Content-Type", "text/html; charset=utf-8"), *headers])
        else:
            self.send(404, b"not found")


class _Server(ThreadingHTTPServer):
    pages: dict[str, tuple[int, list[tuple[str, str]], bytes]]
    hits: list[str]
    cut_robots: bool
    plain_robots: bool
    lost: set[str]


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.pages, httpd.hits, httpd.lost = PAGES, [], set()
    httpd.cut_robots = httpd.plain_robots = False
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def crawl(server: _Server, tmp_path: Path, settings: dict[str, str] | None = None,
          *, ok: bool = True, keys: str = "") -> Crawl:
    port = server.server_address[1]
    sites = tmp_path / "sites"
    sites.mkdir(exist_ok=True)
    (sites / "coded.toml").write_text(
        f"base_url = 'http://127.0.0.1:{port}'\nallowed_domains = ['127.0.0.1']\n"
        "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\n"
        "article_patterns = ['/news/']\n" + keys)
    result = scrapy_crawl("coded", tmp_path / "data", sites=sites, settings=settings)
    assert (result.returncode == 0) == ok, result.log[-3000:]
    return result


def rows(result: Crawl, sql: str) -> dict[str, tuple[object, ...]]:
    with closing(sqlite3.connect(result.index)) as db:
        return {row[0].rsplit("/", 2)[-1]: row[1:] for row in db.execute(sql)}


def test_encoded_bodies_read_as_a_reextraction_reads_them(server: _Server, tmp_path: Path) -> None:
    result = crawl(server, tmp_path)
    captures = rows(result, "select url, outcome, reason from captures where url like '%/news/%'")
    articles = rows(result, "select url, title, word_count from articles")
    # Part of a page is no article: a fetch error, so the next crawl fetches it again.
    assert captures["cut-gzip"][0] == "fetch_error"
    assert "cut short" in str(captures["cut-gzip"][1])
    assert "cut-gzip" not in articles
    assert {name: row[0] for name, row in articles.items()} == {
        "junk-after": "Junk after", "charset-coding": "Charset coding", "zstd": "Zstd page",
        "target": "Target",
    }
    assert captures["moved"][0] == "redirect"
    assert all(int(str(words)) > 150 for _, words in articles.values())
    # robots.txt whole: its Disallow holds.
    assert "/news/plain" not in server.hits
    # The same bytes again from the WARC files: every article the crawl extracted.
    reextract = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "index", "--rebuild", "--reextract",
         "--data", str(result.data)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert reextract.returncode == 0, reextract.stderr
    assert "cannot re-extract" not in reextract.stderr
    assert rows(result, "select url, title, word_count from articles") == articles


def test_a_robots_txt_cut_in_transit_keeps_the_crawl_off_its_origin(
    server: _Server, tmp_path: Path
) -> None:
    # Decoded leniently, the part that inflated lost its last line, the Disallow: /news/plain
    # was fetched and archived.
    server.cut_robots = True
    result = crawl(server, tmp_path, ok=False)  # a run that could fetch nothing has failed
    assert server.hits == ["/robots.txt"]
    assert "robots.txt unreachable" in result.log
    assert result.stats()["newsarchive/outcome"] == "failed"
    # The feed waiting for it is not blamed on the site's rules, which were never read.
    assert "/rss not fetched: its origin's robots.txt could not be read" in result.log
    assert "robots.txt disallows" not in result.log


def test_a_connection_lost_mid_body_is_a_truncated_capture(server: _Server, tmp_path: Path) -> None:
    # With DOWNLOAD_FAIL_ON_DATALOSS off, Scrapy hands the spider what arrived: it was
    # extracted and indexed as a whole article, and never fetched again.
    server.lost = {"/news/lost"}
    server.pages = {"/news/lost": (200, [], b"")}  # the handler sends half a page
    result = crawl(server, tmp_path, {"DOWNLOAD_FAIL_ON_DATALOSS": "False"})
    captures = rows(result, "select url, outcome, reason from captures where url like '%/news/%'")
    assert captures["lost"][0] == "truncated"
    assert "connection lost after" in str(captures["lost"][1])
    assert rows(result, "select url from articles") == {}
    [warc] = result.warc_dir.glob("*.warc.gz")
    with warc.open("rb") as stream:
        lost = [r for r in ArchiveIterator(stream)
                if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith("/lost")]
    # Each attempt (the first and RETRY_TIMES retries) as it came.
    assert [r.rec_headers.get_header("WARC-Truncated") for r in lost] == ["disconnect"] * 3


def test_a_robots_txt_whose_connection_drops_keeps_the_crawl_off_its_origin(
    server: _Server, tmp_path: Path
) -> None:
    server.lost = {"/robots.txt"}
    # The site was not crawled: not an `ok` run.
    result = crawl(server, tmp_path, {"DOWNLOAD_FAIL_ON_DATALOSS": "False"}, ok=False)
    assert server.hits == ["/robots.txt"] * 3  # retried, as the error was
    assert "robots.txt at" in result.log and "cut short by the server" in result.log
    assert result.stats()["newsarchive/outcome"] == "robots_unreachable"


def test_a_robots_txt_is_read_to_500_kib_whatever_the_body_limit(
    server: _Server, tmp_path: Path
) -> None:
    # RFC 9309 2.5: at least 500 KiB. Cut at a low NEWSARCHIVE_MAX_BODY, the rules lost
    # their last line, and the page it disallows was fetched.
    server.plain_robots = True
    crawl(server, tmp_path, {"NEWSARCHIVE_MAX_BODY": "40"})
    assert "/rss" in server.hits and "/news/plain" not in server.hits



def test_a_body_cut_short_is_archived_truncated_retried_and_fetched_again(
    server: _Server, tmp_path: Path
) -> None:
    # At Scrapy's default (DOWNLOAD_FAIL_ON_DATALOSS on), a body shorter than its
    # Content-Length was an error: retried, then a fetch_error whose reason said only
    # "ResponseDataLossError: ", and none of the three attempts was archived.
    server.pages = {"/news/lost": (200, [], page("Lost"))}
    keys = "revisit_after = '1s'\n"
    first = crawl(server, tmp_path, keys=keys)
    archived = rows(first, "select url, word_count, versions, last_fetched_at from articles")
    time.sleep(1.2)  # past revisit_after
    server.lost, server.hits = {"/news/lost"}, []
    second = crawl(server, tmp_path, keys=keys)
    assert server.hits.count("/news/lost") == 3  # retried (RETRY_TIMES), as the error was
    assert rows(second, "select url, word_count, versions, last_fetched_at from articles") == archived
    with closing(sqlite3.connect(second.index)) as db:
        [(outcome, reason)] = db.execute(
            "select outcome, reason from captures where url like '%/news/lost' "
            "order by fetched_at desc limit 1").fetchall()
    assert outcome == "truncated" and reason.startswith("connection lost after"), reason
    lost = [record for path in sorted(warc_files(second.warc_dir)) for record in iter_records(path)
            if record.rec_type == "response" and (record.target_uri or "").endswith("/news/lost")]
    # The first run's whole page, then each attempt of the second as it came.
    assert [r.warc_header("WARC-Truncated") for r in lost] == [None] + ["disconnect"] * 3
    verify = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--data", str(second.data)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    time.sleep(1.2)
    server.lost, server.hits = set(), []
    crawl(server, tmp_path, keys=keys)
    assert server.hits.count("/news/lost") == 1  # the next crawl fetches it again


def test_the_attempts_of_a_body_cut_short_before_its_last_are_recorded_as_cut(
    server: _Server, tmp_path: Path
) -> None:
    # Each attempt before the last (retried by DataLossRetryMiddleware) was recorded with the
    # outcome of an HTTP error answer, `http_error`, on a 200, and no reason: its cut body
    # looked like an error page the site sent.
    server.pages, server.lost = {"/news/lost": (200, [], page("Lost"))}, {"/news/lost"}
    result = crawl(server, tmp_path)
    with closing(sqlite3.connect(result.index)) as db:
        attempts = db.execute("select status, outcome, substr(reason, 1, 21) from captures "
                              "where url like '%/news/lost' order by fetched_at").fetchall()
    assert attempts == [(200, "truncated", "connection lost after")] * 3
