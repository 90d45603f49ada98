"""Strict check of a WARC directory, for `newsarchive verify`: every member, record and link.

`warcio check` passes a file cut by a crash (see DESIGN.md), so this reads every gzip member
itself: each must be complete and hold exactly one record whose block is Content-Length bytes
with matching digests; each file opens with warcinfo; requests and responses are paired in the
same file; every metadata record's WARC-Refers-To names a record in the directory; and no
`.open` file is left. A record without the digests WARC 1.1 makes optional (another tool's) is
noted, not failed: it is not damaged, only less checkable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from archive.warc.reader import (
    WarcRecordData,
    not_read_reason,
    scan_file,
    unread_name,
    unread_warc_files,
    warc_files,
)
from archive.warc.records import OPEN_SUFFIX, WARC_SUFFIX
from archive.warc.salvage import open_file_state

HTTP_PAIR = {"response": "request", "request": "response"}
PAYLOAD_TYPES = ("response", "request", "metadata", "resource")
# The optional digests a record is noted for lacking, and what their absence means.
OPTIONAL_DIGESTS = {
    "WARC-Payload-Digest": "optional",
    "WARC-Block-Digest": "optional: only the gzip checksum vouches for them",
}


@dataclass(frozen=True)
class VerifyProblem:
    file: str
    offset: int | None  # None for a problem with the file as a whole
    message: str

    def __str__(self) -> str:
        where = self.file if self.offset is None else f"{self.file} at offset {self.offset}"
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    directory: Path
    files: int = 0
    records: int = 0
    problems: list[VerifyProblem] = field(default_factory=list)
    being_written: list[str] = field(default_factory=list)  # `.open` files a live crawl holds
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self, limit: int = 200) -> str:
        """A readable multi-line report: a summary line, then one line per problem."""
        head = f"WARC verification of {self.directory}: {self.files} files, {self.records} records"
        if self.being_written:
            head += f" ({len(self.being_written)} still being written by a running crawl, not checked)"
        notes = [f"  note: {note}" for note in self.notes]
        if self.ok:
            return "\n".join([f"{head}: OK", *notes])
        lines = [f"{head}, {len(self.problems)} problem(s):"]
        lines += [f"  {problem}" for problem in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines + notes)


@dataclass
class _Seen:
    file: str
    offset: int
    rec_type: str


def verify_directory(warc_dir: Path) -> VerifyReport:
    """Check every closed WARC file of ``warc_dir``; never raises for a bad file."""
    warc_dir = Path(warc_dir)
    report = VerifyReport(warc_dir)
    if not warc_dir.is_dir():
        report.problems.append(VerifyProblem(str(warc_dir), None, "no such directory"))
        return report
    for left_open in sorted(warc_dir.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        try:
            state = open_file_state(left_open)
        except OSError as exc:  # not a file, or not ours to read
            report.problems.append(VerifyProblem(left_open.name, None, f"cannot read: {exc}"))
            continue
        if state == "writing":
            report.being_written.append(left_open.name)
            continue
        if state == "closed":
            continue  # verified under its final name below
        report.problems.append(VerifyProblem(
            left_open.name, None,
            "still open: left by a crash (start-up salvage, or `newsarchive index`, closes it)",
        ))
    report.problems += [VerifyProblem(unread_name(p, warc_dir), None, not_read_reason(p, warc_dir))
                        for p in unread_warc_files(warc_dir)]
    seen: dict[str, _Seen] = {}
    refers: list[tuple[str, int, str]] = []  # (file, offset, WARC-Refers-To) of metadata
    for path in warc_files(warc_dir):
        report.files += 1
        try:
            _verify_file(path, report, seen, refers)
        except OSError as exc:
            report.problems.append(VerifyProblem(path.name, None, f"cannot read: {exc}"))
    for file, offset, target in refers:
        if target not in seen:
            report.problems.append(VerifyProblem(
                file, offset, f"metadata WARC-Refers-To {target} names no record in the directory"
            ))
    return report


def _verify_file(
    path: Path, report: VerifyReport, seen: dict[str, _Seen], refers: list[tuple[str, int, str]]
) -> None:
    name = path.name
    problems = report.problems
    if path.stat().st_size == 0:
        problems.append(VerifyProblem(name, None, "empty file: no warcinfo, no records"))
        return
    pairs: dict[str, tuple[int, str, list[str]]] = {}  # id -> (offset, type, Concurrent-To)
    undigested: Counter[str] = Counter()  # optional digest header -> records without it
    first = True
    for entry in scan_file(path):
        if entry.record is None:
            reason = entry.error.reason if entry.error else "unreadable"
            problems.append(VerifyProblem(
                name, entry.offset, f"{reason} ({entry.length} bytes unreadable)"
            ))
            first = False
            continue
        record = entry.record
        report.records += 1
        record_id = record.position.record_id
        if first and record.rec_type != "warcinfo":
            problems.append(VerifyProblem(
                name, entry.offset, f"first record is {record.rec_type}, not warcinfo"
            ))
        first = False
        for message in _record_problems(record, name):
            problems.append(VerifyProblem(name, entry.offset, message))
        undigested.update(h for h in OPTIONAL_DIGESTS if record.warc_header(h) is None
                          and (h == "WARC-Block-Digest" or record.rec_type in PAYLOAD_TYPES))
        if record_id in seen:
            other = seen[record_id]
            problems.append(VerifyProblem(
                name, entry.offset,
                f"duplicate WARC-Record-ID {record_id} (also {other.file} at {other.offset})",
            ))
        seen[record_id] = _Seen(name, entry.offset, record.rec_type)
        if record.rec_type in HTTP_PAIR:
            pairs[record_id] = (
                entry.offset, record.rec_type, record.warc_header_values("WARC-Concurrent-To")
            )
        refers_to = record.warc_header("WARC-Refers-To")
        if record.rec_type == "metadata" and refers_to:
            refers.append((name, entry.offset, refers_to))
    problems.extend(_pair_problems(name, pairs))
    report.notes += [f"{name}: {undigested[h]} records have no {h} ({why})"
                     for h, why in OPTIONAL_DIGESTS.items() if undigested[h]]


def _record_problems(record: WarcRecordData, file: str) -> list[str]:
    # The digests are checked by the reader where they are given (a mismatch is unreadable).
    found = []
    if record.rec_type == "warcinfo" and record.warc_header("WARC-Filename") not in (None, file):
        found.append(f"warcinfo names another file: {record.warc_header('WARC-Filename')}")
    if record.rec_type in HTTP_PAIR and record.http_headers is None:
        found.append(f"{record.rec_type} record holds no HTTP message")
    return found


def _pair_problems(file: str, pairs: dict[str, tuple[int, str, list[str]]]) -> list[VerifyProblem]:
    """Every response needs its request in the same file and vice versa, linked either way."""
    linked: dict[str, set[str]] = {record_id: set() for record_id in pairs}
    for record_id, (_, rec_type, concurrent) in pairs.items():
        for other in concurrent:
            if other in pairs and pairs[other][1] == HTTP_PAIR[rec_type]:
                linked[record_id].add(other)
                linked[other].add(record_id)
    return [
        VerifyProblem(
            file, offset,
            f"{rec_type} {record_id} has no {HTTP_PAIR[rec_type]} record in this file "
            "(WARC-Concurrent-To)",
        )
        for record_id, (offset, rec_type, _) in pairs.items()
        if not linked[record_id]
    ]
