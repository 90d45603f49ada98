"""Collect every publication-date candidate with its source, normalise them, choose one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import html as lxml_html

from archive.extraction.model import DateCandidate, ExtractionHints
from archive.extraction.page import Page

# Page-embedded metadata first: it is the publisher's statement about this very article.
# The crawl's hints come next; a date in the URL is only a day, so it ranks last.
# An HTTP Last-Modified is kept as a candidate but never chosen: dynamic pages send
# the time of the request there, which would invent a publication date.
SOURCE_RANK = ("json_ld", "meta", "html", "feed", "news_sitemap", "url")

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "publication_date", "publication-date", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "citation_publication_date", "citation_date",
    "sailthru.date", "parsely-pub-date", "article.published", "article_date_original",
    "originalpublicationdate", "datecreated", "dc.date", "dcterms.date", "date",
)
MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "dcterms.modified", "dc.date.modified", "article.updated", "lastmod", "last-modified",
)

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_NUMERIC = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b|^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?\s*$")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?:/|[_-]|\.html?|$)"
)
_EXCLUDED_TIME_CONTEXT = re.compile(
    r"comment|related|sidebar|footer|recommend|popular|trending|teaser|more-|reply", re.I
)


def normalise_date(value: str, *, now: datetime | None = None) -> str | None:
    """ISO 8601 text keeping only what the value states: a day, or a time with its offset."""
    value = value.strip()
    if not value:
        return None
    iso = _ISO.match(value)
    if iso:
        year, month, day, hour, minute, second, offset = iso.groups()
        return _compose(year, month, day, hour, minute, second, offset, now)
    compact = _COMPACT.match(value)
    if compact:
        year, month, day, hour, minute, second = compact.groups()
        return _compose(year, month, day, hour, minute, second, None, now)
    numeric = _NUMERIC.match(value)
    if numeric:
        y1, m1, d1, d2, m2, y2 = numeric.groups()
        return _compose(y1 or y2, m1 or m2, d1 or d2, None, None, None, None, now)
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if not _plausible(parsed.replace(tzinfo=None), now):
        return None
    return parsed.isoformat()


def _compose(
    year: str, month: str, day: str, hour: str | None, minute: str | None,
    second: str | None, offset: str | None, now: datetime | None,
) -> str | None:
    try:
        day_value = datetime(int(year), int(month), int(day))
        if hour is not None and minute is not None:
            day_value = day_value.replace(hour=int(hour), minute=int(minute), second=int(second or 0))
    except ValueError:
        return None
    if not _plausible(day_value, now):
        return None
    if hour is None:
        return day_value.date().isoformat()
    text = day_value.isoformat()
    if offset:
        if offset == "Z":
            return text + "+00:00"
        digits = offset[1:].replace(":", "")
        if len(digits) == 2:
            digits += "00"
        return f"{text}{offset[0]}{digits[:2]}:{digits[2:4]}"
    return text


def _plausible(value: datetime, now: datetime | None) -> bool:
    limit = (now or datetime.now(UTC)).replace(tzinfo=None) + timedelta(days=2)
    return datetime(1990, 1, 1) <= value <= limit


def collect_candidates(page: Page, hints: ExtractionHints | None) -> list[DateCandidate]:
    found: list[DateCandidate] = []

    def add(raw: Any, source: str) -> None:
        if isinstance(raw, list) and raw:
            raw = raw[0]
        if not isinstance(raw, str):
            return
        value = normalise_date(raw)
        if value and not any(c.value == value and c.source == source for c in found):
            found.append(DateCandidate(value=value, source=source))

    if hints is not None:
        add(hints.feed_published, "feed")
        add(hints.sitemap_published, "news_sitemap")
    articles = page.ld_articles()
    for obj in articles or page.json_ld:
        add(obj.get("datePublished") or obj.get("dateCreated"), "json_ld")
    for name in PUBLISHED_META:
        for raw in page.meta.get(name, ()):
            add(raw, "meta")
    for raw in _html_dates(page.tree):
        add(raw, "html")
    url_date = _URL_DATE.search(page.url)
    if url_date:
        add("-".join(url_date.groups()), "url")
    if hints is not None:
        add(hints.http_last_modified, "http_last_modified")
    return found


def _html_dates(tree: lxml_html.HtmlElement) -> list[str]:
    """Dates the markup itself labels as the publication date."""
    values: list[str] = []
    for el in tree.xpath(
        '//*[@itemprop="datePublished"][not(self::meta)] | //time[@pubdate] '
        '| //abbr[contains(concat(" ", @class, " "), " published ")]'
    ):
        raw = el.get("datetime") or el.get("content") or el.get("title") or el.text_content()
        if raw:
            values.append(raw)
    if values:
        return values
    for el in tree.xpath("//time[@datetime]"):
        if _in_excluded_context(el):
            continue
        values.append(el.get("datetime", ""))
        break
    return values


def _in_excluded_context(el: lxml_html.HtmlElement) -> bool:
    for ancestor in el.iterancestors():
        if ancestor.tag in ("footer", "aside", "nav"):
            return True
        marker = f"{ancestor.get('class', '')} {ancestor.get('id', '')}"
        if marker.strip() and _EXCLUDED_TIME_CONTEXT.search(marker):
            return True
    return False


def choose_published(candidates: list[DateCandidate]) -> DateCandidate | None:
    for source in SOURCE_RANK:
        chosen = next((c for c in candidates if c.source == source), None)
        if chosen is None:
            continue
        if "T" not in chosen.value:
            # Same day stated with a time elsewhere: keep the more precise statement.
            precise = next(
                (c for c in candidates
                 if c.source in SOURCE_RANK and "T" in c.value and c.value[:10] == chosen.value),
                None,
            )
            if precise is not None:
                return precise
        return chosen
    return None


def find_modified(page: Page) -> str | None:
    for obj in page.ld_articles() or page.json_ld:
        raw = obj.get("dateModified")
        if isinstance(raw, str) and (value := normalise_date(raw)):
            return value
    for name in MODIFIED_META:
        for raw in page.meta.get(name, ()):
            if value := normalise_date(raw):
                return value
    for el in page.tree.xpath('//*[@itemprop="dateModified"][not(self::meta)]'):
        raw = el.get("datetime") or el.get("content") or el.text_content()
        if raw and (value := normalise_date(raw)):
            return value
    return None
