"""What the page prints next to its headline: the dates and bylines a reader sees."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter, methodcaller

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.regions import Elsewhere
from archive.extraction.shown import ShownByline, ShownDate, looks_like_name
from archive.extraction.textdates import labelled_dates, publication_label, read_text_date

_TEXT_OF = attrgetter("text")
_TAIL_OF = attrgetter("tail")
_ITEMS_OF = methodcaller("items")
# Compiled once: el.xpath(expression) compiles it at every call.
_ITEMPROP_NAME = etree.XPath('.//*[@itemprop="name"]')
# A year in ASCII digits, or in Arabic-Indic or Persian ones (Gregorian, or Solar Hijri 13xx-14xx,
# also in ASCII digits after a month's name: "۱۲ آذر 1404").
_OTHER_DIGITS_YEAR = re.compile(r"[١۱][٩۹]\d\d|[٢۲][٠۰]\d\d|۱[۳۴]\d\d|(?<=[\u0600-\u06ff] )1[34]\d\d")
_YEAR_HINT = re.compile(r"(?:19|20)\d\d|" + _OTHER_DIGITS_YEAR.pattern)
_SHORT = 140
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "select"})
_AUTHOR_MARKUP = re.compile(
    r"author|byline|writer|contributor|posted-?by|written-?by|journalist|reporter", re.I
)
_NOT_BYLINE = re.compile(r"bio|avatar|image|photo|img|pic|social|follow|box|card|about|list", re.I)
# One class token that names the element as the author's name: "author-name", "authorName",
# "elementor-author-box__name".
_AUTHOR_NAME_MARKUP = re.compile(
    r"(?:author|byline|writer)[\w-]*name(?![\w-]*(?:bio|avatar|image|photo|img))", re.I
)
_AUTHOR_LINK = re.compile(
    r"author|/people/|/staff/|/team/|/profile|/writers?/|/contributors?/|/by/", re.I
)
# A link to an author's page: alone beside the headline it is the byline, without any byline
# class ("<a href='/authors/jane-doe'>Jane Doe</a>"). Lower-cased text, case-sensitive.
_AUTHOR_PAGE = re.compile(
    r"[/-]authors?[/-]|[/-](?:writers?|contributors?|columnists?|journalists?|reporters?)/"
    r"|[?&_]author="
)
# Every _AUTHOR_PAGE match holds one of these words. Most links hold none: a search for
# them alone costs a third of _AUTHOR_PAGE's, which tries its branches at every "/" and "-".
_AUTHOR_PAGE_WORD = re.compile("author|writer|contributor|columnist|journalist|reporter")
# The job title printed under the name: "<p class='name'>Jane Doe</p><p class='jobTitle'>Tech
# Reporter</p>". Lower-cased class tokens.
_JOB_TITLE_MARKUP = re.compile(
    r"job-?_?title|(?:^|[-_])(?:position|designation|role|occupation)(?:$|__)"
)
# Categories and tags printed in the byline ("<span class='byline__category'>", "cat-links",
# rel="category tag"): the words beside the name that are not a name. Lower-cased class tokens.
_TAXONOMY_MARKUP = re.compile(r"categor|(?:^|[-_])(?:cat|tags?|terms?|topics?)(?:$|[-_])")
_TAXONOMY_LINK = re.compile(r"/(?:categor(?:y|ies)|tags?|topics?)/")
# Every _BY_LINE match holds one of these words.
_BY_WORD = re.compile(
    r"by|von|par|por|door|av|przez|di|oleh|author|contributor|autor|auteur|автор|yazar|yazan|muhabir|texto"
    r"|بقلم|كتب|מאת|نویسنده|记者|記者|作者|기자",
    re.I,
)
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

# Each pattern above, case-sensitive for lowercased ASCII text, with itself.
_AUTHOR_MARKUP_CASED = (re.compile(_AUTHOR_MARKUP.pattern), _AUTHOR_MARKUP)
_BY_WORD_CASED = (re.compile(_BY_WORD.pattern), _BY_WORD)


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


def is_author_page(href: str) -> bool:
    low = href.lower()
    return _AUTHOR_PAGE_WORD.search(low) is not None and _AUTHOR_PAGE.search(low) is not None


def is_author_markup(marker: str) -> bool:
    """_AUTHOR_MARKUP's test of a class or id, the plain ASCII ones lower-cased first."""
    if marker.isascii():
        low = marker.lower()
        # Every match holds one of these words; most class names hold none, and six
        # substring tests cost less than the pattern's search.
        return (
            "author" in low or "by" in low or "writer" in low or "contributor" in low
            or "journalist" in low or "reporter" in low
        ) and _AUTHOR_MARKUP_CASED[0].search(low) is not None
    return _AUTHOR_MARKUP.search(marker) is not None


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
    return bool(_AUTHOR_MARKUP.search(marker)) and not _NOT_BYLINE.search(marker)


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
    bylined: Iterable[lxml_html.HtmlElement] | None = None,
) -> HeadlineRegion:
    """`bylined`: the elements of `tree` whose attributes tell (see _marked), if the caller
    found them in a walk of its own (boilerplate.find_furniture's finds them at next to no
    cost: it reads every element's attributes anyway)."""
    body = tree.find("body")
    root = body if body is not None else tree
    # Every node, once: its index is its place in the page, and the list keeps each
    # element's Python proxy alive for the rest of the scan (lxml.html builds a proxy
    # through a Python class lookup, the main cost of visiting a node).
    nodes = list(root.iter())
    order: dict[lxml_html.HtmlElement, int] = dict(zip(nodes, itertools.count()))
    # A cheap pass picks the few elements that may hold a date or a byline; the
    # exact tests then run on those alone. An element's own text is its text and
    # its children's tails, so a telling tail makes its parent a candidate.
    candidates: set[lxml_html.HtmlElement] = set()
    for index in _telling(map(_TEXT_OF, nodes)):
        if isinstance(nodes[index].tag, str):  # not a comment's text
            candidates.add(nodes[index])
    for index in _telling(map(_TAIL_OF, nodes)):
        if index:  # the root's tail is outside it
            candidates.add(nodes[index].getparent())
    # The elements whose attributes tell (see _is_byline_markup): the others' markup is not read again.
    marked = _marked(nodes) if bylined is None else {el for el in bylined if el in order}
    date_lines: list[tuple[lxml_html.HtmlElement, str]] = []
    byline_elements: list[lxml_html.HtmlElement] = []
    for el in sorted(candidates | marked, key=order.__getitem__):
        tag = el.tag
        if tag in _SKIP_TAGS:
            continue
        own = " ".join([el.text or "", *(child.tail or "" for child in el)])
        if len(own) < 400 and _YEAR_HINT.search(own):
            date_lines.append((el, own))
        if tag not in ("body", "article", "main", "meta", "link", "img") and (
            # Markup that names a byline holds one of the attributes that marked the element.
            (el in marked and _is_byline_markup(el))
            or (len(own) < 80 and (_BY_LINE.match(own.strip()) or _BY_LABEL.match(own.strip())))
        ):
            byline_elements.append(el)
    elsewhere = Elsewhere(headline)
    distance = _Distance(order, order.get(headline) if headline is not None else None)
    return HeadlineRegion(
        dates=_dates(date_lines, elsewhere, distance, month_first),
        bylines=_bylines(byline_elements, elsewhere, distance),
    )


