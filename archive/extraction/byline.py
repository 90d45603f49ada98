"""What the page prints next to its headline: the dates and bylines a reader sees."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.firstpass import (
    AUTHOR_MARKUP,
    OTHER_DIGITS_YEAR,
    UNREAD_TAGS,
    Walked,
    is_author_page,
    marked,
    telling_elements,
)
from archive.extraction.regions import Elsewhere
from archive.extraction.shown import ShownByline, ShownDate, looks_like_name
from archive.extraction.textdates import labelled_dates, publication_label, read_text_date

# Compiled once: el.xpath(expression) compiles it at every call.
_ITEMPROP_NAME = etree.XPath('.//*[@itemprop="name"]')
# A year in ASCII digits, or in Arabic-Indic or Persian ones (see OTHER_DIGITS_YEAR).
_YEAR_HINT = re.compile(r"(?:19|20)\d\d|" + OTHER_DIGITS_YEAR.pattern)
_SHORT = 140
_NOT_BYLINE = re.compile(r"bio|avatar|image|photo|img|pic|social|follow|box|card|about|list", re.I)
# One class token that names the element as the author's name: "author-name", "authorName",
# "elementor-author-box__name".
_AUTHOR_NAME_MARKUP = re.compile(
    r"(?:author|byline|writer)[\w-]*name(?![\w-]*(?:bio|avatar|image|photo|img))", re.I
)
_AUTHOR_LINK = re.compile(
    r"author|/people/|/staff/|/team/|/profile|/writers?/|/contributors?/|/by/", re.I
)
# The job title printed under the name: "<p class='name'>Jane Doe</p><p class='jobTitle'>Tech
# Reporter</p>". Lower-cased class tokens.
_JOB_TITLE_MARKUP = re.compile(
    r"job-?_?title|(?:^|[-_])(?:position|designation|role|occupation)(?:$|__)"
)
# Categories and tags printed in the byline ("<span class='byline__category'>", "cat-links",
# rel="category tag"): the words beside the name that are not a name. Lower-cased class tokens.
_TAXONOMY_MARKUP = re.compile(r"categor|(?:^|[-_])(?:cat|tags?|terms?|topics?)(?:$|[-_])")
_TAXONOMY_LINK = re.compile(r"/(?:categor(?:y|ies)|tags?|topics?)/")
# A label alone, its name in the element that follows: "<h2>Article by</h2><div>Jane Doe</div>".
_BY_LABEL = re.compile(
    r"^(?:(?:written|posted|words|text|story|reported|article)\s+)?"
    r"(?:by|von|par|por|door|av|przez|di|oleh|بقلم|מאת)\s*:?$"
    r"|^(?:authors?|contributors?|autor\w*|auteurs?|autore|автор\w*|yazar|yazan|muhabir|texto|نویسنده|作者|记者)"
    r"\s*[:：]?$",
    re.I,
)
# "By Jane Doe", "Von Jane Doe", "Written by Jane Doe", "Autor: Jane Doe", "di Jane Doe"
_BY_LINE = re.compile(
    r"^(?:[^|•·—–]{0,40}[|•·—–]\s*)?(?:(?:written|posted|words|text|story|reported|article|recipe)\s+)?"
    r"(?:by|von|par|por|door|av|przez|di|oleh)\s*:?\s+(?-i:[A-ZÀ-ÞА-ЯЄІЇҐ])"
    r"|^(?:author|contributor|autor|auteur|autore|автор|yazar|yazan|muhabir|texto|كتب|نویسنده)\w*\s*:"
    # Scripts without capitals: the label, then any letter ("بقلم أحمد", "מאת יעל", "记者 张伟"),
    # or the name, then the word for reporter ("김민수 기자", "山田太郎記者").
    r"|^(?:[^|•·—–]{0,40}\s)?(?:بقلم|מאת|记者|記者|作者)\s*[:：]?\s*[^\W\d_]"
    r"|^[^\W\d_]{2,5}\s?(?:기자|記者|记者)(?:\s|$)",
    re.I,
)


@dataclass
class HeadlineRegion:
    """Dates and bylines printed on the page, nearest to the headline first."""

    dates: list[ShownDate]
    bylines: list[ShownByline]


def _line(el: lxml_html.HtmlElement) -> str:
    # itertext, not text_content: "Published on<b>Oct 31, 2025</b>" must keep its word break.
    return " ".join(" ".join(el.itertext()).split())


def _short_line(
    el: lxml_html.HtmlElement, limit: int, pieces: Iterator[str] | None = None
) -> str | None:
    """_line(el) when it is at most `limit` long, else None: a big element is not read to its end."""
    if pieces is None and not len(el) and isinstance(el.tag, str):
        # A leaf's one piece is its text (itertext costs twice the rest of the work here).
        # (Not a comment's: itertext raises on one.)
        line = " ".join(el.text.split()) if el.text else ""
        return line if len(line) <= limit else None
    read: list[str] = []
    # A piece adds at most its length and a space to the line: its words are only
    # counted when that bound passes the limit. Blank pieces (indentation) add nothing.
    bound = -1
    for piece in el.itertext() if pieces is None else pieces:
        if piece.isspace():
            continue
        read.append(piece)
        bound += len(piece) + 1
        if bound > limit:
            line = " ".join(" ".join(read).split())
            if len(line) > limit:
                return None
            read, bound = [line], len(line)
    return " ".join(" ".join(read).split())


def _container(el: lxml_html.HtmlElement) -> tuple[lxml_html.HtmlElement, str | None]:
    """Climb from an element to the largest ancestor whose text is still a short line.

    The text is None when the element's own line is longer than two short lines.
    """
    text = _short_line(el, 2 * _SHORT)
    if text is None or len(text) > _SHORT:
        return el, text  # every ancestor's line is longer still
    while True:
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "article", "main", "header"):
            return el, text
        parent_text = _short_line(parent, _SHORT)
        if parent_text is None or parent.find(".//h1") is not None:
            return el, text
        el, text = parent, parent_text


def _texts_but_job_titles(el: lxml_html.HtmlElement) -> Iterator[str]:
    """el.itertext() without the job titles and categories printed beside a name."""
    if el.text and isinstance(el.tag, str):
        yield el.text
    for child in el:
        if isinstance(child.tag, str) and not _is_job_title(child) and not _is_taxonomy(child):
            yield from _texts_but_job_titles(child)
        if child.tail:
            yield child.tail


def _is_job_title(el: lxml_html.HtmlElement) -> bool:
    if el.get("itemprop") == "jobTitle":
        return True
    marker = el.get("class")
    return bool(marker) and any(_JOB_TITLE_MARKUP.search(t) for t in marker.lower().split())


def _is_taxonomy(el: lxml_html.HtmlElement) -> bool:
    """A category or tag: its own markup says so, or it links to a category's page."""
    rel = el.get("rel")
    if rel and ("tag" in rel.split() or "category" in rel.split()):
        return True
    marker = el.get("class")
    if marker and any(_TAXONOMY_MARKUP.search(t) for t in marker.lower().split()):
        return True
    return el.tag == "a" and _TAXONOMY_LINK.search((el.get("href") or "").lower()) is not None


