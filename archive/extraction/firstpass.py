"""The headline scan's cheap first pass: the elements that may hold a date or a byline.

scan_headline_region runs its exact tests on these alone. boilerplate.find_furniture makes
the same tests in its walk over the page, for extract_article: a change here goes there too
(tests/test_extract_authors.py compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter, methodcaller

from lxml import html as lxml_html

_TEXT_OF = attrgetter("text")
_TAIL_OF = attrgetter("tail")
_ITEMS_OF = methodcaller("items")
# Elements whose text the scan does not read.
UNREAD_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "select"})
# A year in ASCII digits, or in Arabic-Indic or Persian ones (Gregorian, or Solar Hijri 13xx-14xx,
# also in ASCII digits after a month's name: "۱۲ آذر 1404").
# Each alternative starts with one character, not a class or a look-behind: the search then
# skips in C the positions where none can start (2.7 -> 0.6 µs a piece of non-ASCII text).
OTHER_DIGITS_YEAR = re.compile(
    r"١[٩۹]\d\d|۱[٩۹]\d\d|٢[٠۰]\d\d|۲[٠۰]\d\d|۱[۳۴]\d\d|1(?<=[\u0600-\u06ff] 1)[34]\d\d"
)
# Class names and ids that may name a byline.
AUTHOR_MARKUP = re.compile(
    r"author|byline|writer|contributor|posted-?by|written-?by|journalist|reporter", re.I
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
# Every byline._BY_LINE match holds one of these words.
_BY_WORD = re.compile(
    r"by|von|par|por|door|av|przez|di|oleh|author|contributor|autor|auteur|автор|yazar|yazan|muhabir|texto"
    r"|بقلم|كتب|מאת|نویسنده|记者|記者|作者|기자",
    re.I,
)
# Each pattern above, case-sensitive for lowercased ASCII text, with itself.
_AUTHOR_MARKUP_CASED = (re.compile(AUTHOR_MARKUP.pattern), AUTHOR_MARKUP)
_BY_WORD_CASED = (re.compile(_BY_WORD.pattern), _BY_WORD)


@dataclass
class Walked:
    """What a walk of the caller's over the whole page found for scan_headline_region."""

    # Every node of the page in document order (tree.iter(): elements, comments, PIs).
    nodes: list[lxml_html.HtmlElement]
    # The elements whose class, id, link, rel or itemprop may name a byline (see marked).
    bylined: Iterable[lxml_html.HtmlElement]
    # The elements of which a piece of own text tells (see telling_elements), in any order,
    # perhaps repeated, the head's among them. (The own texts of UNREAD_TAGS, which the scan
    # skips, need not be tested: they are long, and often full of digits.)
    telling: Iterable[lxml_html.HtmlElement]


def is_author_page(href: str) -> bool:
    low = href.lower()
    return _AUTHOR_PAGE_WORD.search(low) is not None and _AUTHOR_PAGE.search(low) is not None


def is_author_markup(marker: str) -> bool:
    """AUTHOR_MARKUP's test of a class or id, the plain ASCII ones lower-cased first."""
    if marker.isascii():
        low = marker.lower()
        # Every match holds one of these words; most class names hold none, and six
        # substring tests cost less than the pattern's search.
        return (
            "author" in low or "by" in low or "writer" in low or "contributor" in low
            or "journalist" in low or "reporter" in low
        ) and _AUTHOR_MARKUP_CASED[0].search(low) is not None
    return AUTHOR_MARKUP.search(marker) is not None


def telling_elements(nodes: list[lxml_html.HtmlElement]) -> set[lxml_html.HtmlElement]:
    """The elements among `nodes` (the root's, in document order) of which a piece of own
    text tells. An element's own text is its text and its children's tails, so a telling
    tail makes its parent one."""
    telling: set[lxml_html.HtmlElement] = set()
    for index in _telling(map(_TEXT_OF, nodes)):
        if isinstance(nodes[index].tag, str):  # not a comment's text
            telling.add(nodes[index])
    for index in _telling(map(_TAIL_OF, nodes)):
        if index:  # the root's tail is outside it
            telling.add(nodes[index].getparent())
    return telling


def marked(nodes: list[lxml_html.HtmlElement]) -> set[lxml_html.HtmlElement]:
    """The elements among `nodes` whose class, id, link, rel or itemprop may name a byline."""
    found: set[lxml_html.HtmlElement] = set()
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
                found.add(el)
                break
    return found


def tells(piece: str) -> bool:
    """Whether byline's _YEAR_HINT or _BY_LINE could match in a piece of an element's own text that
    is not blank (search_any_case's test, for _BY_WORD, inline)."""
    return (
        "19" in piece or "20" in piece or (
            not piece.isascii() and OTHER_DIGITS_YEAR.search(piece) is not None
        ) or (
            len(piece) < 80
            and (_BY_WORD_CASED[0].search(piece.lower()) if piece.isascii() else _BY_WORD.search(piece))
            is not None
        )
    )


def _telling(pieces: Iterable[str | None]) -> list[int]:
    """Indices of the pieces that tell. Most pieces are the blank tails between tags: they
    are skipped first."""
    return [index for index, piece in enumerate(pieces) if piece and not piece.isspace() and tells(piece)]