def _marked(nodes: list[lxml_html.HtmlElement]) -> set[lxml_html.HtmlElement]:
    """The elements among `nodes` whose class, id, link, rel or itemprop may name a byline.

    (boilerplate.find_furniture makes the same tests in its walk, for extract_article: a
    change here goes there too; tests/test_extract_authors.py compares the two.)"""
    marked: set[lxml_html.HtmlElement] = set()
    markers: dict[str, bool] = {}  # the verdict on each class and id: the page repeats them
    # Each element's attributes read in one call (el.get costs as much as el.items), and
    # judged inline: a call per element with attributes cost more than the tests.
    for el, attributes in zip(nodes, map(_ITEMS_OF, nodes), strict=True):
        for name, value in attributes:
            if name == "class" or name == "id":
                if not value:
                    continue
                telling = markers.get(value)
                if telling is None:
                    telling = markers[value] = is_author_markup(value)
            elif name == "href":
                telling = el.tag == "a" and is_author_page(value)
            elif name == "rel":
                telling = value == "author"
            elif name == "itemprop":
                telling = "author" in value
            else:
                continue
            # (A processing instruction's pseudo-attributes are not markup.)
            if telling and isinstance(el.tag, str):
                marked.add(el)
                break
    return marked


def _telling(pieces: Iterable[str | None]) -> list[int]:
    """Indices of the pieces of elements' own texts that _YEAR_HINT or _BY_LINE could match in.

    Most pieces are the blank tails between tags: they are skipped first. The tests are
    inline (search_any_case's, for _BY_WORD): a call per piece cost more than the tests.
    """
    by_word = _BY_WORD_CASED[0].search
    return [
        index for index, piece in enumerate(pieces)
        if piece and not piece.isspace() and (
            "19" in piece or "20" in piece or (
                not piece.isascii() and _OTHER_DIGITS_YEAR.search(piece) is not None
            ) or (
                len(piece) < 80
                and (by_word(piece.lower()) if piece.isascii() else _BY_WORD.search(piece)) is not None
            )
        )
    ]


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
        if isinstance(el.tag, str) and el.tag not in _SKIP_TAGS and (el.text or "").strip():
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
