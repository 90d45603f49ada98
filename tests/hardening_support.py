"""Shared by tests/test_hardening_*.py: a site config aimed at the demo site's /hostile/ endpoints,
one real crawl of it, and the checks every hardening crawl must pass afterwards."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.demosite import DemoSite
from archive.demosite.hostile import ARTICLE_PATTERN, FOLLOW_PATTERNS
from archive.warc import verify_directory
from tests.conftest import Crawl, scrapy_crawl

# Small enough that the slow endpoint and its retries cost seconds, not minutes.
DOWNLOAD_TIMEOUT = 3
MAX_DEPTH = 4
MAX_PAGES = 150


@dataclass(frozen=True)
class Capture:
    url: str
    status: int | None
    outcome: str
    reason: str | None


def write_site(directory: Path, name: str, base_url: str, theme: str, **overrides: Any) -> Path:
    """`<directory>/<name>.toml` pointing at one theme of /hostile/ (values are TOML literals)."""
    keys: dict[str, Any] = {
        "base_url": base_url,
        "allowed_domains": ["127.0.0.1"],
        "allow_private_networks": ["127.0.0.1/32"],
        "feeds": [f"/hostile/feed.xml?theme={theme}"],
        "start_urls": [f"/hostile/links?theme={theme}"],
        "article_patterns": [ARTICLE_PATTERN],
        "follow_patterns": FOLLOW_PATTERNS,
        "max_pages": MAX_PAGES,
        "max_depth": MAX_DEPTH,
        **overrides,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    # JSON strings and lists of strings are valid TOML basic strings and arrays.
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items()
                            if value is not None))
    return path


def crawl_theme(data: Path, site: DemoSite, theme: str, *, settings: dict[str, str] | None = None,
                **overrides: Any) -> Crawl:
    """One real `scrapy crawl` of one theme; the site's request log stays with the result."""
    name = f"hostile-{theme.replace('_', '-')}"
    write_site(data / "sites", name, site.url, theme, **overrides)
    crawl = scrapy_crawl(name, data / "data", sites=data / "sites", settings={
        "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT), **(settings or {})})
    crawl.site = site
    return crawl


def dead_port() -> int:
    """A loopback port nobody listens on: bound, then closed (nothing reuses it that fast)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Tripwire:
    """Listens on another loopback address and counts who connects: a failing SSRF guard is
    caught here instead of reaching anything real."""

    def __init__(self, host: str, port: int):
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tripwire", daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    @contextmanager
    def armed(self) -> Iterator[Tripwire]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=5)
            self._sock.close()


# -- reading what a crawl left behind ----------------------------------------------------------

def site_of(crawl: Crawl) -> DemoSite:
    """The demo site a hardening crawl ran against."""
    assert crawl.site is not None
    return crawl.site


def query(crawl: Crawl, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(crawl.index)) as db:
        return db.execute(sql, params).fetchall()


def captures(crawl: Crawl, url: str) -> list[Capture]:
    """Every capture row of one URL, in fetch order."""
    rows = query(crawl, "select url, status, outcome, reason from captures where url = ? "
                 "order by fetched_at", url)
    return [Capture(*row) for row in rows]


def capture_with(crawl: Crawl, url: str, outcome: str) -> Capture:
    found = [c for c in captures(crawl, url) if c.outcome == outcome]
    assert found, f"no {outcome!r} capture of {url}; have {captures(crawl, url)}"
    return found[-1]


def article_rows(crawl: Crawl, url: str) -> int:
    return int(query(crawl, "select count(*) from articles where canonical_url = ? or url = ?",
                     url, url)[0][0])


def article_text(crawl: Crawl, url: str) -> str:
    rows = query(crawl, "select text from articles where canonical_url = ?", url)
    assert rows, f"no article row for {url}"
    return str(rows[0][0])


def log_lines(crawl: Crawl, url: str) -> list[str]:
    """Log lines (INFO and up: the crawls run at LOG_LEVEL=INFO) that name the URL."""
    return [line for line in crawl.log.splitlines() if url in line]


def assert_logged(crawl: Crawl, url: str, pattern: str = "") -> None:
    lines = log_lines(crawl, url)
    assert any(re.search(pattern, line, re.I) for line in lines), (
        f"no log line names {url} (and matches {pattern!r}); lines naming it: {lines}")


def assert_archive_sound(crawl: Crawl) -> None:
    """The WARC files verify strictly, and the index passes SQLite's and FTS5's own checks."""
    report = verify_directory(crawl.warc_dir)
    assert report.ok, report.format()
    assert not list(crawl.warc_dir.glob("*.open"))
    with closing(sqlite3.connect(crawl.index)) as db:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
        # Raises sqlite3.DatabaseError when the FTS index disagrees with its table.
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")


def assert_finished(crawl: Crawl) -> None:
    assert crawl.returncode == 0, crawl.log[-4000:]
    stats = crawl.stats()
    assert stats["finish_reason"] == "finished"
    assert stats["newsarchive/outcome"] == "ok"
