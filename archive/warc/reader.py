"""Strict WARC reading: one record by (file, offset), or every record of a file, never a short one.

warcio's ArchiveIterator returns a record cut by a crash without complaint (warcio issues 127,
138), so records are read member by member here: each gzip member must be complete, hold
exactly one record whose block is Content-Length bytes followed by CRLF CRLF, and its digests
must hold.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from archive.warc.records import OPEN_SUFFIX, WARC_SUFFIX, WarcPosition, final_name

READ_SIZE = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b\x08"
HTTP_RECORD_TYPES = ("response", "request", "revisit")
_STATUS = re.compile(r"[0-9]{1,5}")  # what int() takes and a status can be


class WarcFormatError(Exception):
    """A record that is cut, corrupt or not what the WARC format says; names file and offset."""

    def __init__(self, file: str, offset: int, reason: str) -> None:
        super().__init__(f"{file} at offset {offset}: {reason}")
        self.file = file
        self.offset = offset
        self.reason = reason


class OversizedMember(WarcFormatError):
    """A gzip member that holds more than one record (a whole file gzipped at once): read to
    its end without keeping it, so its `length` is known and the file goes on after it."""

    def __init__(self, file: str, offset: int, length: int, kept: int) -> None:
        super().__init__(file, offset, f"gzip member holds more than one record ({length} bytes "
                                       f"compressed; a whole file gzipped at once?)")
        self.length = length
        self.kept = kept


# What one member may hold beyond the record its WARC header announces (the block's
# trailing CRLFs, a little slack), and how far its header may reach.
_MEMBER_SLACK = 64 * 1024
_HEADER_REACH = 1024 * 1024
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")


def _record_limit(head: bytes) -> int | None:
    """How many uncompressed bytes the record starting with `head` may take, once its WARC
    header is complete (None before: more must be read)."""
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return None if len(head) < _HEADER_REACH else _HEADER_REACH
    length = _CONTENT_LENGTH.search(head, 0, end + 2)
    return end + 4 + (int(length[1]) if length else 0) + _MEMBER_SLACK


@dataclass
class WarcRecordData:
    """One record read back, with its position and its raw (still content-encoded) payload."""

    position: WarcPosition
    rec_type: str
    target_uri: str | None
    date: str
    warc_headers: list[tuple[str, str]]
    http_status: int | None  # responses only
    http_headers: list[tuple[str, str]] | None  # request/response records only
    payload: bytes  # raw (still content-encoded)
    http_start_line: str | None = None  # "HTTP/1.1 200 OK" or "GET /path?q HTTP/1.1"

    def warc_header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.warc_headers if k.lower() == lower), None)

    def warc_header_values(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.warc_headers if k.lower() == lower]

    def http_header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.http_headers or [] if k.lower() == lower), None)

    def http_header_values(self, name: str) -> list[str]:
        """Every line of a repeated HTTP header, in order."""
        lower = name.lower()
        return [v for k, v in self.http_headers or [] if k.lower() == lower]

    def json_payload(self) -> Any:
        """The payload read as JSON. ValueError, saying why, when it cannot be: not UTF-8, not
        JSON, or arrays nested past Python's recursion limit (json raises RecursionError
        there, which stopped a whole index build with a traceback)."""
        try:
            return json.loads(self.payload)
        except ValueError as exc:
            raise ValueError(f"not readable JSON: {exc}") from None
        except RecursionError:
            raise ValueError("not readable JSON: nested too deeply") from None


class GzipMembers:
    """Reads consecutive gzip members from a binary file one at a time, exactly."""

    def __init__(self, fileobj: BinaryIO, file: str, offset: int = 0) -> None:
        self._f = fileobj
        self._file = file
        self._carry = b""
        self.pos = offset
        fileobj.seek(offset)

    def next_member(self) -> tuple[int, int, bytes] | None:
        """(offset, compressed length, uncompressed bytes) of the next member; None at the end."""
        offset = self.pos
        data = self._carry or self._f.read(READ_SIZE)
        if not data:
            return None
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts: list[bytes] = []
        consumed = kept = 0
        limit: int | None = None
        while True:
            try:
                part = decompressor.decompress(data)
            except zlib.error as exc:  # bad header, bad deflate data, CRC or length mismatch
                raise WarcFormatError(self._file, offset, f"corrupt gzip member ({exc})") from exc
            # Kept only up to what one record can take: a whole file gzipped as one member
            # (`gzip file.warc`) was inflated into memory whole, 640 MB for a 6 MB file.
            if limit is None or kept <= limit:
                parts.append(part)
                kept += len(part)
                if limit is None:
                    limit = _record_limit(b"".join(parts)[:_HEADER_REACH])
            if decompressor.eof:
                self._carry = decompressor.unused_data
                consumed += len(data) - len(self._carry)
                break
            consumed += len(data)
            data = self._f.read(READ_SIZE)
            if not data:
                raise WarcFormatError(
                    self._file, offset, f"gzip member cut short: file ends {consumed} bytes in"
                )
        self.pos = offset + consumed
        if limit is not None and kept > limit:
            raise OversizedMember(self._file, offset, consumed, kept)
        return offset, consumed, b"".join(parts)


def _parse_fields(text: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and fields:  # folded continuation line
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"malformed header line {line[:80]!r}")
        fields.append((name.strip(), value.strip()))
    return fields


def digest_matches(expected: str, data: bytes) -> bool:
    """Whether ``data`` has the WARC digest ``expected`` ("sha1:BASE32", or base16)."""
    algorithm, _, encoded = expected.partition(":")
    try:
        digest = hashlib.new(algorithm.strip().lower().replace("-", ""), data).digest()
    except (ValueError, TypeError):  # unknown, or a variable-length one (shake_*) with no length
        return False
    encoded = encoded.strip()
    return base64.b32encode(digest).decode() == encoded.upper() or digest.hex() == encoded.lower()


def parse_record(data: bytes, file: str, offset: int, length: int) -> WarcRecordData:
    """Parse and check the uncompressed bytes of one gzip member as exactly one WARC record."""

    def fail(reason: str) -> WarcFormatError:
        return WarcFormatError(file, offset, reason)

    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        raise fail("WARC headers cut short (no blank line after them)")
    try:
        head = data[:head_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"WARC headers are not UTF-8 ({exc})") from exc
    version, _, rest = head.partition("\r\n")
    if version not in ("WARC/1.1", "WARC/1.0"):
        raise fail(f"not a WARC record: first line {version[:40]!r}")
    try:
        warc_headers = _parse_fields(rest) if rest else []
    except ValueError as exc:
        raise fail(f"bad WARC header: {exc}") from exc
    names = {k.lower(): v for k, v in reversed(warc_headers)}
    for required in ("warc-type", "warc-record-id", "warc-date", "content-length"):
        if required not in names:
            raise fail(f"missing WARC header {required!r}")
    try:
        content_length = int(names["content-length"])
        if content_length < 0:
            raise ValueError
    except ValueError:
        raise fail(f"bad Content-Length {names['content-length']!r}") from None
    block_start = head_end + 4
    block = data[block_start : block_start + content_length]
    if len(block) < content_length:
        raise fail(f"record cut short: Content-Length {content_length}, block has {len(block)}")
    trailer = data[block_start + content_length :]
    if trailer != b"\r\n\r\n":
        if b"\r\n\r\n".startswith(trailer):
            raise fail("record cut short: missing the CRLF CRLF after the block")
        if len(trailer) <= 4:  # (the count below would be 0 or negative)
            raise fail(f"the block ends with {trailer!r}, not CRLF CRLF: Content-Length is wrong")
        raise fail(
            f"{len(trailer) - 4} unexpected bytes after the record: Content-Length is wrong or "
            "the gzip member holds more than one record"
        )
    block_digest = names.get("warc-block-digest")
    if block_digest and not digest_matches(block_digest, block):
        raise fail(f"WARC-Block-Digest mismatch (expected {block_digest})")

    rec_type = names["warc-type"]
    http_status: int | None = None
    http_headers: list[tuple[str, str]] | None = None
    start_line: str | None = None
    payload = block
    content_type = names.get("content-type", "")
    if rec_type in HTTP_RECORD_TYPES and content_type.startswith("application/http") and block:
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            raise fail("HTTP headers cut short (no blank line after them)")
        start_line, _, http_rest = block[:http_end].decode("latin-1").partition("\r\n")
        try:
            http_headers = _parse_fields(http_rest) if http_rest else []
        except ValueError as exc:
            raise fail(f"bad HTTP header: {exc}") from exc
        if rec_type != "request":
            status = start_line.split(" ", 2)[1:2]
            # ASCII digits only: str.isdigit() also takes "¹", which int() refuses.
            if not status or not _STATUS.fullmatch(status[0]):
                raise fail(f"bad HTTP status line {start_line[:80]!r}")
            http_status = int(status[0])
        payload = block[http_end + 4 :]
    payload_digest = names.get("warc-payload-digest")
    if payload_digest and rec_type != "revisit" and not digest_matches(payload_digest, payload):
        raise fail(f"WARC-Payload-Digest mismatch (expected {payload_digest})")

    position = WarcPosition(
        final_name(file), offset, length, names["warc-record-id"], payload_digest
    )
    return WarcRecordData(
        position=position,
        rec_type=rec_type,
        target_uri=names.get("warc-target-uri"),
        date=names["warc-date"],
        warc_headers=warc_headers,
        http_status=http_status,
        http_headers=http_headers,
        payload=payload,
        http_start_line=start_line,
    )


def read_record(warc_dir: Path, file: str, offset: int) -> WarcRecordData:
    """Read the record whose gzip member starts at ``offset`` of ``file``.

    ``file`` is the final name; a file still being written is read from its ``.open`` name.
    """
    candidates = [Path(warc_dir) / file, Path(warc_dir) / (file + OPEN_SUFFIX)]
    # The writer may rename `.open` to the final name between two attempts: try both twice.
    for path in candidates + candidates:
        try:
            with open(path, "rb") as f:
                member = GzipMembers(f, file, offset).next_member()
        except FileNotFoundError:
            continue
        if member is None:
            raise WarcFormatError(file, offset, "offset is at or past the end of the file")
        return parse_record(member[2], file, member[0], member[1])
    raise FileNotFoundError(f"no WARC file {file} (nor {file}{OPEN_SUFFIX}) in {warc_dir}")


def iter_records(path: Path) -> Iterator[WarcRecordData]:
    """Every record of one file, in order; raises WarcFormatError at the first bad one."""
    path = Path(path)
    with open(path, "rb") as f:
        members = GzipMembers(f, path.name)
        while (member := members.next_member()) is not None:
            yield parse_record(member[2], path.name, member[0], member[1])


def warc_files(warc_dir: Path) -> list[Path]:
    """Closed WARC files of a directory, in name (so creation) order."""
    return sorted(p for p in Path(warc_dir).glob(f"*{WARC_SUFFIX}") if p.is_file())


def unread_warc_files(warc_dir: Path) -> list[Path]:
    """WARC files under a directory that are not read, which were passed over without a word,
    their captures missing from a rebuilt index: uncompressed ones (`NAME.warc`, a file
    gunzipped to be looked at, or another tool's), and any in a subfolder (an operator filing
    years into `warc/2025/`)."""
    warc_dir = Path(warc_dir)
    found = [p for p in warc_dir.glob("*.warc") if p.is_file()]
    found += [p for p in warc_dir.glob("*/**/*") if p.name.endswith((WARC_SUFFIX, ".warc"))
              and p.is_file()]
    return sorted(found)


def not_read_reason(path: Path, warc_dir: Path) -> str:
    """Why a WARC file is not read, and what makes one that is."""
    if path.parent != Path(warc_dir):
        return (f"a WARC file in a subfolder is not read (only {Path(warc_dir).name}/'s own "
                "files are): move it up beside the others")
    return (f"an uncompressed WARC file is not read (only {WARC_SUFFIX}, one gzip member per "
            f"record): `warcio recompress {path.name} {path.name}.gz` makes one")


def unread_name(path: Path, warc_dir: Path) -> str:
    """How a report names an unread file: its path under the WARC directory."""
    return str(path.relative_to(warc_dir))


@dataclass
class ScanEntry:
    """One stretch of a file: a good record, or bytes that could not be read as one."""

    offset: int
    length: int
    record: WarcRecordData | None = None
    error: WarcFormatError | None = None


def _find_magic(f: BinaryIO, start: int) -> int | None:
    f.seek(start)
    base, tail = start, b""
    while chunk := f.read(READ_SIZE):
        window = tail + chunk
        found = window.find(GZIP_MAGIC)
        if found >= 0:
            return base - len(tail) + found
        tail = window[-(len(GZIP_MAGIC) - 1) :]
        base += len(chunk)
    return None


def scan_file(path: Path) -> Iterator[ScanEntry]:
    """Every record of a file, resynchronising on the next gzip header after a bad stretch.

    Yields good records and, between them, one error entry per unreadable stretch (its offset,
    length and the first error met in it). Never raises WarcFormatError.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        offset = 0
        while offset < size:
            try:
                member = GzipMembers(f, path.name, offset).next_member()
            except OversizedMember as exc:  # a whole member, its end known: go on after it
                yield ScanEntry(offset, exc.length, error=exc)
                offset += exc.length
                continue
            except WarcFormatError as exc:  # broken gzip: its end is unknown, look for the next
                good = _next_good(f, path.name, offset + 1)
                end = good if good is not None else size
                yield ScanEntry(offset, end - offset, error=exc)
                offset = end
                continue
            assert member is not None
            try:  # a complete member: whatever is wrong inside it, the next one follows it
                record = parse_record(member[2], path.name, member[0], member[1])
                yield ScanEntry(member[0], member[1], record=record)
            except WarcFormatError as exc:
                yield ScanEntry(member[0], member[1], error=exc)
            offset = member[0] + member[1]


def _next_good(f: BinaryIO, file: str, start: int) -> int | None:
    """Offset of the next gzip member at or after ``start`` that reads as a good record."""
    while (candidate := _find_magic(f, start)) is not None:
        try:
            member = GzipMembers(f, file, candidate).next_member()
            if member is not None:
                parse_record(member[2], file, member[0], member[1])
                return candidate
        except WarcFormatError:
            pass  # a false start (magic bytes inside compressed data): keep looking
        start = candidate + 1
    return None
