"""Collect every publication-date candidate with its source, normalise them, choose one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import html as lxml_html

from archive.extraction.datemarkup import (
    dated_markup,
    html_dates,
    is_modified_markup,
    is_publication_markup,
    times_and_abbrs,
)
from archive.extraction.dateorder import read_in_page_order
from archive.extraction.datevalues import normalise_date, plausible_date
from archive.extraction.model import DateCandidate, ExtractionHints
from archive.extraction.page import Page, ld_type_names
from archive.extraction.shown import ShownDate
from archive.extraction.textdates import date_in_sentence, find_text_date, publication_label

# Choice, best first: a printed date labelled "Published" that the markup also states,
# or one labelled "originally published"; the date printed beside the headline (unless
# it is later than the structured data's: an unlabelled update, kept only where the
# markup states the publication in JSON-LD alone and names that date the modification);
# a printed "Published" line further down when nothing beside the headline dates the
# page; the page's structured data (JSON-LD, meta tags, dated markup), unless it is
# JSON-LD alone and the page prints only an "Updated" date beside the headline; where
# its statements disagree, the one whose day is printed beside the headline; the
# crawl's feed and news sitemap; a printed date further down; the day in the URL; when
# nothing else dates the page, a "Published" line anywhere on it, else its "Updated" line.
# An HTTP Last-Modified is kept as a candidate but never chosen: dynamic pages send
# the time of the request there. Nothing is ever read from free text such as a
# "(c) 2024" footer: every candidate is a date the page labels as one.

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "publication_date", "publication-date", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "citation_publication_date", "citation_date",
    "sailthru.date", "parsely-pub-date", "article.published", "article_date_original",
    "originalpublicationdate", "datecreated", "published",
)
GENERIC_META = ("dc.date", "dcterms.date", "date")
MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "dcterms.modified", "dc.date.modified", "article.updated", "lastmod", "last-modified",
)

_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?:/|[_-]|\.html?|$)"
)


@dataclass
class DateFindings:
    """Every publication-date candidate (in the order found), the chosen one, and the update date."""

    candidates: list[DateCandidate]
    published: DateCandidate | None
    modified: str | None


# The date printed right beside the headline (within this many elements) is what
# the publisher tells readers; structured data often carries a CMS creation date.
_BESIDE_HEADLINE = 10
# Printed dates further away still count when nothing else dates the page, but
# not beyond this: there they belong to teasers and comments.
_NEAR_HEADLINE = 300
# A printed date that the markup also states (a <time datetime>, a meta tag) is the
# page's own date as far as this from the headline, past a byline block and its
# author box.
_BYLINE_REACH = 40
_LISTING_DAYS = 3
_META_PUBLISHED_HINT = re.compile(r"publish|pubdate|issued|created|release", re.I)
_META_MODIFIED_HINT = re.compile(r"modif|updat|revis|edit", re.I)


# No page states more dates than this; a hostile one's thousands stay out of the index.
MAX_CANDIDATES = 100


def find_dates(
    page: Page, hints: ExtractionHints | None, shown: list[ShownDate]
) -> DateFindings:
    now = _fetched_at(hints)
    month_first, shown = read_in_page_order(page, shown, lambda: _markup_dates(page))
    found: list[DateCandidate] = []
    kept: set[tuple[str, str]] = set()  # `not in` the list was quadratic: 15,000 metas, 20 s

    def add(raw: Any, source: str) -> DateCandidate | None:
        if isinstance(raw, list) and raw:
            raw = raw[0]
        if not isinstance(raw, str):
            return None
        value = normalise_date(raw, now=now) or _text_date(raw, month_first)
        # Every value, whatever read it: text dates ("March 4, 2099") had no range check.
        if not value or not plausible_date(value, now):
            return None
        candidate = DateCandidate(value=value, source=source)
        if (value, source) not in kept and len(found) < MAX_CANDIDATES:
            kept.add((value, source))
            found.append(candidate)
        return candidate

    if hints is not None:
        add(hints.feed_published, "feed")
        add(hints.sitemap_published, "news_sitemap")
    for obj in page.ld_articles() or page.json_ld:
        add(obj.get("datePublished") or obj.get("dateCreated") or _uploaded(obj), "json_ld")
    for name in PUBLISHED_META:
        for raw in page.meta.get(name, ()):
            add(raw, "meta")
    if not any(c.source == "meta" for c in found):
        for name, values in page.meta.items():
            if _META_PUBLISHED_HINT.search(name) and not _META_MODIFIED_HINT.search(name):
                for raw in values:
                    add(raw, "meta")
    # A bare "date" says less than a name that says publication ("published-date"):
    # pages carry both, the bare one often the day the page was rendered.
    for name in GENERIC_META:
        for raw in page.meta.get(name, ()):
            add(raw, "meta")
    dated = dated_markup(page)
    for raw in html_dates(page, dated):
        add(raw, "html")
    # By identity: the caller's list keeps every ShownDate alive while we look them up.
    labels = {id(d): publication_label(" ".join(d.segments), month_first=month_first) for d in shown}
    # "This article was originally published on ..." is prose, yet it dates the page.
    shown = [d for d in shown if labels[id(d)] == "original" or not _in_sentence(d, month_first)]
    printed = [d for d in shown if not d.updated and d.distance <= _NEAR_HEADLINE]
    if len({d.value for d in printed if d.distance <= _BYLINE_REACH}) >= _LISTING_DAYS:
        # Different days, one after another under the headline: a list of events or
        # posts, each with its own date, none of them the page's.
        printed = []
    printed_candidates = [add(d.value, "html") for d in printed[:2]]
    url_date = _URL_DATE.search(page.url)
    if url_date:
        add("-".join(url_date.groups()), "url")
    if hints is not None:
        add(hints.http_last_modified, "http_last_modified")

    structured = [c for c in found if c.source in ("json_ld", "meta", "html")]
    structured = [c for c in structured if c not in printed_candidates]
    chosen: DateCandidate | None = None
    earliest = min((c.value[:10] for c in structured), default=None)
    # The printed date beside the headline wins over structured data, unless it is
    # later: then it is most often the date of an update printed without its label.
    # A later date the markup states as well is no unlabelled update but the date the
    # page gives itself; an earlier structured date is then a CMS creation date.
    beside = printed[0] if printed and printed[0].distance <= _BYLINE_REACH else None
    # What the markup states of the publication: against a printed date, a <time> that no
    # markup labels the publication (the page's first, perhaps a teaser's) states nothing.
    stated = structured if any(map(is_publication_markup, dated)) else [
        c for c in structured if c.source != "html"
    ]
    marked_modified = _find_modified(page, dated, now)
    if beside is not None and (
        (beside.distance <= _BESIDE_HEADLINE and (
            earliest is None or beside.value <= earliest or _one_day_apart(beside.value, earliest)
        ))
        or any(c.value[:10] == beside.value for c in structured)
        or _printed_update(beside, stated, marked_modified)
    ):
        chosen = printed_candidates[0]
    ranked = [
        *structured,
        *(c for c in found if c.source == "feed"),
        *(c for c in found if c.source == "news_sitemap"),
        *(c for c in printed_candidates if c is not None),
        *(c for c in found if c.source == "url"),
    ]
    if chosen is not None and not any(c.value[:10] == chosen.value for c in structured):
        # A printed day one off a structured timestamp is the same moment in another
        # time zone: the timestamp, with its offset, is the better statement. Not when
        # the markup also states the printed day: that is the local time of the moment.
        printed_day = chosen.value
        chosen = next((c for c in structured if _same_moment(printed_day, c.value)), chosen)
    labelled = _labelled_publication(printed, labels, structured, chosen is None)
    if labelled is not None:
        chosen = add(labelled.value, "html")
    if chosen is None:
        chosen = _shown_update(shown, printed, stated, add)
    if chosen is None:
        chosen = _printed_statement(stated, shown)
    if chosen is None and ranked and not _only_a_webpage_date(page, found):
        chosen = ranked[0]
    if chosen is None:
        chosen = _undated_fallback(shown, labels, add)
    if chosen is not None and "T" not in chosen.value:
        # The same day stated with a time elsewhere: keep the more precise statement.
        chosen = next(
            (c for c in ranked if "T" in c.value and c.value[:10] == chosen.value), chosen
        )
    updated = next((d.value for d in shown if d.updated and d.distance <= _NEAR_HEADLINE), None)
    modified = marked_modified or updated
    if modified and (not plausible_date(modified, now) or _days_before(modified, chosen)):
        modified = None
    return DateFindings(found, chosen, modified)


def _days_before(modified: str, published: DateCandidate | None) -> bool:
    """Whether a modified date falls on a day before the publication's eve: no modification of
    this article but a template's or a WebPage's date (5 of the 487 dev pages that state one).
    Compared by day, a day's grace: "22:00-05:00" of the eve is the same hours as "10:00+01:00"."""
    if published is None:
        return False
    try:
        eve = date.fromisoformat(published.value[:10]) - timedelta(days=1)
        return date.fromisoformat(modified[:10]) < eve
    except ValueError:
        return False


