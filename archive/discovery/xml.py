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


def parse_xml(body: bytes) -> etree._Element:
    """Parse untrusted XML bytes; raises etree.XMLSyntaxError on malformed input."""
    parser = etree.XMLParser(**_PARSER_ARGS)  # type: ignore[arg-type]
    # Blank lines before <?xml ...?> are common and harmless; after a UTF-8 byte-order mark too.
    root = etree.fromstring(body.removeprefix(b"\xef\xbb\xbf").lstrip(), parser=parser)
    if root is None:
        raise etree.XMLSyntaxError("empty document", None, 0, 0, None)  # type: ignore[call-arg]
    return root


def local(tag: object) -> str:
    """Tag name without its namespace."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip() or None
    return None
