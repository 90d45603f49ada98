"""Quotations and code listings set as figures or embeds: the body's text, not an illustration's."""

from __future__ import annotations

from lxml import html as lxml_html

from archive.extraction.boilerplate import element_text

_BLOCKS = ("blockquote", "pre")
# Text a reader does not see (the articleBody copy a JSON-LD script may hold).
_UNSHOWN = ("script", "style", "noscript", "template")
_PAGE_PARTS = frozenset({"article", "main", "body", "html"})
# A pull quote is a sentence or two of the story; a few words repeat on any page.
_MIN_PULL_QUOTE_WORDS, _MAX_PULL_QUOTE_WORDS = 6, 80
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
    """Unframe each blockquote or <pre> set in a <figure> or an embed box, and keep a pull quote once.

    The HTML standard marks up a quotation with its attribution as <figure><blockquote>
    ...<figcaption>, and design systems render their "quote" blocks so; WordPress sets
    every embedded post (a tweet, a Bluesky or Mastodon post: a blockquote of its words
    until a script replaces it) in a figure, and other CMSs in a box named an embed.
    trafilatura drops every figure (as an image's frame) and every box whose class names
    an embed, with all they hold: the words of the people a story quotes, and the code
    listings the standard also sets in figures (as Jekyll's highlighter does). A card of
    links to another page (WordPress's embed of another post, "View this post on
    Instagram") stays framed.

    A pull quote sets a sentence of the story large beside it: a blockquote whose words
    the page's own prose says is dropped (framed, it is left to go with its frame), so that
    the text holds them once. (Not one that repeats another quotation: a guide to essay
    writing quotes an essay, then its opening lines again to discuss them.)
    """
    prose: _Prose | None = None
    # (Tag-filtered walks: an XPath selecting the outermost ones cost twice the walk.)
    blocks = [el for el in tree.iter(_BLOCKS) if next(el.iterancestors(_BLOCKS), None) is None]
    for block in blocks:
        frames = _frames(block)
        words = element_text(block).split()
        if block.tag == "blockquote":
            linked = sum(len(element_text(a).split()) for a in block.iter("a"))
            if frames and linked >= len(words):
                continue
            if _MIN_PULL_QUOTE_WORDS <= len(words) <= _MAX_PULL_QUOTE_WORDS:
                prose = prose or _Prose(tree, [b for b in blocks if b.tag == "blockquote"])
                if prose.says(" ".join(words).strip(_QUOTE_MARKS)):
                    if not frames:
                        block.drop_tree()
                    continue
        if frames and words:
            _unframe(frames)


class _Prose:
    """The text a reader sees outside quotations, as what the whole page's text holds beyond
    the quotations' and the scripts' texts. (Each in C: an XPath over the text outside
    them tested every text node's ancestors, 1.4 ms a page.)"""

    def __init__(self, tree: lxml_html.HtmlElement, quotations: list[lxml_html.HtmlElement]) -> None:
        body = tree.find("body")
        self.page = _spaced(tree if body is None else body)
        outermost = [el for el in tree.iter(_UNSHOWN) if next(el.iterancestors(_UNSHOWN), None) is None]
        self.outside = [_spaced(el) for el in (*quotations, *outermost)]

    def says(self, words: str) -> bool:
        return self.page.count(words) > sum(text.count(words) for text in self.outside)


def _spaced(el: lxml_html.HtmlElement) -> str:
    return " ".join(element_text(el).split())


def _unframe(frames: list[lxml_html.HtmlElement]) -> None:
    for frame in frames:
        if frame.tag == "figure":
            frame.tag = "div"
            for caption in frame.iter("figcaption"):
                caption.tag = "p"  # who said it, what the listing is (trafilatura knows no <figcaption>)
        if "embed" in frame.get("class", "").lower():
            classes = frame.get("class", "").split()
            frame.set("class", " ".join(c for c in classes if "embed" not in c.lower()))
