"""The one function that decides when two URLs name the same page."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

import idna
from w3lib.url import canonicalize_url as _w3lib_canonical

# Tracking parameters that never change what a news page shows.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_ga|igshid|ocid|cmpid|ref_src)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# AMP copies of an article: /amp/ as the first or last path segment, ?amp, ?outputType=amp.
# The last one goes with its own slash only: "/story/amp" is "/story" ("/story/" was requested,
# a 404 on sites without trailing slashes), "/story/amp/" is "/story/".
_AMP_SUFFIX = re.compile(r"/amp(/?)$")
_AMP_PREFIX = re.compile(r"^/amp(?=/)")


# A page's URL is canonicalised several times on its way through the crawl (request,
# dedup, canonical link, index): remember recent answers.
@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """Lower-case scheme and host, punycode, no default port, no fragment, no tracking or AMP markers,
    sorted query. Loopback hosts with ports (the demo site, tests) are kept as they are."""
    parts = urlsplit(url.strip())  # ValueError on a broken IPv6 literal
    scheme = parts.scheme.lower()
    host = ascii_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"[{host}]:{port}"
    path = _AMP_PREFIX.sub("", _AMP_SUFFIX.sub(r"\1", parts.path)) or "/"
    page = _w3lib_canonical(urlunsplit((scheme, netloc, path, "", "")), keep_fragments=False)
    # The query's pairs as the site wrote them, sorted, unsafe characters percent-encoded:
    # decoded and encoded again, "march%E9s" (Latin-1) became "march%EF%BF%BDs" and
    # "?/archives/2026/x" became "?%2Farchives%2F2026%2Fx=", both 404s (the crawl requests
    # the canonical URL).
    pairs = sorted(_ESCAPE.sub(_normal_escape, quote(pair, safe=_QUERY_SAFE))
                   for pair in parts.query.split("&") if pair and not _marker(pair))
    return f"{page}?{'&'.join(pairs)}" if pairs else page


def ascii_host(host: str) -> str:
    """A host name as requests carry it: lowercased, without a trailing dot, and punycode as
    browsers write it (UTS 46, nontransitional). Python's codec (IDNA 2003, as w3lib and
    Scrapy use it) maps "faß.de" to fass.de, another domain, and drops ZWNJ from Persian names."""
    host = host.rstrip(".")
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        try:  # labels UTS 46 refuses (an underscore beside a non-ASCII label): as before
            return host.lower().encode("idna").decode("ascii")
        except UnicodeError:
            return host.lower()


def without_credentials(url: str) -> str:
    """`url` without a user name and password ("http://user:pw@host/a"): the crawl never sends
    them (canonical URLs drop them), and a feed's link kept them in the index's aliases."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def with_ascii_host(url: str) -> str:
    """`url` with its host as ascii_host spells it: given a non-ASCII host, Scrapy (w3lib)
    encodes it with IDNA 2003 and requests another domain ("faß.de" as fass.de)."""
    parts = urlsplit(url)
    at = parts.netloc.rfind("@") + 1
    userinfo, hostport = parts.netloc[:at], parts.netloc[at:]
    if hostport.isascii():
        return url
    host, colon, port = hostport.rpartition(":")
    if not colon or not (port.isdigit() or not port):  # "host:" has an empty port
        host, colon, port = hostport, "", ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}{ascii_host(host)}{colon}{port}"))


# Left as written in a query: RFC 3986's reserved characters, except those Scrapy sends
# percent-encoded (as WHATWG's URL standard does): "?ids[]=7" and "?ids%5B%5D=7" are one
# request, and they were two canonical URLs (the next run fetched the story again).
_QUERY_SAFE = "%/:=?~+!$,;@()*"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normal_escape(escape: re.Match[str]) -> str:
    """One spelling for equivalent escapes (RFC 3986 6.2.2): upper-case hex, and unreserved
    characters as themselves. "caf%c3%a9" and "caf%C3%A9", "%7E" and "~", were two keys: the
    second run fetched the article again and stored it twice."""
    char = chr(int(escape.group(1), 16))
    return char if char in _UNRESERVED else "%" + escape.group(1).upper()


def has_markers(url: str) -> bool:
    """Whether canonical_url would take tracking or AMP markers off this URL: a cheap test
    for the links of a page, most of which it would leave as they are."""
    path, _, query = url.partition("?")
    if "/amp" in path:
        return True
    return any(_marker(pair) for pair in query.split("#", 1)[0].split("&") if pair)


def _marker(pair: str) -> bool:
    """A query pair that never changes what a news page shows: tracking, or an AMP switch."""
    key, _, value = pair.partition("=")
    key, value = unquote_plus(key), unquote_plus(value)
    return bool(_TRACKING.match(key)) or key.lower() == "amp" or (key == "outputType" and value == "amp")
