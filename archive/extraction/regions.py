"""Which parts of a page are the article's own, and which hold other articles' teasers,
comments, menus: the dates and names printed there are not the article's."""

from __future__ import annotations

import re

from lxml import html as lxml_html

# Places whose dates and names are not the article's: comments, teasers of other
# articles, menus, the page footer.
_ELSEWHERE = re.compile(
    r"(?:^|[-_])(?:comments?|related|recommend\w*|popular|trending|teasers?|sidebar|footer"
    r"|more-?stories|latest|newsletter|promo|breadcrumbs?|menu|nav|navbar|navigation|reply"
    r"|replies|archive)(?:$|[-_])",
    re.I,
)
# A sidebar: mostly other articles' teasers, but some pages print their own details there,
# labelled ("<h4>Published</h4> July 8, 2025", then "Category", "Reviewed").
_SIDEBAR = re.compile(r"(?:^|[-_])sidebar(?:$|[-_])", re.I)
# The article's own footer ("entry-footer", "article-template-footer-main") holds its byline.
_OWN_FOOTER = re.compile(r"^(?:article|post|entry|story)[-_](?:[a-z]+[-_])?footer", re.I)
# Case-sensitive for lowercased ASCII text, with itself (search_any_case).
_ELSEWHERE_CASED = (re.compile(_ELSEWHERE.pattern), _ELSEWHERE)


def search_any_case(pattern: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> bool:
    # re.I costs five times a plain search, and lowercasing is exact for ASCII text.
    if text.isascii():
        return pattern[0].search(text.lower()) is not None
    return pattern[1].search(text) is not None


class Elsewhere:
    """Whether an element sits outside the article's own region (see _verdict).

    The verdict on each element is remembered for the page: candidates share most of
    their ancestors, and each would otherwise test them all again.
    """

    def __init__(self, headline: lxml_html.HtmlElement | None) -> None:
        self.around_headline = set(headline.iterancestors()) if headline is not None else set()
        self.under_headline = _right_under(headline)
        self.known: dict[lxml_html.HtmlElement, bool] = {}

    def __call__(self, el: lxml_html.HtmlElement) -> bool:
        # The nearest ancestor-or-self with a verdict of its own decides.
        path: list[lxml_html.HtmlElement] = []
        node: lxml_html.HtmlElement | None = el
        verdict = False
        while node is not None:
            known = self.known.get(node)
            if known is not None:
                verdict = known
                break
            path.append(node)
            own = self._verdict(node)
            if own is not None:
                verdict = own
                break
            node = node.getparent()
        for passed in path:
            self.known[passed] = verdict
        return verdict

    def _verdict(self, node: lxml_html.HtmlElement) -> bool | None:
        """True: elsewhere; False: the article's region; None: as its parent."""
        # A container that also holds the headline is the article's own region.
        if node in self.around_headline or node.tag in ("body", "html"):
            return False
        if node.tag == "nav":
            return True
        # An article's own <footer> holds its byline and date; the page's footer does not.
        if node.tag == "footer" and not any(a.tag == "article" for a in node.iterancestors()):
            return True
        # So is what follows the headline right away, whatever its class names: the details
        # line under a newsletter issue's headline ("newsletter-details": 2 November 2022).
        if node is self.under_headline:
            return False
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if len(marker) > 1 and any(
            search_any_case(_ELSEWHERE_CASED, t) and not _OWN_FOOTER.match(t)
            for t in marker.split()
        ):
            return True
        return None

    def in_sidebar(self, el: lxml_html.HtmlElement) -> bool:
        """Whether what puts an element elsewhere is a sidebar of the page: the nearest
        ancestor-or-self with a verdict of its own is named a sidebar and nothing else."""
        node: lxml_html.HtmlElement | None = el
        while node is not None and self._verdict(node) is None:
            node = node.getparent()
        if node is None or not self._verdict(node):
            return False
        tokens = f"{node.get('class', '')} {node.get('id', '')}".split()
        named = [t for t in tokens if search_any_case(_ELSEWHERE_CASED, t)]
        return bool(named) and all(_SIDEBAR.search(t) for t in named)


def _right_under(headline: lxml_html.HtmlElement | None) -> lxml_html.HtmlElement | None:
    """The element that follows the headline: its next sibling, else its parent's (a wrapper
    that ends with the headline), up to the body."""
    node = headline
    while node is not None and node.tag not in ("body", "html"):
        following = node.getnext()
        while following is not None and not isinstance(following.tag, str):
            following = following.getnext()  # a comment, a processing instruction
        if following is not None:
            return following
        node = node.getparent()
    return None
