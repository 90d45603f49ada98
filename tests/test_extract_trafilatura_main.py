"""archive/extraction/trafilatura_main.py does what trafilatura's own functions do.

It restates pieces of trafilatura 2.3.1's main extractor to spare work; these tests compare
each with the library's function on the test pages and on pages made to sit on every limit
the restated tests read.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from trafilatura.htmlprocessing import convert_tags, link_density_test, prune_unwanted_nodes
from trafilatura.htmlprocessing import delete_by_link_density as library_delete_by_link_density
from trafilatura.htmlprocessing import tree_cleaning as library_tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import trim
from trafilatura.xml import xmltotxt as library_xmltotxt
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from archive.extraction.page import parse_page
from archive.extraction.trafilatura_main import (
    _link_density_test,
    _LinkLengths,
    delete_by_link_density,
    least_trimmed_length,
    plain_copy,
    prune_discarded,
    tree_cleaning,
    xmltotxt,
)
from archive.extraction.trafilatura_pass import extraction_options
from tests.extraction_pages import DATA, PAGES

URL = "https://news.example.org/2026/11/28/a-story"
MODES = [(False, False), (True, False), (False, True)]  # (recall, fast)
SPACES = [" ", "\u00a0", "\u3000", " \u2003 ", "\n\t", "\u2028"]
# Words parted by each kind of space, and long words: a text with few spaces has about as
# many characters as its trimmed length.
WORDINGS = [("harbour", space) for space in SPACES] + [("harbourmasters" * 4, " ")]


def _words(length: int, space: str, word: str = "harbour") -> str:
    """A text of about `length` characters once trimmed, its words parted by `space`."""
    text = ""
    while len(text) < length:
        text += (space if text else "") + word
    return text[:length]


def _case(
    text_length: int, link_share: float, wording: tuple[str, str], links: int, follower: bool, tag: str
) -> str:
    word, space = wording
    link_length = int(text_length * link_share / links)
    plain = _words(max(text_length - link_length * links, 1), space, word)
    anchors = "".join(f"<a href='/l{i}'>{_words(link_length, space, word)}</a> " for i in range(links))
    inner = f"<p>{plain} {anchors}</p>" if tag == "div" else f"{plain} {anchors}"
    box = f"<{tag}>{inner}</{tag}>" if tag != "ul" else f"<ul><li>{plain}</li><li>{anchors}</li></ul>"
    return f"<section>{box}{'<div>after</div>' if follower else ''}</section>"


def _limits_page() -> bytes:
    """Boxes whose text lengths sit on each limit link_density_test reads (30, 60, 100, 300),
    with their links' share of the text on each of its shares (0.8, 0.9), in one, three and
    six links, words parted by spaces str.split() takes and ASCII ones."""
    cases = [
        _case(length, share, wording, links, follower, tag)
        for length in (20, 29, 31, 59, 61, 99, 101, 150, 299, 301, 340, 400, 1200)
        for share in (0.5, 0.79, 0.85, 0.89, 0.95, 1.0)
        for wording in WORDINGS
        for links in (1, 3, 6)
        for follower in (False, True)
        for tag in ("div", "p", "ul")
    ]
    return ("<html><body><div class='wrapper'>" + "".join(cases) + "</div></body></html>").encode()


# Furniture beside the limits: single links about 100 characters long, short links four in
# five, empty links, nested wrappers, a listing (each link alone in its paragraph), an image
# container, a link-dense paragraph in a list item, a long text of four links.
SHAPES_PAGE = (
    "<html><body><div><div><div>"
    + "<p><a href='/long'>" + _words(140, " ") + "</a> and a little more</p>"
    + "".join(f"<div><a href='/s{n}'>{'x' * n}</a> and more</div>" for n in (99, 100, 101))
    + "".join(f"<div>{'a' * n} <a href='/a'>a</a><a href='/b'>b</a><a href='/c'>c</a><a href='/d'>d</a>"
              f"<a href='/e'>{'e' * 20}</a></div>" for n in (2, 8, 30))
    + "<div><a href='/e1'></a><a href='/e2'> </a><a href='/e3'><img src='x.png'></a> short</div>"
    + "<div>" + "".join(f"<p><a href='/d{i}'>Document {i} of the series</a></p>" for i in range(8)) + "</div>"
    + "<div>" + "".join(f"<a href='/f{i}'>Farm link {i}</a> " for i in range(30)) + "</div>"
    + "<div><graphic src='g.png'></graphic><a href='/g'>Linked caption</a></div>"
    + "<ul><li><p><a href='/i'>Item link</a></p></li><li>" + _words(400, " ") + "</li></ul>"
    + "<div>" + "".join(f"<a href='/q{i}'>{_words(80, ' ')}</a>" for i in range(4)) + " four links</div>"
    + "<div><a href='/n'><a href='/m'>nested</a> links</a> and text</div>"
    + "<p>" + _words(500, " ") + "</p>"
    + "</div></div></div></body></html>"
).encode()
MADE_PAGES = {"limits-page": _limits_page(), "shapes-page": SHAPES_PAGE}


def _converted(page: Path | str) -> etree._Element:
    """The tree trafilatura's main extractor starts from: cleaned and converted."""
    raw = page.read_bytes() if isinstance(page, Path) else MADE_PAGES[page]
    tree = parse_page(raw, URL).tree  # type: ignore[union-attr]
    options = extraction_options(URL)
    return convert_tags(library_tree_cleaning(copy.deepcopy(tree), options), options, options.url)


