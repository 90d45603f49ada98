"""Start-up salvage of `.open` files: cut, corrupt and empty files, and real SIGKILLed writers."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive.warc import (
    ExchangePositions,
    WarcFileWriter,
    WarcPosition,
    iter_records,
    read_record,
    salvage_directory,
    verify_directory,
    warc_files,
)
from archive.warc.serialize import gzip_member
from archive.warc.writer import safe_host
from tests.warc_support import sample_exchange

ROOT = Path(__file__).resolve().parent.parent


def crashed_file(directory: Path, exchanges: int = 3) -> tuple[Path, list[ExchangePositions],
                                                             list[WarcPosition]]:
    """A complete file, renamed back to `.open` as if its writer had died before closing it."""
    pairs, metas = [], []
    with WarcFileWriter(directory) as writer:
        for i in range(exchanges):
            request, response = sample_exchange(url=f"http://127.0.0.1:8080/story/{i}")
            pairs.append(writer.write_exchange(request, response))
            metas.append(writer.write_metadata(response.url, b'{"newsarchive": 1}',
                                               refers_to=pairs[-1].response.record_id))
    [path] = warc_files(directory)
    open_path = path.with_name(path.name + ".open")
    path.rename(open_path)
    return open_path, pairs, metas


def record_types(path: Path) -> list[str]:
    return [r.rec_type for r in iter_records(path)]


def test_complete_open_file_is_closed_unchanged(tmp_path: Path) -> None:
    open_path, pairs, _ = crashed_file(tmp_path)
    original = open_path.read_bytes()
    [result] = salvage_directory(tmp_path)
    assert result.clean and result.records_kept == 10 and result.bytes_dropped == 0
    assert result.warc_file is not None and result.warc_file.read_bytes() == original
    assert not open_path.exists() and not (tmp_path / "quarantine").exists()
    assert verify_directory(tmp_path).ok


@pytest.mark.parametrize("cut_into", [1, 9, 40, -1])
def test_tail_cut_inside_the_last_member(tmp_path: Path, cut_into: int) -> None:
    open_path, pairs, metas = crashed_file(tmp_path)
    original = open_path.read_bytes()
    last = metas[-1]
    cut = last.offset + (cut_into if cut_into > 0 else last.length + cut_into)
    open_path.write_bytes(original[:cut])

    [result] = salvage_directory(tmp_path)
    assert result.warc_file is not None and not result.clean
    assert result.records_kept == 9 and result.bytes_dropped == cut - last.offset
    assert f"offset {last.offset}" in result.message and "cut short" in result.message
    # Kept records are the original gzip members, byte for byte.
    assert result.warc_file.read_bytes() == original[: last.offset]
    [dropped] = result.quarantined
    assert dropped.read_bytes() == original[last.offset : cut]
    assert verify_directory(tmp_path).ok


def test_cut_between_response_and_request_drops_the_half_exchange(tmp_path: Path) -> None:
    open_path, pairs, metas = crashed_file(tmp_path)
    original = open_path.read_bytes()
    open_path.write_bytes(original[: pairs[-1].request.offset + 30])
    [result] = salvage_directory(tmp_path)
    assert result.records_kept == 1 + 3 * 2 and result.records_dropped == 1
    assert "response" in result.message and "exchange was lost" in result.message
    assert result.warc_file is not None
    assert result.warc_file.read_bytes() == original[: pairs[-1].response.offset]
    assert verify_directory(tmp_path).ok


def test_record_cut_inside_its_headers(tmp_path: Path) -> None:
    # A complete gzip member around a record cut inside its WARC headers (another tool's
    # crash, or a gzip stream closed early): gzip is fine, the record is not.
    open_path, pairs, metas = crashed_file(tmp_path, exchanges=1)
    with open(open_path, "ab") as f:
        f.write(gzip_member(b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uu"))
    [result] = salvage_directory(tmp_path)
    assert result.records_kept == 4 and "WARC headers cut short" in result.message
    assert verify_directory(tmp_path).ok


def test_flipped_bit_in_compressed_data(tmp_path: Path) -> None:
    open_path, pairs, metas = crashed_file(tmp_path)
    data = bytearray(open_path.read_bytes())
    middle = pairs[1].response
    data[middle.offset + middle.length // 2] ^= 0x10
    open_path.write_bytes(bytes(data))

    [result] = salvage_directory(tmp_path)
    assert result.warc_file is not None
    kept_ids = {r.position.record_id for r in iter_records(result.warc_file)}
    # The damaged response, its request and its metadata go; what follows them is kept.
    assert middle.record_id not in kept_ids
    assert pairs[1].request.record_id not in kept_ids
    assert metas[1].record_id not in kept_ids
    assert {pairs[2].response.record_id, pairs[2].request.record_id, metas[2].record_id} <= kept_ids
    assert result.records_kept == 7 and result.bytes_dropped > 0
    report = verify_directory(tmp_path)
    assert report.ok, report.format()


def test_flipped_byte_with_valid_gzip_fails_the_digest(tmp_path: Path) -> None:
    open_path, pairs, metas = crashed_file(tmp_path, exchanges=2)
    data = open_path.read_bytes()
    pos = pairs[0].response
    record = bytearray(gzip.decompress(data[pos.offset : pos.offset + pos.length]))
    record[-10] ^= 0x01  # inside the payload; recompressed, so the gzip CRC is right
    member = gzip_member(bytes(record))
    open_path.write_bytes(data[: pos.offset] + member + data[pos.offset + pos.length :])

    [result] = salvage_directory(tmp_path)
    assert "Digest mismatch" in result.message
    assert result.warc_file is not None
    assert record_types(result.warc_file) == ["warcinfo", "response", "request", "metadata"]
    assert verify_directory(tmp_path).ok


def test_lost_warcinfo_is_replaced(tmp_path: Path) -> None:
    open_path, pairs, _ = crashed_file(tmp_path, exchanges=1)
    data = bytearray(open_path.read_bytes())
    data[20] ^= 0xFF
    open_path.write_bytes(bytes(data))
    [result] = salvage_directory(tmp_path)
    assert result.warc_file is not None
    info = next(iter_records(result.warc_file))
    assert info.rec_type == "warcinfo" and b"written by salvage" in info.payload
    assert verify_directory(tmp_path).ok


def test_zero_byte_and_garbage_files(tmp_path: Path) -> None:
    (tmp_path / "a-1.warc.gz.open").write_bytes(b"")
    an_hour_ago = time.time() - 3600
    os.utime(tmp_path / "a-1.warc.gz.open", (an_hour_ago, an_hour_ago))
    (tmp_path / "b-1.warc.gz.open").write_bytes(b"this was never a gzip file\n" * 10)
    empty, garbage = salvage_directory(tmp_path)
    assert empty.warc_file is None and "empty file" in empty.message
    assert garbage.warc_file is None and garbage.bytes_dropped == 270
    assert "no capture record survived" in garbage.message
    assert garbage.quarantined[0].read_bytes() == b"this was never a gzip file\n" * 10
    assert list(tmp_path.glob("*.warc.gz*")) == []
    assert verify_directory(tmp_path).ok


def test_empty_file_is_left_to_a_live_writer_and_removed_once_its_writer_is_gone(
    tmp_path: Path,
) -> None:
    # A writer creates its file, then locks it: a fresh empty file may be a live writer's.
    # The file's name ends with its writer's host and pid, so a dead writer's is removed
    # at once (a crawl SIGKILLed just after creating its file left it for a minute).
    host = safe_host(socket.gethostname())
    live = tmp_path / f"demo-20261128000000000-00000-{host}-{os.getpid()}.warc.gz.open"
    gone_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
    dead = tmp_path / f"demo-20261128000000000-00000-{host}-{gone_pid}.warc.gz.open"
    elsewhere = tmp_path / f"demo-20261128000000000-00000-otherhost-{gone_pid}.warc.gz.open"
    for path in (live, dead, elsewhere):
        path.write_bytes(b"")
    results = {r.open_file: r for r in salvage_directory(tmp_path)}
    assert results[live].skipped and "left for its writer" in results[live].message
    assert results[elsewhere].skipped  # another host's pid tells nothing here
    assert not results[dead].skipped and "empty file" in results[dead].message
    assert not dead.exists() and live.exists() and elsewhere.exists()


def test_file_of_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path) as writer:
        writer.write_exchange(*sample_exchange())
        [result] = salvage_directory(tmp_path)
        assert result.skipped and "running writer" in result.message
        writer.write_exchange(*sample_exchange())
    assert verify_directory(tmp_path).ok


CHILD = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from archive.warc import WarcFileWriter
    from tests.warc_support import html_page, sample_exchange

    directory, partial_after = Path(sys.argv[1]), int(sys.argv[2])
    pages = [html_page(60_000, seed=i) for i in range(7)]
    writer = WarcFileWriter(directory, max_size=400_000)
    for i in range(100_000):
        request, response = sample_exchange(
            url=f"http://127.0.0.1:8080/story/{i}", body=pages[i % 7])
        pair = writer.write_exchange(request, response)
        meta = writer.write_metadata(response.url, b"{}", refers_to=pair.response.record_id)
        # Printed only once fsync returned: these records must survive the kill.
        for pos in (pair.response, pair.request, meta):
            print(json.dumps([pos.file, pos.offset, pos.record_id]), flush=True)
        if i == partial_after:
            # A write cut by the kill: most of an exchange's gzip members, then death.
            path = directory / (pair.response.file + ".open")
            start, end = pair.response.offset, pair.request.offset + pair.request.length
            with open(path, "rb") as f:
                f.seek(start)
                members = f.read(end - start)
            with open(path, "ab") as f:
                f.write(members[: len(members) * 2 // 3])
            print("PARTIAL", flush=True)
            time.sleep(60)
""")


