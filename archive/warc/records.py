"""Plain data passed between the WARC writer, reader and the rest of the project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WARC_VERSION = "WARC/1.1"
WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class WarcPosition:
    """Where one record lives: enough to read it back with a single seek."""

    file: str  # final file basename ending ".warc.gz", even while it is still written as ".open"
    offset: int  # byte offset of the record's gzip member
    length: int  # compressed length of that member
    record_id: str  # "<urn:uuid:...>"
    payload_digest: str | None  # exactly the WARC-Payload-Digest value, "sha1:BASE32"


@dataclass
class HttpRequestData:
    """An HTTP request as it went on the wire."""

    method: str
    url: str
    headers: list[tuple[str, str]]  # in order, repeats kept, latin-1 decoded
    body: bytes = b""
    http_version: str = "HTTP/1.1"


@dataclass
class HttpResponseData:
    """An HTTP response as received, before any content decoding."""

    url: str
    status: int
    reason: str
    # As received; the writer drops Transfer-Encoding (the body is already de-chunked) and keeps
    # its value as X-Archive-Orig-Transfer-Encoding.
    headers: list[tuple[str, str]]
    body: bytes  # raw payload as received: still content-encoded (gzip), de-chunked
    fetched_at: datetime  # UTC aware
    http_version: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated value ("length") when the body was cut


@dataclass(frozen=True)
class ExchangePositions:
    """Positions of the two records one HTTP exchange was written as."""

    response: WarcPosition
    request: WarcPosition


def final_name(name: str) -> str:
    """The closed file name for a file possibly still written as ``.open``."""
    return name[: -len(OPEN_SUFFIX)] if name.endswith(OPEN_SUFFIX) else name