ALL_PAGES = [*PAGES, *MADE_PAGES]


def _page_id(page: Path | str) -> str:
    return page.name if isinstance(page, Path) else page


def test_the_pages_hold_links() -> None:
    assert len(PAGES) > 30
    assert len(_converted("limits-page").findall(".//ref")) > 5000


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_link_density_test_is_trafilaturas(page: Path | str) -> None:
    """On every element with a link and no image below it, in each tag trafilatura tests."""
    tree = _converted(page)
    lengths = _LinkLengths()
    tested = 0
    for elem in tree.iter("div", "list", "p", "section", "item"):
        links = elem.findall(".//ref")
        if links and elem.find(".//graphic") is None:
            assert _link_density_test(elem, links, lengths) == link_density_test(elem), etree.tostring(elem)
            tested += 1
    assert tested or isinstance(page, Path)


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_delete_by_link_density_is_trafilaturas(page: Path | str) -> None:
    """trafilatura's two rounds over divs, lists and paragraphs, on the body and on each box."""
    tree = _converted(page)
    for frame in [tree.find(".//body"), *tree.iter("section", "article")]:
        if frame is None:
            continue
        ours, theirs = copy.deepcopy(frame), copy.deepcopy(frame)
        for tagname in ("div", "list", "p") * 2:
            before = etree.tostring(theirs)
            theirs = library_delete_by_link_density(theirs, tagname, backtracking=tagname == "div")
            removed = delete_by_link_density(ours, tagname, backtracking=tagname == "div")
            assert etree.tostring(ours) == etree.tostring(theirs)
            assert removed == (etree.tostring(theirs) != before)


def test_the_limits_page_deletes_and_keeps() -> None:
    frame = _converted("limits-page").find(".//body")
    before = len(frame.findall(".//ref"))
    for tagname in ("div", "list", "p"):
        assert delete_by_link_density(frame, tagname, backtracking=tagname == "div")
    assert 0 < len(frame.findall(".//ref")) < before


def test_deleting_the_frame_itself_is_a_removal() -> None:
    """The frame can be deleted from its parent: that counts as a removal."""
    body = lxml_html.fromstring(
        "<html><body><div><a href='/x'>Only a link</a></div><p>Next</p></body></html>"
    ).find("body")
    frame = body[0]
    frame[0].tag = "ref"
    assert delete_by_link_density(frame, "div")
    assert frame.getparent() is None and len(body) == 1
    assert not delete_by_link_density(frame, "div")  # a frame without a parent stays as it is


def test_least_trimmed_length_is_a_lower_bound() -> None:
    # Every character str.split() takes for a space is ASCII or starts with a byte the bound counts.
    for char in map(chr, range(sys.maxunicode + 1)):
        if char.isspace():
            assert char.isascii() or char.encode()[0] in b"\xc2\xe1\xe2\xe3", hex(ord(char))
    texts = [f"{a}x{b}yy{c}\u00e9{a}" for a in SPACES for b in SPACES for c in ["", *SPACES]]
    texts += ["", " ", "\u3000", "\u2003word\u2014word\u3000", "\u65e5\u672c\u8a9e \u3042", "\U0001f600 a"]
    for text in texts:
        assert least_trimmed_length(text) <= len(trim(text)), repr(text)
    assert least_trimmed_length("one two\tthree") == 11


