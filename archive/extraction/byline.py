"""What the page prints next to its headline: the dates and bylines a reader sees."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html as lxml_html

from archive.extraction.textdates import find_text_date

_YEAR_HINT = re.compile(r"(?:19|20)\d\d")
_SHORT = 140
# Places whose dates and names are not the article's: comments, teasers of other
# articles, menus, the page footer.
_ELSEWHERE = re.compile(
    r"(?:^|[-_])(?:comments?|related|recommend\w*|popular|trending|teasers?|sidebar|footer"
    r"|more-?stories|latest|newsletter|promo|breadcrumbs?|menu|nav|navbar|navigation|reply"
    r"|replies|archive)(?:$|[-_])",
    re.I,
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "select"})
_AUTHOR_MARKUP = re.compile(
    r"author|byline|writer|contributor|posted-?by|written-?by|journalist|reporter", re.I
)
_NOT_BYLINE = re.compile(r"bio|avatar|image|photo|img|pic|social|follow|box|card|about|list", re.I)
_AUTHOR_LINK = re.compile(r"author|/people/|/staff/|/profile|/writers?/|/contributors?/|/by/", re.I)
# "By Jane Doe", "Von Jane Doe", "Written by Jane Doe", "Autor: Jane Doe"
_BY_LINE = re.compile(
    r"^(?:[^|•·—–]{0,40}[|•·—–]\s*)?(?:(?:written|posted|words|text|story|reported|article|recipe)\s+)?"
    r"(?:by|von|par|por|door|av|przez)\s*:?\s+(?-i:[A-ZÀ-ÞА-Я])"
    r"|^(?:author|autor|auteur|autore|автор)\w*\s*:",
    re.I,
)


@dataclass
class ShownDate:
    """A date printed on the page, how far from the headline, and whether it is labelled an update."""

    value: str
    updated: bool
    distance: int
    segments: list[str] = field(default_factory=list)  # the line's texts, as printed


@dataclass
class ShownByline:
    """A byline printed on the page, the names its links carry, and its distance to the headline."""

    text: str
    distance: int
    linked_names: list[str] = field(default_factory=list)


@dataclass
class HeadlineRegion:
    """Dates and bylines printed on the page, nearest to the headline first."""

    dates: list[ShownDate]
    bylines: list[ShownByline]


def _elsewhere(el: lxml_html.HtmlElement, around_headline: set[lxml_html.HtmlElement]) -> bool:
    for node in (el, *el.iterancestors()):
        # A container that also holds the headline is the article's own region.
        if node in around_headline or node.tag in ("body", "html"):
            return False
        if node.tag == "nav":
            return True
        # An article's own <footer> holds its byline and date; the page's footer does not.
        if node.tag == "footer" and not any(a.tag == "article" for a in node.iterancestors()):
            return True
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if len(marker) > 1 and any(_ELSEWHERE.search(token) for token in marker.split()):
            return True
    return False


def _line(el: lxml_html.HtmlElement) -> str:
    # itertext, not text_content: "Published on<b>Oct 31, 2025</b>" must keep its word break.
    return " ".join(" ".join(el.itertext()).split())


def _container(el: lxml_html.HtmlElement) -> tuple[lxml_html.HtmlElement, str]:
    """Climb from an element to the largest ancestor whose text is still a short line."""
    text = _line(el)
    while True:
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "article", "main", "header"):
            return el, text
        if parent.find(".//h1") is not None:
            return el, text
        parent_text = _line(parent)
        if len(parent_text) > _SHORT:
            return el, text
        el, text = parent, parent_text


def _is_byline_markup(el: lxml_html.HtmlElement) -> bool:
    if el.get("rel") == "author" or "author" in (el.get("itemprop") or ""):
        return True
    marker = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(_AUTHOR_MARKUP.search(marker)) and not _NOT_BYLINE.search(marker)


def _linked_names(el: lxml_html.HtmlElement) -> list[str]:
    names = [_line(n) for n in el.xpath('.//*[@itemprop="name"]')]
    if not names:
        names = [
            _line(a)
            for a in el.iter("a")
            if a.get("rel") == "author" or _AUTHOR_LINK.search(a.get("href") or "")
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
    tree: lxml_html.HtmlElement, headline: lxml_html.HtmlElement | None, *, month_first: bool
) -> HeadlineRegion:
    body = tree.find("body")
    root = body if body is not None else tree
    order: dict[lxml_html.HtmlElement, int] = {}
    around_headline = set(headline.iterancestors()) if headline is not None else set()
    date_lines: list[tuple[lxml_html.HtmlElement, str]] = []
    byline_elements: list[lxml_html.HtmlElement] = []
    for index, el in enumerate(root.iter()):
        if not isinstance(el.tag, str):
            continue
        order[el] = index
        if el.tag in _SKIP_TAGS:
            continue
        own = " ".join([el.text or "", *(child.tail or "" for child in el)])
        if _YEAR_HINT.search(own) and len(own) < 400:
            date_lines.append((el, own))
        if el.tag not in ("body", "article", "main", "meta", "link", "img") and (
            _is_byline_markup(el) or (len(own) < 80 and _BY_LINE.match(own.strip()))
        ):
            byline_elements.append(el)
    distance = _Distance(order, order.get(headline) if headline is not None else None)
    return HeadlineRegion(
        dates=_dates(date_lines, around_headline, distance, month_first),
        bylines=_bylines(byline_elements, around_headline, distance),
    )


def _dates(
    lines: list[tuple[lxml_html.HtmlElement, str]],
    around_headline: set[lxml_html.HtmlElement],
    distance: _Distance,
    month_first: bool,
) -> list[ShownDate]:
    found: list[ShownDate] = []
    seen: set[int] = set()
    for el, own in lines:
        container, text = _container(el)
        if len(text) > _SHORT * 2:
            # A date loose in a long block ("<legend>..</legend> 20 December 2025 <div>"):
            # read the element's own text only.
            container, text = el, " ".join(own.split())
        if id(container) in seen or _elsewhere(container, around_headline):
            continue
        seen.add(id(container))
        parsed = find_text_date(text, month_first=month_first)
        if parsed is not None:
            segments = [" ".join(t.split()) for t in container.itertext() if t.strip()]
            found.append(ShownDate(parsed[0], parsed[1], distance(container), segments))
    found.sort(key=lambda d: d.distance)
    return found


_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÞА-ЯČŠŽŁ][\w'’.-]*|van|von|de|der|den|da|di|du|la|le|del|bin)$")
_NOT_NAME_WORDS = frozenset(
    {"updated", "published", "posted", "share", "read", "min", "minutes", "by", "and", "on",
     "last", "modified", "reviewed", "edited", "written", "home", "news", "blog", "menu"}
)


def names_beside_dates(dates: list[ShownDate], max_distance: int) -> list[ShownByline]:
    """Person-like names printed in the same short line as a date beside the headline.

    Bylines without any markup ("<div><p>Jane Doe</p><p>Aug 4, 2025</p></div>") are
    recognised by sitting next to the date the page prints for the article.
    """
    found = []
    for shown in dates:
        if shown.distance > max_distance:
            break
        for segment in shown.segments:
            words = segment.replace("·", " ").split()
            if not 2 <= len(words) <= 4 or any(ch.isdigit() for ch in segment):
                continue
            if any(w.lower().strip(".,") in _NOT_NAME_WORDS for w in words):
                continue
            if all(_NAME_WORD.match(w) for w in words) and words[0][0].isupper():
                found.append(ShownByline(segment, shown.distance + 1))
    return found


def _bylines(
    elements: list[lxml_html.HtmlElement],
    around_headline: set[lxml_html.HtmlElement],
    distance: _Distance,
) -> list[ShownByline]:
    found: list[ShownByline] = []
    for el in elements:
        if _elsewhere(el, around_headline):
            continue
        text = _line(el)
        if text and len(text) <= 160:
            found.append(ShownByline(text, distance(el), _linked_names(el)))
    found.sort(key=lambda b: b.distance)
    return found
