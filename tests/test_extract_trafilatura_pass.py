"""Our restated trafilatura sequence gives what trafilatura's own bare_extraction gives.

archive/extraction/trafilatura_pass.py restates trafilatura 2.3.1's code to skip copies and
Python callbacks; this is what keeps it honest when trafilatura is upgraded.
"""

from __future__ import annotations

import copy
import re
import sys
from functools import partial
from pathlib import Path

import pytest
from justext.core import ParagraphMaker, classify_paragraphs
from justext.utils import normalize_whitespace
from lxml import etree
from lxml import html as lxml_html
from trafilatura import bare_extraction, external
from trafilatura.baseline import basic_cleaning
from trafilatura.baseline import html2txt as library_html2txt
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.main_extractor import extract_content, prune_unwanted_sections
from trafilatura.settings import _COOKIE_CONSENT_RE, BASIC_CLEAN_XPATH, TAG_CATALOG, Extractor
from trafilatura.utils import load_html
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    TEASER_DISCARD_XPATH,
)

from archive.extraction.page import parse_page
from archive.extraction.trafilatura_fallback import (
    _BASIC_CLEAN_WITHOUT_COOKIES,
    COOKIE_HOOKS,
    _all_stopwords,
    compare_extraction,
    html2txt,
    justext_rescue,
    make_paragraphs,
    may_hold_cookie_banner,
    normalize,
)
from archive.extraction.trafilatura_pass import (
    EVERY_HOOK,
    SharedWork,
    _Gates,
    _prune_sections,
    extraction_options,
    page_attributes,
    run_trafilatura,
)
from archive.extraction.trafilatura_xpaths import article_frame, boilerplate_boxes, hidden_boxes
from tests.extraction_pages import PAGES

# (fast, recall): the fast pass, the whole-page pass with its fallback, the recall pass.
MODES = [(True, False), (False, False), (False, True)]
URL = "https://news.example.org/2026/11/28/a-story"


def _box(attributes: str, words: str, tag: str = "div") -> str:
    return f"<{tag} {attributes}><p>{words} is a sentence long enough to be kept as text here.</p></{tag}>"


# One page holding a box for each rule the restated code tests in Python (the discard and
# frame XPaths, the raw-tree prunes), with attributes in both orders where order matters.
RULES_PAGE = (
    "<html><head><title>Rules</title></head><body><div class='wrapper'>"
    + _box("itemprop='articleBody'", "The frame opens", "div")
    + _box("class='article-body'", "A second frame")
    + "".join(f"<p>Paragraph {i} of the story says something new about the harbour works.</p>"
              for i in range(12))
    + _box("id='comments'", "Comment section id")
    + _box("class='comment-list'", "Comment section class", "section")
    + _box("class='infinite-scroll'", "Infinite scroll box")
    + _box("class='share-buttons'", "Share box")
    + _box("role='navigation'", "Navigation role")
    + _box("data-component='MostPopularStories'", "Most popular component")
    + _box("id='main' class='cookie-notice'", "Cookie class after id")
    + _box("class='cookie-notice' id='main2'", "Cookie class before id")
    + _box("data-lp-replacement-content='x'", "Replacement content", "section")
    + _box("class='comments-title'", "Comments title")
    + _box("id='reply-7'", "Reply id")
    + _box("style='display:none'", "Display none")
    + _box("style='display: none'", "Display none spaced")
    + _box("id='box-hidden'", "Hidden id")
    + _box("class='note hidden'", "Hidden class")
    + _box("class='hide-on-mobile'", "Hide class")
    + _box("aria-hidden='true'", "Aria hidden")
    + _box("id='reader-comments'", "Reader comments")
    + _box("class='message'", "Message class")
    + _box("class='teaser'", "Teaser class")
    + _box("id='Teaser-box'", "Teaser id")
    + _box("class='image-caption'", "Caption class")
    + _box("id='post-9' class='reply-box'", "Reply class after id")
    + _box("id='hidden-note' style='color: red'", "Hidden id before style")
    + _box("style='color: red' id='hidden-note2'", "Hidden id after style")
    + "".join(f"<p>Closing paragraph {i} adds the council's view on the harbour works.</p>"
              for i in range(6))
    + "</div></div></body></html>"
).encode()


