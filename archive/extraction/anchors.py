"""Ids made from a heading's words: anchors for a table of contents, not names of a role."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.cleanup import is_furniture_line

_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_SLUG_WORDS = re.compile(r"[^\W_]+")
# Slugs are cut short by some CMSs (WordPress at 50 characters): a prefix this long counts.
_MIN_SLUG_CHARS = 8
_MAX_LABEL_WORDS = 12


def _slug(text: str) -> str:
    return "".join(_SLUG_WORDS.findall(text.lower()))


def is_heading_anchor(el: lxml_html.HtmlElement) -> bool:
    """Whether the id of a heading, or of a box by its first heading, is made from that
    heading's words ("h-membership-program", "menu-planning-for-a-crowd"): it names the
    section's subject, not its role, even when one of its words would name furniture.

    The id may carry a prefix ("h-", the heading's number) and be cut short. A heading whose
    words are themselves a label of furniture ("Related stories") does not count."""
    heading = el if el.tag in _HEADINGS else next(el.iter(*_HEADINGS), None)
    if heading is None:
        return False
    words = " ".join(etree.tostring(heading, method="text", encoding="unicode", with_tail=False).split())
    anchor, own = _slug(el.get("id", "")), _slug(words)
    if len(own) < _MIN_SLUG_CHARS or (len(words.split()) <= _MAX_LABEL_WORDS and is_furniture_line(words)):
        return False
    return any(
        len(slug) >= _MIN_SLUG_CHARS and own.startswith(slug)
        for slug in (anchor, anchor.removeprefix("h"), anchor.lstrip("0123456789"))
    ) or own in anchor
