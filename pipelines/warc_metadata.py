"""Item pipeline: one WARC metadata record per capture, the JSON the index is built from."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.capture import aliases_for
from archive.index import CaptureDoc
from crawler.items import CaptureRef, PageItem
from crawler.session import ArchiveSession


def hop_outcome(capture: CaptureRef) -> str:
    """Outcome of a capture that is not the last of its chain (a redirect or a retried error)."""
    if 300 <= capture.status < 400:
        return "redirect"
    if capture.status >= 500 or capture.status == 429:
        return "retried"
    # A body cut short and retried (DataLossRetryMiddleware): not an error page the site sent.
    return "truncated" if capture.cut else "http_error"


def aliases_of(item: PageItem) -> list[str]:
    return aliases_for(item.outcome, item.canonical_url, item.aliases, item.discovery)


def encode_metadata(metadata: dict[str, Any]) -> bytes:
    """The record's JSON as UTF-8. A lone surrogate (a JSON Feed's "\\udc00" escape in a title)
    cannot be UTF-8: it becomes "?", where it raised and the capture never reached the index."""
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode("utf-8", errors="replace")


def metadata_for(item: PageItem, capture: CaptureRef | None, last: bool) -> dict[str, Any]:
    discovery = item.discovery[0] if item.discovery else None
    # The site's timezone as the crawl read it: its pages' and feeds' times without an offset
    # were that zone's wall clock, and the index (live or rebuilt from this record) turns the
    # page's `published` into UTC with it. Recorded, not looked up in the config at index
    # time: a rebuild must give what the crawl gave, and the config may have changed or be
    # gone by then. Absent when the config names none (UTC), as in records written before it.
    zone = {"timezone": item.timezone} if item.timezone else {}
    return {
        "newsarchive": 1,
        "site": item.site,
        **zone,
        "url": capture.url if capture else item.url,
        "canonical_url": item.canonical_url,
        "fetched_at": capture.fetched_at if capture else item.fetched_at,
        "status": capture.status if capture else item.status,
        "content_type": capture.content_type if capture else item.content_type,
        "outcome": item.outcome if last else hop_outcome(capture) if capture else item.outcome,
        "reason": item.reason if last else capture.cut if capture else None,
        "discovery": discovery if last else None,
        "discovered": item.discovery if last else [],
        "article": item.article if last else None,
        "aliases": aliases_of(item) if last else [],
    }


class WarcMetadataPipeline:
    def __init__(self, crawler: Crawler):
        self.session = ArchiveSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        if self.session.failed:  # the disk is full: write nothing more, the crawl is stopping
            raise DropItem(self.session.failed)
        docs: list[CaptureDoc] = []
        chain: list[CaptureRef | None] = list(item.captures)
        if item.unanswered or not chain:
            chain.append(None)
        for number, capture in enumerate(chain):
            payload = encode_metadata(metadata_for(item, capture, last=number == len(chain) - 1))
            # The index gets the JSON as a rebuild will read it back from the WARC, not the
            # dict it came from: one input, one result.
            metadata = json.loads(payload)
            # Written (and fsynced) in a thread, like the exchanges: the reactor never waits on disk.
            try:
                position = await asyncio.to_thread(
                    self.session.writer.write_metadata, metadata["url"], payload,
                    refers_to=capture.response.record_id if capture else None,
                )
            except OSError as exc:
                self.session.storage_failed(exc, f"the metadata record of {item.url}")
                raise DropItem(f"not archived: {exc}") from exc
            docs.append(CaptureDoc(metadata=metadata, response=capture.response if capture else None,
                                   metadata_position=position))
        item.capture_docs = docs
        return item
