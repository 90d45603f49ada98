"""Decide from page structure whether a page is an article, and say why when it is not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import methodcaller
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.boilerplate import element_text
from archive.extraction.links import HREFS, OwnPlaces, has_linked_heading, page_key
from archive.extraction.metadata import find_canonical
from archive.extraction.page import LISTING_TYPES, Page, ld_type_names
from archive.extraction.textfix import unspaced_chars

_SOFT_404 = re.compile(
    r"\b404\b|not found|(?:cannot|could not|can't|couldn't) (?:be )?f(?:ou|i)nd|no longer available"
    r"|nicht gefunden|introuvable|no encontrada|non trovata|niet gevonden|nie znaleziono"
    r"|не найден|nenalezen|bulunamadı",
    re.I,
)
_JS_REQUIRED = re.compile(r"enable javascript|javascript (?:is )?(?:required|disabled)"
                          r"|javascript aktivieren|activer javascript|включите javascript", re.I)


@dataclass
class PageShape:
    """Structural measurements taken before trafilatura prunes the tree."""

    body_chars: int
    # Text in links: measured only on pages with _MIN_TEASERS teasers (article elements or
    # linked headings), where the one test that reads it runs; None on the others.
    link_chars: int | None
    paragraph_chars: int
    # <article>s that announce another page, outside any <aside> (all of them on a page of
    # fewer than _MIN_TEASERS, where the count decides nothing)
    article_elements: int
    linked_headings: int
    # Looked for on a page of under _SHELL_CHARS characters only: the one test that reads it
    # asks that first, and finding an app root walked every <div> of every page.
    has_noscript_or_app_root: bool
    link_texts: frozenset[str]  # normalised texts of links of three words or more


# Text is counted from XPath's plain strings, which saves a Python proxy per element
# (measuring was a tenth of the extraction's cost); script and style text is taken
# out afterwards, from the outermost such elements only. Tag-filtered iter() and XPath
# steps that name their element are what stay cheap on a page of thousands of elements,
# and each still walks the whole page: one walk serves every tag measured.
_SKIPPED = ("script", "style", "noscript", "template")
_TEXT = etree.XPath(".//text()", smart_strings=False)
_OWN_TEXT = etree.XPath("descendant-or-self::text()", smart_strings=False)
_LINK_TEXT = etree.XPath(".//a//text()", smart_strings=False)
# A listing page shows at least this many teasers.
_MIN_TEASERS = 4
_APP_ROOT_IDS = frozenset({"root", "app", "__next", "__nuxt"})
# Under this many characters of text outside scripts, a page with an app root or a
# <noscript> is a shell that scripts fill.
_SHELL_CHARS = 200



def _chars(strings: list[str]) -> int:
    return sum(map(len, map(str.strip, strings)))


def measure(tree: lxml_html.HtmlElement, own_place: OwnPlaces | None = None) -> PageShape:
    """`own_place` tells links to places in the page (a live blog's entries, each linked to
    itself) from links to other pages; without it, only "#..." links are the page's own."""
    own_place = own_place or OwnPlaces()
    body = tree.find("body")
    root = body if body is not None else tree
    shape = _Elements(own_place)
    # One walk for all the elements measured by tag: each walk of a page costs as much as
    # the Python work on the few elements it finds.
    for el in root.iter(*_MEASURED):
        shape.add(el)
    shape.leave_out_asides()
    body_chars = _chars(_TEXT(root)) - shape.skipped_chars
    articles = [el for el in shape.articles if el is not root]  # ".//article": the descendants only
    if len(articles) >= _MIN_TEASERS:  # (fewer decide nothing, and the test walks each: a body's is long)
        articles = [el for el in articles if is_teaser(el, own_place)]
    linked_headings = max(shape.linked_headings, shape.dated_links)
    # (A walk of the page's links that two pages in three do not need: 0.22 ms.)
    teasers = max(len(articles), linked_headings)
    link_chars = _chars(_LINK_TEXT(root)) if teasers >= _MIN_TEASERS else None
    app_root = shape.noscript or (
        body_chars < _SHELL_CHARS and any(map(_APP_ROOT_IDS.__contains__, map(_ID_OF, root.iter("div"))))
    )
    return PageShape(
        link_texts=frozenset(shape.link_texts),
        body_chars=body_chars,
        link_chars=link_chars,
        paragraph_chars=shape.paragraph_chars,
        article_elements=len(articles),
        linked_headings=linked_headings,
        has_noscript_or_app_root=app_root,
    )


