"""Main text of the page: trafilatura on the parsed tree, comments excluded."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from copy import copy
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html
from trafilatura.baseline import baseline, html2txt
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.external import compare_extraction, justext_rescue
from trafilatura.htmlprocessing import (
    convert_tags,
    delete_by_link_density,
    link_density_test_tables,
    process_node,
    prune_unwanted_nodes,
    tree_cleaning,
)
from trafilatura.main_extractor import (
    NOT_AT_THE_END,
    REBUILT_BLOCKS,
    _elem_text,
    handle_textelem,
    recover_wild_text,
)
from trafilatura.settings import (
    INLINE_FORMATTABLE,
    MIN_DUPLICATE_LENGTH,
    TAG_CATALOG,
    Extractor,
)
from trafilatura.utils import SPACING_PROTECTED, text_chars_test
from trafilatura.xml import delete_element, xmltotxt
from trafilatura.xpaths import (
    _ARTICLE_CONTENT_CLASS_TOKENS,
    _ARTICLE_CONTENT_ID_TOKENS,
    _OVERALL_DISCARD_BOTH_TOKENS,
    _OVERALL_DISCARD_CLASS_TOKENS,
    _OVERALL_DISCARD_ID_TOKENS,
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    TEASER_DISCARD_XPATH,
    _alt,
)

# Built once: an Extractor reads its numbers from a ConfigParser, 0.1 ms each time.
_OPTIONS = {
    (recall, fast): Extractor(
        output_format="python", comments=False, tables=True, dedup=False, with_metadata=False,
        recall=recall, fast=fast,
    )
    for recall in (False, True)
    for fast in (False, True)
}


def extraction_options(url: str, *, recall: bool = False, fast: bool = False) -> Extractor:
    # One options object per page; dedup stays off: trafilatura's dedup cache is
    # process-wide, so results would depend on what the worker extracted before.
    options = copy(_OPTIONS[recall, fast])
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")  # as Extractor(url=url) sets it
    return options


def number_ordered_lists(tree: lxml_html.HtmlElement) -> None:
    """Write the numbers a browser shows before ordered list items into their text.

    trafilatura renders every list item as "- item"; "3. Step three" is what the
    reader sees, and the number is often referred to in the text.
    """
    for ol in tree.iter("ol"):
        try:
            number = int(ol.get("start", "1"))
        except ValueError:
            number = 1
        step = -1 if ol.get("reversed") is not None else 1
        for li in ol.iterchildren("li"):
            first = (li.text or "").lstrip()
            if not first[:1].isdigit():
                li.text = f"{number}. {li.text or ''}"
            number += step


# Text in these is not the article's, whatever its length.
_OUTSIDE_CONTENT = frozenset(
    {"nav", "footer", "aside", "header", "form", "figure", "figcaption", "script", "style",
     "noscript", "button", "select", "template"}
)
# The smallest element holding this share of the page's prose is its content root.
_ROOT_SHARE = 0.6
# ... and the smallest holding this share is all trafilatura needs to see. (At 0.95 the
# branch is most of the page and saves nothing; at 0.6, the root alone, intros are lost.)
_BRANCH_SHARE = 0.8
# A root widened out of a foldout must gain this much prose around it.
_FOLDOUT_GAIN = 1.2
_MIN_BLOCK_CHARS = 40
_MIN_DIV_TEXT = 80
_RECALL_GAIN = 1.5
_RECALL_BELOW = 0.7
# <article>s whose text is each under this share of the page's prose are teaser cards,
# not the body (judged by text, not prose: a body of lists and tables has little prose).
_MARKUP_SHARE = 0.1
# Outside these shares of the page's prose, the main pass alone is not trusted.
_FALLBACK_BELOW, _FALLBACK_ABOVE = 0.6, 1.5


def _prose_weight(el: lxml_html.HtmlElement) -> int:
    """Characters of prose an element contributes itself (links excluded), 0 if it is no block."""
    if el.tag in ("p", "pre", "blockquote"):
        text = el.text_content()
        links = sum(len(a.text_content()) for a in el.iter("a")) if el.tag == "p" else 0
        return max(0, len(text.strip()) - links)
    # Pages built from <div>s alone: a div whose own text is a paragraph counts as one.
    own = (el.text or "") + "".join(child.tail or "" for child in el)
    return len(own.strip()) if len(own.strip()) >= _MIN_DIV_TEXT else 0


def _outside_content(el: lxml_html.HtmlElement) -> bool:
    # Tag-filtered in C: a Python test on every ancestor of every block cost more.
    return next(el.iterancestors(*_OUTSIDE_CONTENT), None) is not None


def _unlinked_chars(el: lxml_html.HtmlElement) -> int:
    """Characters of an element's text outside links: a list of teasers has next to none."""
    text = len(el.text_content().strip())
    return text - sum(len(a.text_content()) for a in el.iter("a")) if text >= _MIN_BLOCK_CHARS else 0


