"""Remove page furniture that markup names as such (appeals, newsletter boxes, related links)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.cleanup import is_furniture_line

# Class and id words that name furniture, not content. English words dominate
# class names even on pages in other languages.
_FURNITURE = re.compile(
    r"donat|support-?us|support-?banner|contribut(?:e|ion)-?(?:box|appeal|banner|epic)|membership"
    r"|become-?a-?member|newsletter|subscri(?:be|ption)|sign-?up|paywall|promo|related"
    r"|read-?more|more-?stories|recommend|outbrain|taboola|share|social|comment(?!ary)|disqus"
    r"|advert|(?:^|[-_\s])ads?(?:$|[-_\s])|sponsor|affiliate|disclosure|(?:^|[-_\s])credit"
    # author boxes after the body ("author-bio", "about-the-author", WordPress's Simple Author Box)
    r"|author[-_]?(?:box|bio|info|detail|card|desc|profile|about)|about[-_]?(?:the[-_]?)?author"
    r"|(?:^|[-_\s])bio(?:$|[-_\s])|saboxplugin"
    # cookie and consent banners (not any "cookie": pages about baking use the word in
    # their own classes), calls to action
    r"|cookie[-_]?(?:banner|notice|consent|bar|law|policy|popup|modal|settings|box|message|wall)"
    r"|consent|gdpr|(?:^|[-_\s])cta(?:$|[-_\s])",
    # Matched against lower-cased markers: re.I made this search 3x slower, and it runs
    # on every distinct class attribute of the page.
)
_KEEP_TAGS = frozenset({"html", "body", "main", "article", "h1"})
# Dialogs (cookie settings, sign-in, republishing terms) open over the page, not in the
# article; an element marked as its author (schema.org) is a byline or an author box, never
# the body. (Not the `hidden` attribute: streamed React pages hide their whole body until a
# script moves it into place.)
_UNSHOWN = etree.XPath(
    "//*[@role='dialog' or @role='alertdialog' or @aria-modal='true'"
    " or @itemprop='author']"
)


def _marker(el: lxml_html.HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}".strip()


_BOX_TAGS = ("div", "section", "aside", "form")
_MAX_BOX_CHARS = 500


def _labelled_furniture(el: lxml_html.HtmlElement, furniture_line: dict[str, bool]) -> bool:
    """A small box whose first line names it as furniture ("Get our newsletter", "Read more")."""
    if el.tag not in _BOX_TAGS:
        return False
    # The first line first: reading it stops at the first text, while measuring a
    # box's whole text on every wrapper of the page cost more than the rest together.
    first = next((t for t in el.itertext() if t.strip()), "")
    # Nested wrappers share their first line: test each line once per page.
    labelled = furniture_line.get(first)
    if labelled is None:
        line = " ".join(first.split())
        labelled = furniture_line[first] = (
            len(line.split()) <= 12 and is_furniture_line(line)
        )
    return (
        labelled and len(el.text_content()) <= _MAX_BOX_CHARS and el.find(".//h1") is None
    )


# Lists of three or more items that are each one link with a headline-long text:
# candidates for "more stories" lists (tested in C: most pages have dozens of menus).
_ONE_LINK_ITEMS = (
    "[li[3]][not(li[not(.//a[@href]) or (.//a[@href])[2]"
    " or string-length(normalize-space(.//a)) < 15])]"
)
_LINK_LISTS = etree.XPath(f"//ul{_ONE_LINK_ITEMS} | //ol{_ONE_LINK_ITEMS}")
# A paragraph of the body (about thirty words) printed after a list.
_LONG_PARAGRAPH_AFTER = etree.XPath("following::p[string-length(normalize-space(.)) > 150][1]")
# What an item may hold beside its link: a date or a count.
_ITEM_EXTRA = re.compile(
    r"[\d\W_]+|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_MIN_TITLE_CHARS = 15


def _trailing_link_lists(
    tree: lxml_html.HtmlElement, paragraph_chars: int
) -> list[lxml_html.HtmlElement]:
    """Lists of links to other stories after the body's last paragraph ("more stories", archives).

    Each item is one link with a headline-long text (a date may follow); inside the body
    such lists are often the story's own resources, so only lists after it are dropped.
    A list longer than all the page's paragraphs together is the body itself (a digest of
    links under a short introduction), as any furniture holding most of the prose is.
    """
    found = []
    for lst in _LINK_LISTS(tree):
        if not all(_is_story_link(li) for li in lst.iterchildren("li")):
            continue
        if not _LONG_PARAGRAPH_AFTER(lst) and len(lst.text_content()) <= paragraph_chars:
            found.append(lst)
    return found


def _is_story_link(item: lxml_html.HtmlElement) -> bool:
    link = next(item.iter("a"))
    title = " ".join(link.text_content().split())
    if len(title) < _MIN_TITLE_CHARS or link.get("href", "#").startswith("#"):
        return False
    rest = " ".join(item.text_content().split()).replace(title, "", 1)
    return len(_ITEM_EXTRA.sub("", rest.lower())) <= 3


_LINKED_HEADING = etree.XPath(".//*[self::h2 or self::h3 or self::h4 or self::h5][.//a[@href]]")
_HREFS = etree.XPath(".//a/@href")
_MAX_CARD_CHARS = 800


def _teaser_cards(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """<article>s side by side that each only announce another story: a linked headline,
    perhaps a line of excerpt, and every link going to that one story."""
    cards = []
    for parent in {article.getparent() for article in tree.iter("article")}:
        if parent is None:
            continue
        group = [el for el in parent.iterchildren("article") if _is_teaser(el)]
        if len(group) >= 2:
            cards.extend(group)
    return cards


def _is_teaser(article: lxml_html.HtmlElement) -> bool:
    return (
        len(article.text_content().strip()) <= _MAX_CARD_CHARS
        and bool(_LINKED_HEADING(article))
        and len(set(_HREFS(article))) == 1
    )


# trafilatura drops every element whose class names an embed (meant for social posts),
# which also takes the tables and text that page builders (Webflow's "w-embed", custom
# HTML blocks) wrap that way. A product box (name, pros, specs, "buy" buttons) is shop
# furniture, embedded or not; videos and social posts (an iframe, a blockquote) stay out.
_PRODUCT = etree.XPath(".//*[contains(@class, 'product') or contains(@class, 'Product')]")
_EMBED_MIN_PROSE = 300


def _keep_embedded_text(embeds: list[lxml_html.HtmlElement]) -> None:
    """Take the "embed" out of the class of embed boxes that hold a table or prose, not a post."""
    for el in embeds:
        if el.find(".//iframe") is not None or el.find(".//blockquote") is not None:
            continue
        if el.find(".//table") is None and (
            sum(len(p.text_content()) for p in el.iter("p")) < _EMBED_MIN_PROSE
        ):
            continue
        if _PRODUCT(el):
            continue
        kept = [c for c in el.get("class", "").split() if "embed" not in c.lower()]
        el.set("class", " ".join(kept))


def prune_furniture(tree: lxml_html.HtmlElement) -> int:
    """Drop furniture elements in place; returns how many were removed."""
    paragraphs = tree.xpath("//p")
    total = sum(len(p.text_content()) for p in paragraphs) or 1
    doomed = []
    # Class names inside code blocks describe the code ("hljs-comment"), not the page.
    # Hold the elements, not their id()s: lxml makes a new proxy per access, so the id
    # of a proxy that was freed is soon reused by an unrelated element.
    in_code = {el for block in tree.iter("pre", "code") for el in block.iter()}
    unshown = set(_UNSHOWN(tree))
    # Pages repeat a few class names thousands of times: read each once.
    named_by: dict[str, tuple[bool, bool]] = {}
    furniture_line: dict[str, bool] = {}
    embeds = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in _KEEP_TAGS or el in in_code:
            continue
        marker = _marker(el)
        known = named_by.get(marker)
        if known is None:
            lowered = marker.lower()
            known = named_by[marker] = (bool(_FURNITURE.search(lowered)), "embed" in lowered)
        named, embed = known
        if embed:
            embeds.append(el)
        if not named and el not in unshown and not _labelled_furniture(el, furniture_line):
            continue
        # A container holding most of the page's prose is the article itself,
        # whatever its class says ("post has-comments"). (A dialog may repeat the
        # headline: "republish this story" boxes hold a copy of the article.)
        inner = sum(len(p.text_content()) for p in el.iter("p"))
        if inner > 0.4 * total or (el not in unshown and el.find(".//h1") is not None):
            continue
        doomed.append(el)
    _keep_embedded_text(embeds)
    doomed.extend(_trailing_link_lists(tree, total))
    doomed.extend(_teaser_cards(tree))
    removed = 0
    marked = set(doomed)
    for el in doomed:
        parent = el.getparent()
        if parent is None or any(a in marked for a in el.iterancestors()):
            continue
        el.drop_tree()
        removed += 1
    return removed