def library_text(tree: object, fast: bool, recall: bool) -> str:
    document = bare_extraction(copy.deepcopy(tree), url=URL,
                               options=extraction_options(URL, recall=recall, fast=fast))
    return "" if document is None or isinstance(document, dict) else (document.text or "").strip()


def test_there_are_pages_to_compare() -> None:
    assert len(PAGES) > 30


@pytest.mark.parametrize("path", [*PAGES, None], ids=lambda p: p.name if p else "rules-page")
def test_same_text_as_bare_extraction(path: Path | None) -> None:
    page = parse_page(path.read_bytes() if path else RULES_PAGE, URL)
    assert page is not None
    for fast, recall in MODES:
        expected = library_text(page.tree, fast, recall)
        # The gated XPaths skipped where no id or class could match, and all forced on.
        for attributes in (None, EVERY_HOOK):
            ours = run_trafilatura(copy.deepcopy(page.tree), URL, fast=fast, recall=recall,
                                   attributes=attributes)
            assert ours == expected, (path, fast, recall, attributes)


@pytest.mark.parametrize("path", [*PAGES, None], ids=lambda p: p.name if p else "rules-page")
def test_python_tests_find_what_the_xpaths_find(path: Path | None) -> None:
    """Each XPath restated in Python finds the same elements, in the same order."""
    tree = parse_page(path.read_bytes() if path else RULES_PAGE, URL).tree  # type: ignore[union-attr]
    assert boilerplate_boxes(tree) == OVERALL_DISCARD_XPATH[0](tree)
    assert hidden_boxes(tree) == OVERALL_DISCARD_XPATH[1](tree)
    assert article_frame(tree) == BODY_XPATH[0](tree)[:1]
    gates = _Gates.of(page_attributes(tree))
    if not gates.cookies:
        assert _BASIC_CLEAN_WITHOUT_COOKIES(tree) == BASIC_CLEAN_XPATH(tree)
    if not gates.prune:
        assert not any(xpath(tree) for xpath in [*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH])
    if not gates.teasers:
        assert not TEASER_DISCARD_XPATH[0](tree)
    if not gates.captions:
        assert not DISCARD_IMAGE_ELEMENTS[0](tree)


@pytest.mark.parametrize("path", [*PAGES, None], ids=lambda p: p.name if p else "rules-page")
def test_page_attributes_are_every_id_and_class(path: Path | None) -> None:
    """In any order: the gates only look for substrings within one value."""
    tree = parse_page(path.read_bytes() if path else RULES_PAGE, URL).tree  # type: ignore[union-attr]
    values = "\n".join(tree.xpath("//@id | //@class"))
    assert sorted(page_attributes(tree).split("\n")) == sorted(values.split("\n"))


def test_the_rules_page_trips_every_python_test() -> None:
    tree = parse_page(RULES_PAGE, URL).tree  # type: ignore[union-attr]
    assert len(boilerplate_boxes(tree)) >= 5 and len(hidden_boxes(tree)) >= 10
    assert article_frame(tree)[0].get("itemprop") == "articleBody"
    gates = _Gates.of(page_attributes(tree))
    assert gates[:3] == (True, True, True) and gates.cookies
    assert TEASER_DISCARD_XPATH[0](tree) and DISCARD_IMAGE_ELEMENTS[0](tree)


# Each of BODY_XPATH[0]'s tests alone (the rules page's first frame only exercises one),
# with a decoy before it that only an over-eager test would take.
FRAME_BOXES = ["class='post'", "class='entry'", "itemprop='articleBody'", "id='articleContent'",
               "id='story-body-text'", "class='main post-body'", "id='post' class='x'"]


