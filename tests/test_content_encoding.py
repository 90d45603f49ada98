"""Undoing an archived payload's Content-Encoding: every coding the crawl accepts, bounded."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable

import brotli
import pytest
from backports import zstd

from archive.index.content import (
    MAX_DECODED,
    ContentEncodingError,
    decode_body,
    undo_content_encoding,
)

PAGE = b"<html><p>" + b"The harbour wall fell in the storm. " * 4000 + b"</p></html>"


CODECS = [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
          ("zstd", zstd.compress)]


def raw_deflate(data: bytes) -> bytes:
    return zlib.compress(data)[2:-4]


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("br", brotli.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),  # what some servers send for "deflate"
        # Scrapy asks for zstd too (Accept-Encoding), so a re-extraction must read it:
        # it was "unsupported Content-Encoding" and the page could not be extracted again.
        ("zstd", zstd.compress),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
        ("identity", lambda b: b),
        (None, lambda b: b),
    ],
)
def test_decode_body(encoding: str | None, encode: Callable[[bytes], bytes]) -> None:
    assert decode_body(encode(PAGE), encoding) == PAGE


def test_every_member_and_frame_is_read() -> None:
    assert decode_body(gzip.compress(b"ab") + gzip.compress(b"cd") + b"\0\0", "gzip") == b"abcd"
    assert decode_body(zstd.compress(b"ab") + zstd.compress(b"cd"), "zstd") == b"abcd"
    assert decode_body(gzip.compress(b"x") * 20_000, "gzip") == b"x" * 20_000


@pytest.mark.parametrize(("encoding", "encode"), CODECS)
def test_a_cut_payload_is_an_error(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    with pytest.raises(ContentEncodingError, match="cut short|not valid"):
        decode_body(encode(PAGE)[:-40], encoding)


@pytest.mark.parametrize(("encoding", "encode"), CODECS)
def test_output_stops_at_the_limit(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    with pytest.raises(ContentEncodingError, match="more than 1,000 bytes"):
        decode_body(encode(PAGE), encoding, max_size=1000)


def test_a_gzip_bomb_stops_at_the_default_limit() -> None:
    # 2 KB of gzip inside gzip that inflates to 1 GiB: it was inflated whole, in memory.
    bomb = gzip.compress(gzip.compress(bytes(MAX_DECODED + 1)))
    assert len(bomb) < 200_000
    with pytest.raises(ContentEncodingError, match="more than 67,108,864 bytes"):
        decode_body(bomb, "gzip, gzip")


def test_a_coding_nobody_knows_is_left_on_the_body() -> None:
    # "Content-Encoding: UTF-8" on a plain page: Scrapy and browsers read it as it came, and
    # a re-extraction refused it ("unsupported Content-Encoding").
    assert undo_content_encoding(b"<p>x</p>", "UTF-8") == (b"<p>x</p>", ["utf-8"])
    assert undo_content_encoding(gzip.compress(b"x"), "compress, gzip") == (b"x", ["compress"])


def test_what_follows_the_last_gzip_member_is_ignored_as_browsers_do() -> None:
    assert decode_body(gzip.compress(b"x") + b"\n<!-- trailing junk -->", "gzip") == b"x"
    with pytest.raises(ContentEncodingError, match="cut short"):
        decode_body(gzip.compress(b"x") + gzip.compress(PAGE)[:-20], "gzip")


def test_a_body_cut_on_purpose_decodes_as_far_as_it_goes() -> None:
    page = random.Random(7).randbytes(200_000).hex().encode()  # compresses to about half
    for encode, coding in [(gzip.compress, "gzip"), (brotli.compress, "br"), (zstd.compress, "zstd")]:
        # (zstd gives out whole blocks of up to 128 KiB only.)
        part, left = undo_content_encoding(encode(page)[:150_000], coding, partial=True)
        assert left == [] and 0 < len(part) < len(page) and page.startswith(part)


def test_decode_body_errors() -> None:
    with pytest.raises(ContentEncodingError, match="not valid gzip"):
        decode_body(b"not gzip", "gzip")
    with pytest.raises(ContentEncodingError, match="5 content codings stacked"):
        decode_body(b"x", "identity, " * 5)
