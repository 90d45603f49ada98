"""trafilatura 2.3.1's external comparison (readability, then jusText) restated for our passes.

What it leaves out of trafilatura's `external.compare_extraction`, `justext_rescue` and
`baseline.html2txt` (jusText 3.0.2 underneath), same results:
- basic_cleaning's cookie-banner test, a re:test calling back into Python for every
  element (4 ms a call), where no id or class on the page could match it;
- jusText rebuilding its set of 154,484 stopwords (all languages) on every call;
- jusText's SAX events, with a Python call per element, attribute map and namespace
  lookup, and a path string and XPath built for every paragraph: a tree walk makes the
  same paragraphs, each with its text joined and normalized once instead of on every read;
- the copies of the page the comparison takes before it knows it needs them: the
  cleaned one only jusText reads, the raw one the recall bypass never reads;
- readability's work (trafilatura_readability.py restates it), and with `summaries` its
  second run on the same tree (a pass's main extraction and its recall retry).

tests/test_extract_trafilatura_pass.py compares each function with trafilatura's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import copy
from functools import cache

from justext.core import PARAGRAPH_TAGS, revise_paragraph_classification
from justext.utils import _replace_whitespace, get_stoplist
from lxml import etree
from lxml import html as lxml_html
from trafilatura import external
from trafilatura.baseline import _spaced_text, basic_cleaning
from trafilatura.external import (
    JUSTEXT_OVERRIDE_RATIO,
    SANITIZED_XPATH,
    _prefer_readability,
    jt_stoplist_init,
    sanitize_tree,
)
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.settings import _COOKIE_CONSENT_RE, BASIC_CLEAN_XPATH, JUSTEXT_LANGUAGES, Extractor
from trafilatura.utils import trim
from trafilatura.xml import delete_element
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from archive.extraction.trafilatura_readability import summarize, summary_tree, try_readability

# BASIC_CLEAN_XPATH is a union of tag and footer tests (in C) and a cookie-banner test by
# regex on the id and class. Where no id or class matches the regex, the rest finds the same.
_BASIC_CLEAN_TAGS, _cookie_test, _cookie_rest = BASIC_CLEAN_XPATH.path.partition("|.//*[re:test(@class, ")
assert _cookie_test and _COOKIE_CONSENT_RE in _cookie_rest, "trafilatura's BASIC_CLEAN_XPATH changed"
_BASIC_CLEAN_WITHOUT_COOKIES = etree.XPath(_BASIC_CLEAN_TAGS)
# re:test(..., 'i') is re.search with re.IGNORECASE, 1.8 ms on a page's ids and classes; on
# lowered text without it, a tenth of that, and the words every match holds rule out most pages.
# Besides ASCII capitals, re.IGNORECASE lets these four match the pattern's lowercase letters
# (the tests check there are no others): mapped to them, a match in any case is a match here.
_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
COOKIE_HOOKS = ("cookie", "consent", "borlabs", "cmplz", "onetrust", "moove")
_COOKIE_BANNER_LOWER = re.compile(_COOKIE_CONSENT_RE)


def may_hold_cookie_banner(attributes: str) -> bool:
    """Whether a value in `attributes` (page_attributes: one a line) may match BASIC_CLEAN_XPATH's
    cookie-banner test: always if one does (the pattern matches no newline), seldom if none does."""
    low = attributes.lower()
    if not low.isascii():
        low = attributes.translate(_TO_ASCII).lower()
    return any(hook in low for hook in COOKIE_HOOKS) and _COOKIE_BANNER_LOWER.search(low) is not None


def clean_basically(tree: lxml_html.HtmlElement, cookies: bool) -> lxml_html.HtmlElement:
    """baseline.basic_cleaning; `cookies`: may_hold_cookie_banner of the page's ids and classes."""
    if cookies:
        return basic_cleaning(tree)
    for elem in _BASIC_CLEAN_WITHOUT_COOKIES(tree):
        delete_element(elem)  # type: ignore[arg-type]
    return tree


def html2txt(tree: lxml_html.HtmlElement, cookies: bool) -> str:
    """baseline.html2txt(tree): the text of a cleaned copy of its body (the tree is left as is)."""
    body = tree.find(".//body")
    # Only the body is read: copying it alone spares the head.
    return _spaced_text(clean_basically(copy(tree if body is None else body), cookies))