def _fetched_at(hints: ExtractionHints | None) -> datetime | None:
    """When the page was fetched, in UTC: its dates are judged as of then, so that extracting
    it again later (index --reextract) does not take a date still to come then for its own."""
    if hints is None or not hints.fetched_at:
        return None
    try:
        moment = datetime.fromisoformat(hints.fetched_at)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment


def _labelled_publication(
    printed: list[ShownDate], labels: dict[int, str | None],
    structured: list[DateCandidate], nothing_chosen: bool,
) -> ShownDate | None:
    """A printed date whose label names it the publication, when it should beat the rest.

    One the markup also states wins outright; then one labelled "originally published"
    (the page itself says a later date is not its first); then, when nothing beside
    the headline dates the page, the nearest one labelled "Published".
    """
    lines = [d for d in printed if labels[id(d)] is not None]
    stated = {c.value[:10] for c in structured}
    return (
        next((d for d in lines if d.value in stated), None)
        or next((d for d in lines if labels[id(d)] == "original"), None)
        or (lines[0] if lines and nothing_chosen else None)
    )


def _shown_update(
    shown: list[ShownDate], printed: list[ShownDate], structured: list[DateCandidate],
    add: Callable[[Any, str], DateCandidate | None],
) -> DateCandidate | None:
    """The "Updated" date printed beside the headline, when it is the only date there and
    `structured` states the publication in JSON-LD alone: the page presents that date as
    its own, and a lone JSON-LD datePublished is most often the CMS's creation date (a
    meta tag or dated markup naming the publication is a deliberate statement: it wins)."""
    if not structured or any(c.source != "json_ld" for c in structured) or any(
        d.distance <= _BYLINE_REACH for d in printed
    ):
        return None
    update = next((d for d in shown if d.updated and d.distance <= _BYLINE_REACH), None)
    return add(update.value, "html") if update is not None else None


