"""Page bytes to text where they are not plain UTF-8 markup: undeclared compression, UTF-16
without a byte-order mark, legacy code pages (trafilatura's decoders, told the page's language)."""

from __future__ import annotations

import codecs
import re

from trafilatura.utils import detect_encoding, handle_compressed_file

# The legacy encodings pages in a language were written in. The charset detectors rank
# encodings by byte statistics, which do not tell the single-byte code pages apart: a
# Turkish page in windows-1254 without a declaration came out as windows-1250 ("büyüklüđü",
# "Yýlmaz"), a Polish one in ISO-8859-2 as ISO-8859-10 ("uchwaliģ").
_LANGUAGE_CHARSETS = {
    **dict.fromkeys(("tr", "az"), ("cp1254", "iso8859_9")),
    **dict.fromkeys(
        ("pl", "cs", "sk", "hu", "sl", "hr", "bs", "ro"), ("cp1250", "iso8859_2", "iso8859_16")
    ),
    **dict.fromkeys(
        ("ru", "uk", "be", "bg", "sr", "mk"), ("cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866")
    ),
    **dict.fromkeys(("lt", "lv", "et"), ("cp1257", "iso8859_13", "iso8859_4")),
    **dict.fromkeys(("ar", "fa", "ur"), ("cp1256", "iso8859_6")),
    **dict.fromkeys(("he", "yi"), ("cp1255", "iso8859_8")),
    "el": ("cp1253", "iso8859_7"),
    "vi": ("cp1258",),
    "th": ("cp874", "tis_620"),
    "ja": ("shift_jis", "cp932", "euc_jp", "iso2022_jp"),
    "ko": ("euc_kr", "cp949", "iso2022_kr", "johab"),
    "zh": ("gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950"),
    # (Not English and the Western European languages: "en" is what templates leave on pages
    # in every language, and windows-1252 would then win over the detector's right guess.)
}
_LANGUAGE_CODECS = {
    lang: frozenset(codecs.lookup(name).name for name in names) for lang, names in _LANGUAGE_CHARSETS.items()
}
_HTML_LANG = re.compile(rb"<html\b[^>]*?\slang\s*=\s*[\"']?([a-zA-Z]{2,3})\b", re.I)
# Where the <html> tag is looked for: a page's first bytes (comments and a doctype before it).
_LANG_WINDOW = 16384


def decode_legacy(body: bytes) -> str:
    """trafilatura's decode_file for bytes that are not UTF-8, preferring among the detector's
    guesses an encoding of the language the page's <html lang> names."""
    content = decompressed(body)
    guesses = detect_encoding(content)
    lang = _HTML_LANG.search(content[:_LANG_WINDOW])
    family = _LANGUAGE_CODECS.get(lang.group(1).lower().decode()) if lang else None
    if family:
        guesses.sort(key=lambda guess: _codec_name(guess) not in family)  # stable: ranks kept
    for guess in guesses:
        try:
            return content.decode(guess)
        except (LookupError, UnicodeDecodeError):
            continue
    return str(content, encoding="utf-8", errors="replace")


# Bytes a compressed stream holds within its first 512 almost surely (a markup page's first
# 512 bytes hold none): the chance that 512 random bytes avoid all 27 is e^-57.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def decompressed(body: bytes) -> bytes:
    """trafilatura's handle_compressed_file, which decompresses bodies whose server did not
    say they were compressed, skipped for a body that begins as markup: it tried a brotli
    and a zlib decoder on every page, 1.2% of extract_article's CPU on the dev pages."""
    head = body[:512]
    if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<" and _BINARY.search(head) is None:
        return body
    return handle_compressed_file(body)


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 of mostly ASCII markup without a byte-order mark: NULs in every other byte of
    its beginning. It is valid UTF-8 too, and came out with the NULs dropped and every
    non-ASCII letter garbled ('!>25B CB25@48;'), status ok."""
    head = raw[:1024]
    if len(head) < 64 or b"\x00" not in head:
        return None
    pairs = len(head) // 2
    # A quarter of the pairs hold an ASCII character (the markup), none a NUL on the other side.
    odd, even = head[1::2].count(0) / pairs, head[::2].count(0) / pairs
    if odd > 0.25 and even < 0.02:
        return "utf-16-le"
    if even > 0.25 and odd < 0.02:
        return "utf-16-be"
    return None
