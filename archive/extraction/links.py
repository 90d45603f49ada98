"""Links that stay in the page and links that lead away: a live blog's entries, teaser cards."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html


def page_key(url: str) -> str:
    """Host (without "www.") and path: enough to tell one page from another on a site. A URL
    that does not parse ("http://[broken", from a page's JSON-LD) is its own key: no page's."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    return (parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")


class OwnPlaces:
    """Tells a link to a place in this page from a link to another page.

    A live blog links each entry's headline or time to the entry: "#post-3", or as often
    the page's own URL with that fragment ("https://site/live/story#post-3",
    "/live/story?page=2#post-3"). Without the page's URLs only the first is known.
    """

    def __init__(self, base: str = "", own: Iterable[str | None] = ()) -> None:
        self.base = base  # what relative links resolve against (the page's <base href> or URL)
        self.keys = {page_key(url) for url in own if url}

    def __call__(self, href: str) -> bool:
        href = href.strip()
        if href.startswith("#"):
            return True
        if "#" not in href or not self.keys:
            return False
        try:
            return page_key(urljoin(self.base, href)) in self.keys
        except ValueError:  # "http://[broken"
            return False


_HEADING_HREFS = etree.XPath(".//*[self::h2 or self::h3 or self::h4 or self::h5]//a/@href")
HREFS = etree.XPath(".//a/@href")


def has_linked_heading(el: lxml_html.HtmlElement, own_place: OwnPlaces) -> bool:
    """Whether a heading in `el` links to another page. (A headline linked to its own place
    in the page, "#post-3", is a live blog entry's permalink.)"""
    return not all(map(own_place, _HEADING_HREFS(el)))