@dataclass
class Prose:
    """Where a page's prose is: the content root (if markup names none) and its total size."""

    root: lxml_html.HtmlElement | None
    total_chars: int
    # Text of the list items, headings and table rows outside page furniture: with the
    # paragraphs, what a complete extraction of the page could hold.
    other_chars: int = 0
    # The deepest element holding _BRANCH_SHARE of the prose: what trafilatura needs to see.
    branch: lxml_html.HtmlElement | None = None


def find_prose(tree: lxml_html.HtmlElement) -> Prose:
    """The deepest element holding most of the page's prose, unless markup already names one."""
    blocks = []
    for el in tree.iter("p", "div", "section", "td", "pre", "blockquote"):
        weight = _prose_weight(el)
        if weight >= _MIN_BLOCK_CHARS:
            blocks.append((el, weight))
    total = sum(weight for _, weight in blocks)
    _unwrap_swallowing_headers(blocks, total)
    weights: dict[lxml_html.HtmlElement, int] = {}
    content = 0
    for el, weight in blocks:
        if _outside_content(el):
            continue
        content += weight
        for ancestor in el.iterancestors():
            weights[ancestor] = weights.get(ancestor, 0) + weight
    other = sum(
        chars for el in tree.iter("li", "dd", "h2", "h3", "h4", "tr")
        if (chars := _unlinked_chars(el)) >= _MIN_BLOCK_CHARS and not _outside_content(el)
    )
    best, best_depth = None, -1
    branch, branch_depth = None, -1
    for element, weight in weights.items():
        if weight >= _ROOT_SHARE * content:
            depth = sum(1 for _ in element.iterancestors())
            if depth > best_depth:
                best, best_depth = element, depth
            # Elements holding over half the prose form one chain: this is an ancestor of best.
            if weight >= _BRANCH_SHARE * content and depth > branch_depth:
                branch, branch_depth = element, depth
    marked = tree.xpath('//article | //*[@itemprop="articleBody"]')
    if marked and max(len(el.text_content()) for el in marked) >= _MARKUP_SHARE * total:
        # trafilatura chooses among the marked elements: it must see them all.
        return Prose(None, total, other, _enclosing(branch, marked))
    if best is not None:
        best = _outside_foldouts(best, weights)
    if best is not None:
        best = _with_split_parts(best, weights)
    if best is None or best.tag in ("body", "html"):
        return Prose(None, total, other)
    for card in marked:
        # Every <article> on the page is a teaser card (the markup names no body):
        # trafilatura would take the first card for the article.
        card.tag = "div" if card.tag == "article" else card.tag
        card.attrib.pop("itemprop", None)
    return Prose(best, total, other, _enclosing(branch, [best]))


def _enclosing(
    branch: lxml_html.HtmlElement | None, elements: list[lxml_html.HtmlElement]
) -> lxml_html.HtmlElement | None:
    """`branch`, widened until it holds every one of `elements`."""
    while branch is not None and not all(
        el is branch or any(a is branch for a in el.iterancestors()) for el in elements
    ):
        branch = branch.getparent()
    return branch


def _with_split_parts(
    root: lxml_html.HtmlElement, weights: dict[lxml_html.HtmlElement, int]
) -> lxml_html.HtmlElement:
    """A body split into sibling blocks of one kind (around an embed, a table, an ad) is their parent.

    Page builders write each stretch of text between two embeds as its own rich-text
    block; the one holding most of the prose would otherwise stand for the whole body.
    """
    parent = root.getparent()
    if parent is None or parent.tag in ("body", "html") or not root.get("class"):
        return root
    kind = (root.tag, root.get("class"))
    for sibling in parent:
        if sibling is not root and (sibling.tag, sibling.get("class")) == kind and weights.get(sibling):
            return parent
    return root


