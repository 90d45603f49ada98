"""Undo HTTP Content-Encoding on an archived payload (the WARC keeps the bytes as sent).

Every decoder stops at `max_size` bytes of output: a page is archived compressed, and 2 KB
of gzip inside gzip inflates to gigabytes (the crawl's own decoding stops at Scrapy's
DOWNLOAD_MAXSIZE, 64 MiB, the default here).
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # the zstd module Scrapy decodes with: what the crawl accepts, a re-extraction reads
    from backports import zstd

MAX_DECODED = 64 * 1024 * 1024
# Nobody encodes a page more than twice; a stack of codings is a bomb's way to multiply.
MAX_CODINGS = 4
_CHUNK = 64 * 1024


class ContentEncodingError(ValueError):
    """A payload that does not decode as its Content-Encoding says, or decodes too large."""


class _Output:
    def __init__(self, max_size: int) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.max_size = max_size

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_size:
            raise ContentEncodingError(f"decodes to more than {self.max_size:,} bytes")
        self.parts.append(data)

    def value(self) -> bytes:
        return b"".join(self.parts)


def _zlib_stream(data: bytes, wbits: int, out: _Output, *, members: bool) -> None:
    """Inflate `data` into `out`; gzip files may hold several members.

    Input goes in 64 KiB at a time and output comes out 64 KiB at a time: zlib copies the
    whole rest of its input into `unused_data` at each member's end, quadratic over many
    small members when handed the whole payload.
    """
    view, pos = memoryview(data), 0
    while True:
        inflater = zlib.decompressobj(wbits)
        while not inflater.eof:
            if inflater.unconsumed_tail:
                pending: bytes | memoryview = inflater.unconsumed_tail
            elif pos < len(data):
                pending = view[pos : pos + _CHUNK]
                pos += len(pending)
            else:
                pending = b""
            produced = inflater.decompress(pending, _CHUNK)
            if not pending and not produced and not inflater.eof:
                raise ContentEncodingError("the compressed stream is cut short")
            out.add(produced)
        pos -= len(inflater.unused_data)
        if not members or pos >= len(data):
            return
        # Zero padding after the last member is allowed (gzip(1) reads past it).
        if data[pos] == 0 and data.count(0, pos) == len(data) - pos:
            return


def _gunzip(data: bytes, max_size: int) -> bytes:
    out = _Output(max_size)
    _zlib_stream(data, 16 + zlib.MAX_WBITS, out, members=True)
    return out.value()


def _inflate(data: bytes, max_size: int) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    out = _Output(max_size)
    try:
        _zlib_stream(data, zlib.MAX_WBITS, out, members=False)
    except zlib.error:
        out = _Output(max_size)
        _zlib_stream(data, -zlib.MAX_WBITS, out, members=False)
    return out.value()


def _unbrotli(data: bytes, max_size: int) -> bytes:
    out = _Output(max_size)
    decompressor = brotli.Decompressor()
    out.add(decompressor.process(data, output_buffer_limit=_CHUNK))
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
        if not chunk:
            raise ContentEncodingError("the compressed stream is cut short")
        out.add(chunk)
    return out.value()


def _unzstd(data: bytes, max_size: int) -> bytes:
    """Every frame of `data` (a zstd stream may hold several), 64 KiB in and out at a time."""
    out = _Output(max_size)
    view, pos = memoryview(data), 0
    decompressor = zstd.ZstdDecompressor()
    while True:
        if decompressor.eof:
            pos -= len(decompressor.unused_data)
            if pos >= len(data):
                return out.value()
            decompressor = zstd.ZstdDecompressor()
        if decompressor.needs_input:
            if pos >= len(data):
                raise ContentEncodingError("the compressed stream is cut short")
            pending: bytes | memoryview = view[pos : pos + _CHUNK]
            pos += len(pending)
        else:
            pending = b""
        out.add(decompressor.decompress(pending, max_length=_CHUNK))


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
    "identity": lambda data, max_size: data,
}


def decode_body(
    payload: bytes, content_encoding: str | None, *, max_size: int = MAX_DECODED
) -> bytes:
    """The body as the page author wrote it. Codings apply in the order listed: undo in reverse."""
    if not content_encoding or not payload:
        return payload
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    if len(codings) > MAX_CODINGS:
        raise ContentEncodingError(f"{len(codings)} content codings stacked (at most {MAX_CODINGS})")
    body = payload
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ContentEncodingError(f"unsupported Content-Encoding {coding!r}")
        try:
            body = decoder(body, max_size)
        except (OSError, EOFError, zlib.error, brotli.error, zstd.ZstdError) as exc:
            raise ContentEncodingError(f"payload is not valid {coding}: {exc}") from exc
    return body
