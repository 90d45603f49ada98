"""verify_directory: a strict, readable check of every WARC file, member and link."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.cli import main as warcio_main

from archive.warc import VerifyReport, WarcFileWriter, verify_directory
from archive.warc.serialize import RecordSerializer, gzip_member
from tests.warc_support import sample_exchange, sequential_ids

WHEN = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


def build(path: Path, records: list[bytes]) -> None:
    path.write_bytes(b"".join(gzip_member(r) for r in records))


def exchange_records(serializer: RecordSerializer, n: int = 0) -> tuple[str, bytes, bytes]:
    (resp_id, _, resp), (_, _, req) = serializer.exchange(
        *sample_exchange(url=f"http://127.0.0.1:8080/story/{n}")
    )
    return resp_id, resp, req


def messages(report: VerifyReport) -> list[str]:
    return [str(p) for p in report.problems]


@pytest.fixture
def serializer() -> RecordSerializer:
    return RecordSerializer(sequential_ids())


def warcinfo(serializer: RecordSerializer, name: str) -> bytes:
    return serializer.warcinfo(name, WHEN, {"software": "test"})[1]


def test_a_good_directory_verifies(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path, max_size=30_000) as writer:
        for i in range(6):
            request, response = sample_exchange(url=f"http://127.0.0.1:8080/story/{i}")
            pair = writer.write_exchange(request, response)
            writer.write_metadata(response.url, b"{}", refers_to=pair.response.record_id)
        writer.write_metadata("http://127.0.0.1:8080/down", b"{}", refers_to=None)
    report = verify_directory(tmp_path)
    assert report.ok and report.files >= 1 and report.records == report.files + 6 * 3 + 1
    assert report.format() == (
        f"WARC verification of {tmp_path}: {report.files} files, {report.records} records: OK"
    )


def test_truncated_file_passes_warcio_check_but_not_verify(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path) as writer:
        pos = writer.write_exchange(*sample_exchange()).request
    path = tmp_path / pos.file
    path.write_bytes(path.read_bytes()[: pos.offset + pos.length - 15])
    # The fact from DESIGN.md (warcio issues 127, 138): warcio's checker exits 0 here.
    with pytest.raises(SystemExit) as exit_info:
        warcio_main(["check", str(path)])
    assert exit_info.value.code == 0
    report = verify_directory(tmp_path)
    assert not report.ok
    assert messages(report)[0].startswith(f"{pos.file} at offset {pos.offset}: gzip member cut")
    assert "response <urn:uuid:" in messages(report)[1] and "no request record" in messages(report)[1]


def test_open_and_empty_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.warc.gz.open").write_bytes(b"")
    os.utime(tmp_path / "a.warc.gz.open", (time.time() - 120, time.time() - 120))  # not new
    (tmp_path / "b.warc.gz").write_bytes(b"")
    report = verify_directory(tmp_path)
    assert messages(report) == [
        "a.warc.gz.open: still open: left by a crash "
        "(start-up salvage, or `newsarchive index`, closes it)",
        "b.warc.gz: empty file: no warcinfo, no records",
    ]
    text = report.format()
    assert text.splitlines()[0].endswith("1 files, 0 records, 2 problem(s):")
    assert text.splitlines()[1:] == [f"  {m}" for m in messages(report)]


def test_record_level_problems(tmp_path: Path, serializer: RecordSerializer) -> None:
    name = "bad.warc.gz"
    _, meta_id_and_digest, meta = serializer.metadata(
        "http://x/", b"{}", refers_to=None, content_type="application/json", date=WHEN
    )
    short = meta.replace(b"Content-Length: 2\r\n", b"Content-Length: 1\r\n")
    tampered = meta.replace(b"\r\n{}\r\n", b"\r\n{]\r\n")
    no_digest = b"".join(
        line for line in meta.splitlines(keepends=True) if b"-Digest:" not in line
    )
    resp_id, resp, req = exchange_records(serializer)
    records = [warcinfo(serializer, name), short, tampered, no_digest, resp + req, resp, req]
    build(tmp_path / name, records)
    offsets = [0]
    for record in records[:-1]:
        offsets.append(offsets[-1] + len(gzip_member(record)))

    report = verify_directory(tmp_path)
    found = messages(report)
    assert found[0] == (f"{name} at offset {offsets[1]}: 1 unexpected bytes after the record: "
                        "Content-Length is wrong or the gzip member holds more than one record "
                        f"({offsets[2] - offsets[1]} bytes unreadable)")
    assert found[1].startswith(f"{name} at offset {offsets[2]}: WARC-Block-Digest mismatch")
    assert found[2].startswith(f"{name} at offset {offsets[4]}: ") and "more than one" in found[2]
    assert len(found) == 3  # the pair after the bad member is fine
    # The record without digests is not damaged: noted, not a problem.
    assert report.notes == [
        f"{name}: 1 records have no WARC-Payload-Digest (optional)",
        f"{name}: 1 records have no WARC-Block-Digest (optional: only the gzip checksum "
        "vouches for them)",
    ]


def test_links_between_records(tmp_path: Path, serializer: RecordSerializer) -> None:
    resp1, r1, q1 = exchange_records(serializer, 1)
    resp2, r2, q2 = exchange_records(serializer, 2)
    req2 = "<urn:uuid:00000000-0000-4000-8000-000000000004>"
    _, _, meta_ok = serializer.metadata(
        "http://x/1", b"{}", refers_to=resp1, content_type="application/json", date=WHEN
    )
    _, _, meta_dangling = serializer.metadata(
        "http://x/9", b"{}", refers_to="<urn:uuid:gone>", content_type="application/json",
        date=WHEN,
    )
    one = [warcinfo(serializer, "1.warc.gz"), r1, q1, r2]
    # The metadata may live in a later file than its response; a request may not.
    two = [warcinfo(serializer, "2.warc.gz"), q2, meta_ok, meta_dangling]
    three = [r1, warcinfo(serializer, "elsewhere.warc.gz")]
    for name, records in (("1", one), ("2", two), ("3", three)):
        build(tmp_path / f"{name}.warc.gz", records)
    at = {name: [sum(len(gzip_member(r)) for r in records[:i]) for i in range(len(records))]
          for name, records in (("1", one), ("2", two), ("3", three))}

    assert messages(verify_directory(tmp_path)) == [
        f"1.warc.gz at offset {at['1'][3]}: response {resp2} has no request record in this file "
        "(WARC-Concurrent-To)",
        f"2.warc.gz at offset {at['2'][1]}: request {req2} has no response record in this file "
        "(WARC-Concurrent-To)",
        "3.warc.gz at offset 0: first record is response, not warcinfo",
        f"3.warc.gz at offset 0: duplicate WARC-Record-ID {resp1} (also 1.warc.gz at {at['1'][1]})",
        f"3.warc.gz at offset {at['3'][1]}: warcinfo names another file: elsewhere.warc.gz",
        f"3.warc.gz at offset 0: response {resp1} has no request record in this file "
        "(WARC-Concurrent-To)",
        f"2.warc.gz at offset {at['2'][3]}: metadata WARC-Refers-To <urn:uuid:gone> names no "
        "record in the directory",
    ]


def test_a_file_being_written_is_not_a_problem(tmp_path: Path) -> None:
    """`newsarchive verify` while a crawl runs: its locked `.open` file is noted, not failed;
    an `.open` file nobody holds is a crash's leftover and is reported."""
    from archive.warc import WarcFileWriter, verify_directory

    writer = WarcFileWriter(tmp_path, fsync=False)
    writer.write_metadata("http://x.test/a", b"{}", refers_to=None)
    report = verify_directory(tmp_path)
    assert report.ok, report.format()
    assert len(report.being_written) == 1
    assert "still being written by a running crawl" in report.format()
    writer.close()
    leftover = tmp_path / "newsarchive-20261128000000000-00009-host-1.warc.gz.open"
    leftover.write_bytes(b"")
    os.utime(leftover, (time.time() - 120, time.time() - 120))
    report = verify_directory(tmp_path)
    assert not report.ok and "left by a crash" in report.format()