# What tree_cleaning deletes, nested (an aside in an aside, then another: lxml's walk skips
# what follows a deleted element's descendants), forms (a wrapper and a widget), formulas,
# tables in figures and layout tables, empty elements; and a page whose paragraphs are all
# in deleted elements (recall mode keeps them).
CLEANING_PAGE = (
    b"<html><body><form id='aspnetForm'><div><aside><p>Aside</p><aside>Inner aside</aside></aside>"
    b"<aside>Second aside</aside><p>First paragraph of the story, long enough to be kept as it is.</p>"
    b"<nav><ul><li><a href='/'>Home</a></li></ul><nav>inner nav</nav></nav><footer>Footer</footer>"
    b"<p>Formula <math alttext='x^2'><mi>x</mi></math> and <math display='block'><semantics><mi>y</mi>"
    b"<annotation encoding='application/x-tex'>y_1</annotation></semantics></math> after.</p>"
    b"<figure><table><tr><td>Figure table</td></tr></table></figure><figure><img src='a.png'></figure>"
    b"<table role='presentation'><tr><td>Layout cell</td></tr></table><div><span></span><p></p>tail</div>"
    b"<script>var x;</script><style>p {}</style><select><option>One</option></select>"
    b"<picture><source srcset='a.png'><img src='a.png'></picture><button>Press</button></div>"
    b"<form><input name='q'><label>Search</label></form></form></body></html>"
)
ONLY_ASIDES_PAGE = (
    b"<html><body><aside><p>Only paragraph, in an aside.</p></aside><div>Loose text</div></body></html>"
)


def _option_sets() -> list[Extractor]:
    options = [extraction_options(URL, recall=recall, fast=fast) for recall, fast in MODES]
    no_tables = copy.copy(options[0])
    no_tables.tables = False
    images = copy.copy(options[0])
    images.images = True
    return [*options, no_tables, images]


CLEANING_PAGES = [*PAGES, CLEANING_PAGE, ONLY_ASIDES_PAGE]


@pytest.mark.parametrize("page", CLEANING_PAGES, ids=lambda p: getattr(p, "name", "made"))
def test_tree_cleaning_is_trafilaturas(page: Path | bytes) -> None:
    tree = parse_page(page.read_bytes() if isinstance(page, Path) else page, URL).tree  # type: ignore[union-attr]
    for options in _option_sets():
        expected = etree.tostring(library_tree_cleaning(copy.deepcopy(tree), options))
        assert etree.tostring(tree_cleaning(copy.deepcopy(tree), options)) == expected, options.focus


def test_the_cleaning_page_is_cleaned() -> None:
    tree = parse_page(CLEANING_PAGE, URL).tree  # type: ignore[union-attr]
    text = etree.tostring(tree_cleaning(tree, extraction_options(URL)), encoding="unicode")
    assert "Inner aside" not in text and "inner nav" not in text and "Footer" not in text
    assert "First paragraph" in text and "\\[y_1\\]" in text and "Layout cell" in text


# Boxes OVERALL_DISCARD_XPATH finds, nested in each other (only the outer ones go) and around
# the text: a share box holding most of it stays (the guard), the others go.
DISCARD_PAGE = (
    b"<html><body><div class='wrapper'><div class='share-buttons'><p>Share</p>"
    b"<div style='display:none'>Hidden in a share box</div></div>"
    b"<p>A paragraph of the story that is long enough to be most of the text here.</p>"
    b"<div role='navigation'><ul><li>Home</li></ul></div><p aria-hidden='true'>Hidden</p>"
    b"<div id='reader-comments'>Comments</div></div></body></html>"
)
GUARD_PAGE = (
    b"<html><body><div><div class='share-buttons'><p>Nearly all of the text of the page is in this"
    b" share box, which the guard keeps in place.</p></div><p>Rest.</p></div></body></html>"
)
# The guard's limit: a box holding 85 of 100 characters (up to 6/7 of the text goes), and a box
# of 50 holding a hidden one of 40 (counted once: it goes).
LIMIT_PAGE = (
    b"<html><body><div><div class='share'>" + b"s" * 85 + b"</div><p>" + b"r" * 15 + b"</p></div></body>"
)
NESTED_PAGE = (
    b"<html><body><div><div class='share'>" + b"s" * 10 + b"<p style='display:none'>" + b"h" * 40
    + b"</p></div><p>" + b"r" * 50 + b"</p></div></body></html>"
)