def _printed_update(
    beside: ShownDate, stated: list[DateCandidate], marked_modified: str | None
) -> bool:
    """Whether the unlabelled date printed beside the headline is the page's update, shown as
    its date where `stated` (the markup's publication) is JSON-LD alone: the markup names
    that day the modification. As with an "Updated" line (_shown_update), the page presents
    it as its own, and a lone JSON-LD datePublished is most often the CMS's creation date.
    A later printed date the markup does not name stays an unlabelled update: the older
    publication stands."""
    return (
        bool(stated)
        and all(c.source == "json_ld" for c in stated)
        and marked_modified is not None
        and marked_modified[:10] == beside.value
    )


def _printed_statement(
    stated: list[DateCandidate], shown: list[ShownDate]
) -> DateCandidate | None:
    """Where the markup states the publication on different days (its JSON-LD one, a meta
    tag another): the statement whose day the page prints beside its headline, as its date
    or as its update. The day the reader is shown settles which statement the page stands by."""
    if len({c.value[:10] for c in stated}) < 2:
        return None
    printed_days = {d.value for d in shown if d.distance <= _BYLINE_REACH}
    return next((c for c in stated if c.value[:10] in printed_days), None)


def _undated_fallback(
    shown: list[ShownDate], labels: dict[int, str | None],
    add: Callable[[Any, str], DateCandidate | None],
) -> DateCandidate | None:
    """For a page nothing else dates: a line labelled "Published" anywhere on it, else a
    dated byline anywhere, else its "Updated" line near the headline: the date the page
    presents as its own."""
    published = next(
        (d for d in shown if not d.updated and labels[id(d)] is not None), None
    ) or next((d for d in shown if not d.updated and _dated_byline(d)), None)
    if published is not None:
        return add(published.value, "html")
    update = next((d for d in shown if d.updated and d.distance <= _NEAR_HEADLINE), None)
    return add(update.value, "html") if update is not None else None


