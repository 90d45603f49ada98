"""Main text of the page: trafilatura on the parsed tree, comments excluded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.boilerplate import element_text
from archive.extraction.markup import lift_table_captions, number_ordered_lists, unbullet_numbered_items
from archive.extraction.namedbody import unfold_answers, unname_body_boxes
from archive.extraction.quotations import open_quotations
from archive.extraction.trafilatura_pass import SharedWork, run_trafilatura

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
# A paragraph of this much prose is a body's, not a caption's or a label's.
_LONG_BLOCK_CHARS = 120
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
        if not len(el):  # no children, no links: its own text is its text_content()
            return len(el.text.strip()) if el.text else 0
        text = element_text(el)
        links = sum(len(element_text(a)) for a in el.iter("a")) if el.tag == "p" else 0
        return max(0, len(text.strip()) - links)
    # Pages built from <div>s alone: a div whose own text is a paragraph counts as one.
    # (The children's tails read in C: a generator cost more than the rest of the test.)
    own = (el.text or "") + "".join(filter(None, map(_TAIL_OF, el)))
    return len(own.strip()) if len(own.strip()) >= _MIN_DIV_TEXT else 0


_TAIL_OF = attrgetter("tail")


class _Outside:
    """Whether elements are inside page furniture (_OUTSIDE_CONTENT), read once per parent:
    sibling blocks and list items share theirs, and each tag-filtered iterancestors() call
    cost 2.8 µs (its matcher is built anew for the thirteen tags)."""

    def __init__(self) -> None:
        self.parents: dict[lxml_html.HtmlElement, bool] = {}

    def under(self, parent: lxml_html.HtmlElement | None) -> bool:
        """Whether a child of `parent` has an ancestor among _OUTSIDE_CONTENT."""
        if parent is None:
            return False
        outside = self.parents.get(parent)
        if outside is None:
            outside = self.parents[parent] = parent.tag in _OUTSIDE_CONTENT or (
                next(parent.iterancestors(*_OUTSIDE_CONTENT), None) is not None
            )
        return outside


def _unlinked_chars(el: lxml_html.HtmlElement) -> int:
    """Characters of an element's text outside links: a list of teasers has next to none."""
    if not len(el):  # no children, no links: its own text is its text_content()
        text = len(el.text.strip()) if el.text else 0
        return text if text >= _MIN_BLOCK_CHARS else 0
    text = len(element_text(el).strip())
    return text - sum(len(element_text(a)) for a in el.iter("a")) if text >= _MIN_BLOCK_CHARS else 0


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
    """The deepest element holding most of the page's prose, unless markup already names one.

    The body's boxes in the branch trafilatura will read, named like furniture, lose
    those names (namedbody.py).
    """
    prose, weights, content = _weighed_prose(tree)
    scope = tree if prose.branch is None else prose.branch
    unname_body_boxes(scope, weights, content)
    unfold_answers(scope)
    return prose


