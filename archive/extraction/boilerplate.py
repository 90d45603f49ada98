"""Remove page furniture that markup names as such (appeals, newsletter boxes, related links)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.anchors import is_heading_anchor
from archive.extraction.cleanup import is_furniture_line
from archive.extraction.firstpass import UNREAD_TAGS, is_author_markup, is_author_page, tells
from archive.extraction.links import HREFS, OwnPlaces, has_linked_heading

# Class and id words that name furniture, not content. English words dominate
# class names even on pages in other languages. A short word must stand alone: after
# the marker's start or a separator (-, _, space), "(?<![^-_\s]ad)", and before its end or
# a separator, "(?![^-_\s])".
_FURNITURE_WORDS = (
    "donat", "support-?us", "support-?banner", r"contribut(?:e|ion)-?(?:box|appeal|banner|epic)",
    "membership", "become-?a-?member", "newsletter", r"subscri(?:be|ption)", "sign-?up", "paywall",
    "promo", "related", "read-?more", "more-?stories", "recommend", "outbrain", "taboola", "share",
    "social", r"comment(?!ary)", "disqus", "advert", r"ad(?<![^-_\s]ad)s?(?![^-_\s])", "sponsor",
    "affiliate", "disclosure", r"credit(?<![^-_\s]credit)",
    # author boxes after the body ("author-bio", "about-the-author", WordPress's Simple Author Box)
    r"author[-_]?(?:box|bio|info|detail|card|desc|profile|about)", r"about[-_]?(?:the[-_]?)?author",
    r"bio(?<![^-_\s]bio)(?![^-_\s])", "saboxplugin",
    # cookie and consent banners (not any "cookie": pages about baking use the word in
    # their own classes), calls to action
    r"cookie[-_]?(?:banner|notice|consent|bar|law|policy|popup|modal|settings|box|message|wall)",
    "consent", "gdpr", r"cta(?<![^-_\s]cta)(?![^-_\s])",
)


def _by_first_letter(words: tuple[str, ...]) -> str:
    """The words as one alternation, grouped by their first letter ("a(?:dvert|ffiliate)|b(?:io)").

    The search tries a group only where its letter stands, instead of every word that
    starts with it one after the other: 1.45 -> 0.95 µs a marker. (Every word starts
    with a plain letter, so the grouping matches exactly what the words do.)
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{letter}(?:{'|'.join(rests)})" for letter, rests in groups.items())


# Matched against lower-cased markers: re.I made this search 3x slower. Every
# alternative starts with a letter (the separator before a short word is looked for
# behind it, not matched first as "(?:^|[-_\s])ad" did), so the search skips in C the
# positions where no alternative can start: 3.5x faster.
_FURNITURE = re.compile(_by_first_letter(_FURNITURE_WORDS))
_KEEP_TAGS = frozenset({"html", "body", "main", "article", "h1"})
# Dialogs (cookie settings, sign-in, republishing terms) open over the page, not in the
# article; an element marked as its author (schema.org) is a byline or an author box, and
# one marked as a comment on it (or typed as one, or given ARIA's comment role) a reader's
# comment, never the body. (Not the `hidden` attribute: streamed React pages hide their
# whole body until a script moves it into place.)
# The attribute values that say so, by attribute. Read in the walk from each element's
# items(), with its class and id: an XPath over the attributes cost 0.35 ms a page, the two
# el.get() calls it replaces as much as the items() call.
_UNSHOWN = {
    "role": frozenset({"dialog", "alertdialog", "comment"}),
    "aria-modal": frozenset({"true"}),
    "itemprop": frozenset({"author", "comment"}),
    "itemtype": frozenset(
        f"{scheme}://schema.org/{kind}"
        for scheme in ("http", "https") for kind in ("Comment", "UserComments")
    ),
}


_BOX_TAGS = frozenset({"div", "section", "aside", "form"})
# Class names inside code blocks describe the code ("hljs-comment"), not the page.
_CODE_TAGS = frozenset({"pre", "code"})
_MAX_BOX_CHARS = 500
_MAX_LABEL_WORDS = 12
_MAX_LABEL_CHARS = 200  # longer first lines are judged but not remembered
# The walk's events: a comment's tail is text of the box around it (as itertext() reads it).
_WALK_EVENTS = ("start", "end", "comment", "pi")