def _is_author_page_link(el: lxml_html.HtmlElement) -> bool:
    return el.tag == "a" and is_author_page(el.get("href") or "")


def _is_byline_markup(el: lxml_html.HtmlElement) -> bool:
    if _is_taxonomy(el):
        return False
    if el.get("rel") == "author" or "author" in (el.get("itemprop") or ""):
        return True
    if _is_author_page_link(el):
        return True
    marker = f"{el.get('class', '')} {el.get('id', '')}"
    if _AUTHOR_NAME_MARKUP.search(marker):
        return True  # "author-box__name": the name inside an author box
    return bool(AUTHOR_MARKUP.search(marker)) and not _NOT_BYLINE.search(marker)


def _linked_names(el: lxml_html.HtmlElement) -> list[str]:
    names = [_line(n) for n in _ITEMPROP_NAME(el)]
    if not names:
        names = [
            " ".join(" ".join(_texts_but_job_titles(a)).split())
            for a in el.iter("a")
            if (a.get("rel") == "author" or _AUTHOR_LINK.search(a.get("href") or ""))
            and not _is_taxonomy(a)
        ]
    return [n for n in names if 1 < len(n) < 60]


class _Distance:
    def __init__(self, order: dict[lxml_html.HtmlElement, int], headline_at: int | None) -> None:
        self.order, self.headline_at = order, headline_at

    def __call__(self, el: lxml_html.HtmlElement) -> int:
        position = self.order.get(el, 0)
        if self.headline_at is None:
            return position
        if position >= self.headline_at:
            return position - self.headline_at
        # Above the headline are more often teasers and tickers than the byline.
        return 2 * (self.headline_at - position)


def scan_headline_region(
    tree: lxml_html.HtmlElement,
    headline: lxml_html.HtmlElement | None,
    *,
    month_first: bool,
    walked: Walked | None = None,
) -> HeadlineRegion:
    """`walked`: what a walk of the caller's over the whole page found, if it made one
    (boilerplate.find_furniture's finds it at next to no cost: it reads every element's
    attributes and texts anyway). The scan then visits no element itself."""
    body = tree.find("body")
    root = body if body is not None else tree
    # A cheap pass picks the few elements that may hold a date or a byline (their text
    # tells, or their markup: see firstpass.marked); the exact tests then run on those alone.
    if walked is None:
        # Every node, once: its index is its place in the page, and the list keeps each
        # element's Python proxy alive for the rest of the scan (lxml.html builds a proxy
        # through a Python class lookup, the main cost of visiting a node).
        nodes = list(root.iter())
        order: dict[lxml_html.HtmlElement, int] = dict(zip(nodes, itertools.count()))
        candidates, marks = telling_elements(nodes), marked(nodes)
    else:
        nodes = walked.nodes if body is None else _subtree(walked.nodes, body)
        order = dict(zip(nodes, itertools.count()))
        # (What the walk found outside the body, in the head, is not the scan's.)
        candidates = {el for el in walked.telling if el in order}
        marks = {el for el in walked.bylined if el in order}
    date_lines: list[tuple[lxml_html.HtmlElement, str]] = []
    byline_elements: list[lxml_html.HtmlElement] = []
    for el in sorted(candidates | marks, key=order.__getitem__):
        tag = el.tag
        if tag in UNREAD_TAGS:
            continue
        own = " ".join([el.text or "", *(child.tail or "" for child in el)])
        if len(own) < 400 and _YEAR_HINT.search(own):
            date_lines.append((el, own))
        if tag not in ("body", "article", "main", "meta", "link", "img") and (
            # Markup that names a byline holds one of the attributes that marked the element.
            (el in marks and _is_byline_markup(el))
            or (len(own) < 80 and (_BY_LINE.match(own.strip()) or _BY_LABEL.match(own.strip())))
        ):
            byline_elements.append(el)
    elsewhere = Elsewhere(headline)
    distance = _Distance(order, order.get(headline) if headline is not None else None)
    return HeadlineRegion(
        dates=_dates(date_lines, elsewhere, distance, month_first),
        bylines=_bylines(byline_elements, elsewhere, distance),
    )


