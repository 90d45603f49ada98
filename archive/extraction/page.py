"""Parse raw page bytes once and collect the page's structured data (meta tags, JSON-LD)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import (
    DOCTYPE_TAG,
    is_dubious_html,
    repair_faulty_html,
)

from archive.extraction.decoding import decode_legacy, decompressed, utf16_without_bom
from archive.extraction.streamed import drop_fallbacks, place_segments, streamed
from archive.extraction.textfix import repair_mojibake

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle",
        "techarticle", "scholarlyarticle", "liveblogposting", "socialmediaposting", "report",
        "satiricalarticle", "advertisercontentarticle", "medicalscholarlyarticle", "review",
        "recipe", "howto", "posting", "discussionforumposting", "creativework",
    }
)
# Page types that are never one article. (FAQPage and ItemList are not here: many
# articles declare them for an FAQ section or a ranked list inside the story.)
LISTING_TYPES = frozenset(
    {"collectionpage", "searchresultspage", "profilepage", "aboutpage", "contactpage", "checkoutpage"}
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# UTF-8 bytes of text that was already UTF-8 read as Latin-1/cp1252 ("â€™" stored as UTF-8):
# "Ã" or "Â" before a continuation byte read as cp1252 ("Ã©", "Â "), "â€", a letter before a
# C1 control (read as Latin-1: "â\x80\x99"), or two pairs in a row (Cyrillic "Ð¿Ñ€", Greek
# "Î±Î"). One pair alone is real text as often: "Ö" or "é"
# before a no-break space, "ß“": a valid German or French page was "repaired" into NKo
# letters and Hebrew accents.
# One leading literal for all of it: re then skips to each \xc3 in C. Written as four
# alternatives each opening with it, the search cost 2.3 ms a page (0.04 now).
_CONTINUED = rb"(?:[\xc2\xc5\xcb][\x80-\xbf]|\xe2[\x80-\xbf]{2})"
_DOUBLE_ENCODED = re.compile(
    rb"\xc3(?:[\x82\x83]" + _CONTINUED + rb"|\xa2\xe2\x82\xac|[\x80-\xbf]\xc2[\x80-\x9f]"
    rb"|[\x80-\xbf]" + _CONTINUED + rb"\xc3[\x80-\xbf]" + _CONTINUED + rb")"
)


@dataclass
class Page:
    """A parsed page: the lxml tree plus its meta tags and JSON-LD objects."""

    tree: lxml_html.HtmlElement
    url: str
    meta: dict[str, list[str]] = field(default_factory=dict)
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    # False when no element can carry itemprop="datePublished" or "dateModified": the
    # source never writes either value after an itemprop (see _may_name_dates).
    may_have_dated_itemprops: bool = True
    # The document's <time> and <abbr> elements in order, from the walk that collects the
    # structured data; None when that walk did not cover the whole document.
    times_and_abbrs: list[lxml_html.HtmlElement] | None = None

    def meta_first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value.strip():
                    return value.strip()
        return None

    def ld_types(self) -> set[str]:
        return {t for obj in self.json_ld for t in ld_type_names(obj)}

    def ld_articles(self) -> list[dict[str, Any]]:
        return [o for o in self.json_ld if ld_type_names(o) & ARTICLE_TYPES]


def ld_type_names(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {n.rsplit("/", 1)[-1].lower() for n in names if isinstance(n, str)}


_END_TAGS = re.compile(rb"</(?:body|html)\s*>", re.I)
# Markup after the page's </html> that a browser still shows: more than a trailing script.
_LATE_MARKUP = 1024


def _drop_early_end_tags(body: bytes) -> bytes:
    """Remove </body> and </html> that a broken template wrote before the page's content.

    Browsers show what follows them as part of the body; libxml2 may drop all of it.
    """
    end = body.find(b"</html")
    if end < 0:
        end = body.find(b"</HTML")
    if end < 0 or len(body) - end < _LATE_MARKUP:
        return body
    rest = body[end:]
    if b"<p" not in rest and b"<div" not in rest and b"<P" not in rest and b"<DIV" not in rest:
        return body
    return _END_TAGS.sub(b"", body)


def _html_parser() -> lxml_html.HTMLParser:
    # trafilatura's parser settings, with a lookup done in C: lxml.html's own calls a
    # Python method for every element that Python touches (ours, trafilatura's and its
    # XPath callbacks'), which cost 1.7 ms of 35 per page. Every element is an
    # HtmlElement; only <form>, <input>, <select>, <textarea> and <label> lose their
    # form-handling subclasses, which nothing here uses.
    parser = lxml_html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()
# UTF-8 text holds a character trafilatura's repair deletes exactly where it holds a control
# byte other than tab, newline and carriage return, or the encoding of U+FFFE or U+FFFF.
_NOT_CONTROL = b"\t\n\r" + bytes(range(0x20, 0x100))
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _may_hold_invalid_chars(raw: bytes) -> bool:
    # One pass deleting every other byte finds the control bytes (a memchr per byte value
    # cost 0.33 ms a page, the regex trafilatura runs over the whole text 0.7).
    if raw.translate(None, _NOT_CONTROL):
        return True
    return b"\xef\xbf" in raw and any(seq in raw for seq in _NONCHARACTERS)


def _repair(text: str, beginning: str, invalid_chars: bool) -> str:
    """trafilatura's repair_faulty_html, without copying the page when there is nothing to repair."""
    if invalid_chars:
        return repair_faulty_html(text, beginning)
    if "doctype" in beginning:
        end = text.find("\n")  # not partition(): that copies the rest of the page
        if end < 0 or DOCTYPE_TAG.search(text[:end]):
            return repair_faulty_html(text, beginning)
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return repair_faulty_html(text, beginning)
    return text


