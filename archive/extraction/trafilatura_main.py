"""Pieces of trafilatura 2.3.1's tree cleaning and main extractor restated for less work on our trees.

Each function names the trafilatura function it restates and gives the same result for
the arguments trafilatura_pass.py passes; tests/test_extract_trafilatura_main.py compares
each with trafilatura's own on the test pages.
"""

from __future__ import annotations

import re
from copy import copy, deepcopy
from html import unescape

from lxml import etree
from lxml import html as lxml_html
from trafilatura.htmlprocessing import (
    LINK_FARM_RATIO,
    PRESERVE_IMG_CLEANING,
    _handle_forms,
    is_paragraph_listing,
    prune_html,
    recover_math,
)
from trafilatura.settings import INLINE_CONSUMING, MANUALLY_CLEANED, MANUALLY_STRIPPED, Extractor
from trafilatura.utils import trim
from trafilatura.xml import (
    NEWLINE_ELEMS,
    SEPARATORS,
    SPECIAL_FORMATTING,
    _append_tail,
    delete_element,
    process_element,
    replace_element_text,
)

from archive.extraction.trafilatura_xpaths import discarded_boxes

# An HTML parser that makes nothing but documents for plain_copy, each element an HtmlElement.
_COPY_PARSER = lxml_html.HTMLParser()
_COPY_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity,
))


def _string(el: etree._Element) -> str:
    """XPath's string(el), what HtmlElement.text_content() reads, for any element: every text
    node below it, serialised in C (0.7 µs an element, the XPath call 1.3; see element_text)."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


# What may be a space to str.split() in a text encoded in UTF-8: the ASCII spaces, and the
# first bytes of the others (U+0085, U+00A0: C2; U+1680: E1; U+2000-U+205F: E2; U+3000: E3).
_MAYBE_SPACE = bytes(c for c in range(128) if chr(c).isspace()) + b"\xc2\xe1\xe2\xe3"
# What a text's trimmed length is compared with: link_density_test's largest length limit,
# and the share of it its links' text must stay under (two tests, the smaller share).
_LONG = 300
_LINK_SHARE = min(0.9, LINK_FARM_RATIO)


def least_trimmed_length(text: str) -> int:
    """A lower bound of len(trim(text)), read without splitting `text` into words.

    trim keeps every character str.split() does not take for a space; the characters
    counted here as spaces include all of those.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    return len(text) - (len(encoded) - len(encoded.translate(None, _MAYBE_SPACE)))


def _link_holders(subtree: etree._Element, tagname: str) -> list[etree._Element]:
    """The `tagname` elements of `subtree` with a <ref> below them, in document order.

    Walking up from each ref stops at the first holder already marked: its own
    ancestors were marked with it, so each element is visited about once.
    """
    marked: set[etree._Element] = set()
    for ref in subtree.iter("ref"):
        for ancestor in ref.iterancestors(tagname):
            if ancestor in marked:
                break
            marked.add(ancestor)
    return [elem for elem in subtree.iter(tagname) if elem in marked] if marked else []


class _LinkLengths(dict[etree._Element, int]):
    """len(trim(ref.text_content())) of each ref asked about, read once a call: the refs of
    nested elements are the same refs."""

    def __missing__(self, ref: etree._Element) -> int:
        length = self[ref] = len(trim(_string(ref)))
        return length


def _link_density_test(
    elem: etree._Element, links: list[etree._Element], link_lengths: _LinkLengths
) -> tuple[bool, bool]:
    """htmlprocessing.link_density_test (2.3.1), favor_precision off, for an element with
    `links` (its refs) and no <graphic> below it.

    trafilatura trims the whole text of each element it tests, and a page's nested
    wrappers each hold all of it. Its length is only compared with limits of 300 or less
    and with its links' length over 0.9: a lower bound read without trimming settles the
    long texts (nine in ten of the characters it trims).
    """
    lengths = [link_lengths[link] for link in links]
    text = _string(elem)
    if len(text) >= _LONG:
        floor = least_trimmed_length(text)
        if floor >= _LONG and sum(lengths) <= floor * _LINK_SHARE:
            return False, False  # each test below would fail on the exact length too
    text_length = len(trim(text))
    if len(links) == 1 and lengths[0] > 100 and lengths[0] > text_length * 0.9:
        return True, False
    if elem.tag == "p":
        limitlen = 60 if elem.getnext() is None else 30
    elif elem.getnext() is None:
        limitlen = _LONG
    else:
        limitlen = 100
    kept = [length for length in lengths if length]  # collect_link_info drops empty link texts
    if text_length < limitlen:
        if not kept:
            return True, False
        shortelems = sum(1 for length in kept if length < 10)
        return sum(kept) > text_length * 0.8 or (len(kept) > 1 and shortelems / len(kept) > 0.8), True
    if len(links) > 4:
        linklen = sum(kept)
        farm = linklen > text_length * LINK_FARM_RATIO and linklen < 100 * len(kept)
        if farm and not is_paragraph_listing(links):
            return True, False
    return False, False


