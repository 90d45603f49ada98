"""Page metadata other than dates: title, authors, tags, section, image, canonical URL, language."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from itertools import chain
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from w3lib.url import safe_url_string

from archive.extraction.page import Page, in_document, text_of
from archive.extraction.shown import looks_like_name
from archive.extraction.textdates import words_beside_date
from archive.urls import with_ascii_host

_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•»:/]|::)\s+")
_WS = re.compile(r"\s+")
# A character reference with its semicolon. html.unescape alone also reads the legacy names
# HTML allows without one: "Tom&notes" became "Tom¬es", "a&paragraph" "a¶graph".
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _clean(value: Any) -> str | None:
    """A value as one line of text. Character references are read once: JSON-LD is script
    text, which the HTML parser leaves as written, and WordPress plugins write it escaped
    ("M&amp;A Tracker" in the section facet); in a meta tag one left after parsing is a
    template that escaped the value twice."""
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = _ENTITY.sub(_unescape, value)
    value = _WS.sub(" ", value).strip()
    return value or None


def ld_value(page: Page, key: str) -> Any:
    for obj in page.ld_articles() + page.json_ld:
        if obj.get(key):
            return obj[key]
    return None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return _clean(value)


def find_sitename(page: Page) -> str | None:
    name = page.meta_first("og:site_name", "application-name", "apple-mobile-web-app-title")
    if name:
        return _clean(name)
    for obj in page.ld_articles():
        publisher = _ld_name(obj.get("publisher"))
        if publisher:
            return publisher
    for obj in page.json_ld:
        if obj.get("@type") in ("WebSite", "Organization", "NewsMediaOrganization"):
            site = _ld_name(obj)
            if site:
                return site
    return None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def strip_site_suffix(title: str, sitename: str | None, url: str) -> str:
    """Drop a site name prefix or suffix (`Headline | Site`, `Site - Headline`)."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    host = urlsplit(url).hostname or ""
    host_words = {w for w in re.split(r"[.\-]", host) if len(w) > 2} - {"www", "com", "org", "net"}
    site = _norm(sitename or "")

    def is_site(part: str) -> bool:
        normed = _norm(part)
        if not normed:
            return True
        if site and (normed == site or normed in site or site in normed):
            return True
        squashed = normed.replace(" ", "")
        return any(w == squashed or (len(w) > 4 and w in squashed) for w in host_words)

    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    if len(parts) == 1:
        return parts[0]
    # Unknown suffix: keep the longest segment only when the others are short labels.
    longest = max(parts, key=len)
    if all(len(p.split()) <= 4 for p in parts if p is not longest) and len(longest.split()) >= 4:
        return longest
    return " ".join(title.split())


