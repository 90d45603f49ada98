"""What the spider reads from a response: its headers, and its links as a browser sends them."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from archive.capture import partial_content
from archive.urls import canonical_url, with_ascii_host


def location(response: Response) -> str | None:
    """The absolute redirect target, or None when Location is missing or unusable. Its raw
    bytes are read as UTF-8 and percent-encoded, as Scrapy's own redirects do (as Latin-1,
    "/café" became "/caf%C3%83%C2%A9", a page that does not exist)."""
    raw = response.headers.get(b"Location")
    if not raw:
        return None
    try:
        # A non-ASCII host as browsers spell it; bytes that are no UTF-8 stay as they are.
        spelled: str | bytes = with_ascii_host(raw.decode("utf-8"))
    except UnicodeDecodeError:
        spelled = raw
    except ValueError:  # "http://[bad"
        return None
    try:
        # Against the URL, not response.urljoin: that reads a <base href> in the body first,
        # and Location is relative to the URL asked for (RFC 9110 10.2.2).
        target = urljoin(response.url, safe_url_string(spelled))
        canonical_url(target)
    except ValueError:  # "http://[bad", port 99999
        return None
    return target


def cut_short(response: Response) -> str | None:
    """Why the body is only part of the page (archived as received, never extracted as if
    whole), or None when it is whole."""
    if "download_stopped" in response.flags:
        return f"body cut at {len(response.body)} bytes (NEWSARCHIVE_MAX_BODY)"
    if "dataloss" in response.flags:
        return f"connection lost after {len(response.body)} bytes of the body"
    if response.status == 206:
        # Its stub was extracted and became the article's latest version.
        return partial_content(header(response, b"Content-Range"))
    return None


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def as_sent(url: str, page: TextResponse) -> str:
    """A link of `page` as browsers (and response.follow) send it: its query in the page's own
    encoding, its path in UTF-8. canonical_url encodes a raw query as UTF-8: a windows-1251
    site's story linked as "?rubric=политика" was a 404. (Patterns still see the link as written.)"""
    if url.isascii():
        return url
    try:
        return safe_url_string(with_ascii_host(url), page.encoding)
    except ValueError:
        return url  # the crawl's own checks name what is wrong with it


def failure_reason(failure: Failure) -> str | None:
    """Why a download failed, in words. Twisted's ResponseFailed (Scrapy's DownloadFailedError
    wraps it) holds the Failures that ended the response, and its message was their list's
    repr: "[<twisted.python.failure.Failure builtins.ValueError: Invalid response: ...>]"."""
    if failure.type is None:
        return None
    exc = failure.value
    reasons = getattr(getattr(exc, "__cause__", None) or exc, "reasons", None)
    if isinstance(reasons, list) and reasons and all(isinstance(r, Failure) for r in reasons):
        said = "; ".join(f"{r.type.__name__ if r.type else 'Error'}: {r.getErrorMessage()}"
                         for r in reasons)
        return f"{failure.type.__name__}: {said}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"
