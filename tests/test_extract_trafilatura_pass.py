"""Our restated trafilatura sequence gives what trafilatura's own bare_extraction gives.

archive/extraction/trafilatura_pass.py restates trafilatura 2.3.1's code to skip copies and
Python callbacks; this is what keeps it honest when trafilatura is upgraded.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from trafilatura import bare_extraction
from trafilatura.main_extractor import prune_unwanted_sections
from trafilatura.settings import TAG_CATALOG
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
from archive.extraction.trafilatura_pass import (
    EVERY_HOOK,
    SharedWork,
    _Gates,
    _prune_sections,
    _shape,
    extraction_options,
    page_attributes,
    run_trafilatura,
)
from archive.extraction.trafilatura_xpaths import article_frame, boilerplate_boxes, hidden_boxes

DATA = Path(__file__).parent / "data"
PAGES = sorted([*DATA.glob("quality/*.html"), *DATA.glob("pages/*.html")])
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
    if not gates.prune:
        assert not any(xpath(tree) for xpath in [*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH])
    if not gates.teasers:
        assert not TEASER_DISCARD_XPATH[0](tree)
    if not gates.captions:
        assert not DISCARD_IMAGE_ELEMENTS[0](tree)


def test_the_rules_page_trips_every_python_test() -> None:
    tree = parse_page(RULES_PAGE, URL).tree  # type: ignore[union-attr]
    assert len(boilerplate_boxes(tree)) >= 5 and len(hidden_boxes(tree)) >= 10
    assert article_frame(tree)[0].get("itemprop") == "articleBody"
    assert _Gates.of(page_attributes(tree)) == (True, True, True, True)
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


def test_deleting_the_frame_itself_changes_its_shape() -> None:
    """The frame can be deleted from its parent: its second link-density round then sees a
    frame without a next sibling, and must run."""
    body = lxml_html.fromstring("<html><body><div><p>One</p></div><p>Next</p></body></html>").find("body")
    frame = body[0]
    before = _shape(frame)
    body.remove(frame)
    assert _shape(frame) != before