def compare_extraction(
    tree: lxml_html.HtmlElement,
    cleaned: Callable[[], lxml_html.HtmlElement],
    body: etree._Element,
    text: str,
    options: Extractor,
    cookies: bool,
    summaries: dict[etree._Element, str] | None = None,
) -> tuple[etree._Element, str]:
    """external.compare_extraction: the main extraction, readability's or jusText's.

    `tree` is the uncleaned page, left as it is (readability gets a copy); `cleaned()`
    makes the cleaned, unconverted tree jusText reads, on the few pages where it runs.
    `summaries`: one dict for the comparisons made on the same trees, unchanged in between
    (a pass's main extraction and its recall retry): readability runs once on each.
    """
    len_text = len(text)
    if options.focus == "recall" and len_text > options.min_extracted_size * 10:
        return body, text
    if options.focus == "precision":
        temppost_algo = try_readability(prune_unwanted_nodes(copy(tree), OVERALL_DISCARD_XPATH))
    else:
        temppost_algo = summary_tree(_summary(tree, summaries))
    algo_text = trim(etree.tostring(temppost_algo, method="text", encoding="utf-8").decode("utf-8"))
    len_algo = len(algo_text)
    use_readability = _prefer_readability(body, temppost_algo, algo_text, len_text, len_algo, options)
    if use_readability:
        body, text, len_text = temppost_algo, algo_text, len_algo
    unclean = bool(body.xpath(SANITIZED_XPATH))
    if unclean or len_text < options.min_extracted_size:
        body2, text2 = justext_rescue(cleaned(), options, cookies)
        len_text2 = len(text2)
        if unclean:
            accept = len_text <= JUSTEXT_OVERRIDE_RATIO * len_text2 and (
                len_text2 > len_text or not options.images or body.find(".//graphic") is None
            )
        else:
            accept = len_text < len_text2
        if text2 and accept:
            body, text, len_text = body2, text2, len_text2
            use_readability = False
    if use_readability:
        body, text = sanitize_tree(body, options)  # type: ignore[arg-type]
    return body, text


def _summary(tree: lxml_html.HtmlElement, summaries: dict[etree._Element, str] | None) -> str | None:
    """Readability's summary of a copy of `tree`, kept in `summaries` (a failed run is run again,
    to log its failure as trafilatura does on each)."""
    summary = None if summaries is None else summaries.get(tree)
    if summary is None:
        summary = summarize(copy(tree))
        if summaries is not None and summary is not None:
            summaries[tree] = summary
    return summary


def justext_rescue(
    tree: lxml_html.HtmlElement, options: Extractor, cookies: bool
) -> tuple[etree._Element, str]:
    """external.justext_rescue, try_justext inlined: jusText's good paragraphs (cleans `tree` in place)."""
    tree = clean_basically(tree, cookies)
    result_body = etree.Element("body")
    if options.lang in JUSTEXT_LANGUAGES:
        stoplist = _stoplist(JUSTEXT_LANGUAGES[options.lang])
    else:
        stoplist = _all_stopwords()
    try:
        paragraphs = make_paragraphs(tree)
        for paragraph in paragraphs:
            paragraph.classify(stoplist)
        revise_paragraph_classification(paragraphs, 150)
    except Exception:  # noqa: BLE001 - as try_justext: a failed jusText run finds nothing
        pass
    else:
        for paragraph in paragraphs:
            if paragraph.class_type == "good":
                etree.SubElement(result_body, "p").text = paragraph.text
    return result_body, trim(" ".join(result_body.itertext()))


@cache
def _all_stopwords() -> frozenset[str]:
    """jusText's define_stoplist(JT_STOPLIST): built on every call there (12 ms), once here."""
    return frozenset(w.lower() for w in (external.JT_STOPLIST or jt_stoplist_init()))


@cache
def _stoplist(language: str) -> frozenset[str]:
    return frozenset(w.lower() for w in get_stoplist(language))


