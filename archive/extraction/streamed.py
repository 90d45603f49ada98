"""Streamed React pages: the parts sent after the shell, set where the browser's script sets them.

React's streaming server rendering (Next.js and others) sends the page's shell with a
fallback ("Loading...") in place of each part not ready yet, then each part as a hidden
<div id="S:n"> at the end of the body, with a call that moves it into place:
$RC("B:n", "S:n") replaces the fallback after <template id="B:n"> (marked out by the
comments <!--$?--> and <!--/$-->), $RS("S:n", "P:n") the placeholder <template id="P:n">.
Read as sent, a story's paragraphs sat after the footer, in hidden boxes, far from the
headline and outside the content root.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

# The opening of a boundary still pending, its template, and the end of its fallback; the
# comments are lost in parsing.
_PENDING = re.compile(rb'<!--\$\?--><template id="B:[0-9a-z]+"></template>')
_END = b"<!--/$-->"
_PARTS = etree.XPath('//*[starts-with(@id, "S:") or starts-with(@id, "B:") or starts-with(@id, "P:")]')
_CALL = re.compile(rb'\$R([CS])\("([A-Z]:[0-9a-z]+)","([A-Z]:[0-9a-z]+)"')


# The opening of every call. re finds this two-byte literal in 0.055 ms a dev page, bytes'
# `in` in 0.13 (its search for needles this short skips less).
_CALL_MARK = re.compile(rb"\$R")


def streamed(body: bytes) -> bool:
    """Whether the page may move streamed parts into place (one search of the bytes: each
    search is ~0.2 ms on a large page, and a page without "$R" has no call)."""
    return _CALL_MARK.search(body) is not None


def drop_fallbacks(body: bytes) -> bytes:
    """The page without the fallbacks of pending boundaries (their templates stay).

    Each fallback ends at the next closing comment (a fallback holding a boundary of its own
    keeps a part). Sought with find(), not a non-greedy regex: that scanned the rest of the
    page for each opening left unclosed, 49 s for 20,000 of them."""
    kept, start = [], 0
    for opening in _PENDING.finditer(body):
        if opening.start() < start:
            continue  # inside a fallback already dropped
        end = body.find(_END, opening.end())
        if end < 0:
            break  # no later opening is closed either
        kept.append(body[start:opening.end()])
        start = end + len(_END)
    return b"".join([*kept, body[start:]]) if kept else body


def place_segments(tree: lxml_html.HtmlElement, body: bytes) -> None:
    """Move each streamed part (in the order the page's calls do) to its template."""
    calls = _CALL.findall(body)
    if not calls:
        return
    by_id = {el.get("id"): el for el in _PARTS(tree)}
    for kind, first, second in calls:
        # $RC(boundary, segment), $RS(segment, placeholder)
        segment_id, target_id = (second, first) if kind == b"C" else (first, second)
        segment, target = by_id.get(segment_id.decode()), by_id.get(target_id.decode())
        if segment is None or target is None or target.getparent() is None or segment.getparent() is None:
            continue
        if segment is target or any(a is segment for a in target.iterancestors()):
            continue  # (a malformed page: a part's target is itself or inside it)
        segment.drop_tree()  # its tail stays where it was ...
        segment.tail = target.tail  # ... and it takes the template's
        target.getparent().replace(target, segment)
        for name in ("hidden", "id"):
            segment.attrib.pop(name, None)