def delete_by_link_density(subtree: etree._Element, tagname: str, backtracking: bool = False) -> bool:
    """htmlprocessing.delete_by_link_density (2.3.1), favor_precision off, on `subtree` in
    place; whether it removed anything (trafilatura returns `subtree`).

    link_density_test finds nothing to say about an element without a <ref> below it
    (three in four of those it is given): only the others are tested, as _link_density_test
    says, each link's text measured once.
    """
    link_lengths = _LinkLengths()
    graphics = next(subtree.iter("graphic"), None) is not None
    deletions = []
    for elem in _link_holders(subtree, tagname):
        if graphics and elem.find(".//graphic") is not None:
            continue  # image containers are kept
        result, short_with_links = _link_density_test(elem, elem.findall(".//ref"), link_lengths)
        short = backtracking and short_with_links and len(elem) >= 3 and len(trim(_string(elem))) < 100
        if result or short:
            parent = elem.getparent()
            if tagname == "p" and parent is not None and parent.tag in ("item", "td", "th"):
                continue
            deletions.append(elem)
    removed = False
    for elem in dict.fromkeys(deletions):
        removed = removed or elem.getparent() is not None
        delete_element(elem)
    return removed


def plain_copy(tree: lxml_html.HtmlElement, *, hollow_head: bool = False) -> lxml_html.HtmlElement:
    """copy(tree), its elements' classes looked up in C: HtmlElement for all of them.

    A copy keeps its document's parser, and lxml.html's parser looks up each element's
    class in Python (HtmlElementClassLookup.lookup) whenever a walk first touches it: on
    the cleaning and extraction walks of a fast pass, ~900 calls a page. The classes that
    lookup gives forms, inputs, selects, textareas and labels add properties trafilatura
    never reads. Children copied one by one (each with its tail) move into a root made by
    _COPY_PARSER; a root with an attribute name it refuses, or with a tail, is
    copied as it is. `hollow_head`, for a copy tree_cleaning cleans first: a <head> child
    is copied without what cleaning would delete with it (_hollow_copy).
    """
    try:
        root = _COPY_PARSER.makeelement(tree.tag, tree.attrib)
    except (TypeError, ValueError):
        return copy(tree)
    if tree.tail is not None:  # a root's tail is copied with the root only
        return copy(tree)
    root.text = tree.text
    for child in tree:
        root.append(copy(child) if child.tag != "head" or not hollow_head else _hollow_copy(child))
    return root


def _hollow_copy(head: etree._Element) -> etree._Element:
    """`head` without its descendants where tree_cleaning would delete it whole and nothing
    it holds could change what cleaning does to the rest: no <p> (the recall copy's test
    reads the first one) and none of the tags deleted before heads (deleting one whose
    descendant shares its tag ends that tag's walk). Its copy was 14% of the elements copied."""
    cleaned = MANUALLY_CLEANED
    if "head" not in cleaned or next(head.iter("p", *cleaned[:cleaned.index("head")]), None) is not None:
        return copy(head)
    try:
        hollow = _COPY_PARSER.makeelement(head.tag, head.attrib)
    except (TypeError, ValueError):
        return copy(head)
    hollow.tail = head.tail
    return hollow


def tree_cleaning(tree: etree._Element, options: Extractor) -> etree._Element:
    """htmlprocessing.tree_cleaning (2.3.1): prune the tree by discarding unwanted elements.

    trafilatura walks the tree once for each of the 55 tags it deletes; one walk tells
    which of them the tree holds (a handful), and only those are walked again (each
    as trafilatura walks it: deleting an element while iterating skips what follows its
    descendants, and what is deleted depends on that).
    """
    recover_math(tree)
    cleaning_list, stripping_list = MANUALLY_CLEANED.copy(), MANUALLY_STRIPPED.copy()
    clean_forms = "form" in cleaning_list
    if clean_forms:
        cleaning_list.remove("form")
    if not options.tables:
        cleaning_list.extend(["table", "td", "th", "tr"])
    else:
        for elem in tree.iter("figure", "table"):
            if elem.tag == "figure":
                layout = elem.find(".//table") is not None
            else:
                layout = elem.get("role") in ("presentation", "none")
            if layout:
                elem.tag = "div"
    if options.images:
        cleaning_list = [e for e in cleaning_list if e not in PRESERVE_IMG_CLEANING]
        stripping_list.remove("img")
    etree.strip_tags(tree, stripping_list)
    tcopy = None
    if (
        options.focus == "recall"
        and tree.find(".//p") is not None
        and (
            "p" in cleaning_list
            or not any(next(p.iterancestors(cleaning_list), tree) is tree for p in tree.iter("p"))
        )
    ):
        tcopy = deepcopy(tree)
    present = {elem.tag for elem in tree.iter(*cleaning_list)}
    for expression in cleaning_list:
        if expression in present:
            for element in tree.iter(expression):
                delete_element(element)
    if tcopy is not None and tree.find(".//p") is None:
        tree = tcopy
    if clean_forms:
        _handle_forms(tree)
    return prune_html(tree, options.focus)


