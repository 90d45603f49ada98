"""Undo HTTP Content-Encoding on an archived payload (the WARC keeps the bytes as sent)."""

from __future__ import annotations

import gzip
import zlib

import brotli


class ContentEncodingError(ValueError):
    """A payload that does not decode as its Content-Encoding says."""


def _inflate(data: bytes) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)


_DECODERS = {
    "gzip": gzip.decompress,
    "x-gzip": gzip.decompress,
    "deflate": _inflate,
    "br": brotli.decompress,
    "identity": lambda data: data,
}


def decode_body(payload: bytes, content_encoding: str | None) -> bytes:
    """The body as the page author wrote it. Codings apply in the order listed: undo in reverse."""
    if not content_encoding or not payload:
        return payload
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    body = payload
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ContentEncodingError(f"unsupported Content-Encoding {coding!r}")
        try:
            body = decoder(body)
        except (OSError, EOFError, zlib.error, brotli.error) as exc:
            raise ContentEncodingError(f"payload is not valid {coding}: {exc}") from exc
    return body