# Accordions, FAQ lists and tab panels hold answers folded away from the reader.
_FOLDOUT = re.compile(r"accordion|faq|tab-?panel|collaps")
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr"})


def _outside_foldouts(
    root: lxml_html.HtmlElement, weights: dict[lxml_html.HtmlElement, int]
) -> lxml_html.HtmlElement | None:
    """A content root inside an accordion, FAQ or data table widens to the container around it.

    A long FAQ can outweigh the article it closes, and a table of long descriptions the
    introduction above it; taken alone as the body, either loses the article's own text.
    """
    foldout = None
    for el in (root, *root.iterancestors()):
        if _FOLDOUT.search(f"{el.get('class', '')} {el.get('id', '')}".lower()):
            foldout = el
    # A row group or table is data; a single cell of a layout table can be the body.
    table = root if root.tag == "table" else next(root.iterancestors("table"), None)
    if foldout is None and root.tag in _TABLE_PARTS and table is not None:
        foldout = table
    if foldout is None:
        return root
    inside = weights.get(foldout, 0)
    for ancestor in foldout.iterancestors():
        if weights.get(ancestor, 0) >= _FOLDOUT_GAIN * inside:
            return ancestor
    return None if foldout is not table else root


def _unwrap_swallowing_headers(blocks: list[tuple[lxml_html.HtmlElement, int]], total: int) -> None:
    """A <header>, <nav> or <button> left open swallows the page that follows it, and some
    frameworks wrap the whole page in one <form>: make it a plain <div>.

    Browsers show such pages fine; parsers nest the whole article inside the header, menu
    or button, and trafilatura drops those with everything in them.
    """
    inside: dict[lxml_html.HtmlElement, int] = {}
    for el, weight in blocks:
        for wrapper in el.iterancestors("header", "nav", "button", "form"):
            inside[wrapper] = inside.get(wrapper, 0) + weight
    for wrapper, weight in inside.items():
        if weight > 0.5 * total:
            wrapper.tag = "div"


# Every id and class on the page, read in C as plain strings.
_IDS_AND_CLASSES = etree.XPath("//@id | //@class", smart_strings=False)
# What an id or class must contain for trafilatura's raw-tree prunes (RAW_TREE_PRUNE_XPATH,
# REMOVE_COMMENTS_AND_LISTS_XPATH) to match: "[Cc]omment", "comol", "disqus_thread",
# "dsq-comments", "mvp-post-add-(box|wrap)", "infinite-?scroll", "elementor-share-buttons".
_PRUNE_HOOKS = ("omment", "comol", "disqus_thread", "dsq-comments", "mvp-post-add-", "infinite",
                "elementor-share-buttons")


def _may_prune(tree: lxml_html.HtmlElement) -> bool:
    """Whether trafilatura's raw-tree prunes can remove anything from `tree`.

    Their XPaths call back into Python for every div and section of each tree they are
    given (1.6 ms a pass); on 756 of 793 dev pages no id or class comes near them.
    """
    values = "\n".join(_IDS_AND_CLASSES(tree))
    return any(hook in values for hook in _PRUNE_HOOKS)


def _trafilatura(
    tree: lxml_html.HtmlElement, url: str, *, recall: bool = False, fast: bool = False, prunable: bool = True
) -> str:
    """bare_extraction(tree, options=extraction_options(...)).text, stripped, for our options.

    trafilatura_sequence inlined for comments off (the only branches we reach), less the
    work it would waste on our trees: the copy bare_extraction makes for prunes that
    match nothing (`prunable` False: the tree is only read after them), and in the fast
    pass the pre-conversion backup only the external comparison reads.
    """
    options = extraction_options(url, recall=recall, fast=fast)
    try:
        body, text = _sequence(tree, options, prunable)
    except (TypeError, ValueError):  # bare_extraction discards the page on these
        return ""
    if len(text) < options.min_output_size and options.min_output_comm_size > 0:
        return ""  # no comments are extracted: too short
    return (xmltotxt(body, options.formatting) or "").strip()


