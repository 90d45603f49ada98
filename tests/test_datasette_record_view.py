"""The record view (/-/warc/FILE/OFFSET and ?view=page) of responses the crawl archived only
in part, through Datasette's own test client on a real index."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.warc.records import HttpRequestData, HttpResponseData
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
