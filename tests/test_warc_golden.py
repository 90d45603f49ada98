"""Golden test: with record ids, dates, host and pid injected, the bytes written are fixed.

The expected file holds the UNCOMPRESSED records (gzip output may differ between zlib builds);
each record must also be its own gzip member. When a change to the output is intended,
regenerate with ``UPDATE_GOLDEN=1 pytest tests/test_warc_golden.py``, read the diff, commit.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc import HttpRequestData, HttpResponseData, WarcFileWriter, warc_files
from archive.warc.reader import GzipMembers
from tests.warc_support import sequential_ids, ticking_clock

GOLDEN = Path(__file__).parent / "data" / "golden" / "exchanges.warc"
WHEN = datetime(2026, 11, 28, 4, 0, 0, 123456, tzinfo=UTC)
# A fixed gzip body (made once with gzip.compress(mtime=0)): stored as sent, never re-encoded.
GZIP_BODY = base64.b64decode(
    "H4sIAAAAAAACA12NQQqAIBAA771iP1BSly6Lh97gB6xdUjAVXIN+n+St6zDMoJMraHRsSaN4Cay3SicLZFsKF1QdourKnu"
    "hp+vy3GsGsjWM4Uo2HD3AnYYJ1XCBFMJUL2WdClVuqR9S3Hl4pe7mvggAAAA=="
)
UA = "newsarchive/0.1 (+https://example.org/bot)"


def write_golden_exchanges(directory: Path) -> Path:
    writer = WarcFileWriter(
        directory, prefix="golden", clock=ticking_clock(WHEN), record_id=sequential_ids(),
        hostname="golden-host", pid=4242,
        info={"robots": "obey", "http-header-user-agent": UA, "operator": "Newsroom archive"},
    )
    with writer:
        article = writer.write_exchange(
            HttpRequestData("GET", "http://127.0.0.1:8080/news/budget?page=2&ref=rss#top", [
                ("Host", "127.0.0.1:8080"), ("User-Agent", UA), ("Accept-Encoding", "gzip"),
            ]),
            HttpResponseData(
                url="http://127.0.0.1:8080/news/budget?page=2&ref=rss#top", status=200,
                reason="OK", body=GZIP_BODY, fetched_at=WHEN, ip_address="127.0.0.1",
                headers=[
                    ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                    ("Transfer-Encoding", "chunked"), ("Set-Cookie", "session=abc; Path=/"),
                    ("Set-Cookie", "consent=no; Path=/"),
                ],
            ),
        )
        writer.write_exchange(
            HttpRequestData("POST", "http://127.0.0.1:8080/search", [
                ("Host", "127.0.0.1:8080"), ("Content-Type", "application/x-www-form-urlencoded"),
            ], body=b"q=budget"),
            HttpResponseData(
                url="http://127.0.0.1:8080/search", status=404, reason="Not Found",
                headers=[("Content-Length", "0"), ("X-Caf\u00e9", "cr\u00e8me")], body=b"",
                fetched_at=WHEN, http_version="HTTP/1.0",
            ),
        )
        writer.write_exchange(
            HttpRequestData("GET", "http://127.0.0.1:8080/big", [("Host", "127.0.0.1:8080")]),
            HttpResponseData(
                url="http://127.0.0.1:8080/big", status=200, reason="OK",
                headers=[("Content-Type", "text/plain"), ("Content-Length", "1000000")],
                body=b"The first bytes of a body cut at DOWNLOAD_MAXSIZE",
                fetched_at=WHEN, truncated="length",
            ),
        )
        writer.write_metadata(
            "http://127.0.0.1:8080/news/budget?page=2&ref=rss",
            b'{"newsarchive": 1, "outcome": "article"}',
            refers_to=article.response.record_id, date=WHEN,
        )
    [path] = warc_files(directory)
    return path


def test_written_bytes_equal_the_golden_warc(tmp_path: Path) -> None:
    path = write_golden_exchanges(tmp_path)
    assert path.name == "golden-20261128040000123-00000-golden_host-4242.warc.gz"
    with open(path, "rb") as f:
        members = GzipMembers(f, path.name)
        records = []
        while (member := members.next_member()) is not None:
            records.append(member[2])
    written = b"".join(records)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(written)
    expected = GOLDEN.read_bytes()
    assert written == expected, (
        "WARC output changed; if intended, run UPDATE_GOLDEN=1 pytest tests/test_warc_golden.py,"
        " review `git diff tests/data/golden` and commit it"
    )
    # One record per gzip member, and the golden file is itself a valid (uncompressed) WARC.
    assert len(records) == 1 + 3 * 2 + 1
    with open(GOLDEN, "rb") as f:
        types = [r.rec_type for r in ArchiveIterator(f, check_digests="raise")]
    assert types == ["warcinfo"] + ["response", "request"] * 3 + ["metadata"]