_MEASURED = ("a", "p", "h2", "h3", "h4", "time", "article", "aside", *_SKIPPED)
_TEASER_TAGS = ("h2", "h3", "h4", "time", "article")
_ID_OF = methodcaller("get", "id")


class _Elements:
    """What measure counts element by element, fed the elements of one walk."""

    def __init__(self, own_place: OwnPlaces) -> None:
        self.own_place = own_place
        self.paragraph_chars = self.linked_headings = self.dated_links = 0
        self.articles: list[lxml_html.HtmlElement] = []
        self.skipped_chars = 0  # script, style, noscript and template text
        self.noscript = False
        self.link_texts: set[str] = set()  # normalised texts of links of three words or more
        self.asides: list[lxml_html.HtmlElement] = []

    def add(self, el: lxml_html.HtmlElement) -> None:
        tag = el.tag
        if tag == "a":
            text = _text_of(el)
            # _norm's result is no longer than the lowercased text, which is the text's
            # length but for "İ" (two characters lowercased): the short ones need no _norm.
            if (
                (len(text) > 12 or "\u0130" in text)
                and len(normed := _norm(text)) > 12
                and normed.count(" ") >= 2
            ):
                self.link_texts.add(normed)
        elif tag == "p":
            self.paragraph_chars += len(_text_of(el).strip())
        elif tag == "time":
            # Teasers in lists: a dated link to another story ("<li><a>Headline</a> <time>").
            parent = el.getparent()
            if parent is not None and len(element_text(parent)) < 400 and any(
                len(element_text(a).split()) >= 3 and self.leads_away(a) for a in parent.iter("a")
            ):
                self.dated_links += 1
        elif tag == "article":
            self.articles.append(el)
        elif tag == "aside":
            self.asides.append(el)
        elif tag in _SKIPPED:
            self.noscript = self.noscript or tag == "noscript"
            if next(el.iterancestors(*_SKIPPED), None) is None:  # each text counted once
                self.skipped_chars += _chars(_OWN_TEXT(el))
        elif any(map(self.leads_away, el.iter("a"))):  # h2, h3, h4
            self.linked_headings += 1

    def leads_away(self, link: lxml_html.HtmlElement) -> bool:
        """Is this a link to another page? (A live blog entry's headline or time links to its own place.)"""
        return not self.own_place(link.get("href", "#"))

    def leave_out_asides(self) -> None:
        """Teasers in an <aside> ("Most read", "Related") stand beside the page's content: a
        short story with a sidebar of them was taken for a listing of them."""
        inner = _Elements(self.own_place)
        for aside in self.asides:
            if next(aside.iterancestors("aside"), None) is None:  # each teaser counted once
                for el in aside.iter(*_TEASER_TAGS):
                    inner.add(el)
        beside = set(inner.articles)
        self.articles = [el for el in self.articles if el not in beside]
        self.linked_headings -= inner.linked_headings
        self.dated_links -= inner.dated_links


def is_teaser(article: lxml_html.HtmlElement, own_place: OwnPlaces) -> bool:
    """Does this <article> announce another page: its headline linked there, or its every link?
    (A live blog's entries are <article>s too, each linked at most to its own place.)"""
    hrefs = set(HREFS(article))
    if len(hrefs) == 1 and not own_place(next(iter(hrefs))):
        return True
    return len(hrefs) > 1 and has_linked_heading(article, own_place)


def _text_of(el: lxml_html.HtmlElement) -> str:
    """el.text_content(), without its XPath call for an element without children."""
    return element_text(el) if len(el) else el.text or ""


_WORDS = re.compile(r"\w+")


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


_LONGEST_TEASER = 64


def _linked_share(text: str, link_texts: frozenset[str]) -> float:
    """Share of the text's words in lines that are, or open with, a link to another page."""
    # Look up each line's opening words in a table of the link texts by their opening,
    # instead of testing every link text against every line (a link-heavy page has
    # thousands of each). (A link of more than _LONGEST_TEASER words is no teaser.)
    # (A link text is _norm's: words joined by single spaces; only its first three are split off.)
    by_opening: dict[str, list[str]] = {}
    for link in link_texts:
        if 2 <= link.count(" ") < _LONGEST_TEASER:
            by_opening.setdefault(" ".join(link.split(" ", 3)[:3]), []).append(link)
    if not by_opening:
        return 0.0  # no line can be a link: the words need no counting
    total = linked = 0
    for line in text.split("\n"):
        words = _WORDS.findall(line.lower())  # _norm(line) is these, joined
        total += len(words)
        links = by_opening.get(" ".join(words[:3])) if len(words) >= 3 else None
        if links:
            normed = " ".join(words)
            if any(normed == link or normed.startswith(link + " ") for link in links):
                linked += len(words)
    return linked / total if total else 0.0


