"""Rollover at max_size: several files, each opened by warcinfo, no record lost or split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc import WarcFileWriter, iter_records, read_record, verify_directory, warc_files
from tests.warc_support import html_page, sample_exchange


def test_small_max_size_rolls_over_without_splitting_pairs(tmp_path: Path) -> None:
    max_size = 60_000
    written = []
    with WarcFileWriter(tmp_path, prefix="roll", max_size=max_size) as writer:
        for i in range(30):
            request, response = sample_exchange(
                url=f"http://127.0.0.1:8080/story/{i}", body=html_page(40_000, seed=i)
            )
            pair = writer.write_exchange(request, response)
            meta = writer.write_metadata(response.url, b"{}", refers_to=pair.response.record_id)
            assert pair.response.file == pair.request.file  # a pair is never split
            written += [pair.response, pair.request, meta]
    files_written = writer.files_written
    assert not list(tmp_path.glob("*.open"))

    files = warc_files(tmp_path)
    assert len(files) >= 5
    assert [p.name for p in files] == files_written  # name order is write order
    assert [p.name.split("-")[2] for p in files] == [f"{n:05d}" for n in range(len(files))]

    read_back = []
    for path in files:
        records = list(iter_records(path))
        assert records[0].rec_type == "warcinfo"
        assert records[0].warc_header("WARC-Filename") == path.name
        assert all(r.rec_type != "warcinfo" for r in records[1:])
        # Under the limit, unless one write alone (warcinfo + the exchange) is bigger.
        assert path.stat().st_size <= max_size or len(records) <= 3
        read_back += [r.position for r in records[1:]]
        with open(path, "rb") as f:
            assert len(list(ArchiveIterator(f, check_digests="raise"))) == len(records)
    assert read_back == written  # nothing lost, nothing duplicated, in order
    for pos in written:
        assert read_record(tmp_path, pos.file, pos.offset).position == pos
    assert verify_directory(tmp_path).ok


def test_exchange_bigger_than_max_size_gets_a_file_of_its_own(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path, max_size=10_000) as writer:
        small = writer.write_exchange(*sample_exchange())
        big = writer.write_exchange(*sample_exchange(body=html_page(80_000), gzip_body=False))
        after = writer.write_exchange(*sample_exchange())
    assert len({small.response.file, big.response.file, after.response.file}) == 3
    assert big.request.file == big.response.file
    assert [len(list(iter_records(p))) for p in warc_files(tmp_path)] == [3, 3, 3]
    assert verify_directory(tmp_path).ok


def test_a_clock_step_back_never_names_a_file_before_the_previous_one(tmp_path: Path) -> None:
    """Readers take the files in name order: after a clock step back (NTP) at a rollover the
    new file sorted first, and the index (a rebuild too) met a metadata record before the
    response it refers to: the article lost its response position."""
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    with WarcFileWriter(tmp_path, max_size=1000, clock=lambda: now[0]) as writer:
        first = writer.write_exchange(*sample_exchange(body=html_page(3000)))
        now[0] -= timedelta(seconds=2)
        metadata = writer.write_metadata("http://127.0.0.1:8080/news", b'{"x": 1}',
                                         refers_to=first.response.record_id)
    assert metadata.file != first.response.file
    assert [p.name for p in warc_files(tmp_path)] == [first.response.file, metadata.file]
