"""What the spider hands to the pipelines: one PageItem per fetched page (every hop's WARC capture)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.warc.records import WarcPosition


@dataclass(frozen=True)
class CaptureRef:
    """One HTTP exchange as the capture middleware archived it."""

    url: str
    status: int
    content_type: str | None
    fetched_at: str
    response: WarcPosition
    request: WarcPosition
    # Why its body is only part of the page (responses.cut_short), else None: an attempt
    # cut short and retried is recorded `truncated`, not as an error page the site sent.
    cut: str | None = None


@dataclass
class PageItem:
    site: str
    url: str  # the URL whose outcome this is (the final one after redirects)
    canonical_url: str
    kind: str  # robots | feed | sitemap | page | article
    status: int | None
    content_type: str | None
    fetched_at: str
    captures: list[CaptureRef] = field(default_factory=list)
    discovery: list[dict[str, Any]] = field(default_factory=list)
    body: bytes | None = None  # decoded body, kept only for articles (extraction input)
    last_modified: str | None = None
    outcome: str = "page"
    reason: str | None = None
    article: dict[str, Any] | None = None
    aliases: list[str] = field(default_factory=list)  # other URLs of this article (rel=canonical)
    timezone: str | None = None  # the site config's, for its times without an offset
    # The last attempt archived nothing (a timeout, a refusal): its outcome gets a record of
    # its own, and the attempts before it keep theirs ("retried").
    unanswered: bool = False
    capture_docs: list[Any] = field(default_factory=list)  # archive.index.CaptureDoc, set by pipelines

    def __repr__(self) -> str:
        # Scrapy logs the item with any error in a pipeline: the whole page body and the
        # extracted text made each such log line hundreds of kilobytes.
        return f"<PageItem {self.kind} {self.url} outcome={self.outcome}>"
