"""The crawl's WARC files hold exactly what the demo server sent, and read back with any tool."""

from __future__ import annotations

import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from archive.demosite import DemoSite, SentResponse
from archive.warc import WarcRecordData, iter_records, verify_directory, warc_files
from tests.conftest import ROOT, Crawl


def _records(crawl: Crawl) -> list[WarcRecordData]:
    return [r for path in warc_files(crawl.warc_dir) for r in iter_records(path)]


def _site(crawl: Crawl) -> DemoSite:
    assert crawl.site is not None
    return crawl.site


def _sent(site: DemoSite, path: str, status: int | None = None) -> SentResponse:
    return next(s for s in site.sent if s.path == path and (status is None or s.status == status))


def _response(crawl: Crawl, path: str, status: int | None = None) -> WarcRecordData:
    url = _site(crawl).url + path
    return next(r for r in _records(crawl) if r.rec_type == "response" and r.target_uri == url
                and (status is None or r.http_status == status))


def test_warcio_and_our_reader_agree(demo_crawl: Crawl) -> None:
    ours = _records(demo_crawl)
    theirs = []
    for path in warc_files(demo_crawl.warc_dir):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                theirs.append((record.rec_headers.get_header("WARC-Record-ID"), record.rec_type,
                               record.raw_stream.read()))  # content_stream() would gunzip
    assert [(r.position.record_id, r.rec_type) for r in ours] == [(i, t) for i, t, _ in theirs]
    payloads = {i: p for i, _, p in theirs}
    for record in ours:
        if record.rec_type == "response":
            assert payloads[record.position.record_id] == record.payload
    assert not list(demo_crawl.warc_dir.glob("*.open"))
    report = verify_directory(demo_crawl.warc_dir)
    assert report.ok, report.format()


def test_every_response_the_server_sent_is_archived(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    archived = [(r.target_uri, r.http_status) for r in _records(demo_crawl) if r.rec_type == "response"]
    sent = [(site.url + s.path, s.status) for s in site.sent]
    assert sorted(archived) == sorted(sent)


def test_warcinfo_first_and_pairs_linked(demo_crawl: Crawl) -> None:
    for path in warc_files(demo_crawl.warc_dir):
        records = list(iter_records(path))
        assert records[0].rec_type == "warcinfo"
        assert b"newsarchive/" in records[0].payload and b"robots" in records[0].payload
        ids = {r.position.record_id: r for r in records}
        for record in records:
            if record.rec_type == "request":
                partner = ids[record.warc_header("WARC-Concurrent-To") or ""]
                assert partner.rec_type == "response"
                assert partner.target_uri == record.target_uri
        # Every response is described by a metadata record that refers to it (checked by
        # count too: with no WARC-Refers-To at all, a loop over them checked nothing).
        responses = {r.position.record_id for r in records if r.rec_type == "response"}
        referred = [r.warc_header("WARC-Refers-To") for r in records if r.rec_type == "metadata"]
        assert responses and responses <= set(referred), path
        assert all(ids[target].target_uri for target in referred if target)


def test_gzip_response_stored_encoded(demo_crawl: Crawl) -> None:
    path = _site(demo_crawl).manifest.special["gzip"]
    record, sent = _response(demo_crawl, path), _sent(_site(demo_crawl), path)
    assert record.http_header("Content-Encoding") == "gzip"
    assert record.payload == sent.body
    assert record.payload[:2] == b"\x1f\x8b"


def test_chunked_response_dechunked_without_transfer_encoding(demo_crawl: Crawl) -> None:
    path = _site(demo_crawl).manifest.special["chunked"]
    record, sent = _response(demo_crawl, path), _sent(_site(demo_crawl), path)
    assert sent.chunked
    assert record.payload == sent.body
    # Twisted drops Transfer-Encoding before Scrapy sees the headers: nothing claims chunking.
    assert record.http_header("Transfer-Encoding") is None
    assert ("Transfer-Encoding", "chunked") in sent.headers


def test_windows_1251_bytes_untouched(demo_crawl: Crawl) -> None:
    path = _site(demo_crawl).manifest.special["cp1251"]
    record, sent = _response(demo_crawl, path), _sent(_site(demo_crawl), path)
    assert record.payload == sent.body
    assert b"windows-1251" in record.payload
    record.payload.decode("cp1251")  # the archived bytes are the server's cp1251


def test_redirect_and_its_status_line(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    special = site.manifest.special
    record = _response(demo_crawl, special["redirect_from"])
    assert record.http_start_line == "HTTP/1.1 301 Moved Permanently"
    assert (record.http_header("Location") or "").endswith(special["redirect_to"])
    assert record.payload == _sent(site, special["redirect_from"]).body


def test_both_set_cookie_headers_kept(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    path = site.manifest.special["cookies"]
    record = _response(demo_crawl, path)
    archived = [v for k, v in record.http_headers or [] if k.lower() == "set-cookie"]
    sent = [v for k, v in _sent(site, path).headers if k.lower() == "set-cookie"]
    assert len(sent) == 2
    assert archived == sent


def test_retried_500_and_404_archived(demo_crawl: Crawl) -> None:
    special = _site(demo_crawl).manifest.special
    assert _response(demo_crawl, special["flaky"], 500).http_start_line == (
        "HTTP/1.1 500 Internal Server Error")
    assert _response(demo_crawl, special["flaky"], 200).payload
    assert _response(demo_crawl, special["not_found"]).http_status == 404


def test_request_line_keeps_query_string(demo_crawl: Crawl) -> None:
    url = _site(demo_crawl).url + "/section/politics?page=2"
    request = next(r for r in _records(demo_crawl) if r.rec_type == "request" and r.target_uri == url)
    assert request.http_start_line == "GET /section/politics?page=2 HTTP/1.1"
    assert "newsarchive" in (request.http_header("User-Agent") or "")


def test_cli_verify_reports_ok(demo_crawl: Crawl) -> None:
    cli = [sys.executable, "-m", "crawler.cli", "verify", "--data", str(demo_crawl.data)]
    result = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