def _weighed_prose(tree: lxml_html.HtmlElement) -> tuple[Prose, dict[lxml_html.HtmlElement, int], int]:
    """find_prose's Prose, with each element's prose and the page's outside furniture."""
    blocks = []
    for el in tree.iter("p", "div", "section", "td", "pre", "blockquote"):
        weight = _prose_weight(el)
        if weight >= _MIN_BLOCK_CHARS:
            blocks.append((el, weight))
    total = sum(weight for _, weight in blocks)
    _unwrap_swallowing_headers(blocks, total)
    # Each block's weight goes to its parent first, then each parent's sum up through its
    # ancestors, one level at a time: sibling blocks share their ancestors, and so do
    # their parents further up, where the chains meet (each element is summed once per
    # level, not once per block below it).
    outside = _Outside()
    by_parent: dict[lxml_html.HtmlElement, int] = {}
    long_by_parent: dict[lxml_html.HtmlElement, int] = {}  # paragraphs of _LONG_BLOCK_CHARS+
    content = 0
    for el, weight in blocks:
        parent = el.getparent()
        if outside.under(parent):
            continue
        content += weight
        if parent is not None:
            by_parent[parent] = by_parent.get(parent, 0) + weight
            if weight >= _LONG_BLOCK_CHARS:
                long_by_parent[parent] = long_by_parent.get(parent, 0) + 1
    weights = _summed_up(by_parent)
    other = 0
    for el in tree.iter("li", "dd", "h2", "h3", "h4", "tr"):
        # (Furniture first: a menu's items need no text_content() then.)
        if not outside.under(el.getparent()) and (chars := _unlinked_chars(el)) >= _MIN_BLOCK_CHARS:
            other += chars
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
    split = _Split(by_parent, long_by_parent, weights)
    marked = _MARKED(tree)
    if marked and max(len(element_text(el)) for el in marked) >= _MARKUP_SHARE * total:
        if best is not None:
            _take_in_continuations(best, split)
        # trafilatura chooses among the marked elements: it must see them all.
        return Prose(None, total, other, _enclosing(branch, marked)), weights, content
    if best is not None:
        best = _outside_foldouts(best, weights)
    if best is not None:
        best = _with_split_parts(best, weights)
    if best is not None:
        best = _among_own_paragraphs(best, branch, split)
    if best is not None:
        _take_in_continuations(best, split)
    if best is None or best.tag in ("body", "html"):
        return Prose(None, total, other), weights, content
    for card in marked:
        # Every <article> on the page is a teaser card (the markup names no body):
        # trafilatura would take the first card for the article.
        card.tag = "div" if card.tag == "article" else card.tag
        card.attrib.pop("itemprop", None)
    return Prose(best, total, other, _enclosing(branch, [best])), weights, content


def _summed_up(by_parent: dict[lxml_html.HtmlElement, int]) -> dict[lxml_html.HtmlElement, int]:
    """Each element's weight with the weights of all its descendants in `by_parent`."""
    weights = dict(by_parent)
    level = by_parent
    while level:
        above: dict[lxml_html.HtmlElement, int] = {}
        for el, weight in level.items():
            parent = el.getparent()
            if parent is not None:
                above[parent] = above.get(parent, 0) + weight
        for el, weight in above.items():
            weights[el] = weights.get(el, 0) + weight
        level = above
    return weights


# From the itemprop attributes to their elements: a test of every element cost 0.28 ms a page more.
_MARKED = etree.XPath('//article | //@itemprop[.="articleBody"]/..')


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


def _among_own_paragraphs(
    root: lxml_html.HtmlElement, branch: lxml_html.HtmlElement | None, split: _Split
) -> lxml_html.HtmlElement:
    """A root whose container, up to the branch, holds long paragraphs of its own widens to it.

    The paragraphs around the root are the body's too: its introduction before an embed
    left unclosed, where the parser nests the rest of the body inside the embed.
    """
    if branch is None:
        return root
    for ancestor in root.iterancestors():
        if split.long.get(ancestor, 0) >= 2:
            return ancestor
        if ancestor is branch:
            break
    return root


@dataclass
class _Split:
    """What find_prose weighed, as the continuation test reads it."""

    own: dict[lxml_html.HtmlElement, int]  # prose in each element's own child blocks
    long: dict[lxml_html.HtmlElement, int]  # how many of those hold _LONG_BLOCK_CHARS or more
    weights: dict[lxml_html.HtmlElement, int]  # prose anywhere inside each element

    def flat_body(self, el: lxml_html.HtmlElement) -> bool:
        """Whether `el` holds all its prose in paragraphs of its own, two of them long."""
        weight = self.weights.get(el, 0)
        return weight > 0 and self.own.get(el, 0) == weight and self.long.get(el, 0) >= 2


# A container a stylesheet hides (Webflow's "w-condition-invisible", "hidden" utilities).
_HIDDEN = re.compile(r"hidden|invisible|display:\s*none")


