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


def extract_text(tree: lxml_html.HtmlElement, url: str) -> str:
    """Article text, paragraphs separated by newlines (trafilatura works on a copy of `tree`)."""
    number_ordered_lists(tree)
    document = bare_extraction(tree, url=url, options=extraction_options(url))
    if document is None or isinstance(document, dict):
        return ""
    return (document.text or "").strip()
