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
