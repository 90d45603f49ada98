"""Round trip through WarcFileWriter: what the server sent is what warcio and our reader read."""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

import archive.warc.writer as writer_module
from archive.warc import (
    ExchangePositions,
    HttpRequestData,
    HttpResponseData,
    WarcFileWriter,
    WarcFormatError,
    WarcPosition,
    iter_records,
    read_record,
    warc_files,
)
from archive.warc.serialize import METADATA_URI_PREFIX, SOFTWARE
from tests.warc_support import FETCHED_AT, HTML, sample_exchange, ticking_clock

NAME_RE = re.compile(r"^news-\d{17}-\d{5}-[A-Za-z0-9._]+-\d+\.warc\.gz$")


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def warcio_records(path: Path) -> list[dict[str, Any]]:
    """Every record as warcio sees it, with raw payload, offsets and digests checked."""
    out = []
    with open(path, "rb") as f:
        it = ArchiveIterator(f, check_digests="raise")
        for rec in it:
            http = rec.http_headers
            out.append({
                "type": rec.rec_type,
                "id": rec.rec_headers.get_header("WARC-Record-ID"),
                "warc": rec.rec_headers,
                "http": http,
                "raw": rec.raw_stream.read(),
                "offset": it.get_record_offset(),
                "length": it.get_record_length(),
            })
    return out


@dataclass
class Written:
    directory: Path
    request: HttpRequestData
    response: HttpResponseData
    positions: ExchangePositions
    meta: WarcPosition


@pytest.fixture
def written(tmp_path: Path) -> Written:
    request, response = sample_exchange(
        extra_headers=[("X-Caf\u00e9", "cr\u00e8me \u00ff")],
    )
    with WarcFileWriter(tmp_path, prefix="news", info={"robots": "obey", "operator": "Desk"}) as w:
        positions = w.write_exchange(request, response)
        meta = w.write_metadata(
            response.url, b'{"newsarchive": 1}', refers_to=positions.response.record_id
        )
    return Written(tmp_path, request, response, positions, meta)


def test_round_trip_with_warcio_and_our_reader(written: Written) -> None:
    directory, response, positions, meta = (
        written.directory, written.response, written.positions, written.meta)
    [path] = warc_files(directory)
    assert NAME_RE.match(path.name)
    assert not list(directory.glob("*.open"))

    records = warcio_records(path)
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata"]
    _, resp, req, md = records

    # The payload is stored as received: still gzip, not decoded, not re-encoded.
    assert resp["raw"] == response.body
    assert gzip.decompress(resp["raw"]) == HTML
    http = resp["http"]
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 OK"
    assert [v for k, v in http.headers if k == "Set-Cookie"] == [
        "session=abc; Path=/", "consent=no; Path=/"]
    assert http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert req["http"].protocol == "GET"
    assert req["http"].statusline == "/news/2026/budget?page=2&utm_source=rss HTTP/1.1"

    warc = resp["warc"]
    assert warc.protocol == "WARC/1.1"
    assert warc.get_header("Content-Type") == "application/http; msgtype=response"
    assert req["warc"].get_header("Content-Type") == "application/http; msgtype=request"
    assert warc.get_header("WARC-IP-Address") == "127.0.0.1"
    assert warc.get_header("WARC-Date") == "2026-11-28T04:00:00.123456Z"
    assert warc.get_header("WARC-Payload-Digest") == sha1_b32(response.body)
    assert req["warc"].get_header("WARC-Concurrent-To") == resp["id"]
    assert warc.get_header("WARC-Concurrent-To") == req["id"]
    assert warc.get_header("WARC-Truncated") is None
    assert md["warc"].get_header("WARC-Refers-To") == resp["id"]
    assert md["warc"].get_header("Content-Type") == "application/json"

    # warcio's offsets agree with the positions handed to the pipelines.
    assert (resp["offset"], resp["length"]) == (positions.response.offset, positions.response.length)
    assert (req["offset"], req["length"]) == (positions.request.offset, positions.request.length)
    assert (md["offset"], md["length"]) == (meta.offset, meta.length)
    assert positions.response.file == path.name == meta.file

    ours = read_record(directory, positions.response.file, positions.response.offset)
    assert ours.payload == response.body
    assert ours.http_status == 200
    assert ours.http_start_line == "HTTP/1.1 200 OK"
    assert ours.position == positions.response
    assert ours.http_headers is not None and ("X-Caf\u00e9", "cr\u00e8me \u00ff") in ours.http_headers
    assert [r.position for r in iter_records(path)][1:] == [
        positions.response, positions.request, meta]


def test_metadata_record_is_no_capture_of_the_page(written: Written) -> None:
    # pywb, cdxj-indexer and OpenWayback index every metadata record that is not
    # application/warc-fields as a capture of its WARC-Target-URI: under the page's own URL,
    # Wayback replayed our JSON as the archived page (at the page's own second, and as its
    # latest capture). The record names the page under a URI of its own, as Browsertrix's
    # urn:pageinfo: records do; WARC-Refers-To still links it to the response.
    [path] = warc_files(written.directory)
    _, resp, _, md = warcio_records(path)
    page = resp["warc"].get_header("WARC-Target-URI")
    assert md["warc"].get_header("WARC-Target-URI") == METADATA_URI_PREFIX + page
    assert md["warc"].get_header("WARC-Refers-To") == resp["id"]


