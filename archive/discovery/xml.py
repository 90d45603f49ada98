"""A hardened lxml parser for untrusted feeds and sitemaps: no entities, no DTD, no network."""

from __future__ import annotations

from lxml import etree

# resolve_entities=False keeps external entities (file reads) and entity bombs unexpanded;
# huge_tree=False keeps libxml2's own depth and size limits on.
_PARSER_ARGS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "recover": False,
}


def parse_xml(body: bytes, *, recover: bool = False) -> etree._Element:
    """Parse untrusted XML bytes; raises etree.XMLSyntaxError on malformed input. With
    `recover`, libxml2 reads past what it can (an undefined entity, a stray byte) instead,
    with the same hardening."""
    parser = etree.XMLParser(**{**_PARSER_ARGS, "recover": recover})  # type: ignore[arg-type]
    root = etree.fromstring(_without_leading_blanks(body), parser=parser)
    if root is None:
        raise etree.XMLSyntaxError("empty document", None, 0, 0, None)  # type: ignore[call-arg]
    return root


_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_BLANKS = frozenset(" \t\r\n")


def _without_leading_blanks(body: bytes) -> bytes:
    """Blank lines before <?xml ...?> are common and harmless, after a byte-order mark too;
    libxml2 refuses them. A UTF-16 BOM stays (it tells the encoding) and the blank code
    units after it go."""
    for bom, encoding in _UTF16_BOMS:
        if body.startswith(bom):
            start = len(bom)
            while body[start:start + 2].decode(encoding, "ignore") in _BLANKS:  # "" at the end
                start += 2
            return bom + body[start:]
    return body.removeprefix(b"\xef\xbb\xbf").lstrip()


def local(tag: object) -> str:
    """Tag name without its namespace."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip() or None
    return None
