"""rel=canonical aliases: one article row, every URL it was fetched by recorded and skipped later."""

from __future__ import annotations

from pathlib import Path

from archive.index import apply_capture, archived_articles, open_index
from tests.index_docs import BASE, doc


def test_alias_recorded_once_and_known_as_archived(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    first = doc("/news/story")
    second = doc("/news/story", fetched_at="2026-11-28T05:00:00.000000+00:00")
    second.metadata["url"] = BASE + "/news/story-print"
    second.metadata["aliases"] = [BASE + "/news/story-print"]
    for capture in (first, second, second):
        apply_capture(db, capture)
    assert db.execute("select count(*) from articles").fetchone()[0] == 1
    assert db.execute("select alias_url, canonical_url from article_aliases").fetchall() == [
        (BASE + "/news/story-print", BASE + "/news/story")]
    assert set(archived_articles(db, "demo")) == {BASE + "/news/story", BASE + "/news/story-print"}
    db.close()


def test_aliases_do_not_depend_on_the_order_captures_arrive(tmp_path: Path) -> None:
    """The earliest sighting of an alias wins, whichever capture is applied first."""
    early = doc("/news/story", fetched_at="2026-11-28T04:00:00.000000+00:00")
    late = doc("/news/story-v2", fetched_at="2026-11-28T06:00:00.000000+00:00")
    for capture in (early, late):  # the same fetched URL, whose rel=canonical moved
        capture.metadata["url"] = BASE + "/news/story?utm=x"
        capture.metadata["aliases"] = [BASE + "/news/story?utm=x"]
    rows = []
    for order in ((early, late), (late, early)):
        db = open_index(tmp_path / f"index-{len(rows)}.db")
        for capture in order:
            apply_capture(db, capture)
        rows.append(db.execute("select * from article_aliases").fetchall())
        db.close()
    assert rows[0] == rows[1] == [(BASE + "/news/story?utm=x", BASE + "/news/story", "demo",
                                   "2026-11-28T04:00:00.000000+00:00")]