def _sequence(
    tree: lxml_html.HtmlElement, options: Extractor, prunable: bool
) -> tuple[etree._Element, str]:
    """trafilatura.core.trafilatura_sequence (2.3.1), comments off and never in precision mode.

    The main text's body and its plain text; `tree` is left as it is.
    """
    is_forum = _forum_thread_page(tree)
    if prunable:
        tree = prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH)
        if not is_forum:
            tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    body, text = _extract_and_compare(tree, options)
    # 3. Baseline rescue on the uncleaned tree, kept only if it adds text.
    if len(text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(text):
            body, text = b_body, b_text
    # 4. Recall escalation of a short text covering little of the page.
    if (
        options.focus == "balanced"
        and 0 < len(text) < ESCALATION_MAX_LENGTH
        and len(text) < ESCALATION_PAGE_SHARE * len(html2txt(tree))
    ):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = j_text = ""
        with suppress(Exception):  # as trafilatura: a failed candidate is no candidate
            r_body, r_text = _extract_and_compare(tree, r_options)  # trafilatura's _recall_retry
        if not options.fast:
            with suppress(Exception):
                j_body, j_text = justext_rescue(copy(tree), options)
        if len(j_text) > len(r_text) and len(j_text) > ESCALATION_JUSTEXT_RATIO * len(text):
            body, text = j_body, j_text
        elif len(r_text) >= options.min_extracted_size and len(r_text) > ESCALATION_ACCEPT_RATIO * len(text):
            body, text = r_body, r_text
    return body, text


def _extract_and_compare(tree: lxml_html.HtmlElement, options: Extractor) -> tuple[etree._Element, str]:
    """Stages 1-2: the main extractor, then the external comparison unless in fast mode."""
    cleaned = tree_cleaning(copy(tree), options)
    # The pre-conversion backup feeds the comparison only: the fast pass needs no copy.
    backup = None if options.fast else copy(cleaned)
    cleaned = convert_tags(cleaned, options, options.url)
    body, text = _extract_content(cleaned, options, lambda: _cleaned(tree, options))
    if backup is not None:
        body, text = compare_extraction(backup, copy(tree), body, text, options)
    return body, text


# trafilatura's OVERALL_DISCARD_XPATH, with the same matches in the same order, tested in
# Python on the elements that carry an attribute it reads: its re:test predicates call
# back into Python for every element of the article (2 ms a pass, 0.75 this way).
_DISCARD_CANDIDATES = (
    etree.XPath(
        ".//*[self::div or self::item or self::list or self::p or self::section or self::span]"
        "[@id or @class or @role or @data-component or @data-lp-replacement-content]"
    ),
    etree.XPath(".//*[@id or @class or @style or @aria-hidden]"),
)
_DISCARD_ID = re.compile(_alt(_OVERALL_DISCARD_BOTH_TOKENS + _OVERALL_DISCARD_ID_TOKENS))
_DISCARD_CLASS = re.compile(_alt(_OVERALL_DISCARD_BOTH_TOKENS + _OVERALL_DISCARD_CLASS_TOKENS))
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide"
    "|noprint|notloaded"
)


def _first_of(el: etree._Element, first: str, second: str) -> str:
    """XPath's string(@first|@second): the value of whichever comes first in the source."""
    a, b = el.get(first), el.get(second)
    if a is None or b is None:
        return a or b or ""
    keys = el.keys()
    return a if keys.index(first) < keys.index(second) else b


