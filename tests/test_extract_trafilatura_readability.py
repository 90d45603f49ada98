"""Our restated readability (trafilatura_readability.py) gives what trafilatura 2.3.1's fork gives.

Compared on the test pages and on pages made to reach each restated branch: unlikely boxes
nested in unlikely boxes, class and id weights spelt with capitals and with the non-ASCII
letters re.IGNORECASE folds, loose text in divs, and boxes sanitize drops for each reason.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from trafilatura import external
from trafilatura.readability_lxml import REGEXES, Document

from archive.extraction.page import parse_page
from archive.extraction.trafilatura_readability import ReadabilityDocument, _text, try_readability
from tests.extraction_pages import PAGES

URL = "https://news.example.org/2026/11/28/a-story"


def _story(count: int, what: str) -> str:
    return "".join(
        f"<p>{what} {i}: the council said, after a long debate, that the harbour works, the pier "
        f"and the ferry timetable would be reviewed in the spring.</p>"
        for i in range(count)
    )


def _menu(attributes: str) -> str:
    items = "".join(f"<li class='menu-item'><a href='/s{i}'>Section {i}</a> tail {i}</li>" for i in range(4))
    menu = f"<ul class='menu-list' id='menu-{len(attributes)}'>{items}</ul>"
    return f"<div {attributes}>before{menu}after</div>"


# Unlikely boxes in unlikely boxes and beside text, and boxes only the ok-maybe words save.
UNLIKELY_PAGE = (
    "<html><head><title>Unlikely</title></head><body class='sidebar-page'>"
    "<div class='header'>Head <div class='menu'>Menu <span id='footer-x'>x</span></div> tail</div>"
    + _menu("class='site-header'")
    + _menu("id='sidebar'")
    + _menu("class='comment-list' id='main'")
    + "<article class='story'>"
    + _story(5, "First part")
    + "<div class='Sponsor-box'>Sponsored <b class='pager'>p</b></div> loose tail"
    + _story(3, "Second part")
    + "<div class='a' id='b'>short ids</div><div class='' id=''>empty ids</div>"
    + "<div class='com' id='bx'>An unlikely word only across the class and the id</div>"
    + "</article><div class='community'><p class='comment'>One comment, with commas, and more.</p></div>"
    + "<div id='footer'>" + _menu("class='foot-menu'") + "Footer text</div>"
    "</body></html>"
)
# Weights: positive and negative words in capitals, and spelt with the four non-ASCII letters
# re.IGNORECASE matches to ASCII ones (dotted capital I, dotless i, long s, Kelvin sign).
WEIGHTS_PAGE = (
    "<html><body>"
    + "".join(
        f"<div class='{cls}'><div id='{id_}'>{_story(2, cls or id_)}</div>"
        f"<h2 class='{cls}'>Heading for {cls}</h2>{_story(1, 'more')}</div>"
        for cls, id_ in [
            ("ARTICLE-Body", "x"), ("SideBar", "Widget"), ("art\u0131cle", "\u0130nput"),
            ("\u017ftory", "poſt"), ("\u212aiosk", "tags"), ("masthead", "ENTRY"),
            ("comment", "content"), ("promo text", "related"), ("\u0130", "\u0131"),
        ]
    )
    + "</body></html>"
)
# Divs with loose text, tails, line breaks and link wrappers; boxes sanitize drops or keeps
# for each of its reasons (images, lists, inputs, short text, links, embeds, empty between
# long neighbours), headers with links, forms, iframes.
DIVS_PAGE = (
    "<html><body><div id='content'>"
    "<div>Loose text <b>bold</b> tail one<br>tail two<br><i>it</i>  </div>"
    "<div><a href='/only'>a link wrapper</a></div><div><a href='/w'>wrapper</a> with loose text</div>"
    "<div><span><em>inline only, deep</em></span></div><div><picture>pic</picture>text</div>"
    "<div><span>inline, then</span><address>an address block</address></div>"
    "<div><custom-el>custom</custom-el><pre-x>a custom tag that starts like pre</pre-x></div>"
    + _story(6, "Body")
    + "<div>" + "<img src='/i.jpg'>" * 4 + "<p>One paragraph with the images.</p></div>"
    + "<div><ul><li>one</li><li>two</li></ul><p>Short.</p></div>"
    + "<section><input type='hidden'><input type='hidden'><input type='text'><p>Form text here.</p></section>"
    + "<div><input type='text'><p>A paragraph.</p></div>"
    + "<div>tiny</div><div><img src='/a.jpg'><img src='/b.jpg'><img src='/c.jpg'>x</div>"
    + "<aside>Text with <a href='/l'>a long link that takes most of the box</a>.</aside>"
    + "<div class='article'>Weighted text with <a href='/l2'>a long link in most of it</a>.</div>"
    + "<footer><embed src='/e.swf'>Short embed box</footer><header><embed><embed>two embeds and text"
    " long enough to pass the length test for sure</header>"
    + _story(2, "Before the empty box") + "<div> </div>" + _story(2, "After the empty box")
    + "<div><img src='/only.jpg'></div><div><img><img><img><span>three images</span></div>"
    + "<div>Loose text<p>A paragraph in the div.</p>its tail<br>after a break<b>bold</b> bold tail</div>"
    # A link density of 0.45, kept for its positive weight and dropped without it.
    + "".join(f"<section {a}>{'x' * 55} <a href='/d'>{'y' * 44}</a></section>" for a in ("class='post'", ""))
    + "<section><input type='hidden'><span>Hidden input and text long enough to stay.</span></section>"
    + "<div><p><a href='/c'>" + "a, " * 9 + "nine commas in a link</a></p></div>"
    + "<ul>" + "".join(f"<li>List item {i} with its text</li>" for i in range(101)) + "</ul>"
    + "<table><tr><td>" + _story(1, "Cell") + "</td></tr></table>"
    + "<h3><a href='/h'>Linked heading</a></h3><h4 class='comment'>Negative heading</h4>"
    + "<h5>Plain heading</h5>"
    + "<form><p>In a form</p></form><textarea>typed</textarea>"
    + "<iframe src='https://www.youtube.com/embed/x'></iframe><iframe src='/ad'></iframe>"
    + "</div></body></html>"
)
MADE_PAGES = {"unlikely-page": UNLIKELY_PAGE, "weights-page": WEIGHTS_PAGE, "divs-page": DIVS_PAGE}
ALL_PAGES = [*PAGES, *MADE_PAGES]


def _tree(page: Path | str) -> lxml_html.HtmlElement:
    html = page.read_bytes() if isinstance(page, Path) else MADE_PAGES[page].encode()
    return parse_page(html, URL).tree  # type: ignore[return-value]


def _page_id(page: Path | str) -> str:
    return page.name if isinstance(page, Path) else page


def test_there_are_pages_to_compare() -> None:
    assert len(PAGES) > 30


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_summary_is_the_librarys(page: Path | str) -> None:
    tree = _tree(page)
    assert ReadabilityDocument(copy.deepcopy(tree)).summary() == Document(copy.deepcopy(tree)).summary()
    ours, expected = try_readability(copy.deepcopy(tree)), external.try_readability(copy.deepcopy(tree))
    assert etree.tostring(ours) == etree.tostring(expected)


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_each_step_is_the_librarys(page: Path | str) -> None:
    """Step by step on the same tree: what each step leaves, and the scores."""
    ours, theirs = ReadabilityDocument(_tree(page)), Document(_tree(page))
    for document in (ours, theirs):
        for elem in list(document.doc.iter("script", "style", "fencedframe")):
            elem.drop_tree()
    for step in ("remove_unlikely_candidates", "transform_misused_divs_into_paragraphs"):
        getattr(ours, step)()
        getattr(theirs, step)()
        assert etree.tostring(ours.doc) == etree.tostring(theirs.doc), step
    our_scores, their_scores = ours.score_paragraphs(), theirs.score_paragraphs()
    path = ours.doc.getroottree().getpath
    their_path = theirs.doc.getroottree().getpath
    assert [(path(e), c.score) for e, c in our_scores.items()] == [
        (their_path(e), c.score) for e, c in their_scores.items()
    ]
    for elem in ours.doc.iter():
        assert ours.class_weight(elem) == theirs.class_weight(elem)
        assert ours.get_link_density(elem) == theirs.get_link_density(elem)
    body, their_body = ours.doc.find("body"), theirs.doc.find("body")
    assert ours.sanitize(body, our_scores) == theirs.sanitize(their_body, their_scores)


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_text_is_text_content(page: Path | str) -> None:
    for elem in _tree(page).iter():
        assert _text(elem) == elem.text_content()


def test_text_of_odd_nodes_is_text_content() -> None:
    """Comments, processing instructions and CDATA inside an element, tails of each."""
    div = lxml_html.fragment_fromstring("<div>a<!-- comment -->b<p>c<?php echo 1 ?>d</p>e</div>")
    etree.SubElement(div, "span").text = etree.CDATA("cdata")
    div[-1].tail = "tail"
    div.tail = "outside"
    assert _text(div) == div.text_content() == "abcdecdatatail"


def test_the_made_pages_reach_each_branch() -> None:
    """The made pages drop unlikely boxes inside dropped ones, and weigh non-ASCII spellings."""
    document = Document(_tree("unlikely-page"))
    dropped = []
    unlikely, maybe = REGEXES["unlikelyCandidatesRe"], REGEXES["okMaybeItsACandidateRe"]
    for elem in document.doc.iter():
        attrs = " ".join(filter(None, (elem.get("class"), elem.get("id")))).lower()
        if unlikely.search(attrs) and not maybe.search(attrs):
            dropped.append(elem)
    assert any(a in dropped for e in dropped for a in e.iterancestors())
    weights = ReadabilityDocument(_tree("weights-page"))
    for cls, weight in [("art\u0131cle", 25), ("\u017ftory", 25), ("SideBar", -25), ("\u0130", 0)]:
        assert weights.class_weight(lxml_html.fragment_fromstring(f"<div class='{cls}'/>")) == weight, cls


def test_the_weight_patterns_fold_as_lowered() -> None:
    """positiveRe and negativeRe are lowercase ASCII words and hyphens, and only four
    non-ASCII characters match an ASCII letter under re.IGNORECASE (mapped before lowering)."""
    for name in ("positiveRe", "negativeRe"):
        assert re.fullmatch(r"[a-z|-]+", REGEXES[name].pattern), name
        assert REGEXES[name].flags & re.IGNORECASE
    letter = re.compile("[a-z]", re.IGNORECASE)
    assert [c for c in map(chr, range(128, sys.maxunicode + 1)) if letter.fullmatch(c)] == [
        "\u0130", "\u0131", "\u017f", "\u212a"
    ]
