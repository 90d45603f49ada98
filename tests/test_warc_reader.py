"""The strict reader refuses what warcio's ArchiveIterator returns without complaint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import WarcFileWriter, WarcFormatError, iter_records, read_record, warc_files
from archive.warc.reader import OversizedMember, scan_file
from archive.warc.serialize import RecordSerializer, gzip_member
from tests.warc_support import sample_exchange, sequential_ids


def one_exchange_file(directory: Path) -> tuple[Path, int, int]:
    with WarcFileWriter(directory) as writer:
        pos = writer.write_exchange(*sample_exchange()).request
    return directory / pos.file, pos.offset, pos.length


def test_cut_record_is_refused_where_warcio_returns_it_short(tmp_path: Path) -> None:
    path, offset, length = one_exchange_file(tmp_path)
    path.write_bytes(path.read_bytes()[: offset + length - 12])  # cut inside the gzip trailer
    with open(path, "rb") as f:  # the fact from DESIGN.md: no error from warcio
        assert [r.rec_type for r in ArchiveIterator(f)] == ["warcinfo", "response", "request"]
    with pytest.raises(WarcFormatError) as refused:
        list(iter_records(path))
    assert refused.value.file == path.name and refused.value.offset == offset
    assert str(refused.value).startswith(f"{path.name} at offset {offset}: gzip member cut short")
    with pytest.raises(WarcFormatError, match="cut short"):
        read_record(tmp_path, path.name, offset)


def test_block_shorter_than_content_length_is_refused(tmp_path: Path) -> None:
    (_, _, resp), _ = RecordSerializer(sequential_ids()).exchange(*sample_exchange())
    path = tmp_path / "short.warc.gz"
    path.write_bytes(gzip_member(resp[:-100]))  # a whole gzip member around a cut record
    with pytest.raises(WarcFormatError, match=r"short.warc.gz at offset 0: record cut short: "
                                              r"Content-Length \d+, block has \d+"):
        list(iter_records(path))


def test_two_records_in_one_member_are_refused(tmp_path: Path) -> None:
    (_, _, resp), (_, _, req) = RecordSerializer().exchange(*sample_exchange())
    path = tmp_path / "joined.warc.gz"
    path.write_bytes(gzip_member(resp + req))
    with pytest.raises(WarcFormatError, match="more than one record"):
        list(iter_records(path))


def test_a_whole_file_gzipped_at_once_is_not_inflated_whole(tmp_path: Path) -> None:
    """`gzip file.warc`, a common form of other tools' WARCs: one member of many records.
    It was inflated into memory whole (640 MB for a 6 MB file) before being refused."""
    records = []
    for number in range(40):  # 40 records of ~300 KB: 12 MB uncompressed
        (_, _, resp), _ = RecordSerializer(sequential_ids()).exchange(
            *sample_exchange(body=b"<p>%d</p>" % number + os.urandom(150_000).hex().encode(),
                             gzip_body=False))
        records.append(resp)
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip_member(b"".join(records)))
    (entry,) = scan_file(path)
    assert entry.record is None and entry.offset == 0 and entry.length == path.stat().st_size
    assert isinstance(entry.error, OversizedMember) and "more than one record" in str(entry.error)
    assert entry.error.kept < len(records[0]) + 2 * 1024 * 1024  # the first record, about
    with pytest.raises(OversizedMember):
        list(iter_records(path))


def test_not_gzip_and_not_warc(tmp_path: Path) -> None:
    (tmp_path / "plain.warc.gz").write_bytes(b"WARC/1.1\r\n\r\n")
    (tmp_path / "http.warc.gz").write_bytes(gzip_member(b"HTTP/1.1 200 OK\r\n\r\n"))
    with pytest.raises(WarcFormatError, match="plain.warc.gz at offset 0: corrupt gzip member"):
        list(iter_records(tmp_path / "plain.warc.gz"))
    with pytest.raises(WarcFormatError, match="not a WARC record"):
        list(iter_records(tmp_path / "http.warc.gz"))


def test_open_file_positions_use_the_final_name(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path)
    pos = writer.write_exchange(*sample_exchange()).response
    [open_path] = tmp_path.glob("*.open")
    assert [r.position.file for r in iter_records(open_path)] == [pos.file] * 3
    assert warc_files(tmp_path) == []
    writer.close()
    assert [p.name for p in warc_files(tmp_path)] == [pos.file]