def _boilerplate_boxes(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[0]: navigation, sharing, ads, footers... by id, class and role."""
    return [
        el for el in _DISCARD_CANDIDATES[0](tree)
        if el.get("data-lp-replacement-content") is not None
        or "nav" in (el.get("role") or "").replace("N", "n")
        or "MostPopularStories" in (el.get("data-component") or "")
        or "cookie" in _first_of(el, "id", "class")
        or _DISCARD_ID.search(el.get("id") or "")
        or _DISCARD_CLASS.search(el.get("class") or "")
    ]


def _hidden_boxes(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[1]: hidden elements and comment furniture."""
    return [
        el for el in _DISCARD_CANDIDATES[1](tree)
        if el.get("class") == "comments-title"
        or _first_of(el, "id", "class").startswith("reply-")
        or "hidden" in _first_of(el, "id", "style")
        or "display:none" in (el.get("style") or "")
        or "display: none" in (el.get("style") or "")
        or _HIDDEN_ID.search(el.get("id") or "")
        or _HIDDEN_CLASS.search(el.get("class") or "")
        or el.get("aria-hidden") == "true"
    ]


_OVERALL_DISCARD = [_boilerplate_boxes, _hidden_boxes]

# BODY_XPATH[0] likewise: its re:test predicates on every div of the page cost 0.5 ms a pass.
_FRAME_CANDIDATES = etree.XPath(
    ".//*[self::article or self::div or self::main or self::section][@id or @class or @itemprop]"
)
_FRAME_ID = re.compile(_alt(_ARTICLE_CONTENT_ID_TOKENS))
_FRAME_CLASS = re.compile(_alt(_ARTICLE_CONTENT_CLASS_TOKENS))


def _article_frame(tree: etree._Element) -> list[etree._Element]:
    """The first element BODY_XPATH[0] finds (the first in the source: it is first among its siblings)."""
    for el in _FRAME_CANDIDATES(tree):
        cls, ident = el.get("class"), el.get("id")
        if (
            cls in ("post", "entry")
            or el.get("itemprop") == "articleBody"
            or ident == "articleContent"
            or _FRAME_ID.search(ident or "")
            or _FRAME_CLASS.search(cls or "")
        ):
            return [el]
    return []


_FRAMES = [_article_frame, *BODY_XPATH[1:]]


# The rest is trafilatura 2.3.1's main extractor (main_extractor.extract_content, _extract,
# prune_unwanted_sections) as it runs with our options (never precision, no images or
# links), calling _OVERALL_DISCARD instead of OVERALL_DISCARD_XPATH.


def _prune_sections(tree: etree._Element, potential_tags: set[str], options: Extractor) -> etree._Element:
    """prune_unwanted_sections: rule-based deletion of targeted document sections."""
    tree = prune_unwanted_nodes(tree, _OVERALL_DISCARD, with_backup=True)  # type: ignore[arg-type]
    if "graphic" not in potential_tags:
        tree = prune_unwanted_nodes(tree, DISCARD_IMAGE_ELEMENTS)
    if options.focus != "recall":
        tree = prune_unwanted_nodes(tree, TEASER_DISCARD_XPATH)
    for _ in range(2):
        tree = delete_by_link_density(tree, "div", backtracking=True, favor_precision=False)
        tree = delete_by_link_density(tree, "list", backtracking=False, favor_precision=False)
        tree = delete_by_link_density(tree, "p", backtracking=False, favor_precision=False)
    if "table" in potential_tags:
        # collected before deleting: removing a table mid-iteration can skip the next one
        boilerplate_tables = [elem for elem in tree.iter("table") if link_density_test_tables(elem) is True]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    etree.strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


def _extract_main(tree: etree._Element, options: Extractor) -> tuple[etree._Element, str, set[str]]:
    """_extract: the first content frame BODY_XPATH finds that yields text, converted."""
    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    result_body = etree.Element("body")
    for expr in _FRAMES:
        subtree = next((s for s in expr(tree) if s is not None), None)
        if subtree is None:
            continue
        subtree = _prune_sections(subtree, potential_tags, options)
        if len(subtree) == 0:
            continue
        ptest = subtree.xpath("//p//text()")
        if not ptest or len("".join(ptest)) < options.min_extracted_size * 3:
            potential_tags.add("div")
        subelems = subtree.xpath(".//*")
        tags = {e.tag for e in subelems}
        inline = tags <= INLINE_FORMATTABLE | {"lb"}
        if tags == {"lb"} or (subtree.tag == "div" and "div" in potential_tags and inline):
            subelems = [subtree]
        lead, start = None, len(result_body)
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = etree.Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        for elem in subelems:
            # an element already moved into result_body with its parent is not emitted twice
            if elem.getroottree().getroot() is result_body:
                continue
            tag, tail = elem.tag, elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            left_behind = processed_elem is None or processed_elem.tail is None
            if tag in REBUILT_BLOCKS and text_chars_test(tail) and left_behind:
                tail_elem = etree.Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def _cleaned(tree: lxml_html.HtmlElement, options: Extractor) -> lxml_html.HtmlElement:
    """The tree the main extractor starts from: cleaned and converted, as often as asked the same."""
    return convert_tags(tree_cleaning(copy(tree), options), options, options.url)


def _extract_content(
    cleaned_tree: etree._Element, options: Extractor, clean_again: Callable[[], etree._Element]
) -> tuple[etree._Element, str]:
    """extract_content: the main frame's text, else the wild text recovered around it.

    trafilatura deep-copies the cleaned tree first for the recovery, which runs on few
    pages; `clean_again` rebuilds that same tree when it does.
    """
    order = list(cleaned_tree.iter())
    result_body, temp_text, potential_tags = _extract_main(cleaned_tree, options)
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        backup_tree = clean_again()
        consumed = {twin for elem, twin in zip(order, backup_tree.iter(), strict=True) if elem.tag == "done"}
        result_body = recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    etree.strip_elements(result_body, "done")
    etree.strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text


@contextmanager
def _alone(root: lxml_html.HtmlElement | None) -> Iterator[None]:
    """Detach everything beside `root` and its ancestors (the <head> stays) until the block ends.

    trafilatura's cost grows with the tree it copies and queries: given only the branch
    that holds most of the prose (and every element the markup names the article), its
    fast pass cost 9.6 instead of 13.4 ms per page over 265 dev pages (best of 4 rounds).
    And it can no longer prefer a box elsewhere that its class patterns match first.
    """
    if root is None:
        yield
        return
    detached: list[tuple[lxml_html.HtmlElement, int, lxml_html.HtmlElement]] = []
    child = root
    for parent in root.iterancestors():
        for index, sibling in reversed(list(enumerate(parent))):
            if sibling is not child and sibling.tag != "head":
                detached.append((parent, index, sibling))
                parent.remove(sibling)  # its tail text goes with it, and comes back with it
        child = parent
    try:
        yield
    finally:
        # Put back in reverse order of removal: each goes back to the index it had.
        for parent, index, sibling in reversed(detached):
            parent.insert(index, sibling)


def extract_text(tree: lxml_html.HtmlElement, url: str) -> str:
    """Article text, paragraphs separated by newlines (trafilatura works on a copy of `tree`)."""
    number_ordered_lists(tree)
    prose = find_prose(tree)
    if prose.root is not None:
        # Without an <article> (or a class it knows), trafilatura falls back to loose
        # paragraphs and drops the subheadings, lists and tables between them; marking
        # the content root as the article lets it take the body whole.
        prose.root.tag = "article"
    # trafilatura's fallback (readability and jusText compared with its own result) costs
    # as much as its main pass and changes the text on few pages: those where the main
    # pass finds much less than the page's paragraphs hold, or much more than its
    # paragraphs, lists and headings together. Run it there.
    # Attributes stay as they are from here on, and a branch holds no more than the page.
    prunable = _may_prune(tree)
    with _alone(prose.branch):
        text = _trafilatura(tree, url, fast=True, prunable=prunable)
    whole = prose.total_chars + prose.other_chars
    if not _FALLBACK_BELOW * prose.total_chars <= len(text) <= _FALLBACK_ABOVE * whole:
        # On the whole page: readability scores the page it is given, and on a page cut
        # down to the prose's branch it kept the fast pass's short text (dev pages lost
        # most of their text that way).
        text = _trafilatura(tree, url, prunable=prunable)
    if len(text) < _RECALL_BELOW * (prose.total_chars + prose.other_chars):
        # Much less text than the page holds in paragraphs and lists: trafilatura may have
        # stopped at the first of several containers. Its recall mode takes them all; keep
        # that only when it finds much more, since it also takes more furniture. (Run on
        # every page short of the whole prose, it cost a third of a trafilatura pass per
        # page and won on 6 of 793 dev pages; this gate keeps 5 of them.)
        wider = _trafilatura(tree, url, recall=True, prunable=prunable)
        if len(wider.split()) > _RECALL_GAIN * len(text.split()):
            text = wider
    return text
