"""RSS 2.0, Atom and JSON Feed parsing: the article links a feed announces, with date, title, keywords."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from urllib.parse import urljoin

from lxml import etree

from archive.discovery.entries import DiscoveredLink, keep_valid, normalise_date
from archive.discovery.xml import child_text, local, parse_xml

logger = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
# No feed announces more articles than a sitemap may (its protocol's limit): a 53 MB feed of
# 1.5 million items put every one in the crawl's frontier, at about 0.9 KB each.
MAX_FEED_LINKS = 50_000
# Where a document declares its entities: its internal DTD subset, before the root element.
_DECLARATIONS = 64 * 1024
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


class FeedError(ValueError):
    """The body is not a feed we can read."""


def parse_feed(body: bytes, url: str) -> list[DiscoveredLink]:
    """Links from an RSS 2.0, Atom or JSON Feed document; relative links resolve against `url`."""
    if _looks_like_json(body):
        return _json_feed(body, url)
    try:
        root = parse_xml(body)
    except etree.XMLSyntaxError as exc:
        # One &nbsp; in a description or one cp1252 byte in a UTF-8 feed lost all its links;
        # feeds carry both often. Read on past them, and say so (what gives no link at all
        # stays an error). Not a feed that declares entities: an expansion bomb or an
        # external entity is an attack, refused whole.
        links = []
        if b"<!ENTITY" not in body[:_DECLARATIONS]:
            with contextlib.suppress(etree.XMLSyntaxError, FeedError):
                links = _feed_links(parse_xml(body, recover=True), url)
        if not links:
            raise FeedError(f"{url}: not a well-formed feed ({exc})") from None
        logger.warning("%s: not well-formed XML (%s): read what could be read", url, exc)
        return links
    return _feed_links(root, url)


def _feed_links(root: etree._Element, url: str) -> list[DiscoveredLink]:
    kind = local(root.tag)
    if kind == "rss" or kind == "RDF":
        items = (e for e in root.iter() if local(e.tag) == "item")
        return keep_valid(lambda e: _rss_item(e, url), itertools.islice(items, MAX_FEED_LINKS))
    if kind == "feed":
        entries = (e for e in root if local(e.tag) == "entry")
        return keep_valid(lambda e: _atom_entry(e, url), itertools.islice(entries, MAX_FEED_LINKS))
    raise FeedError(f"{url}: root element <{kind}> is not rss, RDF or Atom feed")


def _looks_like_json(body: bytes) -> bool:
    for bom, encoding in _BOMS:  # json.loads reads a body with a byte-order mark
        if body.startswith(bom):
            return body[len(bom):len(bom) + 64].decode(encoding, "ignore").lstrip()[:1] in "{["
    return body.lstrip()[:1] in (b"{", b"[")


def _rss_item(item: etree._Element, base: str) -> DiscoveredLink | None:
    base = urljoin(base, item.base or "")  # xml:base on the item or above it, as Atom has it
    # The item's own <link>, not an <atom:link> beside it (which names the feed itself).
    link = next((
        (child.text or "").strip() for child in item
        if local(child.tag) == "link" and etree.QName(child).namespace != ATOM
        and (child.text or "").strip()
    ), None)
    if not link:
        for child in item:
            guid = (child.text or "").strip()
            # A permalink guid, when it is a URL: "12345" (the default isPermaLink="true" kept
            # by CMSs that number their items) was fetched as FEED_DIR/12345.
            if local(child.tag) == "guid" and child.get("isPermaLink", "true") != "false" \
                    and guid.startswith(("http://", "https://")):
                link = guid
    if not link:
        return None  # urljoin would make it the feed's own URL
    keywords = tuple(
        (c.text or "").strip() for c in item if local(c.tag) == "category" and c.text
    )
    return DiscoveredLink(
        url=urljoin(base, link),
        source="feed",
        title=child_text(item, "title"),
        published=normalise_date(child_text(item, "pubDate") or child_text(item, "date")),
        keywords=keywords,
    )


def _atom_entry(entry: etree._Element, base: str) -> DiscoveredLink | None:
    href = ""
    for child in entry:
        rel = child.get("rel", "alternate").removeprefix("http://www.iana.org/assignments/relation/")
        if local(child.tag) == "link" and rel == "alternate" and child.get("href", "").strip():
            # Atom resolves against xml:base where the feed sets one (lxml reads it, inherited).
            href = urljoin(urljoin(base, child.base or ""), child.get("href", "").strip())
            break
    if not href:
        # An entry with no alternate link may have its permalink as its id.
        ident = child_text(entry, "id") or ""
        href = ident if ident.startswith(("http://", "https://")) else ""
    if not href:
        return None  # urljoin would make it the feed's own URL
    keywords = tuple(
        c.get("term", "") for c in entry if local(c.tag) == "category" and c.get("term")
    )
    return DiscoveredLink(
        url=href,
        source="feed",
        title=child_text(entry, "title"),
        published=normalise_date(child_text(entry, "published") or child_text(entry, "updated")),
        keywords=keywords,
        modified=normalise_date(child_text(entry, "updated")),
    )


def _json_feed(body: bytes, base: str) -> list[DiscoveredLink]:
    try:
        data = json.loads(body)
    # ValueError covers JSONDecodeError, UnicodeDecodeError and a 5,000-digit number;
    # RecursionError, arrays nested thousands deep.
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"{base}: not valid JSON Feed ({type(exc).__name__}: {exc})") from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise FeedError(f"{base}: JSON Feed without an 'items' list")
    entries = (i for i in items if isinstance(i, dict))
    return keep_valid(lambda item: _json_item(item, base), itertools.islice(entries, MAX_FEED_LINKS))


def _json_item(item: dict[str, object], base: str) -> DiscoveredLink | None:
    link = item.get("url") or item.get("external_url")
    ident = item.get("id")
    if not link and isinstance(ident, str) and ident.startswith(("http://", "https://", "/")):
        link = ident  # an id may be the permalink (or its path); "12345" is not a link
    if not isinstance(link, str) or not link.strip():
        return None
    tags = item.get("tags")
    title = item.get("title")
    return DiscoveredLink(
        url=urljoin(base, link),
        source="feed",
        title=title if isinstance(title, str) else None,
        published=normalise_date(item.get("date_published") or item.get("date_modified")),
        keywords=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        modified=normalise_date(item.get("date_modified")),
    )