@pytest.mark.parametrize("attributes", FRAME_BOXES)
def test_each_frame_test_finds_what_the_xpath_finds(attributes: str) -> None:
    page = (f"<html><body><div class='posts' id='entry-list'><p>Decoy.</p></div>"
            f"<section {attributes}><p>The frame.</p></section></body></html>").encode()
    tree = parse_page(page, URL).tree  # type: ignore[union-attr]
    expected = BODY_XPATH[0](tree)[:1]
    assert article_frame(tree) == expected
    assert attributes == "id='post' class='x'" or expected[0].tag == "section"


# Characters trafilatura's repair deletes (control bytes, U+FFFE, U+FFFF), and ones it keeps.
ODD_CHARACTERS = [chr(c) for c in range(0x20)] + ["\ufffe", "\uffff", "\ufffd", "\u00e9"]


@pytest.mark.parametrize("char", ODD_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_parsed_tree_is_trafilaturas(char: str) -> None:
    """parse_page skips trafilatura's repair where the page needs none: the tree is the same."""
    page = f"<!DOCTYPE html>\n<html><body><p>One {char} two.</p></body></html>".encode()
    ours = parse_page(page, URL).tree  # type: ignore[union-attr]
    assert etree.tostring(ours) == etree.tostring(load_html(page))


def _paragraphs(count: int, what: str) -> str:
    return "".join(f"<p>{what} {i} tells what the council decided about the harbour works and the ferry.</p>"
                   for i in range(count))


# Text outside paragraphs, for each kind of element the main extractor handles there: loose
# text in divs (kept as paragraphs when the frame's paragraphs are short), a w3-code div, line
# breaks, struck text, headings, a quote, text in sections; with short paragraphs and with
# enough paragraphs for loose text in divs to be dropped.
LOOSE_TEXT = (
    "<div>Loose text in a div, long enough to count as a sentence for the extractor here.</div>"
    "<div class='w3-code'>print('hello')<br>x = 1</div>"
    "<div>Before a break<br>after the break comes a loose line of text that is long enough.</div>"
    "<div><s>Struck text that was removed from the story later on by the editors.</s> Its tail.</div>"
    "<h2>A heading over the rest</h2><blockquote>A quoted line said by the mayor at the pier.</blockquote>"
    "<section>Section text directly in a section element, long enough to count here.</section>"
    "<section>Intro words<br>After the break in a section comes text long enough to keep.</section>"
)
LOOSE_PAGES = {
    name: f"<html><body><article>{LOOSE_TEXT}{paragraphs}</article></body></html>".encode()
    for name, paragraphs in [("loose-short", "<p>Short one.</p>"), ("loose-long", _paragraphs(14, "Long"))]
}


@pytest.mark.parametrize("name", LOOSE_PAGES)
def test_loose_text_as_bare_extraction(name: str) -> None:
    tree = parse_page(LOOSE_PAGES[name], URL).tree  # type: ignore[union-attr]
    for fast, recall in MODES:
        expected = library_text(tree, fast, recall)
        assert run_trafilatura(copy.deepcopy(tree), URL, fast=fast, recall=recall) == expected, (fast, recall)
    assert "Struck text" in expected and "After the break in a section" in expected
    assert "print('hello')" in expected and ("Loose text" in expected) == (name == "loose-short")


# A short article beside a long sidebar: the whole-page pass retries in recall mode, which
# keeps the teasers the balanced pass drops.
RETRY_PAGE = (
    "<html><head><title>Retry</title></head><body><article>" + _paragraphs(3, "Lead paragraph")
    + "<div class='teaser'>" + _paragraphs(1, "Teaser paragraph") + "</div>"
    + "<section class='teaser'>" + _paragraphs(1, "Teaser two") + "</section></article>"
    + "<div class='sidebar'>" + _paragraphs(80, "Side note") + "</div></body></html>"
).encode()


@pytest.mark.parametrize("path", [*PAGES, None], ids=lambda p: p.name if p else "retry-page")
def test_recall_pass_after_the_whole_page_pass(path: Path | None) -> None:
    """The recall pass takes the whole-page pass's recall retry: still bare_extraction's text."""
    tree = parse_page(path.read_bytes() if path else RETRY_PAGE, URL).tree  # type: ignore[union-attr]
    shared: SharedWork = {}
    assert run_trafilatura(tree, URL, shared=shared) == library_text(tree, fast=False, recall=False)
    wider = run_trafilatura(tree, URL, recall=True, shared=shared)
    assert wider == library_text(tree, fast=False, recall=True)
    assert shared or path is not None  # the retry page has one to take
    assert run_trafilatura(tree, URL, shared=shared) == library_text(tree, fast=False, recall=False)
    # Another page's retry is not taken.
    other = parse_page(RULES_PAGE, URL).tree  # type: ignore[union-attr]
    wider = run_trafilatura(other, URL, recall=True, shared=shared)
    assert wider == library_text(other, fast=False, recall=True)


# A frame whose second link-density round deletes what the first left: the first round's
# list deletion leaves the other list link-dense enough to go.
TWO_ROUNDS_FRAME = (
    "<div><list><item><ref>timetable</ref></item><item>council timetable repairs ferry works harbour</item>"
    "<item>decided harbour council ferry</item>"
    "<item>council council pier spring harbour ferry works ferry ferry repairs</item>"
    "<item><ref>decided</ref></item></list><list><item><ref>timetable works</ref></item><item>harbour</item>"
    "<item><ref>ferry harbour repairs spring</ref></item></list></div>"
)


@pytest.mark.parametrize("frame", [TWO_ROUNDS_FRAME, RETRY_PAGE.decode(), RULES_PAGE.decode()])
def test_section_pruning_is_trafilaturas(frame: str) -> None:
    tree = lxml_html.fromstring(f"<html><body>{frame}</body></html>").find("body")[0]
    options = extraction_options(URL)
    tags = {*TAG_CATALOG, "table", "td", "th", "tr"}
    expected = prune_unwanted_sections(copy.deepcopy(tree), set(tags), options)
    ours = _prune_sections(copy.deepcopy(tree), set(tags), options, _Gates.of(EVERY_HOOK))
    assert etree.tostring(ours) == etree.tostring(expected)


# What jusText's paragraph maker reads beside paragraphs: line breaks (two make a paragraph
# break), links, comments, a namespaced tag, a select, odd spaces; a cookie banner for basic_cleaning.
JUSTEXT_PAGE = (
    "<html><head><title>jusText</title></head><body><div class='cookie-banner'>"
    "We use cookies.</div>"
    + _paragraphs(4, "Opening paragraph. It said that the ferry will run on time from the spring, when")
    + "<div>Loose text<br>after one break<br><br>after two\r\n breaks<br><br><br>and three</div>"
    + "<p>A <a href='/x'>link\tin</a> text <!-- a comment --> with\u00a0odd \u2003 spaces</p>"
    + "<ul><li><a href='/a'>Home</a></li><li><a href='/b'>News page</a></li></ul>"
    + "<select><option>Choose one of the many options offered to every reader here today</option></select>"
    + "<svg:g>namespaced</svg:g><p>\u00a9 2026 The Harbour Gazette and its many contributors everywhere.</p>"
    + "<footer>Footer text</footer><aside>Aside text</aside>" + _paragraphs(3, "Closing paragraph")
    # Few stopwords: 24% of the words (long enough to be good), 28%, 11%.
    + "<p>Harbour council approved ferry timetable repairs Tuesday: spring works budget four million"
    " crowns, pier extension, dredging contract signed, Nordvik Marine Ltd.</p>"
    + "<p>Harbour council ferry timetable repairs approved Tuesday: spring works budget four million"
    " crowns, pier extension, dredging contract signed.</p>"
    + "<p>Harbour approved ferry timetable repairs Tuesday: budget four million crowns, pier extension,"
    " dredging contract signed, Nordvik Marine Ltd.</p>"
    + "</body></html>"
).encode()
# One paragraph jusText keeps, shorter than a main text must be: a short main text longer
# than it keeps its place.
SHORT_PAGE = (
    "<html><body><ul>" + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30)) + "</ul>"
    "<div><p>Harbour council approved ferry timetable repairs Tuesday: spring works budget four million"
    " crowns, pier extension, dredging contract signed, Nordvik Marine Ltd.</p></div></body></html>"
).encode()
FALLBACK_PAGES = [*PAGES, JUSTEXT_PAGE, SHORT_PAGE]


