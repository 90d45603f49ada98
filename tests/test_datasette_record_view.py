"""The record view (/-/warc/FILE/OFFSET and ?view=page) of responses the crawl archived only
in part, through Datasette's own test client on a real index."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.warc.records import HttpRequestData, HttpResponseData, WarcPosition
from archive.warc.writer import WarcFileWriter
from tests.datasette_support import get
from tests.index_docs import BASE, FETCHED

ROOT = Path(__file__).resolve().parents[1]




def test_a_compressed_page_cut_short_is_shown_as_far_as_it_arrived(tmp_path: Path) -> None:
    # A gzipped page cut at NEWSARCHIVE_MAX_BODY (or by a lost connection) is archived with
    # WARC-Truncated; the crawl decoded what arrived. The viewer showed the gzip bytes
    # ("the compressed stream is cut short"), and ?view=page served them as text/html.
    words = random.Random(1)
    text = " ".join("".join(words.choice("abcdefgh") for _ in range(6)) for _ in range(3000))
    body = f"<html><p>The harbour wall fell. {text}</p></html>".encode()
    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    positions = writer.write_exchange(
        HttpRequestData("GET", f"{BASE}/news/big", [("Host", "127.0.0.1:8765")]),
        HttpResponseData(f"{BASE}/news/big", 200, "OK",
                         [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                         gzip.compress(body)[:3000], FETCHED, truncated="length"),
    )
    writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")
    db.close()
    path = f"/-/warc/{positions.response.file}/{positions.response.offset}"
    record, page = get(tmp_path, path, path + "?view=page")
    assert record.status_code == 200 and "The harbour wall fell." in record.text
    assert "Shown as archived" not in record.text
    assert page.content.startswith(b"<html><p>The harbour wall fell.")
    assert body.startswith(page.content)


def _indexed(tmp_path: Path, position: WarcPosition) -> str:
    """Index tmp_path/warc; the record view's path to the record at `position`."""
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")
    db.close()
    return f"/-/warc/{position.file}/{position.offset}"


def _archive_one_page(tmp_path: Path) -> str:
    """One page archived and indexed: its record view's path."""
    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    positions = writer.write_exchange(
        HttpRequestData("GET", f"{BASE}/news/a", [("Host", "127.0.0.1:8765")]),
        HttpResponseData(f"{BASE}/news/a", 200, "OK", [("Content-Type", "text/html")],
                         b"<html><p>The harbour wall fell.</p></html>", FETCHED),
    )
    writer.close()
    return _indexed(tmp_path, positions.response)


def test_an_index_that_cannot_be_read_is_an_error_not_a_missing_record(tmp_path: Path) -> None:
    # The viewer asks the index whether a record starts at FILE/OFFSET: when the index could
    # not be read (a damaged disk, a half-copied file), it answered 404 "no record the index
    # knows": a researcher was told the archived page does not exist.
    path = _archive_one_page(tmp_path)
    db = open_index(tmp_path / "index.db")
    pages = [n for (n,) in db.execute(
        "select rootpage from sqlite_master where tbl_name = 'captures' and rootpage > 0")]
    page_size = db.execute("pragma page_size").fetchone()[0]
    db.close()
    with open(tmp_path / "index.db", "r+b") as f:  # the captures table and its indexes rot
        for page in pages:
            f.seek((page - 1) * page_size)
            f.write(b"\xff" * page_size)
    (view,) = get(tmp_path, path)
    assert view.status_code == 500
    assert view.text.startswith(f"cannot read the index {tmp_path / 'index.db'}: ")
    assert "malformed" in view.text


def test_a_damaged_record_the_index_knows_is_an_error_not_a_missing_record(tmp_path: Path) -> None:
    path = _archive_one_page(tmp_path)
    file, offset = path.split("/")[-2:]
    warc = tmp_path / "warc" / file
    data = bytearray(warc.read_bytes())
    data[int(offset) + 40 : int(offset) + 60] = b"\x00" * 20  # bit rot inside its gzip member
    warc.write_bytes(bytes(data))
    (view,) = get(tmp_path, path)
    assert view.status_code == 500
    assert view.text.startswith(f"cannot read the record the index knows at {file} offset {offset}:")


def test_a_record_whose_warc_file_is_gone_names_the_file_and_where_it_was_looked_for(
        tmp_path: Path) -> None:
    """The index knows the record, but its WARC file was moved away or deleted: the viewer
    answered a bare 404 "no WARC file X", as for a page never archived."""
    path = _archive_one_page(tmp_path)
    file = path.split("/")[-2]
    (tmp_path / "warc" / file).rename(tmp_path / file)
    (view,) = get(tmp_path, path)
    assert view.status_code == 410
    assert str(tmp_path / "warc" / file) in view.text
    assert "the index knows" in view.text


def _indexed_run_record(tmp_path: Path) -> str:
    """A crawl run's WARC record in tmp_path/warc, indexed: the record view's path to it."""
    from archive.index.runrecords import write_run_record

    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    position = write_run_record(writer, "demo", "2026-11-01T10:00:00+00:00",
                                "2026-11-01T11:00:00+00:00", "ok", {"pages": 3})
    writer.close()
    return _indexed(tmp_path, position)


def test_a_crawl_run_record_is_shown_and_its_run_links_to_it(tmp_path: Path) -> None:
    # The index read the record (its run is a crawl_runs row) but kept no position of it:
    # the record view answered 404 "no record the index knows", and nothing linked to it.
    path = _indexed_run_record(tmp_path)
    record, runs = get(tmp_path, path, "/index/crawl_runs")
    assert record.status_code == 200, record.text
    assert "urn:newsarchive:crawl-run:demo:2026-11-01T10:00:00+00:00" in record.text
    assert "&#34;outcome&#34;: &#34;ok&#34;" in record.text or '"outcome": "ok"' in record.text
    assert f'href="{path}"' in runs.text


def test_the_payload_of_a_metadata_record_is_shown_as_what_it_is(tmp_path: Path) -> None:
    # A metadata record (the extraction's JSON, a crawl run) has no HTTP message: its "View
    # the archived page" link answered application/octet-stream, and the browser saved an
    # unnamed file instead of showing the JSON.
    path = _indexed_run_record(tmp_path)
    record, payload = get(tmp_path, path, path + "?view=page")
    assert "View the payload" in record.text and "archived page" not in record.text
    assert payload.headers["content-type"] == "application/json"
    assert payload.json()["outcome"] == "ok"
