"""Shared fixtures: the demo news site on 127.0.0.1 and real crawls of it in a subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.demosite import DemoSite

ROOT = Path(__file__).resolve().parents[1]
SITES = ROOT / "config" / "sites"
# The demo server is local and ours: no politeness delay in tests.
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}


@dataclass
class Crawl:
    """One finished `scrapy crawl` subprocess and what it left behind."""

    returncode: int
    log: str
    data: Path
    items: list[dict[str, Any]]
    site: DemoSite | None = None

    @property
    def warc_dir(self) -> Path:
        return self.data / "warc"

    @property
    def index(self) -> Path:
        return self.data / "index.db"

    def stats(self) -> dict[str, Any]:
        """Scrapy's stats of the last run, as recorded in crawl_runs."""
        with closing(sqlite3.connect(self.index)) as db:
            row = db.execute("select stats from crawl_runs order by id desc limit 1").fetchone()
        return json.loads(row[0]) if row and row[0] else {}


def scrapy_crawl(site: str, data: Path, *, sites: Path = SITES, base_url: str | None = None,
                 settings: dict[str, str] | None = None, timeout: float = 240,
                 items_dir: Path | None = None) -> Crawl:
    """Run the real `scrapy crawl` from the project root, as a maintainer would."""
    data.mkdir(parents=True, exist_ok=True)
    items = (items_dir or data) / "items.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", site, "-O", f"{items}:jsonlines",
               "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={sites}"]
    if base_url:
        command += ["-a", f"base_url={base_url}"]
    for key, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env=env)
    lines = items.read_text().splitlines() if items.exists() else []
    return Crawl(result.returncode, result.stderr, data, [json.loads(line) for line in lines])


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """One full crawl of a fresh demo site, shared by every test that only reads its results
    (the site's request log and its 500-then-200 page belong to this crawl alone)."""
    with DemoSite() as site:
        crawl = scrapy_crawl("demo", tmp_path_factory.mktemp("demo-crawl"), base_url=site.url)
        crawl.site = site
        assert crawl.returncode == 0, crawl.log[-3000:]
        yield crawl