def _page_id(page: Path | bytes) -> str:
    return page.name if isinstance(page, Path) else "justext-page" if page is JUSTEXT_PAGE else "short-page"


def _fallback_tree(page: Path | bytes) -> lxml_html.HtmlElement:
    return parse_page(page.read_bytes() if isinstance(page, Path) else page, URL).tree  # type: ignore[union-attr]


def _both_gates(tree: lxml_html.HtmlElement) -> list[bool]:
    """The cookie gate as the page sets it, and forced on."""
    return sorted({_Gates.of(page_attributes(tree)).cookies, True})


@pytest.mark.parametrize("path", FALLBACK_PAGES, ids=_page_id)
def test_paragraphs_are_justexts(path: Path | bytes) -> None:
    tree = basic_cleaning(_fallback_tree(path))
    expected = ParagraphMaker.make_paragraphs(tree)
    ours = make_paragraphs(tree)
    assert [(p.text, p.dom_path, p.chars_count_in_links) for p in ours] == [
        (p.text, p.dom_path, p.chars_count_in_links) for p in expected
    ]
    stoplist = _all_stopwords()
    classify_paragraphs(expected, stoplist, 50, 150, 0.1, 0.2, 0.25, True)
    for paragraph in ours:
        paragraph.classify(stoplist)
    assert [p.cf_class for p in ours] == [p.cf_class for p in expected]


