"""canonical_url: one function decides when two URLs are the same page."""

from __future__ import annotations

import pytest

from archive.urls import canonical_url, with_ascii_host

SAME = [
    ("http://127.0.0.1:8765/news/a?utm_source=rss&utm_medium=feed", "http://127.0.0.1:8765/news/a"),
    ("http://example.com/news/a?fbclid=xyz", "http://example.com/news/a"),
    ("HTTP://Example.COM:80/news/a", "http://example.com/news/a"),
    ("https://example.com:443/news/a#comments", "https://example.com/news/a"),
    ("https://example.com/amp/2022/10/15/a-1", "https://example.com/2022/10/15/a-1"),
    ("https://example.com/news/a/amp/", "https://example.com/news/a/"),
    # Not "/news/a/": a 404 on sites without trailing slashes.
    ("https://example.com/news/a/amp", "https://example.com/news/a"),
    ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
    # As browsers write them (UTS 46): IDNA 2003 made "faß" "fass", another domain, and
    # dropped the ZWNJ a Persian name needs.
    ("https://faß.de/a", "https://xn--fa-hia.de/a"),
    ("https://FAß.DE./a", "https://xn--fa-hia.de/a"),
    ("https://\u0646\u0627\u0645\u0647\u200c\u0627\u06cc.example/a", "https://xn--mgba3gch31f060k.example/a"),
    ("http://example.com/news/a?b=2&a=1", "http://example.com/news/a?a=1&b=2"),
    # The query as the site wrote it: decoded and encoded again these were 404s.
    ("http://example.com/news?rubrique=march%E9s", "http://example.com/news?rubrique=march%E9s"),
    ("http://example.com/index.php?/archives/2026/x", "http://example.com/index.php?/archives/2026/x"),
    ("http://example.com/news?q=café&utm_source=rss", "http://example.com/news?q=caf%C3%A9"),
    # Spelled as Scrapy sends them: the two spellings were two articles.
    ("http://example.com/news?ids[]=7&q='x'", "http://example.com/news?ids%5B%5D=7&q=%27x%27"),
]


@pytest.mark.parametrize(("url", "expected"), SAME)
def test_canonical(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_loopback_port_kept() -> None:
    assert canonical_url("http://127.0.0.1:40123/x") == "http://127.0.0.1:40123/x"


def test_different_pages_stay_different() -> None:
    assert canonical_url("http://example.com/news/a?page=2") != canonical_url("http://example.com/news/a")


def test_invalid_port_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="has an invalid port"):
        canonical_url("http://example.com:99999/a")


def test_has_markers_says_when_canonical_url_takes_something_off() -> None:
    from archive.urls import has_markers

    for url in ("https://x.test/a?utm_source=feed", "https://x.test/a?id=1&fbclid=2",
                "https://x.test/amp/a", "https://x.test/a/amp", "https://x.test/a?amp"):
        assert has_markers(url) and canonical_url(url) != url, url
    for url in ("https://x.test/a", "https://x.test/a?id=1", "https://x.test/a?page=2#top"):
        assert not has_markers(url), url


def test_the_canonical_query_is_the_query_requested() -> None:
    # The crawl requests canonical URLs: one that Scrapy spells otherwise was a second key
    # for the page its other spelling reaches.
    from string import punctuation

    from scrapy import Request

    for char in set(punctuation) - set("#&%"):
        url = canonical_url(f"http://example.com/a?x=1{char}2")
        assert Request(url).url == url, char


@pytest.mark.parametrize(("url", "expected"), [
    ("http://user:pw@faß.de:8080/a?q=1", "http://user:pw@xn--fa-hia.de:8080/a?q=1"),
    ("http://faß.de:/a", "http://xn--fa-hia.de:/a"),
    ("http://example.com/café", "http://example.com/café"),  # the path is not its business
    ("http://[::1]:80/a", "http://[::1]:80/a"),
])
def test_with_ascii_host_respells_the_host_alone(url: str, expected: str) -> None:
    assert with_ascii_host(url) == expected