@pytest.mark.parametrize(("kill_after", "partial_after"), [
    (0, -1), (1, -1), (7, -1), (23, -1), (None, 0), (None, 8), (None, 12),
])
def test_sigkilled_writer_loses_nothing_it_fsynced(
    tmp_path: Path, kill_after: int | None, partial_after: int
) -> None:
    durable: list[list[str | int]] = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(partial_after)], cwd=ROOT,
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        assert child.stdout is not None
        while kill_after is None or len(durable) < kill_after * 3:
            line = child.stdout.readline()
            assert line, "writer died on its own"
            if line == b"PARTIAL\n":
                break
            durable.append(json.loads(line))
        child.send_signal(signal.SIGKILL)
        # Lines written between our last read and the kill were fsynced too.
        durable += [json.loads(line) for line in child.stdout.read().splitlines(keepends=True)
                    if line.endswith(b"\n")]

    results = salvage_directory(tmp_path)
    assert all(not r.skipped for r in results)
    if partial_after >= 0:
        [cut] = results
        assert cut.bytes_dropped > 0 and cut.warc_file is not None, cut.message
        assert "cut short" in cut.message
    assert not list(tmp_path.glob("*.open"))
    report = verify_directory(tmp_path)
    assert report.ok, report.format()
    for file, offset, record_id in durable:
        assert isinstance(file, str) and isinstance(offset, int)
        assert read_record(tmp_path, file, offset).position.record_id == record_id
    assert {file for file, _, _ in durable} <= {p.name for p in warc_files(tmp_path)}
    if kill_after == 23:
        assert len(warc_files(tmp_path)) > 1  # the kill found rolled-over files behind it