@pytest.mark.parametrize("path", FALLBACK_PAGES, ids=_page_id)
def test_justext_rescue_is_trafilaturas(path: Path | bytes) -> None:
    tree = _fallback_tree(path)
    options = extraction_options(URL)
    for cleaned in (False, True):
        source = tree_cleaning(copy.deepcopy(tree), options) if cleaned else tree
        body, text = external.justext_rescue(copy.deepcopy(source), options)
        for cookies in _both_gates(tree):
            our_body, our_text = justext_rescue(copy.deepcopy(source), options, cookies)
            assert (etree.tostring(our_body), our_text) == (etree.tostring(body), text)
    assert path is not JUSTEXT_PAGE or "when 1 tells" in text


@pytest.mark.parametrize("path", FALLBACK_PAGES, ids=_page_id)
def test_html2txt_is_trafilaturas(path: Path | bytes) -> None:
    tree = _fallback_tree(path)
    before = etree.tostring(tree)
    for cookies in _both_gates(tree):
        assert html2txt(tree, cookies) == library_html2txt(tree)
    assert etree.tostring(tree) == before


def _clean_copy(tree: lxml_html.HtmlElement, options: Extractor) -> lxml_html.HtmlElement:
    return tree_cleaning(copy.deepcopy(tree), options)


@pytest.mark.parametrize("path", FALLBACK_PAGES, ids=_page_id)
def test_compare_extraction_is_trafilaturas(path: Path | bytes) -> None:
    """For the main extraction, an empty one (jusText runs) and a short one (readability wins);
    also with one dict of readability summaries for all the comparisons on the page."""
    tree = _fallback_tree(path)
    before = etree.tostring(tree)
    summaries: dict[etree._Element, str] = {}
    for recall in (False, True):
        options = extraction_options(URL, recall=recall)
        cleaned = convert_tags(tree_cleaning(copy.deepcopy(tree), options), options, options.url)
        main_body, main_text = extract_content(cleaned, options)
        candidates = [(main_body, main_text), (etree.Element("body"), "")]
        for length in (60, options.min_extracted_size - 1):  # readability wins; jusText's may be shorter
            short_body = etree.Element("body")
            etree.SubElement(short_body, "p").text = main_text[:length]
            candidates.append((short_body, main_text[:length]))
        for body, text in candidates:
            expected = external.compare_extraction(tree_cleaning(copy.deepcopy(tree), options),
                                                   copy.deepcopy(tree), copy.deepcopy(body), text, options)
            for cookies in _both_gates(tree):
                for kept in (None, summaries):
                    ours = compare_extraction(tree, partial(_clean_copy, tree, options),
                                              copy.deepcopy(body), text, options, cookies, kept)
                    assert (etree.tostring(ours[0]), ours[1]) == (etree.tostring(expected[0]), expected[1])
    assert list(summaries) == [tree] and etree.tostring(tree) == before


