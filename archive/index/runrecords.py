"""A crawl run as a WARC metadata record, and back: the archive holds its crawl runs, so an
index built from the WARC files alone has them too.

The record is a `metadata` record about no page (no WARC-Refers-To), named
`urn:newsarchive:crawl-run:<site>:<started>`, whose JSON holds the run's `crawl_runs` values:
{"newsarchive_run": 1, site, started, finished, outcome, pages, articles, errors, stats}.
Its key is not the capture records' "newsarchive": whatever reads those (the index's capture
projection, re-extraction) passes it by.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from archive.index.runs import run_end
from archive.warc.reader import WarcRecordData
from archive.warc.records import WarcPosition
from archive.warc.writer import WarcFileWriter

RUN_URI_PREFIX = "urn:newsarchive:crawl-run:"
RUN_FORMAT = 1
_COUNTS = ("pages", "articles", "errors")
_SQLITE_MIN, _SQLITE_MAX = -(2**63), 2**63 - 1


class RunRecordError(ValueError):
    """A crawl run record that cannot be read back into a `crawl_runs` row."""


def run_uri(site: str, started: str) -> str:
    return f"{RUN_URI_PREFIX}{site}:{started}"


def run_payload(site: str, started: str, finished_at: str, outcome: str,
                stats: Mapping[str, Any]) -> bytes:
    """The record's JSON: the values finish_run records for this end of the run."""
    end = run_end(finished_at, outcome, stats)
    # The stats as an object, with the values the row's text has (Scrapy's datetimes as text).
    payload = {"newsarchive_run": RUN_FORMAT, "site": site, "started": started,
               **end, "stats": json.loads(end["stats"])}
    # "replace": a lone surrogate in a stat (an URL in an error message) is not UTF-8.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8", errors="replace")


def write_run_record(writer: WarcFileWriter, site: str, started: str, finished_at: str,
                     outcome: str, stats: Mapping[str, Any]) -> WarcPosition:
    """Archive how a run ended. Raises OSError when the WARC file cannot be written."""
    return writer.write_metadata(run_uri(site, started),
                                 run_payload(site, started, finished_at, outcome, stats),
                                 refers_to=None)


def is_run_record(record: WarcRecordData) -> bool:
    return record.rec_type == "metadata" and (record.target_uri or "").startswith(RUN_URI_PREFIX)


def run_from_record(record: WarcRecordData) -> dict[str, Any]:
    """The `crawl_runs` row (without id) a run record holds; RunRecordError when it is not one."""
    where = f"crawl run record {record.target_uri}"
    try:
        payload = record.json_payload()
    except ValueError as exc:
        raise RunRecordError(f"{where} is {exc}") from None
    if not isinstance(payload, dict) or payload.get("newsarchive_run") != RUN_FORMAT:
        raise RunRecordError(f"{where} holds no newsarchive crawl run (format {RUN_FORMAT})")
    row = {key: payload.get(key) for key in ("site", "started", "finished", "outcome", *_COUNTS)}
    wrong = [key for key in ("site", "started") if not isinstance(row[key], str) or not row[key]]
    wrong += [key for key in ("finished", "outcome")
              if row[key] is not None and not isinstance(row[key], str)]
    wrong += [key for key in _COUNTS if row[key] is not None and not _is_count(row[key])]
    if not isinstance(payload.get("stats", {}), dict):
        wrong.append("stats")
    if wrong:
        raise RunRecordError(f"{where}: wrong {', '.join(wrong)}")
    # As finish_run stores them: the same text, so a rebuilt row equals the live one.
    row["stats"] = json.dumps(payload.get("stats", {}), default=str, sort_keys=True)
    row["warc_file"], row["warc_offset"] = record.position.file, record.position.offset
    return row


def _is_count(value: Any) -> bool:
    """An int SQLite stores: a larger one stopped the index build with an OverflowError (at
    every run, the file never marked indexed)."""
    return isinstance(value, int) and not isinstance(value, bool) and (
        _SQLITE_MIN <= value <= _SQLITE_MAX)


def add_run(db: sqlite_utils.Database, row: Mapping[str, Any]) -> bool:
    """Insert a run read from the WARC files unless the index has it (the same site and
    start): reading a file again, or a file of a run the live crawl recorded, adds nothing.
    A row the index still shows `running` takes the record's end, its id kept: its crawl
    wrote the record but could not record its end in the index (index.db locked or full),
    and the row stayed `running` for good. A row that does not know where its record is
    learns it. Whether it was added or completed. Inside the caller's transaction."""
    found = db.execute("select id, outcome, warc_file from crawl_runs where site = ? and started = ?",
                       [row["site"], row["started"]]).fetchone()
    if found is None:
        db.table("crawl_runs").insert(dict(row))
        return True
    run_id, outcome, warc_file = found
    if warc_file is None and row.get("warc_file") is not None:
        db.table("crawl_runs").update(run_id, {"warc_file": row["warc_file"],
                                               "warc_offset": row["warc_offset"]})
    if outcome != "running" or row.get("outcome") in (None, "running"):
        return False
    db.table("crawl_runs").update(run_id, {key: value for key, value in row.items()
                                           if key not in ("site", "started")})
    return True