def load_html(body: bytes) -> lxml_html.HtmlElement | None:
    """trafilatura.utils.load_html on raw bytes, with our parser (same tree, cheaper elements)."""
    return _load_html(body)[0]


def _load_html(body: bytes) -> tuple[lxml_html.HtmlElement | None, bytes | None]:
    """load_html's tree, and the bytes libxml2 parsed when it parsed them as they came."""
    raw: bytes | None = None
    try:
        raw = decompressed(body)
        utf16 = utf16_without_bom(raw)
        if utf16 is not None:
            text, raw = raw.decode(utf16, errors="replace"), None
        else:
            text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text, raw = decode_legacy(body), None
    beginning = text[:50].lower()
    repaired = _repair(text, beginning, raw is None or _may_hold_invalid_chars(raw))
    tree, parsed_bytes = None, False
    if raw is not None and repaired is text:
        # Valid UTF-8 that needs no repair: libxml2 reads the bytes as they are, 0.35 ms
        # a page sooner than the decoded text (the same tree on all 793 dev pages).
        tree, parsed_bytes = _parse_bytes(raw), True
    else:
        try:
            tree = lxml_html.fromstring(repaired, parser=_PARSER)
        except ValueError:
            # "Unicode strings with encoding declaration are not supported."
            tree, parsed_bytes = _parse_bytes(repaired.encode("utf8", "surrogatepass")), True
        except Exception:  # as trafilatura's loader: try the bytes below
            tree = None
    source = raw if parsed_bytes and repaired is text else None
    if (tree is None or len(tree) < 1) and not parsed_bytes:
        tree = _parse_bytes(repaired.encode("utf8", "surrogatepass"))
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None, None  # not HTML at all
    return tree, source


def _parse_bytes(raw: bytes) -> lxml_html.HtmlElement | None:
    try:
        return lxml_html.fromstring(raw, parser=_PARSER)
    except Exception:  # as trafilatura's loader: an unparsable page is no page
        return None


# The itemprop values that date a page, and what may stand between an itemprop and its value.
_DATE_NAMES = re.compile(rb"date(?:Published|Modified)")
_BEFORE_VALUE = b" \t\n\r\f\v\"'="
_BEFORE_WINDOW = 64


def _may_name_dates(source: bytes | None) -> bool:
    """Whether an element of the page parsed from `source` may carry itemprop="datePublished"
    or "dateModified". Looking for one in the source costs 0.04 ms a page, the XPath
    that finds them 0.28; half the pages never write either name, most others in JSON-LD.

    Exact but for a value written with character references ("&#100;atePublished"), which
    libxml2 decodes and the source does not show; it lower-cases attribute names, hence
    the lowered window.
    """
    if source is None:  # decoded or repaired text: not worth the trouble
        return True
    for match in _DATE_NAMES.finditer(source):
        before = source[max(0, match.start() - _BEFORE_WINDOW) : match.start()]
        before = before.lower().rstrip(_BEFORE_VALUE)
        # (An empty rest: the window held nothing but blanks, quotes and "=".)
        if not before or before.endswith(b"itemprop"):
            return True
    return False


def in_document(tree: lxml_html.HtmlElement, *tags: str) -> Iterator[lxml_html.HtmlElement]:
    """The document's elements of these tags, in document order, as "//tag" finds them:
    libxml2 may put what follows a second <html> beside the root. (Filtered by tag in C:
    an XPath visits every node, 0.2 ms a page.)"""
    root = tree.getroottree().getroot()
    for top in (*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()):
        yield from top.iter(*tags)


# libxml2 stops at a text node over 10 MB (huge_tree would also lift its depth limit): an
# 11 MB inline state blob (__NEXT_DATA__) in <head> lost the page its whole body ("empty").
_HUGE_PAGE = 8 * 1024 * 1024
_HUGE_SCRIPT = 1024 * 1024


