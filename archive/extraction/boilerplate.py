"""Remove page furniture that markup names as such (appeals, newsletter boxes, related links)."""

from __future__ import annotations

import re

from lxml import html as lxml_html

from archive.extraction.cleanup import FURNITURE_LINES

# Class and id words that name furniture, not content. English words dominate
# class names even on pages in other languages.
_FURNITURE = re.compile(
    r"donat|support-?us|support-?banner|contribut(?:e|ion)-?(?:box|appeal|banner|epic)|membership"
    r"|become-?a-?member|newsletter|subscri(?:be|ption)|sign-?up|paywall|promo|related"
    r"|read-?more|more-?stories|recommend|outbrain|taboola|share|social|comment(?!ary)|disqus"
    r"|advert|(?:^|[-_])ads?(?:$|[-_])|sponsor|affiliate|disclosure|(?:^|[-_])credit",
    re.I,
)
_KEEP_TAGS = frozenset({"html", "body", "main", "article", "h1"})


def _marker(el: lxml_html.HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}".strip()


_BOX_TAGS = ("div", "section", "aside", "form")
_MAX_BOX_CHARS = 500


def _labelled_furniture(el: lxml_html.HtmlElement) -> bool:
    """A small box whose first line names it as furniture ("Get our newsletter", "Read more")."""
    if el.tag not in _BOX_TAGS:
        return False
    first = next((" ".join(t.split()) for t in el.itertext() if t.strip()), "")
    if not first or len(first.split()) > 12 or not FURNITURE_LINES.search(first):
        return False
    return len(el.text_content()) <= _MAX_BOX_CHARS and el.find(".//h1") is None


def prune_furniture(tree: lxml_html.HtmlElement) -> int:
    """Drop furniture elements in place; returns how many were removed."""
    paragraphs = tree.xpath("//p")
    total = sum(len(p.text_content()) for p in paragraphs) or 1
    doomed = []
    # Class names inside code blocks describe the code ("hljs-comment"), not the page.
    in_code = {id(el) for block in tree.iter("pre", "code") for el in block.iter()}
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in _KEEP_TAGS or id(el) in in_code:
            continue
        marker = _marker(el)
        named = bool(marker) and any(_FURNITURE.search(word) for word in marker.split())
        if not named and not _labelled_furniture(el):
            continue
        # A container holding most of the page's prose is the article itself,
        # whatever its class says ("post has-comments").
        inner = sum(len(p.text_content()) for p in el.iter("p"))
        if inner > 0.4 * total or el.find(".//h1") is not None:
            continue
        doomed.append(el)
    removed = 0
    for el in doomed:
        parent = el.getparent()
        if parent is None or any(a in doomed for a in el.iterancestors()):
            continue
        el.drop_tree()
        removed += 1
    return removed
