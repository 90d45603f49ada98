"""Sitemap and sitemap-index parsing, keeping the nested `news:` fields Scrapy's parser drops."""

from __future__ import annotations

import gzip
import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from lxml import etree

from archive.discovery.entries import DiscoveredLink, keep_valid, normalise_date
from archive.discovery.xml import child_text, iter_children, local

# A sitemap may be served gzipped as a file (not Content-Encoding); cap what we inflate.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
# The sitemap protocol's limit per file: a hostile sitemap of a million URLs would otherwise
# hold the crawl's one thread for a minute and its memory for the rest of the run.
MAX_SITEMAP_URLS = 50_000


class SitemapError(ValueError):
    """The body is not a sitemap we can read."""


@dataclass(frozen=True)
class Sitemap:
    is_index: bool
    links: list[DiscoveredLink]  # for an index: the child sitemaps
    dropped: int = 0  # entries past MAX_SITEMAP_URLS, not read (counted up to as many again)
    # Every entry had the same lastmod, to the second: when the file was generated, not when
    # each page changed (see _without_generated_lastmods); those lastmods were dropped.
    generated_lastmod: str | None = None


def _inflate(body: bytes, url: str) -> bytes:
    """Every member of a gzip body (`cat a.gz b.gz` is one valid gzip file), fed to zlib in
    chunks: handing it the whole rest of the body for each member copied that rest into
    unused_data each time, and a 6 MB body of tiny members took 40 s on the reactor thread."""
    if body[:2] != b"\x1f\x8b":
        return body
    view = memoryview(body)
    parts: list[bytes] = []
    size = position = 0
    while body[position:position + 2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        whole = len(parts)  # the members read whole so far
        try:
            while not inflater.eof and (chunk := view[position:position + _CHUNK]):
                parts.append(inflater.decompress(chunk, MAX_SITEMAP_BYTES + 1 - size))
                size += len(parts[-1])
                if size > MAX_SITEMAP_BYTES or inflater.unconsumed_tail:
                    raise SitemapError(f"{url}: gzip sitemap inflates past {MAX_SITEMAP_BYTES} bytes")
                position += len(chunk) - len(inflater.unused_data)
        except (zlib.error, gzip.BadGzipFile) as exc:
            if whole:
                del parts[whole:]
                break  # junk after a whole member, as gzip tools allow: keep what came before
            raise SitemapError(f"{url}: broken gzip sitemap ({exc})") from None
        if not inflater.eof:
            break  # cut short: the XML parser says where
    return b"".join(parts)


_CHUNK = 64 * 1024


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """Parse a urlset or sitemapindex; news sitemap entries keep their date, title and keywords."""
    try:
        kind, children = iter_children(_inflate(body, url))
        kind = local(kind)
        if kind not in _ENTRIES:
            raise SitemapError(f"{url}: root element <{kind}> is not urlset or sitemapindex")
        entry_tag, build = _ENTRIES[kind]
        entries = (e for e in children if local(e.tag) == entry_tag and child_text(e, "loc"))
        # Read as they come, each freed after; past the protocol's limit only counted, and
        # only so far (2 million tiny entries took 11 s to count, on the reactor). An index
        # too: read whole, 1.3 million tiny <sitemap>s held the reactor for 31 s.
        read = keep_valid(lambda e: build(e, url), itertools.islice(entries, MAX_SITEMAP_URLS))
        dropped = sum(1 for _ in itertools.islice(entries, MAX_SITEMAP_URLS))
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"{url}: not a well-formed sitemap ({exc})") from None
    read, generated = _without_generated_lastmods(read)
    return Sitemap(is_index=kind == "sitemapindex", links=read, dropped=dropped,
                   generated_lastmod=generated)


# Fewer entries than this may share a lastmod for real (a few stories corrected together).
_GENERATED_MIN_ENTRIES = 10


def _without_generated_lastmods(links: list[DiscoveredLink]) -> tuple[list[DiscoveredLink], str | None]:
    """The links without their lastmod when every one of them has the same instant: sitemap
    generators that stamp each entry with the time of the request. Taken as each page's date,
    it had every archived article fetched again on every run, let `since` through pages of any
    age, and became the publication date of a page that states none. A date at midnight (or
    without a time of day) is kept: many stories may well change on the same day."""
    stamps = {getattr(link, _lastmod_field(link)) for link in links}
    if len(links) < _GENERATED_MIN_ENTRIES or len(stamps) != 1:
        return links, None
    stamp = stamps.pop()
    if stamp is None or len(stamp) == len("2026-11-28") or stamp[11:19] == "00:00:00":
        return links, None
    return [_without_lastmod(link) for link in links], stamp


def _lastmod_field(link: DiscoveredLink) -> str:
    # A news entry's own date is its publication_date; its lastmod says when it changed.
    return "modified" if link.source == "news_sitemap" else "published"


def _without_lastmod(link: DiscoveredLink) -> DiscoveredLink:
    if link.source == "news_sitemap":
        return replace(link, modified=None)
    return replace(link, published=None)


def _url_entry(entry: etree._Element, base: str) -> DiscoveredLink:
    loc = urljoin(base, child_text(entry, "loc") or "")
    news = next((c for c in entry if local(c.tag) == "news"), None)
    if news is None:
        return DiscoveredLink(url=loc, source="sitemap",
                              published=normalise_date(child_text(entry, "lastmod")))
    keywords = child_text(news, "keywords") or ""
    return DiscoveredLink(
        url=loc,
        source="news_sitemap",
        title=child_text(news, "title"),
        published=normalise_date(child_text(news, "publication_date")),
        keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()),
        modified=normalise_date(child_text(entry, "lastmod")),
    )


def _index_entry(entry: etree._Element, base: str) -> DiscoveredLink:
    return DiscoveredLink(url=urljoin(base, child_text(entry, "loc") or ""), source="sitemap",
                          published=normalise_date(child_text(entry, "lastmod")))


# Per root element: the tag of its entries, and how one is read.
_ENTRIES: dict[str, tuple[str, Callable[[etree._Element, str], DiscoveredLink]]] = {
    "sitemapindex": ("sitemap", _index_entry),
    "urlset": ("url", _url_entry),
}