def test_block_bytes_are_the_http_message_as_sent(written: Written) -> None:
    directory, response, positions = written.directory, written.response, written.positions
    [path] = warc_files(directory)
    with open(path, "rb") as f:
        f.seek(positions.response.offset)
        member = gzip.decompress(f.read(positions.response.length))
    head, _, rest = member.partition(b"\r\n\r\n")
    block = rest[:-4]
    assert rest.endswith(b"\r\n\r\n")
    assert block.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
    # Non-ASCII header bytes are kept as sent (latin-1), not percent-encoded by warcio.
    assert b"X-Caf\xe9: cr\xe8me \xff\r\n" in block
    assert block.endswith(b"\r\n\r\n" + response.body)
    assert f"Content-Length: {len(block)}".encode() in head
    assert f"WARC-Block-Digest: {sha1_b32(block)}".encode() in head


def test_warcinfo_opens_every_file(written: Written) -> None:
    [path] = warc_files(written.directory)
    info = next(iter_records(path))
    assert info.rec_type == "warcinfo"
    assert info.warc_header("WARC-Filename") == path.name
    assert info.warc_header("Content-Type") == "application/warc-fields"
    text = info.payload.decode()
    assert f"software: {SOFTWARE}\r\n" in text
    assert SOFTWARE.startswith("newsarchive/") and " warcio/1.8" in SOFTWARE
    assert "format: WARC File Format 1.1\r\n" in text
    assert "robots: obey\r\noperator: Desk\r\n" in text


def test_truncated_body_is_marked_and_stored_as_is(tmp_path: Path) -> None:
    body = HTML[:300]
    request, response = sample_exchange(
        body=body, gzip_body=False, truncated="length",
        extra_headers=[("Content-Length", str(len(HTML)))],
    )
    with WarcFileWriter(tmp_path) as writer:
        pos = writer.write_exchange(request, response)
    record = read_record(tmp_path, pos.response.file, pos.response.offset)
    assert record.warc_header("WARC-Truncated") == "length"
    # The HTTP Content-Length says more than was kept: warcio must not "fix" either one.
    assert record.http_header("Content-Length") == str(len(HTML))
    assert record.payload == body
    [_, resp, _] = warcio_records(tmp_path / pos.response.file)
    assert resp["raw"] == body


def test_error_status_reason_phrase_and_empty_body(tmp_path: Path) -> None:
    request, response = sample_exchange(
        body=b"", gzip_body=False, status=404, reason="Not Found",
        url="http://127.0.0.1:8080/gone#section",
    )
    post = HttpRequestData("POST", request.url, request.headers, body=b"q=1", http_version="HTTP/1.0")
    with WarcFileWriter(tmp_path) as writer:
        pos = writer.write_exchange(post, response)
    resp = read_record(tmp_path, pos.response.file, pos.response.offset)
    req = read_record(tmp_path, pos.request.file, pos.request.offset)
    assert resp.http_start_line == "HTTP/1.1 404 Not Found" and resp.payload == b""
    assert req.http_start_line == "POST /gone HTTP/1.0" and req.payload == b"q=1"
    # The fragment is never sent to the server, so it is not part of the target URI.
    assert resp.target_uri == req.target_uri == "http://127.0.0.1:8080/gone"


def test_open_file_while_writing_then_renamed(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, prefix="news", clock=ticking_clock(), pid=4242,
                            hostname="crawl-host.example")
    assert list(tmp_path.iterdir()) == []  # nothing is created before the first record
    pos = writer.write_exchange(*sample_exchange())
    # "-" separates the name's fields, so it is replaced inside the host name.
    assert pos.response.file == "news-20261128040000123-00000-crawl_host.example-4242.warc.gz"
    assert [p.name for p in tmp_path.iterdir()] == [pos.response.file + ".open"]
    assert warc_files(tmp_path) == []
    # Positions use the final name; the reader finds the record in the `.open` file meanwhile.
    assert read_record(tmp_path, pos.response.file, pos.response.offset).payload
    writer.close()
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [pos.response.file]
    assert read_record(tmp_path, pos.response.file, pos.response.offset).payload
    with pytest.raises(ValueError, match="closed"):
        writer.write_exchange(*sample_exchange())


def test_never_reuses_an_existing_file(tmp_path: Path) -> None:
    name = "news-20261128040000123-00000-h-1.warc.gz"
    (tmp_path / name).write_bytes(b"left from before")
    writer = WarcFileWriter(tmp_path, prefix="news", clock=lambda: FETCHED_AT, hostname="h", pid=1)
    with pytest.raises(FileExistsError, match="refusing"):
        writer.write_exchange(*sample_exchange())
    assert (tmp_path / name).read_bytes() == b"left from before"


