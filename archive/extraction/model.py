"""The dataclasses extraction takes and returns (re-exported by archive.extract)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

STATUSES = ("ok", "empty", "not_article", "timeout", "error")


@dataclass
class DateCandidate:
    """One date the page or the crawl offered, and where it came from."""

    value: str
    source: str  # feed | news_sitemap | json_ld | meta | html | url | http_last_modified


@dataclass
class ExtractionHints:
    """What the crawl knew about the page before extraction."""

    feed_published: str | None = None
    sitemap_published: str | None = None
    http_last_modified: str | None = None
    feed_title: str | None = None
    # When the page was fetched (ISO 8601): a date later than that (two days' grace) is no
    # date of the page, whenever it is extracted. Unset: now.
    fetched_at: str | None = None


@dataclass
class ArticleExtraction:
    """Text and metadata of one page, with a status saying whether it is an article."""

    status: str
    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    sitename: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    canonical_url: str | None = None
    date_candidates: list[DateCandidate] = field(default_factory=list)
    date_source: str | None = None
    # The page says it is not free to read (JSON-LD isAccessibleForFree false): a paywall's
    # teaser, or a subscriber's full text. The index shows a free version of the article
    # before a gated one. (Records written before this field read as False.)
    gated: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # asdict() deep-copies every value (the whole text included): a shallow copy with
        # the nested dataclasses converted is the same JSON for a fraction of the cost.
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["authors"] = list(self.authors)
        values["tags"] = list(self.tags)
        values["date_candidates"] = [asdict(c) for c in self.date_candidates]
        return values

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleExtraction:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["date_candidates"] = [
            c if isinstance(c, DateCandidate) else DateCandidate(**c)
            for c in values.get("date_candidates") or []
        ]
        return cls(**values)

    @classmethod
    def failed(cls, status: str, reason: str) -> ArticleExtraction:
        return cls(status=status, reason=reason)
