"""What the spider reads from a response's headers."""

from __future__ import annotations

from scrapy.http import Response
from w3lib.url import safe_url_string

from archive.urls import canonical_url


def location(response: Response) -> str | None:
    """The absolute redirect target, or None when Location is missing or unusable. Its raw
    bytes are read as UTF-8 and percent-encoded, as Scrapy's own redirects do (as Latin-1,
    "/café" became "/caf%C3%83%C2%A9", a page that does not exist)."""
    raw = response.headers.get(b"Location")
    if not raw:
        return None
    try:
        target = response.urljoin(safe_url_string(raw))
        canonical_url(target)
    except ValueError:  # "http://[bad", port 99999
        return None
    return target


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None