def word_count(text: str) -> int:
    """The number of words in `text`, counted in unspaced scripts too."""
    # Chinese and Japanese write no spaces between words: a long story was "3 words" to
    # str.split(), and so a page too short to be an article. Their words (as segmenters
    # cut them) average a character and a half: each three count as two.
    return len(text.split()) + unspaced_chars(text) * 2 // 3


def classify(
    page: Page, shape: PageShape, text: str, title: str | None, date_sources: set[str]
) -> str | None:
    """None for an article, else the reason the page is not one."""
    words = word_count(text)
    types = page.ld_types()
    og_type = (page.meta_first("og:type") or "").lower()
    ld_stories = _ld_stories(page)
    if ld_stories >= _MIN_TEASERS:
        # A section page that describes each of its teasers as a NewsArticle: that is a list
        # of stories, for the structure below to judge, and its JSON-LD date is a teaser's.
        date_sources = date_sources - {"json_ld"}
    declared_article = 0 < ld_stories < _MIN_TEASERS or og_type == "article"
    for shown in (title, page.tree.findtext(".//title")):
        if shown and _SOFT_404.search(shown) and words < 150:
            return f"soft 404: title {shown.strip()[:60]!r}"
    if shape.body_chars < _SHELL_CHARS and shape.has_noscript_or_app_root:
        return "javascript-only shell: no text without scripts"
    if words < 20 and _JS_REQUIRED.search(element_text(page.tree)[:5000]):
        return "javascript-only shell: page asks to enable JavaScript"
    if paywalled(page) and words < 120:
        return f"paywall stub: {words} words, isAccessibleForFree false"
    if words == 0:
        return None  # nothing to call an article or not: the status is "empty"
    if not declared_article and types & LISTING_TYPES:
        kind = sorted(types & LISTING_TYPES)[0]
        return f"json-ld type {kind}"
    # Only a page that declares no article, or a short one with teasers, is judged by its
    # linked share: the others are spared the count of every word (0.38 ms a page).
    needs_linked = not declared_article or (shape.link_chars is not None and words < 80)
    linked = _linked_share(text, shape.link_texts) if needs_linked else 0.0
    if linked >= 0.5 and not declared_article:
        return f"listing page: {linked:.0%} of the text is links to other pages"
    teasers = max(shape.article_elements, shape.linked_headings)
    # Teaser blurbs without their (linked) headlines still read like text; a page
    # that declares neither an article nor a date of its own is the listing it looks like.
    undated = not date_sources & {"json_ld", "meta"}
    listing_like = linked >= 0.3 or (not declared_article and undated and words < 400)
    # (link_chars is None exactly when there are fewer than _MIN_TEASERS teasers.)
    if shape.link_chars is not None and listing_like and (not declared_article or words < 80):
        link_density = shape.link_chars / shape.body_chars if shape.body_chars else 1.0
        if link_density > 0.35 or shape.paragraph_chars < 2 * 80 * teasers:
            return f"listing page: {teasers} teasers, link density {link_density:.2f}"
    if not declared_article and not date_sources & {"json_ld", "meta", "html", "url"} and words < 150:
        return f"no article markup, no publication date, {words} words"
    return None


def _ld_stories(page: Page) -> int:
    """How many stories the page's JSON-LD article objects describe: one when an object is
    this page's own (a story may describe its related stories beside itself), or a live blog."""
    articles = page.ld_articles()
    stories = {str(obj.get("headline") or obj.get("name") or obj.get("url") or "") for obj in articles}
    if len(stories) < _MIN_TEASERS:
        return len(stories)
    own = {page_key(url) for url in (page.url, find_canonical(page)) if url}
    for obj in articles:
        if "liveblogposting" in ld_type_names(obj) or own & set(map(page_key, _urls_named(obj))):
            return 1
    return len(stories)


def _urls_named(obj: dict[str, Any]) -> list[str]:
    """The URLs a JSON-LD object gives for the page it is the story of. (Not its "@id": a
    section page may name each teaser's object after itself, "/news#article-3".)"""
    main = obj.get("mainEntityOfPage")
    mains = [main.get("@id"), main.get("url")] if isinstance(main, dict) else [main]
    return [url for url in (obj.get("url"), *mains) if isinstance(url, str)]


def paywalled(page: Page) -> bool:
    """Does the page's JSON-LD say it is not free to read (isAccessibleForFree false)?"""
    for obj in page.json_ld:
        free = obj.get("isAccessibleForFree")
        if free is False or (isinstance(free, str) and free.lower() == "false"):
            return True
    return False
