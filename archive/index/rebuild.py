"""Build or update the index from the WARC files alone (the index is a projection of them)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils
from tqdm import tqdm

from archive.index.database import transaction
from archive.index.reextract import REFUSED_SHOWN, Adoption, ArticleUrls, reextract_batch
from archive.index.runrecords import RunRecordError, add_run, is_run_record, run_from_record
from archive.index.store import (
    CaptureDoc,
    CaptureError,
    apply_capture,
    capture_id,
    fetch_row,
    forget_capture,
    is_indexed_article,
)
from archive.index.unread import files_not_read, report_files_not_read
from archive.warc.reader import (
    WarcFormatError,
    WarcRecordData,
    read_record,
    scan_file,
    warc_files,
)
from archive.warc.records import WarcPosition

if TYPE_CHECKING:
    from archive.extract_pool import ExtractionPool

# Captures per transaction while indexing a file: batched commits are 4-10x faster than
# one per capture (DESIGN.md) and a crash only costs redoing the file.
BATCH = 500
RESPONSE_TYPES = ("response", "revisit")
# Files named in the count of responses without their metadata record.
UNPAIRED_SHOWN = 5


@dataclass
class IndexStats:
    """What one index run did."""

    files_seen: int = 0
    files_indexed: int = 0
    files_skipped: int = 0  # already indexed, same size
    records: int = 0
    captures: int = 0
    articles: int = 0  # captures that are ok articles
    reextracted: int = 0
    runs: int = 0  # crawl runs added from their WARC records (the index lacked them)
    runs_carried: int = 0  # a rebuild's crawl runs kept from the old index, with their ids
    unpaired_metadata: int = 0  # metadata records whose response was never found
    unpaired_responses: int = 0  # responses still waiting for their metadata record
    unpaired_by_file: list[tuple[str, int]] = field(default_factory=list)  # (file, how many)
    problems: list[str] = field(default_factory=list)
    # Re-extracting: pages whose rel=canonical was not adopted (why), and the sites re-extracted
    # without a config to judge their pages' claims by. Warnings, not problems.
    canonicals_refused: list[str] = field(default_factory=list)  # the first REFUSED_SHOWN
    canonicals_refused_count: int = 0
    sites_without_config: list[str] = field(default_factory=list)
    # Problems reported by an earlier run, with files unchanged since (not read, as then).
    known_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def absorb(self, later: IndexStats) -> None:
        """Add a later run over the same directory (a catch-up pass) to these figures."""
        for name in ("files_indexed", "records", "captures", "articles", "reextracted", "runs",
                     "unpaired_metadata", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(later, name))
        self.files_seen = max(self.files_seen, later.files_seen)
        self.unpaired_responses = later.unpaired_responses
        self.unpaired_by_file = later.unpaired_by_file
        self.problems += later.problems
        self.canonicals_refused = (self.canonicals_refused + later.canonicals_refused)[:REFUSED_SHOWN]
        self.canonicals_refused_count += later.canonicals_refused_count
        self.sites_without_config = sorted({*self.sites_without_config, *later.sites_without_config})
        self.known_problems += [p for p in later.known_problems
                                if p not in self.problems and p not in self.known_problems]

    def format(self) -> str:
        lines = [
            f"{self.files_indexed} WARC files indexed, {self.files_skipped} already up to date; "
            f"{self.records} records, {self.captures} captures, {self.articles} articles"
            + (f" ({self.reextracted} re-extracted)" if self.reextracted else "")
            + (f", {self.runs} crawl runs added" if self.runs and not self.runs_carried else "")
            + f" in {self.seconds:.1f}s",
        ]
        if self.runs_carried:
            # A rebuild reads every run record again: "added" counted the old index's too.
            lines.append(f"crawl runs: {self.runs_carried} carried over from the old index (their "
                         f"ids kept), {self.runs} new from their WARC records")
        if self.unpaired_responses:
            # By file: another tool's WARC file (no metadata records of ours) stands out.
            files = ", ".join(f"{name} ({n})" for name, n in self.unpaired_by_file[:UNPAIRED_SHOWN])
            more = len(self.unpaired_by_file) - UNPAIRED_SHOWN
            lines.append(f"{self.unpaired_responses} responses have no metadata record (yet): "
                         f"{files}" + (f" and {more} more files" if more > 0 else ""))
        lines += [f"warning: {why}" for why in self.canonicals_refused]
        if self.canonicals_refused_count > len(self.canonicals_refused):
            lines.append(f"warning: and {self.canonicals_refused_count - len(self.canonicals_refused)}"
                         " more pages whose rel=canonical was not adopted")
        lines += [f"known problem (reported before; the file has not changed since): {p}"
                  for p in self.known_problems]
        lines += [f"problem: {p}" for p in self.problems]
        return "\n".join(lines)


class _Responses:
    """Response positions by record id: this run's in memory, earlier runs' in the database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.pending: dict[str, dict[str, Any]] = {}
        self.taken: list[str] = []

    def add(self, record: WarcRecordData) -> None:
        pos = record.position
        self.pending[pos.record_id] = {
            "record_id": pos.record_id,
            "url": record.target_uri,
            "status": record.http_status,
            "date": record.date,
            "warc_file": pos.file,
            "warc_offset": pos.offset,
            "warc_length": pos.length,
            "payload_digest": pos.payload_digest,
        }

    def take(self, record_id: str) -> WarcPosition | None:
        row = self.pending.pop(record_id, None)
        if row is None:
            row = fetch_row(self.db, "select * from unpaired_responses where record_id = ?",
                            [record_id])
            if row is None:
                return self._paired_before(record_id)
        # Deleted by forget_taken() once this file is marked indexed; also when
        # found in this run: a file read again (it grew, or was cut before) may have left
        # the response stored as unpaired by the earlier run.
        self.taken.append(record_id)
        return WarcPosition(
            row["warc_file"], row["warc_offset"], row["warc_length"], row["record_id"],
            row["payload_digest"],
        )

    def _paired_before(self, record_id: str) -> WarcPosition | None:
        """A response an earlier run (or the crawl) already paired with this metadata record:
        the file holding the metadata is read again (it changed size, or two runs overlap) and
        the response, in an earlier file, is read no more. Without this the capture lost its
        response position, and a later rebuild disagreed with the index."""
        row = fetch_row(self.db, "select * from captures where id = ?", [record_id])
        return _response_of(row) if row is not None else None

    def forget_taken(self) -> None:
        """Delete the stored responses that have met their metadata (in the transaction that
        marks their metadata's file indexed)."""
        for record_id in self.taken:
            self.db.execute("delete from unpaired_responses where record_id = ?", [record_id])
        self.taken.clear()

    def persist(self) -> None:
        """Keep the still unpaired responses for a later run (inside the caller's transaction)."""
        if self.pending:
            self.db.table("unpaired_responses").upsert_all(
                list(self.pending.values()), pk="record_id"
            )
            self.pending.clear()