# normalize_whitespace replaces each whitespace run by "\n" if it holds a line break, else
# by " ": the runs it leaves as they are (one space, one "\n") need not reach its Python
# callback, which it calls once per space between words.
_CHANGED_WHITESPACE = re.compile(r"\s{2,}|[^\S \n]")


def normalize(text: str) -> str:
    """justext.utils.normalize_whitespace(text)."""
    return _CHANGED_WHITESPACE.sub(_replace_whitespace, text)


class Paragraph:
    """What jusText's classification reads of its Paragraph (never heading: trafilatura
    classifies with no_headings=True)."""

    __slots__ = ("dom_path", "text_nodes", "chars_count_in_links", "text", "cf_class", "class_type")
    heading = False

    def __init__(self, dom_path: str) -> None:
        self.dom_path = dom_path
        self.text_nodes: list[str] = []
        self.chars_count_in_links = 0
        self.text = ""
        self.cf_class = self.class_type = ""

    def classify(self, stoplist: frozenset[str]) -> None:
        """justext.core.classify_paragraphs with trafilatura's arguments (50, 150, 0.1, 0.2, 0.25, True)."""
        text = self.text
        length = len(text)
        too_many_links = length and self.chars_count_in_links / length > 0.25
        if too_many_links or "\xa9" in text or "&copy" in text or "select" in self.dom_path:
            self.cf_class = "bad"
        elif length < 50:
            self.cf_class = "bad" if self.chars_count_in_links > 0 else "short"
        else:
            words = text.split()
            density = sum(map(stoplist.__contains__, map(str.lower, words))) / len(words) if words else 0
            if density >= 0.2:
                self.cf_class = "good" if length > 150 else "neargood"
            else:
                self.cf_class = "neargood" if density >= 0.1 else "bad"


def make_paragraphs(root: etree._Element) -> list[Paragraph]:
    """justext.core.ParagraphMaker.make_paragraphs(root): the same paragraphs, by a tree walk
    firing what lxml.sax.saxify would (processing instructions beside the root included)."""
    maker = _ParagraphMaker()
    before = []
    sibling = root.getprevious()
    while sibling is not None and sibling.tag is etree.ProcessingInstruction:
        before.append(sibling)
        sibling = sibling.getprevious()
    for sibling in reversed(before):
        maker.characters(sibling.tail)
    maker.walk(root)
    sibling = root.getnext()
    while sibling is not None and sibling.tag is etree.ProcessingInstruction:
        maker.characters(sibling.tail)
        sibling = sibling.getnext()
    maker.new_paragraph()
    for paragraph in maker.paragraphs:
        paragraph.text = normalize("".join(paragraph.text_nodes).strip())
    return maker.paragraphs


class _ParagraphMaker:
    """justext.core.ParagraphMaker's state and handlers (less the counts nothing reads)."""

    def __init__(self) -> None:
        self.path: list[str] = []
        self.paragraphs: list[Paragraph] = []
        self.paragraph = Paragraph("")
        self.link = False
        self.br = False

    def new_paragraph(self) -> None:
        if self.paragraph.text_nodes:
            self.paragraphs.append(self.paragraph)
        self.paragraph = Paragraph(".".join(self.path))

    def characters(self, content: str | None) -> None:
        if not content or content.isspace():
            return
        text = normalize(content)
        self.paragraph.text_nodes.append(text)
        if self.link:
            self.paragraph.chars_count_in_links += len(text)
        self.br = False

    def walk(self, elem: etree._Element) -> None:
        tag = elem.tag
        if tag is etree.Comment or tag is etree.ProcessingInstruction:
            self.characters(elem.tail)
            return
        if not isinstance(tag, str):
            raise TypeError(f"no SAX events for {tag!r}")  # as saxify, which fails on entities
        name = tag.rpartition("}")[2]  # the local name
        self.path.append(name)
        if name in PARAGRAPH_TAGS or (name == "br" and self.br):
            self.new_paragraph()
        else:
            self.br = name == "br"
            if self.br:
                self.paragraph.text_nodes.append(" ")
            elif name == "a":
                self.link = True
        self.characters(elem.text)
        for child in elem:
            self.walk(child)
        self.path.pop()
        if name in PARAGRAPH_TAGS:
            self.new_paragraph()
        if name == "a":
            self.link = False
        self.characters(elem.tail)
