"""crawl_runs as read back for `newsarchive runs`."""

from __future__ import annotations

from datetime import timedelta

from archive.index.runs import CrawlRun


def run(started: str, finished: str | None) -> CrawlRun:
    return CrawlRun(id=1, site="demo", started=started, finished=finished, outcome="ok",
                    pages=3, articles=2, errors=0)


def test_duration_of_a_run() -> None:
    assert run("2026-11-28T10:00:00+00:00", "2026-11-28T10:01:30+00:00").duration == timedelta(seconds=90)
    assert run("2026-11-28T10:00:00+00:00", None).duration is None


def test_a_hand_edited_row_has_no_duration_rather_than_a_traceback() -> None:
    # An aware start and a naive end raised TypeError; a finish that is no date, ValueError:
    # either way `newsarchive runs` printed a traceback instead of the table.
    assert run("2026-11-28T10:00:00+00:00", "2026-11-28T10:01:30").duration is None
    assert run("2026-11-28T10:00:00+00:00", "yesterday").duration is None
