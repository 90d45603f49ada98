"""Main text of the page: trafilatura on the parsed tree, comments excluded."""

from __future__ import annotations

from lxml import html as lxml_html
from trafilatura import bare_extraction
from trafilatura.settings import Extractor


def extraction_options(url: str) -> Extractor:
    # One options object per page; dedup stays off: trafilatura's dedup cache is
    # process-wide, so results would depend on what the worker extracted before.
    return Extractor(
        output_format="python",
        comments=False,
        tables=True,
        dedup=False,
        url=url,
        with_metadata=False,
    )


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
_MIN_BLOCK_CHARS = 40
_MIN_DIV_TEXT = 80


def _prose_weight(el: lxml_html.HtmlElement) -> int:
    """Characters of prose an element contributes itself (links excluded), 0 if it is no block."""
    if el.tag in ("p", "pre", "blockquote"):
        text = el.text_content()
        links = sum(len(a.text_content()) for a in el.iter("a")) if el.tag == "p" else 0
        return max(0, len(text.strip()) - links)
    # Pages built from <div>s alone: a div whose own text is a paragraph counts as one.
    own = (el.text or "") + "".join(child.tail or "" for child in el)
    return len(own.strip()) if len(own.strip()) >= _MIN_DIV_TEXT else 0


def find_content_root(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """The deepest element holding most of the page's prose, or None if markup already says."""
    if tree.xpath('//article | //*[@itemprop="articleBody"]'):
        return None
    weights: dict[lxml_html.HtmlElement, int] = {}
    total = 0
    for el in tree.iter("p", "div", "section", "td", "pre", "blockquote"):
        weight = _prose_weight(el)
        if weight < _MIN_BLOCK_CHARS or any(a.tag in _OUTSIDE_CONTENT for a in el.iterancestors()):
            continue
        total += weight
        for ancestor in el.iterancestors():
            weights[ancestor] = weights.get(ancestor, 0) + weight
    best, best_depth = None, -1
    for element, weight in weights.items():
        if weight >= _ROOT_SHARE * total:
            depth = sum(1 for _ in element.iterancestors())
            if depth > best_depth:
                best, best_depth = element, depth
    if best is None or best.tag in ("body", "html"):
        return None
    return best


def extract_text(tree: lxml_html.HtmlElement, url: str) -> str:
    """Article text, paragraphs separated by newlines (trafilatura works on a copy of `tree`)."""
    number_ordered_lists(tree)
    root = find_content_root(tree)
    if root is not None:
        # Without an <article> (or a class it knows), trafilatura falls back to loose
        # paragraphs and drops the subheadings, lists and tables between them; marking
        # the content root as the article lets it take the body whole.
        root.tag = "article"
    document = bare_extraction(tree, url=url, options=extraction_options(url))
    if document is None or isinstance(document, dict):
        return ""
    return (document.text or "").strip()
