"""Start-up salvage: turn every `.warc.gz.open` file left by a crash into a valid closed file.

Complete, digest-valid records are copied byte for byte (their gzip members verbatim); what
cannot be read (the tail cut by the crash, a corrupt stretch) is dropped, moved to
``quarantine/`` and reported. A request or response whose partner was lost is dropped with it,
so that the closed file verifies. A file a running writer still holds (flock) is left alone.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from archive.warc.reader import scan_file
from archive.warc.records import OPEN_SUFFIX, WARC_SUFFIX, final_name
from archive.warc.serialize import SOFTWARE, RecordSerializer, gzip_member
from archive.warc.writer import fsync_directory, safe_host

QUARANTINE_DIR = "quarantine"
TEMP_SUFFIX = ".salvage"
HTTP_PAIR_TYPES = ("request", "response")
COPY_SIZE = 1024 * 1024
# An empty `.open` file younger than this may be a live writer's, between its create and its lock.
EMPTY_FILE_GRACE_S = 60.0


@dataclass
class SalvageResult:
    """What salvage did with one `.open` file."""

    open_file: Path
    warc_file: Path | None  # the closed file produced; None when nothing valid remained
    records_kept: int = 0
    records_dropped: int = 0
    bytes_kept: int = 0
    bytes_dropped: int = 0
    quarantined: list[Path] = field(default_factory=list)
    message: str = ""
    skipped: bool = False  # still held by a running writer: left untouched

    @property
    def clean(self) -> bool:
        """True when the file was complete: nothing had to be dropped."""
        return not self.skipped and self.bytes_dropped == 0 and self.warc_file is not None


@dataclass
class _Item:
    offset: int
    length: int
    record_id: str = ""
    rec_type: str = ""
    concurrent: tuple[str, ...] = ()
    refers_to: str | None = None
    error: str | None = None
    keep: bool = True


def salvage_directory(warc_dir: Path) -> list[SalvageResult]:
    """Salvage every ``*.warc.gz.open`` in ``warc_dir``; never raises for a bad file."""
    warc_dir = Path(warc_dir)
    if not warc_dir.is_dir():
        return []
    for stale in warc_dir.glob(f"*{TEMP_SUFFIX}"):
        # A salvage interrupted before it finished: its `.open` source is redone below, and a
        # temp whose source is gone was already linked to its final name.
        if not (warc_dir / (stale.name[: -len(TEMP_SUFFIX)] + OPEN_SUFFIX)).exists():
            stale.unlink(missing_ok=True)
    results = []
    for path in sorted(warc_dir.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        try:
            results.append(salvage_file(path))
        except OSError as exc:
            results.append(SalvageResult(path, None, message=f"{path.name}: not salvaged: {exc}"))
    return results


def open_file_state(open_path: Path) -> str:
    """What a `.open` file is: "writing" (a running WarcFileWriter holds its flock, or it is a
    new empty file a writer may not have locked yet), "closed" (renamed to its final name
    since the directory was listed: that name is read with the others) or "left" (by a crash).

    Told apart as salvage tells them: `verify` during a rollover called a file being closed,
    or one just created, "left by a crash" on a healthy archive.
    """
    try:
        with open(open_path, "rb") as source:
            try:
                fcntl.flock(source.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return "writing"
            try:
                same_file = os.stat(open_path).st_ino == os.fstat(source.fileno()).st_ino
            except FileNotFoundError:
                same_file = False
            fcntl.flock(source.fileno(), fcntl.LOCK_UN)
            if not same_file:  # closed (renamed) between our open and our lock
                return "closed"
            if os.fstat(source.fileno()).st_size == 0 and not _writer_gone(open_path) and (
                time.time() - os.fstat(source.fileno()).st_mtime < EMPTY_FILE_GRACE_S
            ):
                return "writing"  # between its writer's create and its lock
    except FileNotFoundError:  # closed (renamed) before our open
        return "closed"
    return "left"


def salvage_file(open_path: Path) -> SalvageResult:
    """Salvage one `.open` file into its final `.warc.gz` name."""
    open_path = Path(open_path)
    try:
        source = open(open_path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:  # its writer closed (renamed) it since the directory was listed
        return _closed_meanwhile(open_path)
    with source:
        try:
            fcntl.flock(source.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return SalvageResult(
                open_path, None, skipped=True,
                message=f"{open_path.name}: in use by a running writer, left alone",
            )
        try:
            same_file = os.stat(open_path).st_ino == os.fstat(source.fileno()).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:  # its writer closed (renamed) it while we waited for the lock
            return _closed_meanwhile(open_path)
        return _salvage_locked(open_path)


def _writer_gone(open_path: Path) -> bool:
    """Is the process that made this file known to be gone? Its name ends with the writer's
    host and pid (`...-{host}-{pid}.warc.gz.open`): on this host, a pid with no process
    cannot be a writer between its create and its lock. Otherwise (another host, a live
    pid, a name of another shape) nobody can tell."""
    stem = open_path.name.removesuffix(WARC_SUFFIX + OPEN_SUFFIX)
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not (parts[2].isascii() and parts[2].isdigit()):
        return False
    if parts[1] != safe_host(socket.gethostname()):
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # PermissionError: alive, another user's
        return False
    return False


def _closed_meanwhile(open_path: Path) -> SalvageResult:
    return SalvageResult(open_path, None, skipped=True,
                         message=f"{open_path.name}: closed by its writer meanwhile")


def _salvage_locked(open_path: Path) -> SalvageResult:
    directory = open_path.parent
    final = directory / final_name(open_path.name)
    size = open_path.stat().st_size
    result = SalvageResult(open_path, None)
    if final.exists():
        # Only a salvage that completed its link but not its clean-up leaves both behind.
        result.quarantined.append(_quarantine_whole(open_path))
        result.message = f"{open_path.name}: {final.name} already exists; moved to quarantine"
        return result
    if size == 0:
        if not _writer_gone(open_path) and time.time() - open_path.stat().st_mtime < EMPTY_FILE_GRACE_S:
            # A writer creates its file, then locks it: this may be one between the two.
            return SalvageResult(open_path, None, skipped=True,
                                 message=f"{open_path.name}: new and empty, left for its writer")
        open_path.unlink()
        result.message = f"{open_path.name}: empty file (crash before the first record), removed"
        return result

    items = _scan(open_path)
    notes = _drop_broken_pairs(items)
    notes += _drop_orphan_metadata(items, final)
    kept = [i for i in items if i.keep]
    result.records_kept = len(kept)
    result.records_dropped = sum(1 for i in items if not i.keep and i.error is None)
    result.bytes_kept = sum(i.length for i in kept)
    result.bytes_dropped = size - result.bytes_kept
    notes = [f"offset {i.offset}: {i.length} bytes unreadable ({i.error})"
             for i in items if i.error] + notes

    with open(open_path, "rb") as source:
        for start, end in _dropped_ranges(items):
            result.quarantined.append(_quarantine_range(source, final, start, end))
        if any(i.rec_type != "warcinfo" for i in kept):
            _write_closed(source, final, kept)
            result.warc_file = final
        else:  # a warcinfo alone archives nothing: no file is better than an empty one
            result.records_kept = result.bytes_kept = 0
    open_path.unlink()
    fsync_directory(directory)
    result.message = _message(open_path.name, result, notes)
    return result


def _scan(path: Path) -> list[_Item]:
    items = []
    for entry in scan_file(path):  # records are summarised at once: payloads are not kept
        record = entry.record
        if record is None:
            reason = entry.error.reason if entry.error else "unreadable"
            items.append(_Item(entry.offset, entry.length, error=reason, keep=False))
            continue
        items.append(_Item(
            entry.offset, entry.length, record.position.record_id, record.rec_type,
            tuple(record.warc_header_values("WARC-Concurrent-To")),
            record.warc_header("WARC-Refers-To"),
        ))
    return items


def _drop_broken_pairs(items: list[_Item]) -> list[str]:
    """Drop requests/responses whose partner is gone, and metadata about dropped responses."""
    pairs = [i for i in items if i.keep and i.rec_type in HTTP_PAIR_TYPES]
    ids = {i.record_id for i in pairs}
    pointed_to = {c for i in pairs for c in i.concurrent}
    notes, dropped = [], set()
    for item in pairs:
        if not (ids & set(item.concurrent)) and item.record_id not in pointed_to:
            item.keep = False
            dropped.add(item.record_id)
            notes.append(f"offset {item.offset}: {item.rec_type} {item.record_id} dropped, "
                         "the other record of its exchange was lost")
    for item in items:
        if item.keep and item.rec_type == "metadata" and item.refers_to in dropped:
            item.keep = False
            notes.append(f"offset {item.offset}: metadata {item.record_id} dropped with the "
                         "response it describes")
    return notes


def _drop_orphan_metadata(items: list[_Item], final: Path) -> list[str]:
    """Drop metadata whose response is lost (corrupt), not merely in an earlier file.

    A crash never causes this (a response is durable before its metadata is written); a
    corrupt stretch can. Only the earlier files of the same writer (same host and pid) can
    hold the response, so only they are looked at, and only when needed.
    """
    here = {i.record_id for i in items if i.keep}
    orphans = [i for i in items if i.keep and i.refers_to and i.refers_to not in here]
    if not orphans:
        return []
    elsewhere: set[str] = set()
    writer_suffix = "-".join(final.name.split("-")[-2:])
    for sibling in final.parent.glob(f"*-{writer_suffix}"):
        elsewhere.update(e.record.position.record_id for e in scan_file(sibling) if e.record)
    notes = []
    for item in orphans:
        if item.refers_to not in elsewhere:
            item.keep = False
            notes.append(f"offset {item.offset}: metadata {item.record_id} dropped, the record "
                         f"it refers to ({item.refers_to}) was lost")
    return notes


def _dropped_ranges(items: list[_Item]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for item in items:
        if item.keep:
            continue
        end = item.offset + item.length
        if ranges and ranges[-1][1] == item.offset:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((item.offset, end))
    return ranges


def _copy(source: BinaryIO, dest: BinaryIO, start: int, end: int) -> None:
    source.seek(start)
    remaining = end - start
    while remaining > 0:
        chunk = source.read(min(COPY_SIZE, remaining))
        if not chunk:
            raise OSError(f"file shrank while being salvaged (at {end - remaining})")
        dest.write(chunk)
        remaining -= len(chunk)


def _write_closed(source: BinaryIO, final: Path, kept: list[_Item]) -> None:
    temp = final.with_name(final.name + TEMP_SUFFIX)
    with open(temp, "wb") as out:
        if kept[0].rec_type != "warcinfo":
            out.write(_replacement_warcinfo(final.name))
        for item in kept:
            _copy(source, out, item.offset, item.offset + item.length)
        out.flush()
        os.fsync(out.fileno())
    os.link(temp, final)  # unlike rename, never replaces a file that appeared meanwhile
    temp.unlink()


def _replacement_warcinfo(name: str) -> bytes:
    fields = {
        "software": SOFTWARE,
        "format": "WARC File Format 1.1",
        "description": f"written by salvage: the original warcinfo record of {name} was lost",
    }
    _, record = RecordSerializer().warcinfo(name, datetime.now(UTC), fields)
    return gzip_member(record)


def _quarantine_range(source: BinaryIO, final: Path, start: int, end: int) -> Path:
    target = _quarantine_folder(final.parent) / f"{final.name}.{start}-{end}.dropped"
    with open(target, "wb") as out:
        _copy(source, out, start, end)
        out.flush()
        os.fsync(out.fileno())
    return target


def _quarantine_whole(path: Path) -> Path:
    target = _quarantine_folder(path.parent) / path.name
    os.rename(path, target)
    return target


def _quarantine_folder(warc_dir: Path) -> Path:
    folder = warc_dir / QUARANTINE_DIR
    folder.mkdir(exist_ok=True)
    return folder


def _message(name: str, result: SalvageResult, notes: list[str]) -> str:
    if result.warc_file is None:
        head = f"{name}: no capture record survived, nothing written"
    else:
        head = f"{name} -> {result.warc_file.name}: kept {result.records_kept} records"
    if result.bytes_dropped:
        head += f", dropped {result.bytes_dropped} bytes (quarantined)"
    shown = notes[:10] + ([f"... and {len(notes) - 10} more"] if len(notes) > 10 else [])
    return "\n  ".join([head, *shown])
