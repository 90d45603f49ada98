"""trafilatura 2.3.1's readability fork (readability_lxml.Document) restated where it wastes work.

external.try_readability runs Document(tree).summary() on a copy of the raw page (about 9 ms a
call on the dev pages where the comparison runs). Same result, less work:
- remove_unlikely_candidates visits every element in Python to read its class and id, and
  drops unlikely ones inside those it has dropped already (82 of 88 drops a call on the dev
  pages): an XPath picks the elements that have a class or id, and skips those in a dropped one;
- class_weight searches each class and id with two re.IGNORECASE patterns every time it is
  asked (candidates, headers, and every box sanitize looks at): here once per distinct value
  and page, lowered and searched case-sensitively;
- score_paragraphs measures the text of every link again for each enclosing candidate: the
  tree does not change while it scores, so each link is measured once;
- sanitize takes a box's whole text three times (commas, length, link density) and its
  links' text even where an earlier test already decided: once, and the links only if needed;
  it counts a box's links among the tags it counts, and reads no count of them;
- text_content() is an XPath call per element: the text serializer reads the same nodes for
  less; transform_misused_divs_into_paragraphs parses "<p/>" for each new paragraph and
  compiles an XPath for each div without blocks: made in place, compiled once.

tests/test_extract_trafilatura_readability.py compares it with trafilatura's own.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.readability_lxml import (
    DIV_TO_P_PREFIXES,
    FRAME_TAGS,
    LIST_TAGS,
    REGEXES,
    TEXT_CLEAN_ELEMS,
    Candidate,
    Document,
)
from trafilatura.utils import fromstring_bytes, trim

LOGGER = logging.getLogger("trafilatura.external")

_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_MAYBE = REGEXES["okMaybeItsACandidateRe"]
# The elements remove_unlikely_candidates may drop (its findall(".//*") less those it skips
# for want of a class or an id), in document order: selected in C, not visited in Python.
_WITH_CLASS_OR_ID = etree.XPath("descendant::*[@class or @id]")
_COUNT_WITH_CLASS_OR_ID = etree.XPath("count(descendant::*[@class or @id])")
# positiveRe and negativeRe without re.IGNORECASE, for lowered text: their patterns are
# lowercase (the tests check), and besides ASCII capitals re.IGNORECASE lets only these four
# match a lowercase ASCII letter (as trafilatura_fallback's cookie gate): mapped to it first.
_POSITIVE = re.compile(REGEXES["positiveRe"].pattern)
_NEGATIVE = re.compile(REGEXES["negativeRe"].pattern)
_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


_LOOSE_TEXT = etree.XPath("text()[normalize-space()]")
_COUNTED = sorted(TEXT_CLEAN_ELEMS - {"a"})


def try_readability(htmlinput: HtmlElement) -> HtmlElement:
    """external.try_readability: readability's summary of `htmlinput` (which it changes), reparsed."""
    return summary_tree(summarize(htmlinput))


def summarize(htmlinput: HtmlElement) -> str | None:
    """Readability's summary of `htmlinput` (which it changes), None where it fails."""
    try:
        return ReadabilityDocument(htmlinput, min_text_length=25).summary()
    except Exception as err:  # noqa: BLE001 - as trafilatura: a failed run gives an empty tree
        LOGGER.warning("readability_lxml failed: %s", err)
        return None


def summary_tree(summary: str | None) -> HtmlElement:
    """The tree try_readability makes of a summary (fromstring_bytes fails without raising)."""
    tree = None if summary is None else fromstring_bytes(summary)
    return tree if tree is not None else HtmlElement()


# trim without its lru_cache: the texts measured here are long and seldom measured twice, so
# hashing them and keeping the cache's order costs more than it spares.
_trim = trim.__wrapped__


def _text(elem: HtmlElement) -> str:
    """elem.text_content(): the text of the text nodes under it. That is an XPath string() call;
    the text serializer takes the same nodes (the tests check) for half the cost on a paragraph."""
    return etree.tostring(elem, method="text", encoding=str, with_tail=False)


def _text_length(elem: HtmlElement) -> int:
    """readability_lxml.text_length."""
    return len(_trim(_text(elem)))


def _has_block(div: HtmlElement) -> bool:
    """Whether transform_misused_divs_into_paragraphs sees a block descendant under `div`."""
    return any(str(elem.tag).startswith(DIV_TO_P_PREFIXES) for elem in div.iterdescendants("*"))


def _lowered(value: str) -> str:
    """`value` as re.IGNORECASE sees it against lowercase ASCII patterns."""
    return value.lower() if value.isascii() else value.translate(_TO_ASCII).lower()


