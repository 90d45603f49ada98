"""WARC/1.1 records built with warcio, as uncompressed bytes, and one gzip member per record."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any
from urllib.parse import urldefrag, urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

import archive
from archive.warc.records import HttpRequestData, HttpResponseData

ORIG_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
# Our metadata records name their page under this prefix (see metadata_target_uri).
METADATA_URI_PREFIX = "urn:newsarchive:metadata:"
SOFTWARE = f"newsarchive/{archive.__version__} warcio/{package_version('warcio')}"


class RawHttpHeaders(StatusAndHeaders):  # type: ignore[misc]
    """HTTP headers serialised byte for byte as received.

    warcio percent-encodes header values that are not ASCII (RFC 8187); we hold headers as
    latin-1 decoded bytes, so encoding them back as latin-1 restores exactly what was sent.
    """

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        return bytes(self.to_str(filter_func).encode("latin-1") + b"\r\n")


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC, microseconds when there are any."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: WARC dates need a UTC-aware datetime")
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def archived_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as archived: the body is stored de-chunked, so Transfer-Encoding must not claim
    otherwise (a reader would try to de-chunk it); its value is kept under another name."""
    return [
        (ORIG_TRANSFER_ENCODING, value) if name.lower() == "transfer-encoding" else (name, value)
        for name, value in headers
    ]


def request_target(url: str) -> str:
    """The request line target: path plus query, never the fragment."""
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


def target_uri(url: str) -> str:
    """WARC-Target-URI: the URL as requested; a fragment is never sent, so it is not part of it."""
    return urldefrag(url)[0]


def metadata_target_uri(url: str) -> str:
    """WARC-Target-URI of a metadata record about the page at ``url``.

    Not the page's own URL: pywb, cdxj-indexer and OpenWayback index every metadata record
    that is not application/warc-fields as a capture of its WARC-Target-URI, so Wayback
    replayed our JSON as the archived page (the latest capture, and at the page's own second).
    A URI of its own keeps it out of the page's captures, as Browsertrix's urn:pageinfo:
    records do; WARC-Refers-To links it to the response, and the JSON holds the URL.
    """
    if url.startswith("urn:"):
        # A record about no fetched page (a crawl run's, archive.index.runrecords) is named by
        # its own URN: we fetch http(s) only, so no page URL begins so.
        return url
    return METADATA_URI_PREFIX + target_uri(url)


def _field_line(name: str, value: str) -> str:
    # application/warc-fields is one field per line: keep values on one line.
    return f"{name}: {' '.join(str(value).splitlines())}\r\n"


class RecordSerializer:
    """Builds WARC/1.1 records with warcio and returns their uncompressed bytes.

    Record ids and dates are injectable so tests can compare output byte for byte.
    """

    def __init__(self, record_id: Callable[[], str] = new_record_id) -> None:
        self._record_id = record_id
        self._builder = RecordBuilder(warc_version="1.1")

    def _serialize(self, record: Any) -> bytes:
        # A writer per record: the crawl serializes from several threads at once, and a shared
        # writer's output buffer would mix their records. gzip=False: each record is compressed
        # by us, at our level, as one gzip member.
        buf = io.BytesIO()
        WARCWriter(buf, gzip=False, warc_version="1.1").write_record(record)
        return buf.getvalue()

    def warcinfo(self, filename: str, date: datetime, fields: Mapping[str, str]) -> tuple[str, bytes]:
        record_id = self._record_id()
        body = "".join(_field_line(k, v) for k, v in fields.items() if v).encode("utf-8")
        headers = {
            "WARC-Type": "warcinfo",
            "WARC-Record-ID": record_id,
            "WARC-Date": warc_date(date),
            "WARC-Filename": filename,
        }
        record = self._builder.create_warc_record(
            "", "warcinfo", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields", warc_headers_dict=headers,
        )
        return record_id, self._serialize(record)

    def exchange(
        self, request: HttpRequestData, response: HttpResponseData
    ) -> tuple[tuple[str, str, bytes], tuple[str, str, bytes]]:
        """(record id, payload digest, bytes) of the response record, then of the request."""
        response_id, request_id = self._record_id(), self._record_id()
        date = warc_date(response.fetched_at)
        resp_warc = {
            "WARC-Type": "response",
            "WARC-Record-ID": response_id,
            "WARC-Date": date,
            "WARC-Target-URI": target_uri(response.url),
        }
        if response.ip_address:
            resp_warc["WARC-IP-Address"] = response.ip_address
        if response.truncated:
            resp_warc["WARC-Truncated"] = response.truncated
        resp_warc["WARC-Concurrent-To"] = request_id
        resp_http = RawHttpHeaders(
            f"{response.status} {response.reason}",
            archived_response_headers(response.headers),
            protocol=response.http_version,
        )
        req_warc = {
            "WARC-Type": "request",
            "WARC-Record-ID": request_id,
            "WARC-Date": date,
            "WARC-Target-URI": target_uri(request.url),
            "WARC-Concurrent-To": response_id,
        }
        req_http = RawHttpHeaders(
            f"{request_target(request.url)} {request.http_version}",
            list(request.headers),
            protocol=request.method,
        )
        resp = self._http_record("response", resp_warc, resp_http, response.body)
        req = self._http_record("request", req_warc, req_http, request.body)
        return (response_id, *resp), (request_id, *req)

    def _http_record(
        self, rec_type: str, warc: dict[str, str], http: RawHttpHeaders, body: bytes
    ) -> tuple[str, bytes]:
        # An explicit length means warcio streams the body as is: it never reads the HTTP
        # Content-Length, so a truncated or mislabelled body is stored byte for byte.
        record = self._builder.create_warc_record(
            warc["WARC-Target-URI"], rec_type, payload=io.BytesIO(body), length=len(body),
            warc_headers_dict=warc, http_headers=http,
        )
        data = self._serialize(record)
        return str(record.rec_headers.get_header("WARC-Payload-Digest")), data

    def metadata(
        self, target_uri: str, payload: bytes, *, refers_to: str | None, content_type: str,
        date: datetime,
    ) -> tuple[str, str, bytes]:
        record_id = self._record_id()
        headers = {
            "WARC-Type": "metadata",
            "WARC-Record-ID": record_id,
            "WARC-Date": warc_date(date),
            "WARC-Target-URI": metadata_target_uri(target_uri),
        }
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        record = self._builder.create_warc_record(
            headers["WARC-Target-URI"], "metadata", payload=io.BytesIO(payload), length=len(payload),
            warc_content_type=content_type, warc_headers_dict=headers,
        )
        data = self._serialize(record)
        return record_id, str(record.rec_headers.get_header("WARC-Payload-Digest")), data


def gzip_member(data: bytes, level: int = 5) -> bytes:
    """One complete gzip member (mtime 0, so equal input gives equal bytes).

    zlib-ng, not the standard zlib: the same gzip format and, at level 6, files 0.7% larger,
    for half the CPU (2.0 instead of 4.1 ms per 249 KB page: bench_warc_writer.py --corpus).
    Level 5 costs 0.83x level 6 for 0.5% more bytes. Compression was the largest single
    cost of the crawl process on real pages.
    """
    compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()
