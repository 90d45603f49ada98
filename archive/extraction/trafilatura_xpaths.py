"""trafilatura 2.3.1's OVERALL_DISCARD_XPATH and BODY_XPATH[0] restated in Python.

Their re:test predicates call back into Python for every element they look at; these
functions find the same elements, in the same order, for a fraction of the cost.
tests/test_extract_trafilatura_pass.py compares them with the XPaths on every test page.
"""

from __future__ import annotations

import re

from lxml import etree
from trafilatura.xpaths import (
    _ARTICLE_CONTENT_CLASS_TOKENS,
    _ARTICLE_CONTENT_ID_TOKENS,
    _OVERALL_DISCARD_BOTH_TOKENS,
    _OVERALL_DISCARD_CLASS_TOKENS,
    _OVERALL_DISCARD_ID_TOKENS,
    _alt,
)

# trafilatura's OVERALL_DISCARD_XPATH, with the same matches in the same order, tested in
# Python: its re:test predicates call back into Python for every element of the article
# (2 ms a pass). The elements are walked tag-filtered in C (selecting the candidates with
# XPath's self:: and attribute tests cost twice the whole Python test), and each distinct
# id or class is tested against the patterns once a pass: class names repeat down a page.
_BOX_TAGS = ("div", "item", "list", "p", "section", "span")
DISCARD_ID = re.compile(_alt(_OVERALL_DISCARD_BOTH_TOKENS + _OVERALL_DISCARD_ID_TOKENS))
DISCARD_CLASS = re.compile(_alt(_OVERALL_DISCARD_BOTH_TOKENS + _OVERALL_DISCARD_CLASS_TOKENS))
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide"
    "|noprint|notloaded"
)
# An element without the attributes a test reads is never matched: no pattern matches "".
assert not any(p.search("") for p in (DISCARD_ID, DISCARD_CLASS, _HIDDEN_ID, _HIDDEN_CLASS))


class _Verdicts(dict[str, bool]):
    """Whether `pattern` matches each value, searched once per distinct value."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.search = pattern.search

    def __missing__(self, value: str) -> bool:
        verdict = self[value] = self.search(value) is not None
        return verdict


def _first_of(el: etree._Element, first: str, second: str) -> str:
    """XPath's string(@first|@second): the value of whichever comes first in the source."""
    a, b = el.get(first), el.get(second)
    if a is None or b is None:
        return a or b or ""
    keys = el.keys()
    return a if keys.index(first) < keys.index(second) else b


def discarded_boxes(tree: etree._Element) -> tuple[list[etree._Element], list[etree._Element]]:
    """What OVERALL_DISCARD_XPATH's two expressions find, found in one walk that reads each
    element's id and class once.

    [0] navigation, sharing, ads, footers... by id, class and role (among _BOX_TAGS);
    [1] hidden elements and comment furniture, among all elements.
    """
    bad_ids, bad_classes = _Verdicts(DISCARD_ID), _Verdicts(DISCARD_CLASS)
    hidden_ids, hidden_classes = _Verdicts(_HIDDEN_ID), _Verdicts(_HIDDEN_CLASS)
    boxes: list[etree._Element] = []
    hidden: list[etree._Element] = []
    for el in tree.iterdescendants(etree.Element):
        ident, cls, style = el.get("id"), el.get("class"), el.get("style")
        if el.tag in _BOX_TAGS and (
            (ident is not None and bad_ids[ident])
            or (cls is not None and bad_classes[cls])
            or (
                ("cookie" in (ident or "") or "cookie" in (cls or ""))
                and "cookie" in _first_of(el, "id", "class")
            )
            or el.get("data-lp-replacement-content") is not None
            or "nav" in (el.get("role") or "").replace("N", "n")
            or "MostPopularStories" in (el.get("data-component") or "")
        ):
            boxes.append(el)
        if ident is None and cls is None and style is None:
            if el.get("aria-hidden") == "true":
                hidden.append(el)
        elif (
            (ident is not None and hidden_ids[ident])
            or (cls is not None and hidden_classes[cls])
            or (
                ((ident or "").startswith("reply-") or (cls or "").startswith("reply-"))
                and _first_of(el, "id", "class").startswith("reply-")
            )
            or (
                ("hidden" in (ident or "") or "hidden" in (style or ""))
                and "hidden" in _first_of(el, "id", "style")
            )
            or (style is not None and ("display:none" in style or "display: none" in style))
            or el.get("aria-hidden") == "true"
        ):
            hidden.append(el)
    return boxes, hidden


def boilerplate_boxes(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[0]: navigation, sharing, ads, footers... by id, class and role."""
    return discarded_boxes(tree)[0]


def hidden_boxes(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[1]: hidden elements and comment furniture."""
    return discarded_boxes(tree)[1]



# BODY_XPATH[0] likewise: its re:test predicates on every div of the page cost 0.5 ms a pass
# (and, as above, a tag-filtered walk that stops at the first match costs less than XPath
# selecting the candidates).
_FRAME_TAGS = ("article", "div", "main", "section")
_FRAME_ID = re.compile(_alt(_ARTICLE_CONTENT_ID_TOKENS))
_FRAME_CLASS = re.compile(_alt(_ARTICLE_CONTENT_CLASS_TOKENS))


def article_frame(tree: etree._Element) -> list[etree._Element]:
    """The first element BODY_XPATH[0] finds (the first in the source: it is first among its siblings)."""
    for el in tree.iterdescendants(_FRAME_TAGS):
        cls, ident = el.get("class"), el.get("id")
        if (
            cls in ("post", "entry")
            or el.get("itemprop") == "articleBody"
            or ident == "articleContent"
            or (ident is not None and _FRAME_ID.search(ident))
            or (cls is not None and _FRAME_CLASS.search(cls))
        ):
            return [el]
    return []