# A line's part that ends in "by" names who wrote it: "Written by", "Interview by", "Von".
_BYLINE_SEGMENT = re.compile(r"(?:^|\s)(?:by|von|par|por|door|av|przez)\s*:?$", re.I)


def _dated_byline(shown: ShownDate) -> bool:
    """A date printed in one line with a byline ("Interview by Jane Doe · December 3, 2025"):
    the article's dateline, wherever the page's layout put it."""
    return any(_BYLINE_SEGMENT.search(s) for s in shown.segments[:3])


def _only_a_webpage_date(page: Page, found: list[DateCandidate]) -> bool:
    # CMSs give every page, article or not, a WebPage node with a datePublished: alone,
    # without an Article node, an author, a meta tag or a printed date, it is when the
    # page was created, not an article's publication. It stays a candidate.
    return (
        all(c.source == "json_ld" for c in found)
        and not page.ld_articles()
        and not any(obj.get("author") or _uploaded(obj) for obj in page.json_ld)
    )


def _uploaded(obj: dict[str, Any]) -> Any:
    """A video's or podcast episode's uploadDate (schema.org MediaObject): a video page
    states no datePublished, and its publication was read nowhere."""
    return obj.get("uploadDate") if ld_type_names(obj) & _MEDIA_TYPES else None


_MEDIA_TYPES = frozenset({"videoobject", "audioobject", "mediaobject"})


def _one_day_apart(a: str, b: str) -> bool:
    try:
        delta = date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])
    except ValueError:
        return False
    return abs(delta.days) == 1


# The offsets of the world's time zones run from -12:00 to +14:00: a moment falls on its
# UTC day, the day before or the day after, in no zone on another.
_WESTMOST, _EASTMOST = timedelta(hours=-12), timedelta(hours=14)


def _same_moment(day: str, stamp: str) -> bool:
    """Whether a printed day one off a structured date can be that date's moment in some time
    zone: always for a day or a time without an offset; for a time with its offset, only a
    day that moment falls on somewhere ("22:02+00:00" on the 19th is the 19th or the 20th)."""
    if not _one_day_apart(day, stamp):
        return False
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return True
    if moment.tzinfo is None:
        return True
    utc = moment.astimezone(UTC)
    return (utc + _WESTMOST).date().isoformat() <= day[:10] <= (utc + _EASTMOST).date().isoformat()


def _in_sentence(shown: ShownDate, month_first: bool) -> bool:
    # "Editor's note: on May 6 we added ..." or "valid through 01/23/2026" is prose that
    # mentions a date, not a dateline.
    for segment in shown.segments:
        verdict = date_in_sentence(segment, month_first=month_first)
        if verdict is not None:  # the first segment that holds a date
            return verdict
    return False


def _markup_dates(page: Page) -> Iterator[Any]:
    """The dates the page states in markup and its URL, as written: read_in_page_order's
    unambiguous statements (a day that normalise_date reads)."""
    url_date = _URL_DATE.search(page.url)
    if url_date:
        yield "-".join(url_date.groups())
    for obj in page.ld_articles() or page.json_ld:
        yield from (obj.get("datePublished"), obj.get("dateModified"), obj.get("dateCreated"))
    for name in (*PUBLISHED_META, *GENERIC_META, *MODIFIED_META):
        yield from page.meta.get(name, ())
    yield from (el.get("datetime") for el in times_and_abbrs(page) if el.tag == "time")


def _text_date(raw: str, month_first: bool) -> str | None:
    parsed = find_text_date(raw, month_first=month_first) if len(raw) < 80 else None
    return parsed[0] if parsed else None


def _find_modified(
    page: Page, dated: list[lxml_html.HtmlElement], now: datetime | None
) -> str | None:
    for obj in page.ld_articles() or page.json_ld:
        raw = obj.get("dateModified")
        if isinstance(raw, str) and (value := normalise_date(raw, now=now)):
            return value
    for name in MODIFIED_META:
        for raw in page.meta.get(name, ()):
            if value := normalise_date(raw, now=now):
                return value
    for el in filter(is_modified_markup, dated):
        raw = el.get("datetime") or el.get("content") or el.text_content()
        if raw and (value := normalise_date(raw, now=now)):
            return value
    return None
