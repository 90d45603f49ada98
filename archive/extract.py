"""Turn one fetched page (raw bytes) into article text and metadata: the extraction entry point."""

from __future__ import annotations

import logging

from archive.extraction.authors import find_authors
from archive.extraction.body import extract_text
from archive.extraction.boilerplate import find_furniture, prune_furniture
from archive.extraction.byline import scan_headline_region
from archive.extraction.classify import classify, measure, paywalled
from archive.extraction.cleanup import clean_lines, standfirst_of
from archive.extraction.dateorder import month_first
from archive.extraction.dates import find_dates
from archive.extraction.firstpass import Walked
from archive.extraction.language import find_language
from archive.extraction.links import OwnPlaces
from archive.extraction.metadata import (
    document_base,
    find_canonical,
    find_description,
    find_headline,
    find_image,
    find_section,
    find_sitename,
    find_tags,
)
from archive.extraction.model import ArticleExtraction, DateCandidate, ExtractionHints
from archive.extraction.page import parse_page
from archive.extraction.textfix import fix_double_encoding, one_line, text_only

__all__ = ["ArticleExtraction", "DateCandidate", "ExtractionHints", "extract_article"]

logger = logging.getLogger(__name__)



def extract_article(
    body: bytes, url: str, hints: ExtractionHints | None = None
) -> ArticleExtraction:
    """Extract one page. A page that breaks extraction gives status "error" with a reason.

    Only a caller's mistake raises: `body` must be bytes (the raw payload, never
    decoded text, so that trafilatura can detect the real charset), `url` a str.
    """
    if not isinstance(body, bytes):
        raise TypeError(f"extract_article needs the raw bytes, got {type(body).__name__}")
    if not isinstance(url, str):  # (None used to fail inside, reported as the page's error)
        raise TypeError(f"extract_article needs the page's URL as str, got {type(url).__name__}")
    try:
        return _extract(body, url, hints)
    except Exception as exc:  # one page must not stop a crawl or a rebuild; the reason is kept
        logger.exception("extraction failed on %s", url)
        return ArticleExtraction(status="error", reason=f"{type(exc).__name__}: {exc}")


def _text_only(result: ArticleExtraction) -> None:
    """Control characters and lone surrogates out of every field the page's markup wrote."""
    result.text = text_only(result.text) if result.text else result.text
    for name in ("title", "description", "sitename", "section"):
        value = getattr(result, name)
        if value:
            setattr(result, name, one_line(value) or None)
    result.authors = [name for name in map(one_line, result.authors) if name]
    result.tags = [tag for tag in map(one_line, result.tags) if tag]


def _extract(body: bytes, url: str, hints: ExtractionHints | None) -> ArticleExtraction:
    # 1. Parse the raw bytes (trafilatura's decoder copes with wrong charset claims).
    page = parse_page(body, url)
    if page is None:
        return ArticleExtraction(status="empty", reason="no parsable HTML")
    # Every element's Python proxy, held to the end: while one is alive, lxml hands it out
    # again instead of building a new one, which was most of what each stage's walks over
    # the page cost (1.2-1.3 ms of 17-19 a page in all).
    proxies = list(page.tree.iter())
    # 2. Metadata from the page's own markup, before the body stage prunes anything.
    sitename = find_sitename(page)
    title, headline = find_headline(page, sitename, hints.feed_title if hints else None)
    # (The furniture is found now, before anything changes the page, and pruned in step 3:
    # its walk reads every element's attributes, which the headline scan needs too.)
    furniture = find_furniture(page.tree)
    region = scan_headline_region(
        page.tree, headline, month_first=month_first(page),
        walked=Walked(proxies, furniture.bylined, furniture.telling),
    )
    dates = find_dates(page, hints, region.dates)
    published = dates.published
    authors = [fix_double_encoding(a) for a in find_authors(page, sitename, region.bylines, region.dates)]
    title = fix_double_encoding(title) if title else None
    # Links to places in the page itself (a live blog's entries) are not teasers.
    canonical = find_canonical(page)
    own_place = OwnPlaces(document_base(page), (page.url, canonical))
    shape = measure(page.tree, own_place)
    # 3. Main text, after dropping the furniture the markup names, then the lines
    # that repeat the headline and byline or are furniture by their wording.
    prune_furniture(page.tree, own_place, furniture)
    text = fix_double_encoding(extract_text(page.tree, url))
    description = fix_double_encoding(find_description(page) or "") or None
    standfirst = standfirst_of(page.tree, description, text)
    text = clean_lines(text, title=title, authors=authors, standfirst=standfirst)
    result = ArticleExtraction(
        status="ok",
        text=text,
        title=title,
        authors=authors,
        published=published.value if published else None,
        modified=dates.modified,
        language=find_language(page),
        description=description,
        sitename=sitename,
        section=find_section(page),
        tags=find_tags(page),
        image=find_image(page),
        canonical_url=canonical,
        date_candidates=dates.candidates,
        date_source=published.source if published else None,
        gated=paywalled(page),
    )
    _text_only(result)
    # 4. Is it an article at all? The text is kept either way: the index decides.
    reason = classify(page, shape, text, title, {c.source for c in dates.candidates})
    if reason is not None:
        result.status, result.reason = "not_article", reason
    elif not text:
        result.status, result.reason = "empty", "no main text found"
    del proxies  # (held until here on purpose: see above)
    return result