@pytest.mark.parametrize("page", [*PAGES, DISCARD_PAGE, GUARD_PAGE, LIMIT_PAGE, NESTED_PAGE],
                         ids=lambda p: getattr(p, "name", "made"))
def test_prune_discarded_is_trafilaturas(page: Path | bytes) -> None:
    tree = parse_page(page.read_bytes() if isinstance(page, Path) else page, URL).tree  # type: ignore[union-attr]
    options = extraction_options(URL)
    converted = convert_tags(library_tree_cleaning(tree, options), options, options.url)
    for frame in [converted, *converted.iter("div", "article", "main", "section")]:
        expected = prune_unwanted_nodes(copy.deepcopy(frame), OVERALL_DISCARD_XPATH, with_backup=True)
        assert etree.tostring(prune_discarded(copy.deepcopy(frame))) == etree.tostring(expected)


def test_the_discard_pages_delete_and_keep() -> None:
    kept = etree.tostring(prune_discarded(parse_page(DISCARD_PAGE, URL).tree))  # type: ignore[union-attr]
    assert b"A paragraph" in kept and b"Share" not in kept and b"Home" not in kept and b"Hidden" not in kept
    outcomes = [(GUARD_PAGE, b"Nearly all", b"\0"), (LIMIT_PAGE, b"rr", b"ss"), (NESTED_PAGE, b"rr", b"hh")]
    for page, kept, gone in outcomes:
        pruned = etree.tostring(prune_discarded(parse_page(page, URL).tree))  # type: ignore[union-attr]
        assert kept in pruned and gone not in pruned, page


# Bodies as the extractor leaves them, with what sanitize handles: escaped line breaks and
# spaces (which need an "&"), characters str.isprintable() refuses (tab, zero-width space, soft
# hyphen), the line-break mark, blank lines, lists, cells.
ODD_ESCAPES = "<p>One&amp;#10;two &amp;nbsp; three&amp;#13;four &amp;amp; five</p>"
ODD_BODY = (
    "<body><p>Tab\tand zero\u200bwidth and soft\u00adhyphen</p><p>Mark \u2424 here</p><p>   </p>"
    "<head>Title</head><list><item>First</item><item>Second<lb/>line</item></list>"
    "<table><row><cell>A</cell><cell>B</cell></row></table><quote>Quoted\u00a0text</quote></body>"
)


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_id)
def test_xmltotxt_is_trafilaturas(page: Path | str) -> None:
    for recall in (False, True):
        options = extraction_options(URL, recall=recall)
        body, _ = extract_content(_converted(page), options)
        assert xmltotxt(body) == library_xmltotxt(body, False)
    assert xmltotxt(None) == library_xmltotxt(None, False) == ""


@pytest.mark.parametrize("escapes", ["", ODD_ESCAPES])
def test_xmltotxt_of_odd_text_is_trafilaturas(escapes: str) -> None:
    body = etree.fromstring(ODD_BODY.replace("<body>", f"<body>{escapes}"))
    expected = library_xmltotxt(body, False)
    assert xmltotxt(body) == expected
    assert "\u200b" not in expected and "\u2424" not in expected and "\n\n" not in expected
    assert ("&" in "".join(body.itertext())) == bool(escapes)


def _odd_roots() -> list[lxml_html.HtmlElement]:
    """Roots plain_copy must copy as they are: text before the first child, a tail, attribute
    names etree would refuse (the HTML parser keeps them), comments and a form among the children."""
    lead = lxml_html.fromstring(b'<html lang="en" xmlns:og="o" xml:lang="en"><body><p>A</p></body></html>')
    lead.text = "lead text"
    tailed = lxml_html.fromstring(b"<html><body><form><input name=q></form><!-- c --><p>B</p></body></html>")
    tailed.tail = "after"
    refused = lxml_html.fromstring(b'<html {a}="1" b="2"><head><title>T</title></head><body>C</body></html>')
    return [lead, tailed, refused]


