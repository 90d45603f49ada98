"""Markup whose meaning trafilatura's plain text misreads: ordered lists' numbers, table captions."""

from __future__ import annotations

import re

from lxml import html as lxml_html

from archive.extraction.boilerplate import element_text


def number_ordered_lists(tree: lxml_html.HtmlElement) -> None:
    """Write the numbers a browser shows before ordered list items into their text.

    trafilatura renders every list item as "- item"; "3. Step three" is what the
    reader sees, and the number is often referred to in the text.
    """
    for ol in tree.iter("ol"):
        try:
            number = int(ol.get("start", "1"))
        except ValueError:
            number = 1
        step = -1 if ol.get("reversed") is not None else 1
        for li in ol.iterchildren("li"):
            if element_text(li).strip():  # (an empty item shows a bare number: nothing to read)
                _number_item(li, number)
            number += step


# Blocks an item may open with: its number goes inside the first, or it stood on a line of
# its own ("1." then the paragraph).
_BLOCKS = frozenset({"p", "div", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "section"})


def _number_item(li: lxml_html.HtmlElement, number: int) -> None:
    holder = li
    if not (li.text or "").strip() and len(li) and li[0].tag in _BLOCKS:
        holder, li.text = li[0], None
    if not _NUMBERED.match(holder.text or ""):
        holder.text = f"{number}. {(holder.text or '').lstrip()}"


# An item its writer numbered ("3. Step", "3) Step"); "360 Panorama" is not one.
_NUMBERED = re.compile(r"\s*\d+[.)](?:\s|$)")


def lift_table_captions(tree: lxml_html.HtmlElement) -> None:
    """Set each table's <caption> as a paragraph just before its table.

    trafilatura turns a caption into a header row of its own ("| Deadlines by school | |"
    over the real header); a reader sees it as the table's title, a line above it.
    """
    for caption in list(tree.iter("caption")):
        table = caption.getparent()
        if table is None or table.tag != "table" or not element_text(caption).strip():
            continue
        caption.drop_tree()  # keeps its tail, in the table
        # A caption of blocks (a note beside a sort button) becomes a box of them: as a
        # <p>, the whitespace between its blocks led the line.
        blocks = next(caption.iterdescendants("p", "div"), None) is not None
        caption.tag, caption.tail = "div" if blocks else "p", None
        caption.attrib.clear()  # a class naming it a caption: trafilatura drops those as an image's
        table.addprevious(caption)


# trafilatura's plain-text bullet before an item that number_ordered_lists numbered (or its
# writer did): "- 3. Step three" shows both a bullet and a number, the browser shows "3.".
_BULLETED_NUMBER = re.compile(r"^( *)- (?=\d+\. )", re.M)


def unbullet_numbered_items(text: str) -> str:
    """"- 3. Step three" -> "3. Step three" (a nested item keeps its indent)."""
    return _BULLETED_NUMBER.sub(r"\1", text) if "- " in text else text