def metadata_payload(record: WarcRecordData) -> dict[str, Any] | None:
    """The newsarchive JSON of a metadata record, or None for any other record.

    Raises CaptureError for a JSON metadata record that cannot be read: a capture would
    otherwise go missing from the index without a word.
    """
    if record.rec_type != "metadata":
        return None
    content_type = (record.warc_header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return None
    try:
        payload = record.json_payload()
    except ValueError as exc:
        raise CaptureError(f"metadata record of {record.target_uri} is {exc}") from None
    if not isinstance(payload, dict) or "newsarchive" not in payload:
        return None
    return payload


class _Pending:
    """Bytes read, counted until the batch they hold is extracted."""

    def __init__(self) -> None:
        self.bytes = 0

    def update(self, n: int) -> None:
        self.bytes += n

    def take(self) -> int:
        taken, self.bytes = self.bytes, 0
        return taken


def _docs(
    path: Path, responses: _Responses, stats: IndexStats, progress: tqdm[Any] | _Pending,
    runs: list[dict[str, Any]],
) -> Iterator[CaptureDoc]:
    """The file's captures; its crawl run records go to `runs`."""
    offset = 0
    # scan_file, not iter_records: a damaged stretch of a closed file (bit rot) costs only the
    # records in it; the file cannot be salvaged, so reading it again would not do better.
    for entry in scan_file(path):
        progress.update(entry.offset + entry.length - offset)
        offset = entry.offset + entry.length
        if entry.record is None:
            stats.problems.append(f"{entry.error} ({entry.length} bytes unreadable; the "
                                  "records around them are indexed)")
            continue
        record = entry.record
        stats.records += 1
        if record.rec_type in RESPONSE_TYPES:
            responses.add(record)
            continue
        if is_run_record(record):
            try:
                runs.append(run_from_record(record))
            except RunRecordError as exc:
                stats.problems.append(f"{record.position.file} at offset {record.position.offset}: {exc}")
            continue
        try:
            metadata = metadata_payload(record)
        except CaptureError as exc:
            stats.problems.append(f"{record.position.file} at offset {record.position.offset}: {exc}")
            continue
        if metadata is None:
            continue
        refers_to = record.warc_header("WARC-Refers-To")
        response = responses.take(refers_to) if refers_to else None
        if refers_to and response is None:
            stats.unpaired_metadata += 1
            stats.problems.append(
                f"{record.position.file} at offset {record.position.offset}: response "
                f"{refers_to} of {metadata.get('url')} not found; indexed without it"
            )
        yield CaptureDoc(metadata, response, record.position)


def _index_file(
    db: sqlite_utils.Database, warc_dir: Path, path: Path, *, pool: ExtractionPool | None,
    responses: _Responses, stats: IndexStats, progress: tqdm[Any], adoption: Adoption | None,
) -> None:
    size = path.stat().st_size
    records_before, captures_before = stats.records, stats.captures
    seen: set[str] = set()
    # Re-extracting, the time goes into extraction, after each batch is read: the bar moves
    # as the batches are extracted (it sat at 0% and jumped to 100% at the end).
    pending = _Pending() if pool is not None else None
    runs: list[dict[str, Any]] = []
    docs = _docs(path, responses, stats, pending or progress, runs)
    # Read and (re-)extract a batch outside the transaction, so the write lock is held
    # only while writing: a live crawl writing to the same index waits milliseconds.
    while batch := list(islice(docs, BATCH)):
        if pool is not None:
            stats.reextracted += reextract_batch(warc_dir, batch, pool, stats.problems, adoption)
        if pending is not None:
            progress.update(pending.take())
        seen.update(map(capture_id, batch))
        with transaction(db):
            for doc in batch:
                try:
                    apply_capture(db, doc)  # a savepoint: a bad record undoes only itself
                except CaptureError as exc:
                    where = doc.metadata_position
                    stats.problems.append(f"{where.file} at offset {where.offset}: {exc}" if where
                                          else str(exc))
                    continue
                stats.captures += 1
                stats.articles += is_indexed_article(doc.metadata)
    if pending is not None:
        progress.update(pending.take())  # the records after the last capture
    # Marked indexed only once all of its captures are in; a crash before this just means
    # the file is read again next time (applying a capture twice changes nothing). The
    # stored responses its captures took are deleted here too, not with their batch: a
    # file read again must find them again.
    with transaction(db):
        _forget_unseen(db, warc_dir, path.name, seen, stats)
        responses.forget_taken()
        responses.persist()
        stats.runs += sum(add_run(db, run) for run in runs)
        db.table("indexed_files").upsert(
            {
                "name": path.name,
                "size": size,
                "records": stats.records - records_before,
                "captures": stats.captures - captures_before,
                "reextract": int(pool is not None),
                "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            pk="name",
        )


def _forget_unseen(
    db: sqlite_utils.Database, warc_dir: Path, name: str, seen: set[str], stats: IndexStats
) -> None:
    """Drop the captures the index holds from file `name` (their metadata record in it) that
    reading it did not find. A crawl indexes its file as it writes it; when the crawl dies
    and the salvage cuts a damaged stretch out of that file, the records after it move up,
    and the rows of the cut captures named offsets that now hold other pages' records."""
    rows = db.execute("select id from captures where metadata_warc_file = ?", [name]).fetchall()
    for (gone,) in rows:
        if gone in seen:
            continue
        stats.problems.append(f"{name}: capture {gone} is no longer in the file (cut by a "
                              "salvage?): removed from the index")
        article_url = forget_capture(db, gone)
        if article_url is not None:
            _show_latest_capture(db, warc_dir, article_url, stats)


def _show_latest_capture(
    db: sqlite_utils.Database, warc_dir: Path, article_url: str, stats: IndexStats
) -> None:
    """Apply the remaining captures of an article again, read back from their metadata
    records, latest first, to give the article the row they make: up to the latest that
    is not gated (the index does not know which are: only their metadata says)."""
    cursor = db.execute(
        "select * from captures where canonical_url = ? and content_sha1 is not null "
        "and metadata_warc_file is not null order by fetched_at desc, id desc",
        [article_url],
    )
    columns = [d[0] for d in cursor.description]
    for row in [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]:
        try:
            record = read_record(warc_dir, row["metadata_warc_file"], row["metadata_warc_offset"])
            metadata = metadata_payload(record)
            if metadata is None:
                raise CaptureError("its metadata record holds no newsarchive JSON")
            apply_capture(db, CaptureDoc(metadata, _response_of(row), record.position))
        except (OSError, WarcFormatError, CaptureError) as exc:
            stats.problems.append(f"cannot show {article_url} from its capture {row['id']}: "
                                  f"{exc}; run `newsarchive index --rebuild`")
            return
        article = metadata.get("article")
        if not (isinstance(article, dict) and article.get("gated")):
            return


def _response_of(capture: dict[str, Any]) -> WarcPosition | None:
    """Where a `captures` row's response record is; None for a fetch without a response."""
    if capture["warc_file"] is None:
        return None
    return WarcPosition(capture["warc_file"], capture["warc_offset"], capture["warc_length"],
                        capture["warc_record_id"], capture["payload_digest"])


def index_warc_directory(
    db: sqlite_utils.Database, warc_dir: Path, *, reextract: bool = False, progress: bool = False,
    extract_timeout: float = 30.0, article_urls: ArticleUrls | None = None,
    reextract_indexed: bool = True,
) -> IndexStats:
    """Bring the index up to date with the closed WARC files of `warc_dir`.

    Incremental: a file already indexed with the same size is skipped. Idempotent: every
    capture goes through apply_capture, the function the live crawl calls. A damaged stretch
    of a file is reported in `problems` and the records around it are indexed; a file that
    cannot be read at all is reported and retried on the next run. A WARC file not read
    (uncompressed, in a subfolder, not named in UTF-8) is in `problems` the run that finds it
    (or finds it changed), then in `known_problems` while it stays as it was. With `reextract`, pages
    are extracted again from the archived response instead of trusting the stored JSON, in
    an ExtractionPool (one worker per core, `extract_timeout` seconds per page), and a page's
    rel=canonical is adopted as the crawl adopts it where `article_urls` has its site (what was
    not, and why, in `canonicals_refused` and `sites_without_config`). Files this index has
    (the same size) are extracted again too, unless not `reextract_indexed` (a rebuild's
    catch-up: its index has them from this very re-extraction).
    """
    started = time.monotonic()
    warc_dir = Path(warc_dir)
    stats = IndexStats()
    files = warc_files(warc_dir)
    stats.files_seen = len(files)
    files, unread = files_not_read(warc_dir, files)
    problems, known = report_files_not_read(db, unread)
    stats.problems += problems
    stats.known_problems += known
    done = {row["name"]: row["size"] for row in db.table("indexed_files").rows}
    # A file indexed before and gone now: its captures point nowhere ("0 files indexed, all up
    # to date" said nothing of it). Only `verify` noticed.
    present = {p.name for p in files}
    stats.problems += [f"{name} was indexed but is no longer in {warc_dir}: its captures point "
                       "nowhere (restore it, or run `newsarchive index --rebuild`)"
                       for name in sorted(done) if name not in present]
    # Re-extraction is about files already indexed: it reads them all again.
    again = reextract and reextract_indexed
    todo = files if again else [p for p in files if done.get(p.name) != p.stat().st_size]
    stats.files_skipped = len(files) - len(todo)
    responses = _Responses(db)
    adoption = Adoption(article_urls) if reextract and article_urls is not None else None
    total = sum(p.stat().st_size for p in todo)
    with contextlib.ExitStack() as stack:
        pool = None
        if reextract and todo:
            # Imported here: a plain rebuild never needs trafilatura or worker processes.
            from archive.extract_pool import ExtractionPool

            pool = stack.enter_context(ExtractionPool(timeout=extract_timeout))
        bar = stack.enter_context(
            tqdm(total=total, unit="B", unit_scale=True, desc="indexing", disable=not progress)
        )
        for path in todo:
            try:
                _index_file(
                    db, warc_dir, path, pool=pool, responses=responses, stats=stats,
                    progress=bar, adoption=adoption,
                )
            except OSError as exc:
                stats.problems.append(f"{path.name}: cannot read: {exc} (not marked indexed)")
                # Its responses stay stored until the file is read whole: forget what this
                # run took or met of them, or the next file's marking would act on it.
                responses.taken.clear()
                responses.pending.clear()
                continue
            stats.files_indexed += 1
    stats.unpaired_by_file = [
        (name, int(n)) for name, n in db.execute(
            "select warc_file, count(*) from unpaired_responses group by warc_file order by warc_file"
        ).fetchall()
    ]
    stats.unpaired_responses = sum(n for _, n in stats.unpaired_by_file)
    if adoption is not None:
        stats.canonicals_refused, stats.canonicals_refused_count = adoption.refused, adoption.refused_count
        stats.sites_without_config = sorted(adoption.sites_without_config)
    stats.seconds = time.monotonic() - started
    return stats