@pytest.mark.parametrize("tree", [*(parse_page((DATA / p).read_bytes(), URL).tree for p in PAGES[::4]),
                                  *_odd_roots()])
def test_plain_copy_is_a_copy(tree: lxml_html.HtmlElement) -> None:
    made = plain_copy(tree)
    assert made is not tree and made.getparent() is None and made.getroottree().getroot() is made
    assert etree.tostring(made) == etree.tostring(copy.copy(tree))
    assert made.tail == tree.tail
    assert all(isinstance(e, lxml_html.HtmlMixin) for e in made.iter() if isinstance(e.tag, str))
    assert made.xpath("//*") == list(made.iter("*"))  # absolute paths start at the copy's root
    for elem in made.iter():
        elem.text = "changed"
    assert all(elem.text != "changed" for elem in tree.iter())


def test_plain_copy_looks_classes_up_in_c() -> None:
    """The elements of a plain copy of a parsed page are plain HtmlElements, not the form classes
    lxml.html's lookup gives (which is how one sees the Python lookup was not called)."""
    tree = lxml_html.fromstring(b"<html><body><form><input name=q><label>L</label></form></body></html>")
    assert {type(e).__name__ for e in plain_copy(tree).iter()} == {"HtmlElement"}
    assert "FormElement" in {type(e).__name__ for e in copy.copy(tree).iter()}


def _odd_heads() -> list[lxml_html.HtmlElement]:
    """Heads whose content changes what tree_cleaning does: nested asides (the first one deleted
    ends the walk over asides, so the body's aside stays), and the only <p> of the page (in recall
    mode tree_cleaning keeps a copy of the tree for it, and returns that copy)."""
    nested = lxml_html.fromstring(b"<html><head></head><body><aside>Out</aside><p>Kept</p></body></html>")
    outer = etree.SubElement(nested[0], "aside")
    etree.SubElement(outer, "aside").text = "inner"
    only_p = lxml_html.fromstring(b"<html><head><title>T</title></head><body><div>Text</div></body></html>")
    etree.SubElement(only_p[0], "p").text = "A paragraph in the head"
    return [nested, only_p]


@pytest.mark.parametrize("tree", [*(parse_page((DATA / p).read_bytes(), URL).tree for p in PAGES[::3]),
                                  *_odd_heads()])
def test_a_hollow_head_is_cleaned_as_trafilatura_cleans(tree: lxml_html.HtmlElement) -> None:
    for recall in (False, True):
        options = extraction_options(URL, recall=recall)
        expected = etree.tostring(library_tree_cleaning(copy.copy(tree), options))
        assert etree.tostring(tree_cleaning(plain_copy(tree, hollow_head=True), options)) == expected


def test_a_head_is_hollowed() -> None:
    tree = parse_page((DATA / PAGES[0]).read_bytes(), URL).tree
    assert tree is not None and tree[0].tag == "head" and len(tree[0])
    assert len(plain_copy(tree, hollow_head=True)[0]) == 0


# Bodies in the shapes each branch of _process_outside handles: blocks after loose text,
# textless blocks, inline elements empty or not (with tails), lists with tails (inside items
# and out), rows with head cells, graphics, line breaks, code, and text after every one.
SHAPE_BODIES = [
    "<body>loose<p>After loose</p>tail<hi>hi</hi> <hi/>lost tail<del>d<hi>x</hi>y</del>z"
    "<list><item>One</item><item>Two<list><item>Sub</item></list> item tail</item></list>  list tail "
    "<p/>  p tail<head>H</head><lb/>  lb tail<quote><p>In quote</p></quote><code>c</code>after code"
    "<table><row><cell role='head'>A</cell><cell>B</cell></row><row><cell>1<p>para</p></cell></row></table>"
    "<graphic src='x.png' alt='alt'/> graphic tail<div>div text<p>inner</p></div>div tail<ref>r</ref></body>",
    "<body><p>first</p><p> </p><list><item/></list><p><hi>only inline</hi></p>end</body>",
    "<body>text only</body>",
    "<body/>",
]


@pytest.mark.parametrize("markup", SHAPE_BODIES)
def test_xmltotxt_of_shapes_is_trafilaturas(markup: str) -> None:
    body = etree.fromstring(markup)
    assert xmltotxt(body) == library_xmltotxt(body, False)