def _without_huge_scripts(body: bytes) -> bytes:
    """A page over _HUGE_PAGE with its <script> and <style> contents over _HUGE_SCRIPT left
    out (found with find(), not a regex: unclosed tags in a hostile page stay linear)."""
    if len(body) < _HUGE_PAGE:
        return body
    low = body.lower()
    kept: list[bytes] = []
    start = 0
    for tag in (b"script", b"style"):
        position = 0
        while (opening := low.find(b"<" + tag, position)) >= 0:
            content = low.find(b">", opening) + 1
            closing = low.find(b"</" + tag, content) if content else -1
            if closing < 0:
                break
            if closing - content > _HUGE_SCRIPT and content >= start:
                kept.append(body[start:content])
                start = closing
            position = closing
    return b"".join([*kept, body[start:]]) if kept else body


def parse_page(body: bytes, url: str) -> Page | None:
    live = streamed(body)
    sent = drop_fallbacks(body) if live else body
    tree, source = _load_html(_drop_early_end_tags(_without_huge_scripts(sent)))
    if tree is None:
        return None
    if live:
        place_segments(tree, body)
    if b"\xc3" in body and _DOUBLE_ENCODED.search(body):  # every pattern opens with \xc3
        # Repair before extraction: downstream, trafilatura drops the C1 control
        # characters that hold half of each broken sequence.
        _repair_text_nodes(tree)
    page = Page(tree=tree, url=url, may_have_dated_itemprops=_may_name_dates(source))
    _collect_structured_data(page)
    return page


def _repair_text_nodes(tree: lxml_html.HtmlElement) -> None:
    for el in tree.iter():
        if el.text:
            el.text = repair_mojibake(el.text)
        if el.tail:
            el.tail = repair_mojibake(el.tail)
        if el.tag == "meta" and el.get("content"):
            el.set("content", repair_mojibake(el.get("content", "")))


def _collect_structured_data(page: Page) -> None:
    """The meta tags and JSON-LD objects, found in one walk: a walk of a page costs 0.15 ms."""
    scripts = []
    # (The dates' <time>s and <abbr>s cost next to nothing more in this walk, 0.15 ms in their own.)
    dating = []
    for el in page.tree.iter("meta", "script", "time", "abbr"):
        tag = el.tag
        if tag == "meta":
            _collect_meta(page, el)
        elif tag == "script":
            if "ld+json" in (el.get("type") or ""):
                scripts.append(el)
        else:
            dating.append(el)
    tree = page.tree
    if tree.getparent() is None and tree.getprevious() is None and tree.getnext() is None:
        page.times_and_abbrs = dating  # the root and nothing beside it: the whole document
    _collect_json_ld(page, scripts)


def _collect_meta(page: Page, el: lxml_html.HtmlElement) -> None:
    # <meta itemprop="datePublished" datetime=...> also occurs
    content = el.get("content") or el.get("datetime") or el.get("value")
    if content is None:
        return
    keys = " ".join(
        el.get(attr) or "" for attr in ("property", "name", "itemprop", "http-equiv")
    )
    for key in set(keys.lower().split()):
        page.meta.setdefault(key, []).append(content)


def _collect_json_ld(page: Page, scripts: list[lxml_html.HtmlElement]) -> None:
    for script in scripts:
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(_CONTROL.sub(" ", raw), strict=False)
        except (ValueError, RecursionError):  # nested 3,000 deep: the whole page came out "error"
            continue
        _flatten(data, page.json_ld, depth=0)


def _flatten(data: Any, out: list[dict[str, Any]], depth: int) -> None:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            _flatten(item, out, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            out.append(data)
        if "@graph" in data:
            _flatten(data["@graph"], out, depth + 1)
        main = data.get("mainEntity") or data.get("mainEntityOfPage")
        if isinstance(main, dict) and "@type" in main and main is not data:
            _flatten(main, out, depth + 1)


def text_of(el: lxml_html.HtmlElement) -> str:
    """The element's text as one line, a <br> read as the break between words it shows:
    text_content() joins across it, and "Top MBA Programs (US)<br>Your Guide" headlined
    the article as "(US)Your", "WEEKEND<br>CODING" as "WEEKENDCODING"."""
    if el.find(".//br") is None:
        return " ".join(el.text_content().split())
    return " ".join("".join(_texts_with_breaks(el)).split())


def _texts_with_breaks(el: lxml_html.HtmlElement) -> Iterator[str]:
    # text_content()'s pieces (no comments, no processing instructions), a space for each <br>.
    if el.text:
        yield el.text
    for child in el:
        if child.tag == "br":
            yield " "
        elif isinstance(child.tag, str):
            yield from _texts_with_breaks(child)
        if child.tail:
            yield child.tail
