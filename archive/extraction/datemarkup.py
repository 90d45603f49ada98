"""The dates a page's markup labels: <time datetime>s and elements marked the publication or
an update (itemprop, pubdate, hAtom), and which of them sit in another article's place."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html

from archive.extraction.page import Page, in_document
from archive.extraction.textdates import publication_label

_EXCLUDED_TIME_CONTEXT = re.compile(
    r"comment|related|sidebar|recommend|popular|trending|teaser|more-|reply", re.I
)
_FOOTER = re.compile(r"footer", re.I)
# Class words of a field holding another date than the publication ("date-last-reviewed").
_OTHER_DATE_FIELD = re.compile(r"modif|updat|revis|reviewed|last[-_]?review", re.I)


# The elements whose markup labels them the publication date, and those labelled the date
# of an update (not <meta>s: those are read with the other meta tags), in one query, told
# apart by is_modified_markup and is_publication_markup. From the itemprop attributes to
# their elements: a test on every element of the page costs more than walking the attributes
# (few elements carry an itemprop), and that walk cost 0.28 ms a page each time.
_DATED_MARKUP = etree.XPath(
    '//@itemprop[.="datePublished" or .="dateModified"]/parent::*[not(self::meta)]'
    ' | //time[@pubdate] | //abbr[contains(concat(" ", @class, " "), " published ")]'
)


def dated_markup(page: Page) -> list[lxml_html.HtmlElement]:
    """_DATED_MARKUP's elements: on a page where no itemprop names a date, its <time>s and
    <abbr>s, those parse_page collected (the query cost 0.36 ms a page)."""
    if page.may_have_dated_itemprops:
        return _DATED_MARKUP(page.tree)
    return [el for el in times_and_abbrs(page) if is_publication_markup(el)]


def times_and_abbrs(page: Page) -> list[lxml_html.HtmlElement]:
    if page.times_and_abbrs is not None:
        return page.times_and_abbrs
    return list(in_document(page.tree, "time", "abbr"))


def is_modified_markup(el: lxml_html.HtmlElement) -> bool:
    return el.get("itemprop") == "dateModified"


def is_publication_markup(el: lxml_html.HtmlElement) -> bool:
    """An element of _DATED_MARKUP that labels the publication date."""
    return (
        el.get("itemprop") == "datePublished"
        or (el.tag == "time" and el.get("pubdate") is not None)
        or (el.tag == "abbr" and " published " in f" {el.get('class', '')} ")
    )


def html_dates(page: Page, dated: list[lxml_html.HtmlElement]) -> list[str]:
    """Dates the markup itself labels as the publication date (`dated`: _DATED_MARKUP's elements)."""
    values: list[str] = []
    for el in dated:
        if not is_publication_markup(el):
            continue
        raw = el.get("datetime") or el.get("content") or el.get("title") or el.text_content()
        if raw:
            values.append(raw)
    if values:
        return values
    # (The first <time datetime>: "//time[@datetime]" cost more than the <time>s parse_page's
    # walk collected, or a walk that stops at the first. It goes beside the root too, where
    # libxml2 puts what follows a second <html>.)
    tree = page.tree
    if page.times_and_abbrs is not None:
        times: Iterable[lxml_html.HtmlElement] = page.times_and_abbrs
    else:
        tops = (*reversed(list(tree.itersiblings(preceding=True))), tree, *tree.itersiblings())
        times = itertools.chain.from_iterable(top.iter("time") for top in tops)
    for el in times:
        if el.tag != "time" or el.get("datetime") is None or _in_excluded_context(el):
            continue
        values.append(el.get("datetime", ""))
        break
    return values


def _in_excluded_context(el: lxml_html.HtmlElement) -> bool:
    ancestors = list(el.iterancestors())
    for index, ancestor in enumerate(ancestors):
        if ancestor.tag in ("aside", "nav"):
            return True
        if ancestor.tag == "article" and _is_card(ancestor, ancestors[index + 1:]):
            return True
        marker = f"{ancestor.get('class', '')} {ancestor.get('id', '')}"
        if marker.strip() and _EXCLUDED_TIME_CONTEXT.search(marker) and not (
            # A date a sidebar labels the publication is the page's own (byline.py: _SIDEBAR).
            {w.lower() for w in _EXCLUDED_TIME_CONTEXT.findall(marker)} == {"sidebar"}
            and _labelled_publication_time(el)
            # One: a recent-posts widget labels each teaser's <time> "Posted on".
            and sum(map(_labelled_publication_time, ancestor.iter("time"))) == 1
        ):
            return True
        if index < 3 and marker.strip() and _OTHER_DATE_FIELD.search(marker):
            # The field it sits in names another date: "field--date-last-reviewed".
            return True
        # An article's own footer holds its date and byline; the page's footer does not.
        if (ancestor.tag == "footer" or (marker.strip() and _FOOTER.search(marker))) and not any(
            outer.tag == "article" for outer in ancestors[index + 1:]
        ):
            return True
    return False


def _labelled_publication_time(el: lxml_html.HtmlElement) -> bool:
    """Whether the line a <time> is printed in labels it the publication ("Published 8 July 2025")."""
    parent = el.getparent()
    line = " ".join(" ".join((parent if parent is not None else el).itertext()).split())
    # (The order of day and month changes where a date starts, not the words before it.)
    return len(line) < 200 and publication_label(line, month_first=True) is not None


def _is_card(article: lxml_html.HtmlElement, outer: list[lxml_html.HtmlElement]) -> bool:
    # <article>s side by side inside another <article> are cards: teasers of other pages.
    # (Side by side: a page wrapped in an <article> holding the story and one related
    # <article> below it keeps the story's date.)
    parent = article.getparent()
    return (
        parent is not None
        and any(a.tag == "article" for a in outer)
        and len(parent.findall("article")) > 1
    )
