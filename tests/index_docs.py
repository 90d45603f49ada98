"""Builders for index tests: metadata payloads as the crawl writes them, and WARC positions."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from archive.index.store import CaptureDoc
from archive.warc.records import WarcPosition

BASE = "http://127.0.0.1:8765"


def article_dict(
    text: str, *, title: str = "A title", status: str = "ok", **extra: Any
) -> dict[str, Any]:
    article: dict[str, Any] = {
        "status": status,
        "text": text,
        "title": title,
        "authors": ["Ada Lovelace", "Grace Hopper"],
        "published": "2026-11-27T09:30:00+01:00",
        "modified": None,
        "language": "en",
        "description": "A description of the story.",
        "sitename": "Demo News",
        "section": "world",
        "tags": ["harbour", "weather"],
        "image": f"{BASE}/img/1.jpg",
        "canonical_url": None,
        "date_candidates": [{"value": "2026-11-27T09:30:00+01:00", "source": "json_ld"}],
        "date_source": "json_ld",
        "reason": None,
    }
    article.update(extra)
    return article


def metadata(
    path: str,
    *,
    fetched_at: str = "2026-11-28T04:00:00.123456+00:00",
    outcome: str = "article",
    article: dict[str, Any] | None = None,
    status: int | None = 200,
    site: str = "demo",
) -> dict[str, Any]:
    return {
        "newsarchive": 1,
        "site": site,
        "url": BASE + path,
        "canonical_url": BASE + path,
        "fetched_at": fetched_at,
        "status": status,
        "content_type": "text/html; charset=utf-8",
        "outcome": outcome,
        "reason": None,
        "discovery": {"source": "feed", "title": None, "published": None, "keywords": []},
        "article": article,
    }


def position(name: str, file: str = "newsarchive-test-00000.warc.gz", offset: int = 0) -> WarcPosition:
    digest = hashlib.sha1(name.encode()).hexdigest()
    return WarcPosition(
        file=file,
        offset=offset,
        length=100,
        record_id=f"<urn:uuid:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}>",
        payload_digest="sha1:" + digest.upper()[:32],
    )


def doc(path: str, text: str | None = "Body text of the story.", **kw: Any) -> CaptureDoc:
    """A capture of BASE + path; text=None makes a non-article capture."""
    fetched = kw.get("fetched_at", "2026-11-28T04:00:00.123456+00:00")
    title = kw.pop("title", "A title")
    article = article_dict(text, title=title) if text is not None else None
    if text is None:
        kw.setdefault("outcome", "not_article")
    meta = metadata(path, article=article, **kw)
    return CaptureDoc(
        metadata=meta,
        response=position(f"response {path} {fetched}"),
        metadata_position=position(f"metadata {path} {fetched}", offset=100),
    )


def dump(path: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every index table (and the FTS index), for comparing two databases."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in ("captures", "articles", "article_versions"):
            out[table] = sorted(conn.execute(f"select * from {table}").fetchall(), key=repr)
        out["articles_fts"] = sorted(
            conn.execute(
                "select a.canonical_url, f.title, f.description, f.text"
                " from articles_fts f join articles a on a.rowid = f.rowid"
            ).fetchall()
        )
        return out
    finally:
        conn.close()
