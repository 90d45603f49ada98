"""The body's own boxes that trafilatura would discard: named like furniture, or folded away."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.anchors import is_heading_anchor
from archive.extraction.boilerplate import element_text
from archive.extraction.trafilatura_xpaths import DISCARD_CLASS, DISCARD_ID

# The tags of the boxes trafilatura's pattern deletes, as they are before its conversion
# (lists become "list", their items "item").
_BOX_TAGS = frozenset({"div", "section", "span", "p", "ul", "ol", "dl", "li", "dd", "dt"})
# trafilatura's REMOVE_COMMENTS_AND_LISTS_XPATH: boxes named as comments, deleted with no guard.
_COMMENTS_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENTS_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
_COMMENTS_TAGS = frozenset({"div", "section", "details", "ol", "ul"})
# Boxes of one kind (tag and class) holding this share of the page's prose are the body.
_BODY_SHARE = 0.5
_WITH_ID = etree.XPath(".//*[@id]")
# trafilatura deletes none of the boxes when they hold more than this share of the text.
_KEPT_ALL_ABOVE = 6 / 7


def _named(el: lxml_html.HtmlElement, classes: dict[str, bool] | None = None) -> bool:
    """Whether trafilatura's pattern names `el` as furniture (`classes`: verdicts so far,
    class names repeat down a page and the pattern is slow)."""
    cls, ident = el.get("class"), el.get("id")
    if cls:
        named = classes.get(cls) if classes is not None else None
        if named is None:
            named = DISCARD_CLASS.search(cls) is not None
            if classes is not None:
                classes[cls] = named
        if named:
            return True
    return bool(ident and DISCARD_ID.search(ident))


def unname_body_boxes(
    scope: lxml_html.HtmlElement, weights: dict[lxml_html.HtmlElement, int], content: int
) -> None:
    """Take the furniture words trafilatura matches out of the class and id of the body's boxes.

    trafilatura deletes, inside the frame it takes, every box whose class or id holds one
    of its furniture words, by substring: a listicle's "listicle-slides" (slide), a
    section "bard" (bar), one anchored "menu-innovation-strategies" (menu). Boxes of one
    kind that together hold half the page's prose are the body, whatever their names say
    (a footer or a menu holds little of it): they, and the named boxes around them, lose
    those words. Only where trafilatura would delete them: when the named boxes hold
    nearly all the text of `scope` (the branch it reads), it keeps them all, and with the
    body's boxes renamed it would delete the rest (a page builder's heading widgets).
    (`weights`: each element's prose, `content`: the page's, as find_prose counts them.)
    """
    for el, weight in weights.items():
        if el.tag in _COMMENTS_TAGS and weight >= _BODY_SHARE * content:
            _uncomment(el)
    kinds: dict[tuple[str, str], list[lxml_html.HtmlElement]] = {}
    classes: dict[str, bool] = {}
    for el in weights:
        if el.tag in _BOX_TAGS and _named(el, classes):
            kinds.setdefault((el.tag, el.get("class") or ""), []).append(el)
    body = [boxes for boxes in kinds.values() if sum(weights[el] for el in boxes) >= _BODY_SHARE * content]
    # A section whose id is its heading's anchor ("menu-innovation-strategies") is named
    # by its subject: the id goes.
    anchored = [
        el for el in _WITH_ID(scope)
        if el.tag in _BOX_TAGS and DISCARD_ID.search(el.get("id", "")) and is_heading_anchor(el)
    ]
    if not (body or anchored) or _all_kept(scope):
        return
    for el in anchored:
        del el.attrib["id"]
    for boxes in body:
        for el in boxes:
            for box in (el, *el.iterancestors()):
                if box.tag in _BOX_TAGS and _named(box):
                    _unname(box)


def _all_kept(scope: lxml_html.HtmlElement) -> bool:
    """Whether trafilatura's guard keeps every named box in `scope`: they hold most of its text."""
    named = {el for el in scope.iter(*_BOX_TAGS) if _named(el)}
    outer = [el for el in named if not any(a in named for a in el.iterancestors())]
    total = _visible_chars(scope)
    return total - sum(map(_visible_chars, outer)) <= (1 - _KEPT_ALL_ABOVE) * total


def _visible_chars(el: lxml_html.HtmlElement) -> int:
    return len(element_text(el)) - sum(len(element_text(s)) for s in el.iter("script", "style"))


def _unname(el: lxml_html.HtmlElement) -> None:
    _strip_names(el, DISCARD_ID, DISCARD_CLASS)


def _uncomment(el: lxml_html.HtmlElement) -> None:
    """Take trafilatura's names of comment sections out of a box holding the body ("commentOnSelection")."""
    _strip_names(el, _COMMENTS_ID, _COMMENTS_CLASS)


def _strip_names(el: lxml_html.HtmlElement, ids: re.Pattern[str], classes: re.Pattern[str]) -> None:
    """Drop an id that `ids` matches, and the words of the class that `classes` matches."""
    ident, cls = el.get("id"), el.get("class")
    if ident and ids.search(ident):
        del el.attrib["id"]
    if cls and classes.search(cls):
        kept = " ".join(word for word in cls.split() if not classes.search(word))
        # (A pattern anchored at the start or between spaces may match the words left.)
        if kept and not classes.search(kept):
            el.set("class", kept)
        else:
            del el.attrib["class"]


# Accordions, FAQ lists, collapsible sections and tab panels, by any attribute's value
# (class names are often hashes, the component's name in a data- attribute).
_FOLDED_BY = re.compile(r"accordion|faq|collaps|tab-?panel", re.I)
# (Blocks only: most aria-hidden elements are icons.)
_FOLDABLE_TAGS = ("div", "section", "p", "ul", "ol", "dl", "dd")
_FOLDED_MIN_CHARS = 80


def _folded(scope: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """The blocks below `scope` that are aria-hidden or hidden, in document order: what
    './/*[self::div or ...][@aria-hidden="true" or @hidden]' finds. The walk filtered by
    tag in C and two get()s cost 0.2 ms a page, that XPath 0.68 (its self:: tests build a
    node-set per element)."""
    for el in scope.iterdescendants(_FOLDABLE_TAGS):
        if el.get("aria-hidden") == "true" or el.get("hidden") is not None:
            yield el


def unfold_answers(scope: lxml_html.HtmlElement) -> None:
    """Show the folded parts of the body's accordions: trafilatura drops what is aria-hidden,
    hidden or styled away, and a closed accordion's answers are all three until a reader
    opens them."""
    # (Collected first: unfolding takes the attributes the walk reads off what it walks.)
    for el in list(_folded(scope)):
        if len(element_text(el)) >= _FOLDED_MIN_CHARS and _in_foldout(el, scope):
            for name in ("aria-hidden", "hidden", "style"):
                el.attrib.pop(name, None)


def _in_foldout(el: lxml_html.HtmlElement, scope: lxml_html.HtmlElement) -> bool:
    for box in (el, *el.iterancestors()):
        if _FOLDED_BY.search(" ".join(value for name, value in box.items() if name != "style")):
            return True
        if box is scope:
            return False
    return False