# The walk judges an element by its attributes: these bits, or 0 for none. _BYLINE: its
# markup may name a byline (scan_headline_region's first pass, read here in the same walk).
_NAMED, _EMBED, _UNSHOWN_BIT, _BYLINE = 1, 2, 4, 16
_KNOWN = 8  # set on every remembered judgement, so that a remembered "nothing" is not judged again
# Judgements of class names, ids and box labels are kept from page to page: the pages of
# a site share their template's, and judging them was a third of the walk's cost. Forgotten
# all at once past this many (a worker extracts thousands of pages from many sites).
_MAX_REMEMBERED = 50_000
_JUDGED: dict[str, int] = {}
_LABELS: dict[str, bool] = {}


def _judge(marker: str) -> int:
    """_NAMED if a class or id names furniture, _EMBED if it names an embed, _BYLINE if it
    may name a byline (with _KNOWN)."""
    lowered = marker.lower()
    judged = _JUDGED[marker] = (
        _KNOWN | (_NAMED if _FURNITURE.search(lowered) else 0) | (_EMBED if "embed" in lowered else 0)
        | (_BYLINE if is_author_markup(marker) else 0)
    )
    return judged


def _is_label(first: str) -> bool:
    """A box's first line that names it as furniture ("Get our newsletter", "Read more")."""
    labelled = _LABELS.get(first)
    if labelled is None:
        words = first.split()
        if len(words) > _MAX_LABEL_WORDS:
            return False
        labelled = is_furniture_line(" ".join(words))
        if len(first) <= _MAX_LABEL_CHARS:
            # Longer lines are not remembered: any paragraph can open a box, and a worker
            # that kept them held 98 MB after 1,500 pages of text boxes.
            _LABELS[first] = labelled
    return labelled


def _forget_if_full() -> None:
    for remembered in (_JUDGED, _LABELS):
        if len(remembered) > _MAX_REMEMBERED:
            remembered.clear()