def test_fsync_per_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with WarcFileWriter(tmp_path) as writer:
        writer.write_exchange(*sample_exchange())  # opens the file: warcinfo and directory synced
        synced.clear()
        writer.write_exchange(*sample_exchange())
        assert len(synced) == 1  # the pair is made durable together, before positions return
        writer.write_metadata("http://x/", b"{}", refers_to=None)
        assert len(synced) == 2


def test_reader_refuses_a_wrong_offset(written: Written) -> None:
    directory, positions = written.directory, written.positions
    with pytest.raises(WarcFormatError, match=rf"{positions.response.file} at offset 5: corrupt"):
        read_record(directory, positions.response.file, 5)
    with pytest.raises(FileNotFoundError):
        read_record(directory, "missing.warc.gz", 0)


def test_info_cannot_replace_what_the_writer_states(tmp_path: Path) -> None:
    info = {"software": "newsarchive/0.1.0", "http-header-user-agent": "bot/1"}
    with WarcFileWriter(tmp_path, info=info) as writer:
        writer.write_exchange(*sample_exchange())
    text = next(iter_records(warc_files(tmp_path)[0])).payload.decode()
    assert text.startswith(f"software: {SOFTWARE}\r\n")
    assert text.count("software:") == 1 and "http-header-user-agent: bot/1\r\n" in text


def test_concurrent_writers_threads_keep_records_whole(tmp_path: Path) -> None:
    """The crawl writes from several threads (asyncio.to_thread): no record may be lost or mixed."""
    from concurrent.futures import ThreadPoolExecutor

    from archive.warc import WarcFileWriter, iter_records, warc_files

    writer = WarcFileWriter(tmp_path, fsync=False)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: make a race show
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            positions = list(pool.map(
                lambda n: writer.write_metadata(f"http://x.test/{n}", b'{"n": %d}' % n, refers_to=None),
                range(2000)))
    finally:
        sys.setswitchinterval(interval)
    writer.close()
    records = [r for path in warc_files(tmp_path) for r in iter_records(path)]
    metadata = {r.position.record_id: r.payload for r in records if r.rec_type == "metadata"}
    assert len(metadata) == 2000
    for n, position in enumerate(positions):
        assert metadata[position.record_id] == b'{"n": %d}' % n


def fails_once(real: Callable[[Any], None]) -> Callable[[Any], None]:
    """`real`, but its first call raises EIO: a disk that failed one writeback."""
    failures = [OSError(errno.EIO, "I/O error")]

    def call(arg: Any) -> None:
        if failures:
            raise failures.pop()
        real(arg)

    return call


@pytest.mark.parametrize("when", ["rollover", "close"])
def test_a_file_whose_fsync_failed_is_never_finished_or_written_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Linux reports a failed writeback once and may drop its pages: a second fsync of the
    file would succeed over what was lost. The file stays `.open`, for salvage."""
    writer = WarcFileWriter(tmp_path, max_size=20_000)
    writer.write_metadata("http://x.test/first", b"{}", refers_to=None)
    (open_file,) = tmp_path.glob("*.open")
    monkeypatch.setattr(os, "fsync", fails_once(os.fsync))
    with pytest.raises(OSError, match="I/O error"):
        if when == "close":
            writer.close()
        else:
            writer.write_metadata("http://x.test/big", os.urandom(30_000), refers_to=None)
    writer.write_metadata("http://x.test/after", b"{}", refers_to=None)  # in a fresh file
    writer.close()
    assert open_file.exists()
    (finished,) = warc_files(tmp_path)
    assert [r.rec_type for r in iter_records(finished)] == ["warcinfo", "metadata"]


def test_a_failed_directory_sync_after_finishing_leaves_the_writer_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = WarcFileWriter(tmp_path)
    writer.write_metadata("http://x.test/1", b"{}", refers_to=None)
    monkeypatch.setattr(writer_module, "fsync_directory", fails_once(writer_module.fsync_directory))
    with pytest.raises(OSError, match="I/O error"):
        writer.close()  # the file was synced and renamed: only its directory entry failed
    assert len(warc_files(tmp_path)) == 1 and not list(tmp_path.glob("*.open"))
    writer.write_metadata("http://x.test/2", b"{}", refers_to=None)
    writer.close()
    assert len(warc_files(tmp_path)) == 2


def test_a_file_that_cannot_begin_is_never_written_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = WarcFileWriter(tmp_path)
    monkeypatch.setattr(writer_module, "fsync_directory", fails_once(writer_module.fsync_directory))
    with pytest.raises(OSError, match="I/O error"):
        writer.write_metadata("http://x.test/1", b"{}", refers_to=None)
    writer.write_metadata("http://x.test/2", b"{}", refers_to=None)
    writer.close()
    (finished,) = warc_files(tmp_path)
    assert [r.rec_type for r in iter_records(finished)] == ["warcinfo", "metadata"]
