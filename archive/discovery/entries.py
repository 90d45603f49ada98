"""What a feed or sitemap tells us about one URL before we fetch it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from archive.extraction.datevalues import rfc822_date
from archive.extraction.textfix import one_line
from archive.urls import without_credentials
from archive.zones import aware

T = TypeVar("T")


# Slots: a crawl keeps one for each article it has not fetched yet that a feed or sitemap
# dates or titles (crawler.spiders.found), tens of thousands from a big sitemap.
@dataclass(frozen=True, slots=True)
class DiscoveredLink:
    url: str
    source: str  # feed | sitemap | news_sitemap | page | start
    title: str | None = None
    published: str | None = None  # ISO 8601 as the source gave it (normalised)
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # When the source says the page last changed, where it says so besides `published`
    # (Atom's updated, JSON Feed's date_modified, a news sitemap entry's lastmod): an
    # archived article dated after its last fetch is fetched again.
    modified: str | None = None

    def __post_init__(self) -> None:
        if "@" in self.url:
            # ValueError on "http://[x": the crawl's own checks name what is wrong with it.
            with contextlib.suppress(ValueError):
                object.__setattr__(self, "url", without_credentials(self.url))
        # Text as the feed wrote it may hold what is not text (a JSON Feed's "\udc00"): the
        # crawl's extraction dropped it, the metadata record wrote it as "?", and a
        # re-extraction from that record then gave the article another title and version.
        if self.title is not None:
            object.__setattr__(self, "title", one_line(self.title))
        if self.keywords:
            object.__setattr__(self, "keywords", tuple(one_line(k) for k in self.keywords))

    def to_dict(self) -> dict[str, Any]:
        # Every field is a str or a tuple of str: no deep copy (asdict's, 20x slower, once per
        # discovered link of every crawled article).
        return {"url": self.url, "source": self.source, "title": self.title,
                "published": self.published, "keywords": list(self.keywords),
                "modified": self.modified}


def keep_valid(build: Callable[[T], DiscoveredLink | None], elements: Iterable[T]) -> list[DiscoveredLink]:
    """Build an entry from each element, skipping the ones that cannot be read (urljoin raises
    ValueError on "http://[x"): one malformed entry must not cost a feed all its others."""
    kept: list[DiscoveredLink] = []
    for element in elements:
        try:
            entry = build(element)
        except (ValueError, OverflowError):
            continue
        if entry is not None and entry.url:
            kept.append(entry)
    return kept


_ZONED_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Zz]|[+-]\d{2}:?\d{2})")


def normalise_date(value: object) -> str | None:
    """ISO 8601 or RFC 822 (RSS) -> ISO 8601; None for anything unparseable (or not a string)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _ZONED_DAY.fullmatch(text):
        # An xs:date with its zone ("2026-11-20+01:00"): Python read the zone as the time 01:00.
        return text[:10]
    try:
        # (fromisoformat knows only capital T and Z: "2026-11-20t10:00:00z" was no date.)
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return rfc822_date(text)
    if not any(mark in text for mark in "Tt: "):
        # A day ("2026-11-20", as sitemaps often give it) is not its midnight: written as
        # "T00:00:00", it reached the index as a time the source never stated, read as UTC.
        return parsed.date().isoformat()
    return parsed.isoformat()


def as_utc(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    """An ISO date string as an aware datetime; None when it is not one. A time without an
    offset is in `zone`, the site's (archive.zones.aware); a day without a time is in UTC."""
    if value is None:
        return None
    try:
        return aware(value, zone)
    except ValueError:
        return None
