"""Crash-safe WARC/1.1 file writer: one gzip member per record, fsync, `.open` files, rollover."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from archive.warc.records import (
    OPEN_SUFFIX,
    WARC_SUFFIX,
    ExchangePositions,
    HttpRequestData,
    HttpResponseData,
    WarcPosition,
)
from archive.warc.serialize import SOFTWARE, RecordSerializer, gzip_member, new_record_id


def fsync_directory(directory: Path) -> None:
    """Make a create or rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def safe_host(host: str) -> str:
    """The host as it appears in file names: no '-', so that the pid after it can be read back."""
    return re.sub(r"[^A-Za-z0-9.]+", "_", host) or "localhost"


class WarcFileWriter:
    """Writes exchanges and metadata records to rolling `.warc.gz` files in one directory.

    Each record is its own gzip member; every write call is flushed and fsynced before its
    positions are returned, so a returned position survives a crash. A file is written as
    ``NAME.warc.gz.open`` (flock-ed, so a salvage run never touches a live file) and renamed on
    rollover and on close. A request/response pair always lands in one file.

    ``info`` adds fields to each file's warcinfo record (robots policy, user agent, operator);
    software, format, conformsTo and hostname are the writer's own. ``clock``, ``record_id``,
    ``hostname`` and ``pid`` are injectable for byte-for-byte tests.
    """

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "newsarchive",
        max_size: int = 1_000_000_000,
        info: Mapping[str, str] | None = None,
        gzip_level: int = 5,
        fsync: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        record_id: Callable[[], str] = new_record_id,
        hostname: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.info = dict(info or {})
        self.gzip_level = gzip_level
        self._last_start: datetime | None = None
        self.fsync = fsync
        self._clock = clock
        self._host = safe_host(hostname or socket.gethostname())
        self._pid = os.getpid() if pid is None else pid
        self._serializer = RecordSerializer(record_id)
        self._lock = threading.Lock()
        self._serial = 0
        self._file: io.BufferedWriter | None = None
        self._name = ""
        self._size = 0
        self._closed = False
        self.files_written: list[str] = []  # final names of every file this writer produced

    @property
    def current_file(self) -> str | None:
        """Final name of the file being written, if one is open."""
        return self._name if self._file else None

    def write_exchange(
        self, request: HttpRequestData, response: HttpResponseData
    ) -> ExchangePositions:
        resp, req = self._serializer.exchange(request, response)
        resp_gz = gzip_member(resp[2], self.gzip_level)
        req_gz = gzip_member(req[2], self.gzip_level)
        with self._lock:
            # One write and one fsync for the pair: the exchange is the unit that is durable.
            offset = self._append(resp_gz + req_gz)
            return ExchangePositions(
                response=WarcPosition(self._name, offset, len(resp_gz), resp[0], resp[1]),
                request=WarcPosition(
                    self._name, offset + len(resp_gz), len(req_gz), req[0], req[1]
                ),
            )

    def write_metadata(
        self,
        target_uri: str,
        payload: bytes,
        *,
        refers_to: str | None,
        content_type: str = "application/json",
        date: datetime | None = None,
    ) -> WarcPosition:
        record_id, digest, data = self._serializer.metadata(
            target_uri, payload, refers_to=refers_to, content_type=content_type,
            date=date or self._clock(),
        )
        member = gzip_member(data, self.gzip_level)
        with self._lock:
            offset = self._append(member)
            return WarcPosition(self._name, offset, len(member), record_id, digest)

    def close(self) -> None:
        """Finish the current file (rename it to its final name). Idempotent."""
        with self._lock:
            self._finish_file()
            self._closed = True

    def __enter__(self) -> WarcFileWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------

    def _append(self, data: bytes) -> int:
        """Write ``data`` (whole gzip members) to a file with room for it; return its offset."""
        if self._closed:
            raise ValueError("WarcFileWriter is closed")
        if self._file is not None and self._size + len(data) > self.max_size:
            self._finish_file()
        if self._file is None:
            self._start_file()
        assert self._file is not None
        offset = self._size
        self._write_durably(data)
        return offset

    def _write_durably(self, data: bytes) -> None:
        assert self._file is not None
        try:
            self._file.write(data)
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
        except BaseException:
            # The file may now end in a partial member: never write after it. Leave it as
            # `.open` for salvage and start a fresh file on the next write.
            self._abandon_file()
            raise
        self._size += len(data)

    def _start_file(self) -> None:
        now = self._clock().astimezone(UTC)
        # Never a name that sorts before this writer's previous file: readers take files in
        # name order, and after a clock step back (NTP) a rollover file sorted first, so the
        # index (a rebuild too) met a metadata record before the response it refers to.
        if self._last_start is not None and now < self._last_start:
            now = self._last_start
        self._last_start = now
        stamp = f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}"
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._host}-{self._pid}{WARC_SUFFIX}"
        self._serial += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        if (self.directory / name).exists():
            raise FileExistsError(f"{self.directory / name} already exists; refusing to reuse it")
        fd = os.open(
            self.directory / (name + OPEN_SUFFIX), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644
        )
        try:
            # Blocking: a `newsarchive verify` or another crawl's start-up salvage may hold a
            # lock on the new, empty file for a moment (salvage leaves a new empty file alone).
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink == 0:
                # Another process's salvage removed the empty file before we locked it:
                # writing on would archive into a file nobody can see.
                raise FileNotFoundError(f"{name}{OPEN_SUFFIX} was removed as it was created")
        except OSError:
            os.close(fd)
            raise
        self._file = open(fd, "wb")  # noqa: SIM115 - held open across calls, closed in _finish_file
        self._name, self._size = name, 0
        try:
            self._begin_file(name, now)
        except BaseException:
            self._abandon_file()  # never write records into a file without its warcinfo
            raise

    def _begin_file(self, name: str, now: datetime) -> None:
        """Make the new file's name durable and write its warcinfo record."""
        if self.fsync:
            fsync_directory(self.directory)
        fields = {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": self._host,
        }
        # The writer states what it is itself; info adds robots policy, user agent, operator...
        fields.update((k, v) for k, v in self.info.items() if k not in fields)
        _, record = self._serializer.warcinfo(name, now, fields)
        self._write_durably(gzip_member(record, self.gzip_level))

    def _finish_file(self) -> None:
        if self._file is None:
            return
        try:
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
            # Renamed while still locked, so a salvage run can never take a finished file for
            # one left by a crash.
            os.rename(self.directory / (self._name + OPEN_SUFFIX), self.directory / self._name)
        except BaseException:
            # Linux reports a failed writeback once and may drop its pages, so a second fsync
            # would succeed over what was lost: never finish (or write on in) this file.
            self._abandon_file()
            raise
        self._file.close()  # also releases the flock
        self._file = None
        self.files_written.append(self._name)
        if self.fsync:
            # After the close: a failure here leaves a whole file (at worst under its `.open`
            # name after a crash, which salvage restores), and the writer free to go on.
            fsync_directory(self.directory)

    def _abandon_file(self) -> None:
        if self._file is not None:
            # Already failing; the `.open` file is left for salvage either way.
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