def test_a_file_its_writer_is_creating_or_closing_is_not_a_crash(tmp_path: Path) -> None:
    """`verify` during a rollover called a healthy archive's files "left by a crash": one a
    writer had just created and not yet locked, and one renamed to its final name meanwhile."""
    from archive.warc.salvage import open_file_state
    from archive.warc.writer import safe_host

    host = safe_host(socket.gethostname())
    new = tmp_path / f"newsarchive-20261128000000000-00001-{host}-{os.getpid()}.warc.gz.open"
    new.write_bytes(b"")  # created, not yet locked: salvage leaves it alone, so does verify
    assert open_file_state(new) == "writing"
    assert verify_directory(tmp_path).ok
    assert open_file_state(tmp_path / "gone.warc.gz.open") == "closed"  # renamed after the listing
    # An empty file whose writer is known to be gone (this host, no such process) is a leftover.
    dead = tmp_path / f"newsarchive-20261128000000000-00002-{host}-999999999.warc.gz.open"
    dead.write_bytes(b"")
    assert open_file_state(dead) == "left"


def _raw_record(warc_type: str, extra_headers: str, block: bytes) -> bytes:
    head = (f"WARC/1.1\r\nWARC-Type: {warc_type}\r\nWARC-Record-ID: <urn:uuid:odd>\r\n"
            f"WARC-Date: 2026-11-28T04:00:00Z\r\nWARC-Target-URI: http://x.test/\r\n{extra_headers}"
            f"Content-Length: {len(block)}\r\n\r\n")
    return head.encode() + block + b"\r\n\r\n"