_LOGO_CONTEXT = re.compile(
    r"(?:^|[-_])(?:logo|brand|branding|site-?title|site-?name|masthead|navbar)(?:$|[-_])", re.I
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _similarity(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def _is_site_heading(
    el: lxml_html.HtmlElement, text: str, sitename: str | None, *, declared: bool = False
) -> bool:
    """The site's name set as a heading. A heading that says what the page declares as its
    title is the page's own, even inside a masthead (themes print the headline in a "hero"
    header); only a navigation, a footer or a link home still rules it out."""
    if sitename and _norm(text) == _norm(sitename):
        return True
    for node in (el, *el.iterancestors()):
        if node.tag in ("nav", "footer") or (node.tag == "a" and node.get("href") in ("/", "./")):
            return True
        if node.tag in ("article", "main", "body"):
            return False
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if not declared and len(marker) > 1 and any(_LOGO_CONTEXT.search(t) for t in marker.split()):
            return True
    return False


def find_headline(
    page: Page, sitename: str | None, feed_title: str | None
) -> tuple[str | None, lxml_html.HtmlElement | None]:
    """The headline the page shows (its h1), else its declared title without the site name."""
    references = [
        r
        for r in (
            page.meta_first("og:title", "twitter:title"),
            _clean(ld_value(page, "headline")),
            _clean(page.tree.findtext(".//title")),
            _clean(feed_title),  # a feed's title may hold line breaks, or only blanks
        )
        if r
    ]
    ref_norms = [_norm(r) for r in references]
    headings = []
    for h1 in page.tree.iter("h1"):
        # A character reference left after parsing ("SQL &amp;#x26; AI") is a template that
        # escaped the headline twice, as in a meta tag (_clean).
        text = _clean(text_of(h1)) or ""
        if not 3 < len(text) < 300:
            continue
        normed = _norm(text)
        declared = any(normed == r or (len(normed) > 15 and normed in r) for r in ref_norms)
        if not declared and (stated := _declared_with_dateline(text, normed, references, ref_norms)):
            text, declared = stated, True
        if not _is_site_heading(h1, text, sitename, declared=declared):
            headings.append((h1, text, declared))
    for h1, text, declared in headings:
        if declared:
            return text, h1
    if headings:
        # SEO titles often differ from the headline a reader sees; pick the h1 that
        # looks most like the declared title, preferring one inside the article.
        def score(item: tuple[lxml_html.HtmlElement, str, bool]) -> float:
            h1, text, _ = item
            similar = max((_similarity(text, r) for r in references), default=0.0)
            inside = any(a.tag in ("article", "main") for a in h1.iterancestors())
            return similar + (0.3 if inside else 0.0) - (0.5 if _links_elsewhere(h1, page.url) else 0.0)

        h1, text, _ = max(headings, key=score)
        return text, h1
    for ref in references:
        stripped = strip_site_suffix(ref, sitename, page.url)
        if stripped:
            return stripped, None
    return None, None


def _links_elsewhere(h1: lxml_html.HtmlElement, url: str) -> bool:
    """An h1 that is a link to another page: a teaser's title ("Next in Your Guide", a card
    with its own h1), not this page's headline, whose link, if any, is its own permalink.
    Weighed, not ruled out: a link blog's headline links the story it comments on."""
    links = [a for a in h1.iter("a") if a.get("href")]
    if len(links) != 1 or _norm(text_of(links[0])) != _norm(text_of(h1)):
        return False
    try:
        target = urlsplit(urljoin(url, links[0].get("href", "").strip()))
    except ValueError:  # "http://[bad": no page at all
        return False
    here = urlsplit(url)
    # Its own permalink on the www. twin of the host, or in another case, is still its own.
    return (_host(target.hostname), target.path.rstrip("/")) != (_host(here.hostname), here.path.rstrip("/"))


def _host(name: str | None) -> str:
    return (name or "").removeprefix("www.")


# A byline's label, at the start of what a theme sets inside the h1 beside the headline.
_BYLINE_LABEL = re.compile(r"^(?:(?:posted|published|updated|written)\s+)?(?:by|von|par|por)\s+")
# A dateline's words besides its date: "posted on ... by infuy" has four.
_DATELINE_WORDS = 5


def _declared_with_dateline(
    text: str, normed: str, references: list[str], ref_norms: list[str]
) -> str | None:
    """The declared title (og:title, JSON-LD headline, <title>) an h1 holds whole at its start
    or end, when the rest of the h1 is a dateline or a byline: the headline is the declared
    part. (Not any rest: an h1 longer than a shortened SEO title is the fuller headline, one
    that goes on "by the port authority" or mentions a date in a clause of its own too.)
    The rest is read in either order of day and month: it only has to be a date."""
    words = re.findall(r"\w+", text)  # the h1's words as written: `normed` is lower case
    for reference, ref in zip(references, ref_norms, strict=True):
        if len(ref) <= 15 or ref == normed:
            continue
        if normed.startswith(ref + " "):
            rest = normed[len(ref) + 1:]
            written = words[len(words) - len(rest.split()):]
        elif normed.endswith(" " + ref):
            rest = normed[: -len(ref) - 1]
            written = words[:len(rest.split())]
        else:
            continue
        # A date in full ("Dec 18 2025", "posted on July 1 2024 by infuy") and a few words
        # at most, not a year alone: "2025 Software Price Guide" is the headline's own.
        beside = words_beside_date(rest, month_first=True)
        if beside is not None and beside <= _DATELINE_WORDS:
            return reference
        # "By Jane Doe": a name after the label, not "by the port authority".
        label = _BYLINE_LABEL.match(rest)
        if label and len(words) == len(normed.split()) and looks_like_name(
            " ".join(written[len(label.group().split()):])
        ):
            return reference
    return None


# No page has more tags than this; a hostile one's 40,000 would all go into the metadata
# record and the index.
MAX_TAGS = 100


_TAG_SEPARATORS = re.compile(r"[,;]")


def _split_tags(value: str) -> list[str]:
    # Character references read before splitting: a ";" ends "&amp;" as well as a tag.
    return _TAG_SEPARATORS.split(_ENTITY.sub(_unescape, value) if "&" in value else value)


def find_tags(page: Page) -> list[str]:
    tags: list[Any] = [t for t in page.meta.get("article:tag", []) if t.strip()]
    if not tags:
        keywords = ld_value(page, "keywords")
        if isinstance(keywords, list):  # names, or DefinedTerm objects
            tags = [k.get("name") if isinstance(k, dict) else k for k in keywords]
        elif isinstance(keywords, str):
            tags = _split_tags(keywords)
    if not tags:
        raw = page.meta_first("news_keywords", "keywords")
        tags = _split_tags(raw) if raw else []
    if not tags:
        tags = [text_of(a) for a in in_document(page.tree, "a") if a.get("rel") == "tag"]
    # One tag in two cases ("Index funds", "index funds") is counted once, as first written.
    # A dict keeps the first of each: `not in` a list made 40,000 keywords cost 12.6 s.
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = _clean(tag)
        if cleaned:
            seen.setdefault(cleaned.casefold(), cleaned)
    return list(seen.values())[:MAX_TAGS]


# A breadcrumb's root, and WordPress's name for a post without a category: no section.
_NOT_SECTIONS = frozenset({"home", "homepage", "uncategorized", "uncategorised"})
# Longer than any section's name: a sentence or a paragraph a theme put in the section slot.
_MAX_SECTION = 80


def _section_candidates(page: Page) -> Iterator[Any]:
    for name in ("article:section", "parsely-section", "section", "category"):
        yield from page.meta.get(name, ())
    value = ld_value(page, "articleSection")
    if isinstance(value, str):  # themes join every category of a post into one string
        value = value.split(",")
    yield from value if isinstance(value, list) else [value]


def find_section(page: Page) -> str | None:
    """The first section the page names that is one label: not a URL, a sentence or a
    placeholder (each section in a JSON-LD string of them is a candidate)."""
    for candidate in _section_candidates(page):
        section = _clean(candidate)
        if (
            section
            and len(section) <= _MAX_SECTION
            and "://" not in section
            and section.casefold() not in _NOT_SECTIONS
        ):
            return section
    return None


_IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")


def _ld_image_urls(page: Page) -> Iterator[Any]:
    """The JSON-LD image's URLs: a URL, an ImageObject (its url or contentUrl, or a reference
    by @id to one elsewhere in the graph, as Yoast writes it), or a list of them."""
    value = ld_value(page, "image")
    by_id: dict[str, dict[str, Any]] | None = None  # built once: a scan per reference was
    for item in value if isinstance(value, list) else [value]:  # 21 s for 20,000 of them
        if isinstance(item, dict) and not (item.get("url") or item.get("contentUrl")):
            if by_id is None:
                by_id = {}
                for obj in page.json_ld:
                    if isinstance(obj.get("@id"), str):
                        by_id.setdefault(obj["@id"], obj)
            ref = item.get("@id")
            item = by_id.get(ref, item) if isinstance(ref, str) else item
        yield item.get("url") or item.get("contentUrl") if isinstance(item, dict) else item


def find_image(page: Page) -> str | None:
    """The first image the page names that is a web URL, as a browser requests it (spaces and
    non-ASCII percent-encoded, the host in punycode): a data: placeholder or a broken
    og:image hid the twitter:image or JSON-LD image after it."""
    base = document_base(page)
    declared = (value for name in _IMAGE_META for value in page.meta.get(name, ()))
    for candidate in chain(declared, _ld_image_urls(page)):
        image = _clean(candidate)
        url = web_url(base, image) if image else None
        if url:
            return safe_url_string(with_ascii_host(url))
    return None


def find_canonical(page: Page) -> str | None:
    for link in in_document(page.tree, "link"):
        href = (link.get("href") or "").strip()
        # Link types are case-insensitive, separated by any ASCII whitespace.
        if href and "canonical" in (link.get("rel") or "").lower().split():
            return web_url(document_base(page), href)
    og_url = page.meta_first("og:url")
    return web_url(document_base(page), og_url) if og_url else None


def document_base(page: Page) -> str:
    """What the page's relative URLs resolve against, as in a browser: its first <base href>,
    else its own URL. Against the page's URL, a relative rel=canonical under <base href="/">
    named a page that does not exist, and the crawl stored the story there."""
    for base in in_document(page.tree, "base"):
        href = base.get("href")
        if href is not None:
            return web_url(page.url, href.strip()) or page.url
    return page.url


def web_url(base: str, reference: str) -> str | None:
    """`reference` resolved against the page's URL, when that makes an http(s) URL with a valid
    host and port. "http://[broken" raised from urljoin and the whole page came out "error";
    a port of 99999 passed here and then failed the crawl's canonical adoption, which lost
    the page's metadata record; javascript: and data: values were kept as links."""
    try:
        url = urljoin(base, reference)
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


# The markup a CMS leaves in a description when it fills it from the lead's HTML.
_MARKUP = re.compile(
    r"<(/?)(a|abbr|b|blockquote|br|code|div|em|h[1-6]|i|li|ol|p|small|span|strong|sub|sup|u|ul)"
    r"\b[^<>]*>",
    re.I,
)
_INLINE = frozenset({"a", "abbr", "b", "code", "em", "i", "small", "span", "strong", "sub", "sup", "u"})


def _markup_gap(match: re.Match[str]) -> str:
    return "" if match.group(2).lower() in _INLINE else " "


def find_description(page: Page) -> str | None:
    value = _clean(
        page.meta_first("og:description", "description", "twitter:description")
        or ld_value(page, "description")
    )
    if value and "<" in value:
        value = _WS.sub(" ", _MARKUP.sub(_markup_gap, value)).strip() or None
    return value
