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


def extract_text(tree: lxml_html.HtmlElement, url: str) -> str:
    """Article text, paragraphs separated by newlines; trafilatura prunes `tree` in place."""
    document = bare_extraction(tree, url=url, options=extraction_options(url))
    if document is None or isinstance(document, dict):
        return ""
    return (document.text or "").strip()
