"""Sample HTTP exchanges and injectable ids/clocks shared by the WARC tests."""

from __future__ import annotations

import gzip
import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from archive.warc import HttpRequestData, HttpResponseData

FETCHED_AT = datetime(2026, 11, 28, 4, 0, 0, 123456, tzinfo=UTC)
HTML = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Council votes on budget</title>"
    "</head><body><article><h1>Council votes on budget</h1>"
    + "<p>The city council met on Tuesday to debate the budget for next year.</p>" * 12
    + "</article></body></html>"
).encode()


def sequential_ids(start: int = 1) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>"


def ticking_clock(start: datetime = FETCHED_AT, step_ms: int = 1) -> Callable[[], datetime]:
    counter = itertools.count()
    return lambda: start + timedelta(milliseconds=step_ms * next(counter))


def html_page(size: int, seed: int = 0) -> bytes:
    """An HTML page of about ``size`` bytes that compresses about as well as real news pages."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("etaoinshrdlucmfwypvbgk") for _ in range(rng.randint(2, 10)))
        for _ in range(400)
    ]
    parts = [f"<!doctype html><html><head><title>Story {seed}</title>"
             '<link rel="stylesheet" href="/static/site.css"></head><body><article>']
    length = sum(map(len, parts))
    while length < size:
        words = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 60)))
        part = f'<p class="story-body__text">{words.capitalize()}.</p>\n'
        if rng.random() < 0.2:
            part += f'<a href="/news/{rng.randint(1, 99999)}" data-track="link">{words[:30]}</a>\n'
        parts.append(part)
        length += len(part)
    parts.append("</article></body></html>")
    return "".join(parts).encode()


def sample_exchange(
    url: str = "http://127.0.0.1:8080/news/2026/budget?page=2&utm_source=rss",
    *,
    body: bytes | None = None,
    gzip_body: bool = True,
    status: int = 200,
    reason: str = "OK",
    extra_headers: list[tuple[str, str]] | None = None,
    truncated: str | None = None,
    fetched_at: datetime = FETCHED_AT,
) -> tuple[HttpRequestData, HttpResponseData]:
    raw = HTML if body is None else body
    payload = gzip.compress(raw, mtime=0) if gzip_body else raw
    request = HttpRequestData(
        method="GET",
        url=url,
        headers=[
            ("Host", "127.0.0.1:8080"),
            ("User-Agent", "newsarchive-test/1.0 (+https://example.org/bot)"),
            ("Accept-Encoding", "gzip, deflate"),
        ],
    )
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if gzip_body:
        headers.append(("Content-Encoding", "gzip"))
    headers += [
        ("Transfer-Encoding", "chunked"),
        ("Set-Cookie", "session=abc; Path=/"),
        ("Set-Cookie", "consent=no; Path=/"),
        *(extra_headers or []),
    ]
    response = HttpResponseData(
        url=url, status=status, reason=reason, headers=headers, body=payload,
        fetched_at=fetched_at, ip_address="127.0.0.1", truncated=truncated,
    )
    return request, response
