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


class DecodedTooLarge(ContentEncodingError):
    """A payload that decodes to more than the limit asked for."""


class _Output:
    def __init__(self, max_size: int, partial: bool) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.max_size = max_size
        self.partial = partial  # a body we cut ourselves: what inflated is all there is

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_size:
            raise DecodedTooLarge(f"decodes to more than {self.max_size:,} bytes")
        self.parts.append(data)

    def value(self) -> bytes:
        return b"".join(self.parts)

    def clear(self) -> None:
        self.parts, self.size = [], 0

    def cut_short(self) -> None:
        if not self.partial:
            raise ContentEncodingError("the compressed stream is cut short")


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
                out.cut_short()
                return
            out.add(produced)
        pos -= len(inflater.unused_data)
        # What follows a whole member is another member, or padding or junk that browsers
        # ignore, as Scrapy's gunzip does (a page served with a stray newline after it).
        if not members or not data.startswith(b"\x1f\x8b", pos):
            return


def _gunzip(data: bytes, out: _Output) -> None:
    _zlib_stream(data, 16 + zlib.MAX_WBITS, out, members=True)


def _inflate(data: bytes, out: _Output) -> None:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    try:
        _zlib_stream(data, zlib.MAX_WBITS, out, members=False)
    except zlib.error:
        out.clear()
        _zlib_stream(data, -zlib.MAX_WBITS, out, members=False)


def _unbrotli(data: bytes, out: _Output) -> None:
    decompressor = brotli.Decompressor()
    out.add(decompressor.process(data, output_buffer_limit=_CHUNK))
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
        if not chunk:
            out.cut_short()
            return
        out.add(chunk)


def _unzstd(data: bytes, out: _Output) -> None:
    """Every frame of `data` (a zstd stream may hold several), 64 KiB in and out at a time."""
    view, pos = memoryview(data), 0
    decompressor = zstd.ZstdDecompressor()
    while True:
        if decompressor.eof:
            pos -= len(decompressor.unused_data)
            if pos >= len(data):
                return
            decompressor = zstd.ZstdDecompressor()
        if decompressor.needs_input:
            if pos >= len(data):
                out.cut_short()
                return
            pending: bytes | memoryview = view[pos : pos + _CHUNK]
            pos += len(pending)
        else:
            pending = b""
        out.add(decompressor.decompress(pending, max_length=_CHUNK))


def _identity(data: bytes, out: _Output) -> None:
    out.add(data)


_DECODERS: dict[str, Callable[[bytes, _Output], None]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
    "identity": _identity,
}


def undo_content_encoding(
    payload: bytes, content_encoding: str | None, *, max_size: int = MAX_DECODED,
    partial: bool = False,
) -> tuple[bytes, list[str]]:
    """The body as the page author wrote it, and the codings left on it.

    Codings apply in the order listed: they are undone in reverse, up to the first one
    nobody knows ("Content-Encoding: utf-8" on a plain page), which is left on the body as
    Scrapy and browsers leave it. The crawl decodes with this too (crawler/middlewares/
    decoding.py), so a re-extraction reads every archived body as the crawl read it.

    A stream that ends before its end is an error, but with `partial` (a body the crawl cut
    at its own limit: what inflated is all there is, and it is archived as truncated).
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    if not payload or not codings:
        return payload, codings
    if len(codings) > MAX_CODINGS:
        raise ContentEncodingError(f"{len(codings)} content codings stacked (at most {MAX_CODINGS})")
    body = payload
    while codings:
        decoder = _DECODERS.get(codings[-1])
        if decoder is None:
            break
        out = _Output(max_size, partial)
        try:
            decoder(body, out)
            body = out.value()
        except (OSError, EOFError, zlib.error, brotli.error, zstd.ZstdError) as exc:
            raise ContentEncodingError(f"payload is not valid {codings[-1]}: {exc}") from exc
        codings.pop()
    return body, codings


def decode_body(
    payload: bytes, content_encoding: str | None, *, max_size: int = MAX_DECODED
) -> bytes:
    """The body without the Content-Encodings we know (see undo_content_encoding)."""
    return undo_content_encoding(payload, content_encoding, max_size=max_size)[0]
