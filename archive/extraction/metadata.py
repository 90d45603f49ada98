"""Page metadata other than dates: title, authors, tags, section, image, canonical URL, language."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from archive.extraction.page import Page, text_of

_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•»:/]|::)\s+")
_WS = re.compile(r"\s+")


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = _WS.sub(" ", value).strip()
    return value or None


def _ld_value(page: Page, key: str) -> Any:
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


def find_title(page: Page, sitename: str | None, feed_title: str | None) -> str | None:
    references = [
        r for r in (
            page.meta_first("og:title", "twitter:title"),
            _clean(_ld_value(page, "headline")),
            _clean(page.tree.findtext(".//title")),
            feed_title,
        ) if r
    ]
    headings = [text_of(h) for h in page.tree.iter("h1")][:5]
    headings = [h for h in headings if h and len(h) < 400]
    ref_norms = [_norm(r) for r in references]
    for heading in headings:
        normed = _norm(heading)
        if len(normed) < 4:
            continue
        if any(normed == r or (len(normed) > 15 and normed in r) for r in ref_norms):
            return heading
    for ref in references:
        stripped = strip_site_suffix(ref, sitename, page.url)
        if stripped:
            return stripped
    return headings[0] if headings else None


_BYLINE_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|przez|от|автор[ыа]?:?|text:?|texte:?|written by|posted by)\s+",
    re.I,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\bи\b|\bog\b|\ben\b)\s*")
_NOT_NAME = re.compile(r"\d|@|https?:|www\.|\.com\b", re.I)


def split_names(raw: str) -> list[str]:
    raw = _BYLINE_PREFIX.sub("", _WS.sub(" ", raw).strip())
    names = []
    for part in _NAME_SPLIT.split(raw):
        part = _BYLINE_PREFIX.sub("", part.strip(" .|-–—:")).strip()
        if not part or _NOT_NAME.search(part) or len(part.split()) > 5 or len(part) < 3:
            continue
        names.append(part)
    return names


def _ld_people(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.extend(split_names(item))
        elif isinstance(item, dict):
            kind = item.get("@type")
            if isinstance(kind, str) and kind.lower() in ("organization", "newsmediaorganization"):
                continue
            name = _clean(item.get("name"))
            if name:
                names.extend(split_names(name))
    return names


def find_authors(page: Page, sitename: str | None) -> list[str]:
    names: list[str] = []
    for obj in page.ld_articles():
        names.extend(_ld_people(obj.get("author") or obj.get("creator")))
    if not names:
        for key in ("author", "article:author", "parsely-author", "sailthru.author",
                    "dc.creator", "dcterms.creator", "citation_author", "byl"):
            for raw in page.meta.get(key, ()):
                if not raw.startswith("http"):
                    names.extend(split_names(raw))
            if names:
                break
    if not names:
        for el in page.tree.xpath('//*[@rel="author"] | //*[@itemprop="author"]'):
            named = el.xpath('.//*[@itemprop="name"]')
            names.extend(split_names(text_of(named[0] if named else el)))
    site = _norm(sitename or "")
    unique: list[str] = []
    for name in names:
        if (site and _norm(name) == site) or name in unique:
            continue
        unique.append(name)
    return unique


def find_tags(page: Page) -> list[str]:
    tags = [t for t in page.meta.get("article:tag", []) if t.strip()]
    if not tags:
        keywords = _ld_value(page, "keywords")
        if isinstance(keywords, list):
            tags = [k for k in keywords if isinstance(k, str)]
        elif isinstance(keywords, str):
            tags = keywords.split(",")
    if not tags:
        raw = page.meta_first("news_keywords", "keywords")
        tags = raw.split(",") if raw else []
    if not tags:
        tags = [text_of(a) for a in page.tree.xpath('//a[@rel="tag"]')]
    seen: list[str] = []
    for tag in tags:
        cleaned = _clean(tag)
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


def find_section(page: Page) -> str | None:
    section = page.meta_first("article:section", "parsely-section", "section", "category")
    if section:
        return _clean(section)
    value = _ld_value(page, "articleSection")
    if isinstance(value, list):
        value = value[0] if value else None
    return _clean(value)


def find_image(page: Page) -> str | None:
    image = page.meta_first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    if image is None:
        value = _ld_value(page, "image")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("url")
        image = _clean(value)
    return urljoin(page.url, image) if image else None


def find_canonical(page: Page) -> str | None:
    for link in page.tree.xpath('//link[@href][contains(concat(" ", @rel, " "), " canonical ")]'):
        href = link.get("href", "").strip()
        if href:
            return urljoin(page.url, href)
    og_url = page.meta_first("og:url")
    return urljoin(page.url, og_url) if og_url else None


def find_language(page: Page) -> str | None:
    raw = (
        page.tree.get("lang")
        or page.tree.get("xml:lang")
        or page.meta_first("content-language", "og:locale", "language", "dc.language")
        or _clean(_ld_value(page, "inLanguage"))
    )
    if not raw:
        return None
    primary = re.split(r"[-_,;\s]", raw.strip().lower())[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def find_description(page: Page) -> str | None:
    return _clean(
        page.meta_first("og:description", "description", "twitter:description")
        or _ld_value(page, "description")
    )