SPACES = ["", "a", " ", "\n", "\r", "\t", "\u00a0", "\u2003", "\x1c", "\x85"]


def test_normalize_is_justexts() -> None:
    for a in SPACES:
        for b in SPACES:
            for c in SPACES:
                text = f"x{a}{b}y{c}{a}z{b}"
                assert normalize(text) == normalize_whitespace(text), repr(text)


def test_paragraphs_of_odd_nodes_are_justexts() -> None:
    """Comments and processing instructions (the parser turns both into comments), namespaced tags."""
    tree = lxml_html.document_fromstring("<html><body><p>One <!-- c --> two</p><div>Three</div></body>")
    paragraph = tree.find(".//p")
    instruction = etree.ProcessingInstruction("php", "echo 1")
    instruction.tail = " after the instruction"
    paragraph.append(instruction)
    etree.SubElement(paragraph, "{http://www.w3.org/2000/svg}a").text = "namespaced link"
    etree.SubElement(tree.find(".//div"), "{http://www.w3.org/2000/svg}p").text = "namespaced paragraph"
    tree.addprevious(etree.ProcessingInstruction("before"))
    tree.addnext(etree.ProcessingInstruction("after"))
    expected = ParagraphMaker.make_paragraphs(tree)
    assert [(p.text, p.dom_path, p.chars_count_in_links) for p in make_paragraphs(tree)] == [
        (p.text, p.dom_path, p.chars_count_in_links) for p in expected
    ]
    assert len(expected) == 3 and "two after the instructionnamespaced link" in expected[0].text
    tree.find(".//div").append(etree.Entity("amp"))
    with pytest.raises(TypeError):
        ParagraphMaker.make_paragraphs(tree)
    with pytest.raises(TypeError):
        make_paragraphs(tree)


def test_the_cookie_gate_misses_no_cookie_banner() -> None:
    """may_hold_cookie_banner is true wherever BASIC_CLEAN_XPATH's re:test(..., 'i') can match."""
    assert _COOKIE_CONSENT_RE.lower() == _COOKIE_CONSENT_RE
    # Each alternative holds a hook (none is inside parentheses: those hold no hook-bearing ones).
    depth, alternatives = 0, [""]
    for char in _COOKIE_CONSENT_RE:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            alternatives.append("")
        else:
            alternatives[-1] += char
    assert len(alternatives) == 8 and all(any(h in alt for h in COOKIE_HOOKS) for alt in alternatives)
    # The characters other than ASCII letters that re.IGNORECASE lets match an ASCII letter.
    letter = re.compile("[a-z]", re.IGNORECASE)
    assert [c for c in map(chr, range(128, sys.maxunicode + 1)) if letter.fullmatch(c)] == [
        "\u0130", "\u0131", "\u017f", "\u212a"
    ]
    banner = re.compile(_COOKIE_CONSENT_RE, re.IGNORECASE)
    for value in ["COOKIE-BANNER", "site-coo\u212aie_notice", "COOK\u0130E-law", "cook\u0131e-bar",
                  "borlab\u017f", "Notice--Cookie", "x\nconsent-SDK", "Moove_GDPR", "OneTrust"]:
        assert banner.search(value) and may_hold_cookie_banner(f"wrapper\n{value}\nmain"), value
    for value in ["cookie", "consent", "wrapper\nmain", "cookie\nbanner"]:
        assert not banner.search(value) and not may_hold_cookie_banner(value), value
