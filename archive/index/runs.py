"""`crawl_runs`: a crawl's start and end recorded; one run, the recent runs as a table, and
when each site last started."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from archive.index.database import transaction
from archive.warc.records import WarcPosition

_COLUMNS = "id, site, started, finished, outcome, pages, articles, errors"


@dataclass(frozen=True)
class CrawlRun:
    id: int
    site: str
    started: str
    finished: str | None
    outcome: str | None
    pages: int | None
    articles: int | None
    errors: int | None

    @property
    def duration(self) -> timedelta | None:
        if not self.finished:
            return None
        try:
            return datetime.fromisoformat(self.finished) - datetime.fromisoformat(self.started)
        except (ValueError, TypeError):  # a hand-edited or imported row: no duration, no traceback
            return None

    @property
    def running(self) -> bool:
        return self.outcome == "running"


def _runs(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[CrawlRun]:
    return [CrawlRun(*row) for row in db.execute(f"select {_COLUMNS} from crawl_runs {sql}", params)]


def get_run(db: sqlite_utils.Database, run_id: int) -> CrawlRun | None:
    found = _runs(db, "where id = ?", [run_id])
    return found[0] if found else None


def recent_runs(db: sqlite_utils.Database, site: str | None = None, limit: int = 20) -> list[CrawlRun]:
    """The latest runs first, of every site or of one."""
    if site is None:
        return _runs(db, "order by started desc, id desc limit ?", [limit])
    return _runs(db, "where site = ? order by started desc, id desc limit ?", [site, limit])


def last_started(db: sqlite_utils.Database) -> dict[str, datetime]:
    """When each site's latest run started (runs started by anything: scheduler, CLI, scrapy)."""
    # Every writer records `started` as UTC ISO 8601 (start_run callers), so max() is the latest.
    rows = db.execute("select site, max(started) from crawl_runs group by site").fetchall()
    return {site: datetime.fromisoformat(started) for site, started in rows if started}


# Runs in a row that ended interrupted after which a site's crawl is no longer run again at
# start: a crawl that gets its whole service killed (out of memory) would otherwise run again
# at every restart of the service, each run killed in turn, hammering the site.
MAX_INTERRUPTED_IN_A_ROW = 3


def interrupted_last(db: sqlite_utils.Database) -> set[str]:
    """The sites whose latest run was interrupted (the scheduler stopped, a Ctrl-C, the service
    killed): the crawl that run was due to make is still to do. Not when the latest
    MAX_INTERRUPTED_IN_A_ROW runs all were: that crawl waits for its schedule."""
    return {site for site, outcomes in _latest_outcomes(db).items()
            if outcomes[0] == "interrupted" and not _interrupted_in_a_row(outcomes)}


def interrupted_in_a_row(db: sqlite_utils.Database) -> set[str]:
    """The sites whose latest MAX_INTERRUPTED_IN_A_ROW runs all ended interrupted."""
    return {site for site, outcomes in _latest_outcomes(db).items() if _interrupted_in_a_row(outcomes)}


def _interrupted_in_a_row(outcomes: list[str]) -> bool:
    return len(outcomes) == MAX_INTERRUPTED_IN_A_ROW and set(outcomes) == {"interrupted"}


def _latest_outcomes(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Each site's latest MAX_INTERRUPTED_IN_A_ROW run outcomes, the latest first."""
    rows = db.execute(
        "select site, outcome from (select site, outcome, row_number() over (partition by site "
        "order by started desc, id desc) as n from crawl_runs) where n <= ? order by site, n",
        [MAX_INTERRUPTED_IN_A_ROW],
    ).fetchall()
    outcomes: dict[str, list[str]] = {}
    for site, outcome in rows:
        outcomes.setdefault(site, []).append(outcome)
    return outcomes


def _seconds(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    total = delta.total_seconds()
    if total < 60:
        return f"{total:.1f}s"
    minutes, seconds = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def _utc(text: str) -> str:
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def format_runs(runs: list[CrawlRun]) -> str:
    """A plain-text table: site, start, duration, pages, articles, errors, outcome."""
    header = ("site", "start (UTC)", "duration", "pages", "articles", "errors", "outcome")
    rows = [header] + [
        (run.site, _utc(run.started), _seconds(run.duration), _number(run.pages),
         _number(run.articles), _number(run.errors), run.outcome or "")
        for run in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {2, 3, 4, 5}
    lines = [
        "  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                  for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def start_run(db: sqlite_utils.Database, site: str, started_at: str) -> int:
    """Record the start of a crawl of `site`; returns the run id for finish_run."""
    with transaction(db):
        table = db.table("crawl_runs")
        table.insert({"site": site, "started": started_at, "outcome": "running"})
        run_id = table.last_pk
    assert isinstance(run_id, int)
    return run_id


def run_end(finished_at: str, outcome: str, stats: Mapping[str, Any]) -> dict[str, Any]:
    """The `crawl_runs` values that record how a crawl ended, as finish_run writes them and
    the run's WARC record (archive.index.runrecords) holds them. pages/articles/errors come
    from `stats` when present (our keys first, then Scrapy's: response_received_count,
    log_count/ERROR)."""

    def pick(*keys: str) -> int | None:
        for key in keys:
            value = stats.get(key)
            if isinstance(value, int):
                return value
        return None

    return {
        "finished": finished_at,
        "outcome": outcome,
        # Scrapy stats hold datetimes: stringify whatever JSON cannot carry.
        "stats": json.dumps(dict(stats), default=str, sort_keys=True),
        "pages": pick("pages", "response_received_count"),
        "articles": pick("articles", "item_scraped_count"),
        "errors": pick("errors", "log_count/ERROR"),
    }


def record_run_position(db: sqlite_utils.Database, run_id: int, position: WarcPosition) -> None:
    """Where the run's WARC record is (runrecords.write_run_record), for the record view."""
    with transaction(db):
        db.table("crawl_runs").update(run_id, {"warc_file": position.file,
                                               "warc_offset": position.offset})


def finish_run(
    db: sqlite_utils.Database, run_id: int, finished_at: str, outcome: str, stats: Mapping[str, Any]
) -> None:
    """Record how a crawl ended (run_end's values)."""
    with transaction(db):
        if db.execute("select 1 from crawl_runs where id = ?", [run_id]).fetchone() is None:
            raise KeyError(f"no crawl run with id {run_id}")
        db.table("crawl_runs").update(run_id, run_end(finished_at, outcome, stats))
