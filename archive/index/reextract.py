"""`index --reextract`: archived pages extracted again, stored as a crawl would store them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.capture import (
    EXTRACTED_OUTCOMES,
    adopted_canonical,
    aliases_for,
    discovered_of,
    hints_from_discovery,
    outcome_for,
    partial_content,
)
from archive.index.content import ContentEncodingError, decode_body
from archive.index.store import CaptureDoc, CaptureError, capture_row
from archive.warc.reader import WarcFormatError, WarcRecordData, read_record

if TYPE_CHECKING:
    from archive.extract import ArticleExtraction, ExtractionHints
    from archive.extract_pool import ExtractionPool

# Site name -> whether a URL is one of its articles (SiteConfig.is_article): what the crawl
# asks before it adopts a page's rel=canonical.
ArticleUrls = Mapping[str, Callable[[str], bool]]
# Pages named among those whose rel=canonical was not adopted; the rest are counted (a site's
# template declaring "/" refuses every page of it).
REFUSED_SHOWN = 10


@dataclass
class Adoption:
    """How re-extraction adopts a page's rel=canonical (by its site's article URLs), and what
    it could not adopt, kept for the summary: logged, each line broke into the progress bar."""

    article_urls: ArticleUrls
    refused: list[str] = field(default_factory=list)  # the first claims kept as fetched, and why
    refused_count: int = 0
    sites_without_config: set[str] = field(default_factory=set)  # none of its claims judged

    def refuse(self, why: str) -> None:
        # Counted past the first few: every message kept was 200 MB over a million pages.
        self.refused_count += 1
        if len(self.refused) < REFUSED_SHOWN:
            self.refused.append(why)

    def is_article_of(self, site: object) -> Callable[[str], bool] | None:
        if isinstance(site, str) and site in self.article_urls:
            return self.article_urls[site]
        self.sites_without_config.add(str(site))
        return None


def extraction_input(
    record: WarcRecordData, metadata: dict[str, Any]
) -> tuple[bytes, str, ExtractionHints]:
    """What extract_article needs for an archived page: its decoded body, URL and hints."""
    # Repeated header lines read as the crawl reads them: every Content-Encoding line (in
    # order), and the last Last-Modified (Scrapy's Headers.get): with the first, a page sent
    # with two got another date here, and "gzip" then "br" could not be decoded at all.
    codings = ", ".join(record.http_header_values("Content-Encoding"))
    body = decode_body(record.payload, codings)
    last_modified = next(reversed(record.http_header_values("Last-Modified")), None)
    # As of its fetch, not of today: a date after it was no date of the page then, and
    # would come out the page's publication once the clock passed it.
    hints = hints_from_discovery(discovered_of(metadata), last_modified,
                                 str(metadata.get("fetched_at") or "") or None)
    return body, str(metadata["url"]), hints


def with_article(metadata: dict[str, Any], article: ArticleExtraction,
                 is_article: Callable[[str], bool] | None = None,
                 refused: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The metadata as the crawl writes it for this extraction: ok / not_article decide the
    outcome again, and with it the reason and the aliases (a timed-out page that now comes
    out an article kept the timeout's reason and none of the URLs it was found under), and
    the rel=canonical it declares is adopted as the crawl adopts it, by the site's article
    URLs (`is_article`; without them, the page stays where it was stored). Why a claim is
    not adopted goes to `refused`, as adopted_canonical says."""
    outcome = outcome_for(article.status)
    stored = metadata.get("aliases")
    known = [a for a in stored if isinstance(a, str)] if isinstance(stored, list) else []
    canonical = str(metadata.get("canonical_url") or metadata.get("url"))
    if article.status == "ok" and article.canonical_url and is_article is not None:
        # A page the crawl could not extract (timed out, its pool broken) was stored under
        # its own URL: two pages naming one canonical stayed two articles.
        target = adopted_canonical(str(metadata.get("url") or canonical), canonical,
                                   article.canonical_url, is_article, refused)
        if target is not None:
            known.append(canonical)
            canonical = target
    return {
        **metadata, "outcome": outcome, "article": article.to_dict(), "reason": article.reason,
        "canonical_url": canonical,
        "aliases": aliases_for(outcome, canonical, known, discovered_of(metadata)),
    }


def as_truncated(metadata: dict[str, Any], reason: str) -> dict[str, Any]:
    """The metadata as the crawl writes it for part of a page: never extracted, no aliases."""
    return {**metadata, "outcome": "truncated", "article": None, "reason": reason, "aliases": []}


def _partial(record: WarcRecordData) -> str | None:
    """Why an archived answer is only part of its page, when the crawl of today records it
    as `truncated` while records archived before it (a 206 answer) were extracted."""
    if record.http_status != 206:
        return None
    # The last line, as the crawl reads a header (Scrapy's Headers.get).
    return partial_content(next(reversed(record.http_header_values("Content-Range")), None))


def reextract_batch(
    warc_dir: Path, batch: list[CaptureDoc], pool: ExtractionPool, problems: list[str],
    adoption: Adoption | None = None,
) -> int:
    """Extract a batch of archived pages again (in the pool), in place; how many were. The
    sites' article URLs in `adoption` decide which rel=canonical is adopted (none without)."""
    jobs = []
    done = 0
    for doc in batch:
        if doc.response is not None and doc.metadata.get("outcome") in EXTRACTED_OUTCOMES:
            try:
                capture_row(doc)  # a payload the index refuses: reported when it is applied
                record = read_record(warc_dir, doc.response.file, doc.response.offset)
                if (cut := _partial(record)) is not None:
                    # Its stub, extracted as if whole, was a version of the article of its own.
                    doc.metadata = as_truncated(doc.metadata, cut)
                    done += 1
                    continue
                body, url, hints = extraction_input(record, doc.metadata)
            except CaptureError:
                continue
            except (ContentEncodingError, WarcFormatError, FileNotFoundError) as exc:
                problems.append(f"cannot re-extract {doc.metadata.get('url')}: {exc}")
                continue
            jobs.append((doc, pool.submit(body, url, hints)))
    for doc, future in jobs:
        # The pool never raises through a future: a stuck page comes back as "timeout".
        article = future.result()
        if article.status in ("timeout", "error"):
            # A page the extractor cannot finish now says nothing new about it: keep what
            # the crawl stored, or re-extraction on a busy machine would drop articles.
            problems.append(f"cannot re-extract {doc.metadata.get('url')} "
                                  f"({article.status}: {article.reason}); kept its stored extraction")
            continue
        if adoption is None:
            doc.metadata = with_article(doc.metadata, article)
        else:
            doc.metadata = with_article(doc.metadata, article,
                                        adoption.is_article_of(doc.metadata.get("site")),
                                        adoption.refuse)
        done += 1
    return done