def element_text(el: lxml_html.HtmlElement) -> str:
    """el.text_content(), serialised in C: the XPath call behind text_content() cost 1.3 µs
    an element, this 0.7 (the same text: every text node below it, no comments)."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


class _Found:
    """What one walk over the page finds: furniture candidates, boxes whose class names an
    embed, and the elements later tests look at (gathered here, not by walking again)."""

    def __init__(self) -> None:
        self.candidates: list[lxml_html.HtmlElement] = []
        self.embeds: list[lxml_html.HtmlElement] = []
        self.paragraphs: list[lxml_html.HtmlElement] = []
        self.lists: list[lxml_html.HtmlElement] = []
        self.articles: list[lxml_html.HtmlElement] = []
        self.code: list[lxml_html.HtmlElement] = []  # <pre> and <code> elements
        self.unshown: set[lxml_html.HtmlElement] = set()  # what _UNSHOWN names, among the candidates
        # Elements whose class, id, link, rel or itemprop may name a byline (firstpass.marked's)
        self.bylined: list[lxml_html.HtmlElement] = []
        # Elements of which a piece of own text may hold a year or a byline (firstpass.tells)
        self.telling: list[lxml_html.HtmlElement] = []


def find_furniture(tree: lxml_html.HtmlElement) -> _Found:
    """Elements whose class or id names them as furniture, dialogs (_UNSHOWN), and small boxes
    labelled as furniture by their first line, in one walk over the page. (It changes
    nothing: run before the other stages, it finds scan_headline_region's byline markup
    and telling texts too (firstpass.Walked), which saves that scan visiting every element
    and reading its attributes and texts again: 0.4 ms a page, then 0.2 more.)

    The class and the id are judged apart, each cached: ids are unique, so the pair
    rarely repeats. (A short word's edge may be the marker's or a separator's, and no word
    holds a space, so the pattern matches "class id" exactly when it matches one of them.)

    A box's first line is the first text that is not blank inside it (its own text, its
    descendants' texts and tails). The walk reads each text once for all the boxes still
    waiting for theirs, all open around it; reading each box's own itertext() walked
    nested wrappers again and again (2 ms a page).

    The walk does the least it can per element (it visits every one, twice): elements
    in code blocks and the _KEEP_TAGS are judged like any other, and dropped from what
    it found afterwards (they are few).
    """
    _forget_if_full()
    found = _Found()
    judged, judge = _JUDGED, _judge
    gathered = {
        "p": found.paragraphs, "ul": found.lists, "ol": found.lists, "article": found.articles,
        "pre": found.code, "code": found.code,
    }
    waiting: list[lxml_html.HtmlElement] = []  # boxes whose first line is not yet read
    labelled: list[lxml_html.HtmlElement] = []  # boxes whose first line is a label
    candidates, embeds, unshown, bylined = found.candidates, found.embeds, found.unshown, found.bylined
    telling = found.telling
    for event, el in etree.iterwalk(tree, events=_WALK_EVENTS):
        if event == "start":
            tag = el.tag
            if tag in gathered:
                gathered[tag].append(el)
            flags = 0
            for name, value in el.items():
                if name == "class" or name == "id":
                    flags |= judged.get(value) or judge(value)
                elif name == "href":
                    if tag == "a" and is_author_page(value):
                        flags |= _BYLINE
                elif name == "rel":
                    if value == "author":
                        flags |= _BYLINE
                elif name in _UNSHOWN:
                    if value in _UNSHOWN[name]:
                        flags |= _UNSHOWN_BIT
                    if name == "itemprop" and "author" in value:
                        flags |= _BYLINE
            if flags & _BYLINE:
                bylined.append(el)
            if flags & (_NAMED | _UNSHOWN_BIT):
                candidates.append(el)
                if flags & _UNSHOWN_BIT:
                    unshown.add(el)
            elif tag in _BOX_TAGS:
                waiting.append(el)
            if flags & _EMBED:
                embeds.append(el)
            text = el.text
            if not text or text.isspace():
                continue
            is_tail = False
        else:
            if waiting and waiting[-1] is el:
                waiting.pop()  # a box without text: no label
            text = el.tail
            if not text or text.isspace():
                continue
            is_tail = True
        if waiting:
            if _is_label(text):
                labelled.extend(waiting)
            waiting.clear()
        if not is_tail:
            if tag not in UNREAD_TAGS and tells(text):
                telling.append(el)
        elif tells(text):
            parent = el.getparent()  # the tail is its text
            if parent is not None:  # (the root's tail is outside the page)
                telling.append(parent)
    candidates.extend(_small_boxes(labelled))
    _leave_out_kept_and_code(found)
    return found


def _leave_out_kept_and_code(found: _Found) -> None:
    """Drop from the candidates and embeds the _KEEP_TAGS and what is in a code block:
    class names inside code blocks describe the code ("hljs-comment"), not the page."""
    code = set(found.code)

    def counts(el: lxml_html.HtmlElement) -> bool:
        if el.tag in _KEEP_TAGS:
            return False
        return not code or (el not in code and next(el.iterancestors(*_CODE_TAGS), None) is None)

    found.candidates = [el for el in found.candidates if counts(el)]
    found.embeds = [el for el in found.embeds if counts(el)]


def _small_boxes(boxes: list[lxml_html.HtmlElement]) -> list[lxml_html.HtmlElement]:
    return [
        el for el in boxes
        if len(element_text(el)) <= _MAX_BOX_CHARS and el.find(".//h1") is None
    ]


# Lists of three or more items that are each one link with a headline-long text:
# candidates for "more stories" lists (tested in C: most pages have dozens of menus).
# The short link, which rules out a menu's item, is tested first, and the first item
# ruled out ends the test ([1]): this took half the time of testing every item in full.
_LINK_LIST = etree.XPath(
    "self::*[li[3]][not(li[string-length(normalize-space(.//a)) < 15"
    " or not(.//a[@href]) or (.//a[@href])[2]][1])]"
)
# A paragraph of the body (about thirty words) printed after a list.
_LONG_PARAGRAPH_AFTER = etree.XPath("following::p[string-length(normalize-space(.)) > 150][1]")
# What an item may hold beside its link: a date or a count.
_ITEM_EXTRA = re.compile(
    r"[\d\W_]+|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_MIN_TITLE_CHARS = 15


def _trailing_link_lists(
    lists: list[lxml_html.HtmlElement], paragraph_chars: int, own_place: OwnPlaces
) -> list[lxml_html.HtmlElement]:
    """Lists of links to other stories after the body's last paragraph ("more stories", archives),
    or inside it right under a label that names them ("Related stories", "Read more").

    Each item is one link with a headline-long text (a date may follow); inside the body
    such lists are often the story's own resources, so only lists after it, or labelled
    as furniture, are dropped. A list longer than all the page's paragraphs together is
    the body itself (a digest of links under a short introduction), as any furniture
    holding most of the prose is.
    """
    found = []
    for lst in lists:
        # (Fewer than three children: not a list of stories, and no XPath call to say so.)
        if len(lst) < 3 or not _LINK_LIST(lst):
            continue
        if not all(_is_story_link(li, own_place) for li in lst.iterchildren("li")):
            continue
        if len(element_text(lst)) > paragraph_chars:
            continue
        if not _LONG_PARAGRAPH_AFTER(lst) or _under_furniture_label(lst):
            found.append(lst)
    return found


def _under_furniture_label(lst: lxml_html.HtmlElement) -> bool:
    """Whether the element just before the list is a short label of furniture ("Related stories")."""
    label = lst.getprevious()
    if label is None or len(label) > 2:
        return False
    text = " ".join(element_text(label).split())
    return 0 < len(text) <= _MAX_LABEL_CHARS and _is_label(text)


def _is_story_link(item: lxml_html.HtmlElement, own_place: OwnPlaces) -> bool:
    link = next(item.iter("a"))
    title = " ".join(element_text(link).split())
    if len(title) < _MIN_TITLE_CHARS or own_place(link.get("href", "#")):
        return False
    rest = " ".join(element_text(item).split()).replace(title, "", 1)
    return len(_ITEM_EXTRA.sub("", rest.lower())) <= 3


_MAX_CARD_CHARS = 800


def _teaser_cards(
    articles: list[lxml_html.HtmlElement], own_place: OwnPlaces
) -> list[lxml_html.HtmlElement]:
    """<article>s side by side that each only announce another story: a linked headline,
    perhaps a line of excerpt, and every link going to that one story. One alone is such a
    card when it stands among the paragraphs of another <article> (a related story set in
    the body; cards in a grid of their own, each in its cell, are a landing page's content)."""
    cards = []
    for parent in {article.getparent() for article in articles}:
        if parent is None:
            continue
        group = [el for el in parent.iterchildren("article") if _is_teaser(el, own_place)]
        among_paragraphs = parent.find("p") is not None and (
            parent.tag == "article" or next(parent.iterancestors("article"), None) is not None
        )
        if len(group) >= 2 or (group and among_paragraphs):
            cards.extend(group)
    return cards


def _is_teaser(article: lxml_html.HtmlElement, own_place: OwnPlaces) -> bool:
    if len(element_text(article).strip()) > _MAX_CARD_CHARS or not has_linked_heading(article, own_place):
        return False
    hrefs = set(HREFS(article))
    return len(hrefs) == 1 and not own_place(next(iter(hrefs)))


# trafilatura drops every element whose class names an embed (meant for social posts),
# which also takes the tables and text that page builders (Webflow's "w-embed", custom
# HTML blocks) wrap that way. A product box (name, pros, specs, "buy" buttons) is shop
# furniture, embedded or not; videos and social posts (an iframe, a blockquote) stay out.
_PRODUCT = etree.XPath(".//*[contains(@class, 'product') or contains(@class, 'Product')]")
_EMBED_MIN_PROSE = 300


def _keep_embedded_text(embeds: list[lxml_html.HtmlElement]) -> None:
    """Take the "embed" out of the class of embed boxes that hold a table or prose, not a post,
    and of paragraphs (a page builder's styled quote, "quote-embed", is the body's)."""
    for el in embeds:
        if el.find(".//iframe") is not None or el.find(".//blockquote") is not None:
            continue
        if el.tag != "p" and el.find(".//table") is None and (
            sum(len(element_text(p)) for p in el.iter("p")) < _EMBED_MIN_PROSE
        ):
            continue
        if _PRODUCT(el):
            continue
        kept = [c for c in el.get("class", "").split() if "embed" not in c.lower()]
        el.set("class", " ".join(kept))


# The subscribers' part of a body, delivered in the page and marked so that a script (or
# Google's paywalled-content markup, whose cssSelector names it: ".paywall") can hide it.
_GATED = re.compile(r"paywall|subscriber")
# ... told from the prompt to subscribe by its paragraphs, and by the form a prompt holds.
_GATED_PARAGRAPHS, _GATED_PARAGRAPH_CHARS = 2, 120
_FORM_CONTROLS = etree.XPath(".//form | .//input | .//button")


def _gated_text(el: lxml_html.HtmlElement, chars: dict[lxml_html.HtmlElement, int]) -> bool:
    """Whether a box named as a paywall holds the body's own paragraphs, not a prompt."""
    if not _GATED.search(f"{el.get('class', '')} {el.get('id', '')}".lower()):
        return False
    long = sum(1 for p in el.iter("p") if chars.get(p, 0) >= _GATED_PARAGRAPH_CHARS)
    return long >= _GATED_PARAGRAPHS and not _FORM_CONTROLS(el)


def _is_own_anchor(el: lxml_html.HtmlElement) -> bool:
    """Whether a candidate is furniture only by an id made from its heading's words."""
    return not _judge(el.get("class", "")) & _NAMED and is_heading_anchor(el)


def prune_furniture(
    tree: lxml_html.HtmlElement, own_place: OwnPlaces | None = None, found: _Found | None = None
) -> int:
    """Drop furniture elements in place; returns how many were removed.

    `own_place` tells links to places in the page (a live blog's entries) from links to
    other stories; without it, only "#..." links are the page's own. `found`:
    find_furniture(tree), if the caller walked the tree unchanged since (walked here if None)."""
    own_place = own_place or OwnPlaces()
    # Hold the elements, not their id()s: lxml makes a new proxy per access, so the id
    # of a proxy that was freed is soon reused by an unrelated element.
    found = find_furniture(tree) if found is None else found
    unshown = found.unshown
    # libxml2 puts what follows a second <html> beside the root, where the walk does not go:
    # its paragraphs count too, and its lists may be lists of stories.
    for top in (*tree.itersiblings(preceding=True), *tree.itersiblings()):
        found.paragraphs.extend(top.iter("p"))
        found.lists.extend(top.iter("ul", "ol"))
    # Each paragraph measured once: furniture candidates nest, and each sums its paragraphs.
    # (The dict holds the elements: lxml then hands out the same proxy on each access.)
    chars = {p: len(element_text(p)) for p in found.paragraphs}
    total = sum(chars.values()) or 1
    # A box named both for a social network and as an embed ("social-embed") frames a post
    # the story quotes, not share buttons: open_quotations decides on it as on any embed.
    posts = {el for el in found.embeds if el.find(".//blockquote") is not None}
    doomed = []
    for el in found.candidates:
        if el in posts:
            continue
        # A container holding most of the page's prose is the article itself,
        # whatever its class says ("post has-comments"). (A dialog may repeat the
        # headline: "republish this story" boxes hold a copy of the article.)
        inner = sum(chars[p] if p in chars else len(element_text(p)) for p in el.iter("p"))
        if inner > 0.4 * total or (el not in unshown and el.find(".//h1") is not None):
            continue
        if el not in unshown and (_gated_text(el, chars) or _is_own_anchor(el)):
            continue
        doomed.append(el)
    _keep_embedded_text(found.embeds)
    doomed.extend(_trailing_link_lists(found.lists, total, own_place))
    doomed.extend(_teaser_cards(found.articles, own_place))
    removed = 0
    marked = set(doomed)
    for el in doomed:
        parent = el.getparent()
        if parent is None or any(a in marked for a in el.iterancestors()):
            continue
        el.drop_tree()
        removed += 1
    return removed