@pytest.mark.parametrize("odd", [
    _raw_record("resource", "WARC-Block-Digest: shake_128:AAAA\r\n", b"hello"),  # needs a length
    _raw_record("response", "Content-Type: application/http; msgtype=response\r\n",
                "HTTP/1.1 \u00b9 OK\r\n\r\nhi".encode("latin-1")),  # isdigit(), but not int()
])
def test_an_odd_record_is_reported_not_raised(
    tmp_path: Path, serializer: RecordSerializer, odd: bytes
) -> None:
    from archive.warc import salvage_directory

    name = "news-20261128040000000-00000-h-1.warc.gz"
    resp_id, resp, req = exchange_records(serializer)
    build(tmp_path / name, [warcinfo(serializer, name), resp, req, odd])
    (problem,) = verify_directory(tmp_path).problems
    assert problem.file == name and problem.offset is not None
    # Left by a crash, the same bytes are salvaged: the good records kept, the odd one set aside.
    (tmp_path / name).rename(tmp_path / (name + ".open"))
    (result,) = salvage_directory(tmp_path)
    assert result.records_kept == 3 and len(result.quarantined) == 1
    assert verify_directory(tmp_path).ok


def test_an_open_entry_that_cannot_be_read_is_reported(tmp_path: Path) -> None:
    (tmp_path / "x.warc.gz.open").mkdir()
    (problem,) = verify_directory(tmp_path).problems
    assert problem.file == "x.warc.gz.open" and "cannot read" in problem.message


def test_a_block_ending_in_other_bytes_than_crlf_crlf_is_named(serializer: RecordSerializer) -> None:
    from archive.warc.reader import WarcFormatError, parse_record

    _, _, meta = serializer.metadata(
        "http://x/", b"{}", refers_to=None, content_type="application/json", date=WHEN
    )
    for bad, said in ((meta[:-4] + b"XX", "b'XX'"), (meta[:-4] + b"\r\nX\n", "b'\\r\\nX\\n'")):
        with pytest.raises(WarcFormatError) as caught:
            parse_record(bad, "bad.warc.gz", 0, len(bad))
        assert f"the block ends with {said}, not CRLF CRLF" in str(caught.value)  # was "-2 unexpected bytes"


def test_a_record_without_the_optional_digests_is_a_note_not_a_problem(
    tmp_path: Path, serializer: RecordSerializer
) -> None:
    """Another tool's records without WARC-Payload-Digest (or WARC-Block-Digest), both optional
    in WARC 1.1, were each an error: `verify` failed a sound archive, every night. Their
    absence is a note; a digest that is there is still checked."""
    name = "other-tool.warc.gz"
    resp_id, resp, req = exchange_records(serializer)
    _, _, meta = serializer.metadata(
        "http://x/", b"{}", refers_to=resp_id, content_type="application/json", date=WHEN
    )

    def without(record: bytes, header: bytes) -> bytes:
        return b"".join(line for line in record.splitlines(keepends=True)
                        if not line.startswith(header))

    records = [warcinfo(serializer, name), without(resp, b"WARC-Payload-Digest:"),
               without(req, b"WARC-Payload-Digest:"),
               without(without(meta, b"WARC-Payload-Digest:"), b"WARC-Block-Digest:")]
    build(tmp_path / name, records)
    report = verify_directory(tmp_path)
    assert report.ok, report.format()
    assert report.format().splitlines() == [
        f"WARC verification of {tmp_path}: 1 files, 4 records: OK",
        f"  note: {name}: 3 records have no WARC-Payload-Digest (optional)",
        f"  note: {name}: 1 records have no WARC-Block-Digest (optional: only the gzip "
        "checksum vouches for them)",
    ]
    # A digest that is given must still hold.
    build(tmp_path / name, [*records[:2], without(req, b"WARC-Payload-Digest:")
                            .replace(b"GET /", b"PUT /"), records[3]])
    assert any("WARC-Block-Digest mismatch" in m for m in messages(verify_directory(tmp_path)))