class ReadabilityDocument(Document):
    """readability_lxml.Document with the methods named in the module docstring restated."""

    __slots__ = ("_weights",)

    def __init__(self, doc: HtmlElement, min_text_length: int = 25) -> None:
        super().__init__(doc, min_text_length)
        self._weights: dict[str, int] = {}  # class_weight's part for each class or id value

    def _weight(self, value: str) -> int:
        weight = self._weights.get(value)
        if weight is None:
            low = _lowered(value)
            weight = self._weights[value] = (25 if _POSITIVE.search(low) else 0) - (
                25 if _NEGATIVE.search(low) else 0
            )
        return weight

    def class_weight(self, elem: HtmlElement) -> float:
        weight = 0
        for attribute in filter(None, (elem.get("class"), elem.get("id"))):
            weight += self._weight(attribute)
        return weight

    def get_link_density(self, elem: HtmlElement) -> float:
        total_length = _text_length(elem) or 1
        return sum(_text_length(link) for link in elem.iterdescendants("a")) / total_length

    def remove_unlikely_candidates(self) -> None:
        """Document.remove_unlikely_candidates: the same elements dropped in the same order,
        less those inside an element already dropped (which changes nothing in the page)."""
        verdicts: dict[str, bool] = {}
        elems = _WITH_CLASS_OR_ID(self.doc)
        i, end = 0, len(elems)
        while i < end:
            elem = elems[i]
            i += 1
            # " ".join(filter(None, (class, id))), without the calls
            attrs = elem.get("class") or ""
            ident = elem.get("id")
            if ident:
                attrs = f"{attrs} {ident}" if attrs else ident
            verdict = verdicts.get(attrs)
            if verdict is None:
                low = attrs.lower()
                verdict = len(attrs) >= 2 and bool(_UNLIKELY.search(low)) and not _MAYBE.search(low)
                verdicts[attrs] = verdict
            if verdict and elem.tag not in FRAME_TAGS:
                # Those under it come next in `elems` (no drop so far has changed its subtree:
                # drops before it in document order move text only, outside it).
                i += int(_COUNT_WITH_CLASS_OR_ID(elem))
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> None:
        """Document.transform_misused_divs_into_paragraphs, with new paragraphs made in place
        instead of parsed from "<p/>" (a document each), and its XPath compiled once."""
        for elem in list(self.doc.iterdescendants("div")):
            # a div without block descendants becomes a <p>, a link wrapper only if it has loose text
            if not _has_block(elem) and (
                next(elem.iterdescendants("a"), None) is None or _LOOSE_TEXT(elem)
            ):
                elem.tag = "p"
        for elem in list(self.doc.iterdescendants("div")):
            if elem.text and elem.text.strip():
                p_elem = elem.makeelement("p")
                p_elem.text, elem.text = elem.text, None
                elem.insert(0, p_elem)
            for pos, child in reversed(list(enumerate(elem))):
                if child.tail and child.tail.strip():
                    p_elem = elem.makeelement("p")
                    p_elem.text, child.tail = child.tail, None
                    elem.insert(pos + 1, p_elem)
                if child.tag == "br":
                    child.drop_tree()

    def score_paragraphs(self) -> dict[HtmlElement, Candidate]:
        """Document.score_paragraphs, each link's text measured once."""
        candidates: dict[HtmlElement, Candidate] = {}
        for elem in self.doc.iter("p", "pre", "td"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            elem_text = _trim(_text(elem))
            elem_text_len = len(elem_text)
            if elem_text_len < self.min_text_length:
                continue
            for node in (parent_node, grand_parent_node):
                if node is not None and node not in candidates:
                    candidates[node] = self.score_node(node)
            score = 1 + len(elem_text.split(",")) + min((elem_text_len / 100), 3)
            candidates[parent_node].score += score
            if grand_parent_node is not None:
                candidates[grand_parent_node].score += score / 2
        link_lengths: dict[HtmlElement, int] = {}
        for elem, candidate in candidates.items():
            total_length = _text_length(elem) or 1
            link_length = 0
            for link in elem.iterdescendants("a"):
                length = link_lengths.get(link)
                if length is None:
                    length = link_lengths[link] = _text_length(link)
                link_length += length
            candidate.score *= 1 - link_length / total_length
        return candidates

    def sanitize(self, node: HtmlElement, candidates: dict[HtmlElement, Candidate]) -> str:
        """Document.sanitize, each box's text taken once."""
        for header in list(node.iter("h1", "h2", "h3", "h4", "h5", "h6")):
            if self.class_weight(header) < 0 or self.get_link_density(header) > 0.33:
                header.drop_tree()
        for elem in list(node.iter("form", "textarea")):
            elem.drop_tree()
        for elem in list(node.iter("iframe")):
            if "src" in elem.attrib and REGEXES["videoRe"].search(elem.attrib["src"]):
                elem.text = "VIDEO"
            else:
                elem.drop_tree()
        for elem in reversed(list(node.iter("table", "ul", "div", "aside", "header", "footer", "section"))):
            weight = self.class_weight(elem)
            score = candidates[elem].score if elem in candidates else 0
            if weight + score < 0:
                elem.drop_tree()
                continue
            text = _text(elem)
            if text.count(",") < 10 and self._too_thin(elem, weight, len(_trim(text))):
                elem.drop_tree()
        return etree.tostring(node, encoding=str, method="xml")

    def _too_thin(self, elem: HtmlElement, weight: float, content_length: int) -> bool:
        """The tests Document.sanitize drops a box with few commas by, in its order."""
        # The library counts the links too (TEXT_CLEAN_ELEMS), and reads no count of them.
        counts = Counter(e.tag for e in elem.iterdescendants(*_COUNTED))
        counts["li"] -= 100
        if counts["input"]:
            counts["input"] -= len(elem.findall('.//input[@type="hidden"]'))
        if counts["p"] and counts["img"] > 1 + counts["p"] * 1.3:
            return True
        if counts["li"] > counts["p"] and elem.tag not in LIST_TAGS:
            return True
        if counts["input"] > (counts["p"] / 3):
            return True
        if content_length < self.min_text_length and (counts["img"] == 0 or counts["img"] > 2):
            return True
        link_length = sum(_text_length(link) for link in elem.iterdescendants("a"))
        if link_length / (content_length or 1) > (0.5 if weight >= 25 else 0.2):
            return True
        if (counts["embed"] == 1 and content_length < 75) or counts["embed"] > 1:
            return True
        if not content_length:
            # kept between long neighbours: the nearest non-empty sibling on each side
            nearest = (
                next((n for sib in sibs if (n := _text_length(sib))), 0)
                for sibs in (elem.itersiblings(), elem.itersiblings(preceding=True))
            )
            return sum(nearest) <= 1000
        return False