def _take_in_continuations(root: lxml_html.HtmlElement, split: _Split) -> None:
    """Move into `root` the paragraphs of the containers that continue it around an ad slot.

    CMSs close the body's container around an ad slot, a newsletter box, an image or the
    paywall and open another for the rest (Arc's and Brightspot's body chunks, WordPress
    membership plugins' "premium-content", paywalls' subscriber part, Webflow's rich-text
    blocks). trafilatura takes the first container its frame search finds, and drops one
    whose id names it premium; its recall pass adds the others only for much more text.
    A sibling of the same tag that, like the root, holds its prose in long paragraphs of
    its own, with nothing between them but boxes without prose, is the same body: its
    children join the root's. (Marking their parent as the article instead does not
    help: trafilatura's class search still finds the first container inside it.) Not
    <article>s: a sibling one is the next story, loaded below the first.
    """
    parent = root.getparent()
    if (
        parent is None or parent.tag in ("body", "html") or root.tag == "article"
        or not split.flat_body(root)
    ):
        return
    # What lies between the parts goes in with them, whole: a table or a list between
    # two parts is the body's, and an ad slot keeps the class that names it.
    for sibling in _same_body(root, root.itersiblings(), split):
        root.extend(_unwrapped(sibling, split))
    # Nearest first: each earlier part's children go in before those already there.
    for sibling in _same_body(root, root.itersiblings(preceding=True), split):
        for index, child in enumerate(_unwrapped(sibling, split)):
            root.insert(index, child)


def _unwrapped(sibling: lxml_html.HtmlElement, split: _Split) -> list[lxml_html.HtmlElement]:
    """A part's children (its id may name it premium, which trafilatura drops), or a box between parts."""
    if not split.weights.get(sibling):
        return [sibling]
    children = list(sibling)
    sibling.getparent().remove(sibling)
    return children


def _same_body(
    root: lxml_html.HtmlElement, siblings: Iterator[lxml_html.HtmlElement], split: _Split
) -> list[lxml_html.HtmlElement]:
    """The run of `siblings` that continue `root` (the boxes between them included), up to
    the first that holds other prose."""
    parts: list[lxml_html.HtmlElement] = []
    between: list[lxml_html.HtmlElement] = []
    for sibling in siblings:
        if not split.weights.get(sibling):
            between.append(sibling)  # an ad slot, an embed, a newsletter box pruned to its frame
            continue
        marks = f"{sibling.get('class', '')} {sibling.get('style', '')}".lower()
        if (
            sibling.tag != root.tag
            or (sibling.text or "").strip() or (sibling.tail or "").strip()
            or _HIDDEN.search(marks)
            or not split.flat_body(sibling)
        ):
            break
        parts.extend(between)
        parts.append(sibling)
        between = []
    return parts


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
    lift_table_captions(tree)
    open_quotations(tree)
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
    with _alone(prose.branch):
        # Each pass reads the ids and classes of the tree it is given (the gates of XPaths
        # that cannot match): here the branch's, half the page's to read, and fewer to match.
        text = run_trafilatura(tree, url, fast=True)
    whole = prose.total_chars + prose.other_chars
    # What a full pass on the whole page made that a later one on it can take as it is.
    shared: SharedWork = {}
    if not _FALLBACK_BELOW * prose.total_chars <= len(text) <= _FALLBACK_ABOVE * whole:
        # On the whole page: readability scores the page it is given, and on a page cut
        # down to the prose's branch it kept the fast pass's short text (dev pages lost
        # most of their text that way).
        text = run_trafilatura(tree, url, shared=shared)
    if len(text) < _RECALL_BELOW * (prose.total_chars + prose.other_chars):
        # Much less text than the page holds in paragraphs and lists: trafilatura may have
        # stopped at the first of several containers. Its recall mode takes them all; keep
        # that only when it finds much more, since it also takes more furniture. (Run on
        # every page short of the whole prose, it cost a third of a trafilatura pass per
        # page and won on 6 of 793 dev pages; this gate keeps 5 of them.)
        wider = run_trafilatura(tree, url, recall=True, shared=shared)
        if len(wider.split()) > _RECALL_GAIN * len(text.split()):
            text = wider
    return unbullet_numbered_items(text)