def _subtree(nodes: list[lxml_html.HtmlElement], el: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The run of a page's nodes (in document order) that is el and its descendants:
    from el to its next sibling, or to the end."""
    after = el.getnext()
    return nodes[nodes.index(el) : len(nodes) if after is None else nodes.index(after)]


def _dates(
    lines: list[tuple[lxml_html.HtmlElement, str]],
    elsewhere: Elsewhere,
    distance: _Distance,
    month_first: bool,
) -> list[ShownDate]:
    found: list[ShownDate] = []
    seen: set[lxml_html.HtmlElement] = set()
    in_sidebars: list[ShownDate] = []  # kept for their label alone
    sidebar_dates = 0  # the labelled dates of their lines
    for el, own in lines:
        container, text = _container(el)
        pieces: Iterable[str | None] = container.itertext()
        if text is None:
            # A date loose in a long block ("<legend>..</legend> 20 December 2025 <div>"):
            # read the element's own text only.
            container, text = el, " ".join(own.split())
            pieces = [el.text, *(child.tail for child in el)]
        if container in seen:
            continue
        sidebar = elsewhere(container)
        if sidebar and not (
            # A date a sidebar labels the publication is the page's own: teasers are not so labelled.
            elsewhere.in_sidebar(container)
            and publication_label(text, month_first=month_first) is not None
        ):
            continue
        seen.add(container)
        parsed = read_text_date(text, month_first=month_first)
        if parsed is not None:
            segments = [" ".join(t.split()) for t in pieces if t and t.strip()]
            other_links = [
                _line(a) for a in container.iter()
                if (a.tag == "a" and a.get("href") and not _AUTHOR_LINK.search(a.get("href") or ""))
                or (isinstance(a.tag, str) and _is_taxonomy(a))
            ]
            found.append(ShownDate(
                parsed.value, parsed.updated, distance(container), segments, other_links,
                parsed.other_reading, parsed.day_first, parsed.numeric,
            ))
            if sidebar:
                in_sidebars.append(found[-1])
                sidebar_dates += max(1, labelled_dates(text, month_first=month_first))
    if sidebar_dates > 1:
        # A theme's recent-posts widget labels each teaser "Posted on" (one line, or one
        # each): the page's own details box labels one date.
        found = [d for d in found if not any(d is s for s in in_sidebars)]
    found.sort(key=lambda d: d.distance)
    return found


def _name_in_box(box: lxml_html.HtmlElement) -> str | None:
    """The name an author box prints above the author's bio: its first line shaped like a name."""
    # The name comes early in the box: a big element that only looks like one is not read.
    for el in itertools.islice(box.iterdescendants(), 40):
        if isinstance(el.tag, str) and el.tag not in UNREAD_TAGS and (el.text or "").strip():
            line = _short_line(el, 60)
            if line and looks_like_name(line):
                return line
    return None


def _bylines(
    elements: list[lxml_html.HtmlElement],
    elsewhere: Elsewhere,
    distance: _Distance,
) -> list[ShownByline]:
    found: list[ShownByline] = []
    for el in elements:
        if elsewhere(el):
            continue
        text = _short_line(el, 160, _texts_but_job_titles(el))
        names_from = el
        following = el.getnext()
        if text and _BY_LABEL.match(text) and (el.tail or "").strip():
            # "<p><b>By</b> Jane Doe</p>": the name follows the label in the same line.
            text = f"{text} {' '.join(el.tail.split())}"[:160]
        elif text and _BY_LABEL.match(text) and following is not None:
            # The label alone: the name is the element that follows it.
            name = _short_line(following, 60)
            text, names_from = (f"{text} {name}", following) if name else (text, el)
        if text is None and _is_byline_markup(el):
            text = _name_in_box(el)  # an author box: the name, then a long bio
        if text:
            labelled = _BY_LINE.match(text) is not None
            found.append(ShownByline(text, distance(el), _linked_names(names_from), labelled))
    found.sort(key=lambda b: b.distance)
    return found
