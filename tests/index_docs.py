"""Builders for index tests: metadata payloads as the crawl writes them, and WARC positions."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
import sqlite_utils

from archive.index.store import CaptureDoc, apply_capture
from archive.warc.records import HttpRequestData, HttpResponseData, WarcPosition
from archive.warc.writer import WarcFileWriter

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
        for table in ("captures", "articles", "article_versions", "article_aliases"):
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


FETCHED = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour wall gives way in the night storm</title>
<meta property="og:title" content="Harbour wall gives way in the night storm">
<meta name="author" content="Ada Lovelace">
<meta property="article:published_time" content="2026-11-27T09:30:00+01:00">
</head><body><header><nav><a href="/">Home</a></nav></header>
<article><h1>Harbour wall gives way in the night storm</h1>
<p>The old harbour wall collapsed shortly after midnight, when the spring tide met a gale
from the north-west and the waves broke over the fishermen's quay for the first time in
forty years.</p>
<p>Residents of the lower town were woken by the sound of falling stone. Coastguard
volunteers said the boats moored along the wall had been moved the evening before, and
nobody was hurt, although three sheds and a crane were carried away.</p>
<p>The council will meet on Thursday to discuss temporary repairs, and engineers from the
port authority are expected to inspect the remaining sections of the breakwater.</p>
</article><footer>(c) 2024 Demo News</footer></body></html>"""


class Crawl:
    """Writes captures to a WARC directory and keeps a live index, as the crawl does."""

    def __init__(self, warc_dir: Path, db: sqlite_utils.Database | None, max_size: int = 10**9):
        self.writer = WarcFileWriter(warc_dir, max_size=max_size, fsync=False, hostname="test")
        self.db = db
        self.n = 0

    def fetch(
        self, path: str, body: bytes = b"<html>page</html>", *, meta: dict[str, Any],
        encoding: str | None = None, write_metadata: bool = True,
        content_type: str = "text/html; charset=utf-8",
    ) -> CaptureDoc | None:
        self.n += 1
        when = FETCHED.replace(minute=self.n % 60, second=self.n // 60)
        headers = [("Content-Type", content_type)]
        payload = body
        if encoding == "gzip":
            payload = gzip.compress(body)
        elif encoding == "br":
            payload = brotli.compress(body)
        if encoding:
            headers.append(("Content-Encoding", encoding))
        response = None
        if meta["outcome"] not in ("fetch_error", "timeout"):
            positions = self.writer.write_exchange(
                HttpRequestData("GET", BASE + path, [("Host", "127.0.0.1:8765")]),
                HttpResponseData(BASE + path, meta.get("status") or 200, "OK", headers, payload,
                                 when),
            )
            response = positions.response
        if not write_metadata:
            return None
        meta = {**meta, "fetched_at": when.isoformat()}
        mpos = self.writer.write_metadata(
            BASE + path, json.dumps(meta).encode(),
            refers_to=response.record_id if response else None,
        )
        doc = CaptureDoc(meta, response, mpos)
        if self.db is not None:
            apply_capture(self.db, doc)
        return doc

    def article(self, path: str, text: str, **kw: Any) -> CaptureDoc | None:
        return self.fetch(path, PAGE.encode(), meta=metadata(path, article=article_dict(text)),
                          **kw)


def crawl_demo(warc_dir: Path, db: sqlite_utils.Database | None, max_size: int = 10**9) -> None:
    crawl = Crawl(warc_dir, db, max_size)
    crawl.fetch("/feed.xml", b"<rss/>", meta=metadata("/feed.xml", outcome="feed"))
    crawl.article("/news/harbour", "The old harbour wall collapsed.", encoding="gzip")
    # Found under a tracking URL too: the alias must survive a rebuild.
    crawl.fetch("/news/market", PAGE.encode(), meta={
        **metadata("/news/market", article=article_dict("A quiet day at the market.")),
        "aliases": [BASE + "/news/market?utm_source=feed"]})
    crawl.fetch("/tag/weather", meta=metadata("/tag/weather", outcome="not_article"))
    crawl.article("/news/harbour", "The old harbour wall collapsed. Update: repairs.")
    crawl.fetch("/news/gone", meta=metadata("/news/gone", outcome="fetch_error", status=None))
    crawl.fetch("/news/404", meta=metadata("/news/404", outcome="http_error", status=404))
    crawl.writer.close()


def read_only_view(source: Path, view: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `command` with `view` a read-only bind mount of `source`, in a private mount
    namespace (root, as in CI, writes through file modes, so a chmod proves nothing)."""
    view.mkdir()
    script = 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && shift 2 && exec "$@"'
    if shutil.which("unshare") is None:
        pytest.fail("this test needs util-linux's unshare (mount namespaces)")
    return subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(source), str(view),
                           *command], capture_output=True, text=True, timeout=60)
