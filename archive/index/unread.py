"""The WARC files `newsarchive index` does not read, and which of them a run reports anew."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.index.database import transaction
from archive.warc.reader import not_read_reason, unread_name, unread_warc_files


def files_not_read(warc_dir: Path, files: list[Path]) -> tuple[list[Path], list[tuple[str, Path, str]]]:
    """The WARC files of `files` that can be read, and the WARC files of the directory that
    are not, each as (name in reports, path, why and what to do): uncompressed ones, those
    in a subfolder, and those not named in UTF-8 (the index stores names as text: such a file
    failed the whole run at that file)."""
    unread = [(_shown(unread_name(p, warc_dir)), p, _shown(not_read_reason(p, warc_dir)))
              for p in unread_warc_files(warc_dir)]
    unread += [(_shown(p.name), p, "the file name is not UTF-8; rename the file to index it")
               for p in files if not _utf8_name(p)]
    return [p for p in files if _utf8_name(p)], unread


def _utf8_name(path: Path) -> bool:
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    # A name in another encoding, as text SQLite takes (a surrogate failed the run) and with
    # its bytes shown (caf\xe9): two such files are two names in unread_files, not one.
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def report_files_not_read(
    db: sqlite_utils.Database, unread: list[tuple[str, Path, str]]
) -> tuple[list[str], list[str]]:
    """The problems to report of the files not read: (new, known). New the run that finds a
    file, or finds it changed (size, modification time); known while it stays as reported.
    Kept on purpose (another tool's .warc), such a file made every run a failure until it
    was moved. Remembered in `unread_files`; one no longer there is forgotten, and found anew
    if it comes back."""
    reported = {row["name"]: row for row in db.table("unread_files").rows}
    new: list[str] = []
    known: list[str] = []
    rows: list[dict[str, Any]] = []
    for name, path, reason in unread:
        try:
            st = path.stat()
        except OSError:  # gone since the listing
            continue
        before = reported.get(name)
        unchanged = before is not None and (before["size"], before["mtime_ns"]) == (
            st.st_size, st.st_mtime_ns)
        (known if unchanged else new).append(f"{name}: {reason}")
        rows.append({"name": name, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "reason": reason,
                     "reported_at": before["reported_at"] if unchanged and before else
                     datetime.now(UTC).isoformat(timespec="seconds")})
    with transaction(db):
        db.execute("delete from unread_files")
        if rows:
            db.table("unread_files").insert_all(rows, pk="name")
    return new, known
