"""Quotations and code listings set as figures or embeds: the body's text, not an illustration's."""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.boilerplate import element_text

_FRAMEABLE = etree.XPath(
    "//blockquote[not(ancestor::blockquote)] | //pre[not(ancestor::pre or ancestor::blockquote)]"
)
# The text a reader sees (not the articleBody copy a JSON-LD script may hold).
_SHOWN_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]",
    smart_strings=False,
)
_PAGE_PARTS = frozenset({"article", "main", "body", "html"})
_QUOTE_MARKS = " \"'“”‘’«»„‚‹›「」『』"


def _frames(quote: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """What frames a blockquote, innermost first: everything up to the figure around it, or
    else the boxes directly around it whose class names an embed."""
    around = []
    for el in quote.iterancestors():
        if el.tag in _PAGE_PARTS:
            break
        around.append(el)
        if el.tag == "figure":
            return around
    frames = []
    for el in around:
        if "embed" not in el.get("class", "").lower():
            break
        frames.append(el)
    return frames


def open_quotations(tree: lxml_html.HtmlElement) -> None:
    """Unframe a blockquote or a <pre> set in a <figure> or an embed box, unless it only repeats the body.

    The HTML standard marks up a quotation with its attribution as <figure><blockquote>
    ...<figcaption>, and design systems render their "quote" blocks so; WordPress sets
    every embedded post (a tweet, a Bluesky or Mastodon post: a blockquote of its words
    until a script replaces it) in a figure, and other CMSs in a box named an embed.
    trafilatura drops every figure (as an image's frame) and every box whose class names
    an embed, with all they hold: the words of the people a story quotes, and the code
    listings the standard also sets in figures (as Jekyll's highlighter does). Left as they
    are: a pull quote, whose words the body says anyway, and a card of links to another
    page (WordPress's embed of another post, "View this post on Instagram").
    """
    shown: str | None = None
    for quote in _FRAMEABLE(tree):
        frames = _frames(quote)
        if not frames:
            continue
        words = element_text(quote).split()
        linked = sum(len(element_text(a).split()) for a in quote.iter("a"))
        quoted = " ".join(words).strip(_QUOTE_MARKS)
        if not quoted or linked >= len(words):
            continue
        if shown is None:
            shown = " ".join("".join(_SHOWN_TEXT(tree)).split())
        if shown.count(quoted) > 1:  # the frame's own copy, and the body's
            continue
        for frame in frames:
            if frame.tag == "figure":
                frame.tag = "div"
                for caption in frame.iter("figcaption"):
                    caption.tag = "p"  # who said it, what the listing is (trafilatura knows no <figcaption>)
            if "embed" in frame.get("class", "").lower():
                classes = frame.get("class", "").split()
                frame.set("class", " ".join(c for c in classes if "embed" not in c.lower()))