@pytest.mark.parametrize("looker", ["salvage", "verify"])
def test_a_writer_starting_a_file_survives_a_look_at_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, looker: str
) -> None:
    """Another crawl's start-up salvage, or `newsarchive verify`, may look at a writer's new
    `.open` file between its creation and its lock: the writer must go on undisturbed."""
    import fcntl
    import threading
    import types

    import archive.warc.writer as writer_module

    def in_the_window(fd: int, operation: int) -> None:
        (new_file,) = tmp_path.glob("*.open")
        if looker == "salvage":
            (result,) = salvage_directory(tmp_path)
            assert result.skipped and new_file.exists()
        else:  # verify's look: a shared lock, held here a little longer than it would be
            peek = open(new_file, "rb")  # noqa: SIM115 - closed by the timer
            fcntl.flock(peek.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            threading.Timer(0.2, peek.close).start()
        fcntl.flock(fd, operation)

    monkeypatch.setattr(writer_module, "fcntl", types.SimpleNamespace(
        flock=in_the_window, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB))
    with WarcFileWriter(tmp_path) as writer:
        writer.write_exchange(*sample_exchange())
    assert [r.rec_type for r in iter_records(warc_files(tmp_path)[0])] == [
        "warcinfo", "response", "request"]
    assert verify_directory(tmp_path).ok


def test_a_file_closed_as_salvage_reaches_it_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive.warc.salvage as salvage_module

    writer = WarcFileWriter(tmp_path)
    writer.write_exchange(*sample_exchange())
    salvage_file = salvage_module.salvage_file

    def closing_first(path: Path) -> object:
        writer.close()  # the running crawl rolls over between the listing and the salvage
        return salvage_file(path)

    monkeypatch.setattr(salvage_module, "salvage_file", closing_first)
    (result,) = salvage_directory(tmp_path)
    assert result.skipped and "closed by its writer meanwhile" in result.message
    assert verify_directory(tmp_path).ok