def prune_discarded(tree: etree._Element) -> etree._Element:
    """htmlprocessing.prune_unwanted_nodes (2.3.1) with OVERALL_DISCARD_XPATH and the backup
    guard: the boxes both its expressions find (trafilatura_xpaths.discarded_boxes, one walk
    instead of two) are deleted unless that would take more than 6/7 of the text; with no
    box found, nothing is read (trafilatura reads the whole text for the guard).
    """
    boxes, hidden = discarded_boxes(tree)
    matches = dict.fromkeys([*boxes, *hidden])
    if not matches:
        return tree
    outer = [elem for elem in matches if not any(a in matches for a in elem.iterancestors())]
    old_len = len(_string(tree))
    if old_len - sum(len(_string(elem)) for elem in outer) > old_len / 7:
        for elem in outer:
            delete_element(elem)
    return tree


def xmltotxt(xmloutput: etree._Element | None) -> str:
    """xml.xmltotxt (2.3.1) without formatting: the plain text of an extracted body (its
    process_element restated in _process_outside where no cell or item encloses an element).

    Its sanitize(text, preserve_space=True) takes each line through line_processing, whose
    replacements of "&#13;", "&#10;" and "&nbsp;" need an "&": without one, each line only
    loses its control characters, read here without the calls in between (and keeping
    the characters printable_text keeps).
    """
    if xmloutput is None:
        return ""
    returnlist: list[str] = []
    _process_outside(xmloutput, returnlist)
    text = "".join(returnlist)
    lines = text.splitlines()
    if "&" in text:
        lines = [_SPACE_ENTITIES.sub(lambda m: _SPACES[m.group(0)], line) for line in lines]
    text = "\n".join(filter(None, map(printable_text, lines))).replace("\u2424", "")
    return unescape(text) if "&" in text else text


_SPACES = {"&#13;": "\r", "&#10;": "\n", "&nbsp;": "\u00a0"}
_SPACE_ENTITIES = re.compile("|".join(_SPACES))
# Format characters that spell words: the zero-width non-joiner and joiner are part of
# Persian, Kurdish and Indic words ("می‌شود") and of emoji. trafilatura's
# remove_control_characters drops every character str.isprintable() refuses, these too,
# which glued Persian words together ("میشود").
_SPELLING_FORMAT_CHARS = frozenset("\u200c\u200d")


def printable_text(line: str) -> str:
    """trafilatura's remove_control_characters, keeping the zero-width (non-)joiners."""
    if line.isprintable():
        return line
    return "".join(c for c in line if c.isprintable() or c.isspace() or c in _SPELLING_FORMAT_CHARS)


# What process_element renders in ways _process_outside leaves to it: cells and items (they
# set in_cell, in_item for their descendants), rows (their head separator), graphics.
_DELEGATED = frozenset({"cell", "item", "row", "graphic"})


def _process_outside(element: etree._Element, returnlist: list[str]) -> None:
    """xml.process_element (2.3.1) without formatting, for an element outside any cell or item.

    There, most of its tests are settled: no marker, no cell bars, no item closing, and
    a block's separator is a newline; what is left is its text, its children, a newline
    or space after it, and its tail. Cells, items, rows and graphics go to process_element.
    """
    tag = element.tag
    if tag in _DELEGATED:
        process_element(element, returnlist, False)
        return
    newline = tag in NEWLINE_ELEMS
    if newline and (returnlist[-1][-1:] if returnlist else "") not in SEPARATORS:
        returnlist.append("\n")
    consumes = tag in INLINE_CONSUMING and len(element) > 0
    renders = bool(element.text) or consumes
    if renders:
        returnlist.append(replace_element_text(element, False))
    else:
        for child in element:
            _process_outside(child, returnlist)
        if not newline:
            return  # nor its tail: process_element returns here too
        returnlist.append("\n")
    if not consumes and renders:
        for child in element:
            _process_outside(child, returnlist)
    if newline:
        returnlist.append("\n")
    elif tag not in SPECIAL_FORMATTING:
        text = " "
        if (returnlist[-1][-1:] if returnlist else "") in SEPARATORS:
            text = ""
        if text:
            returnlist.append(text)
    tail = element.tail
    if tail:
        if tag == "list":
            _append_tail(element, returnlist, False, False)
        else:
            returnlist.append(tail.lstrip() if newline else tail)
