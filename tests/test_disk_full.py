"""A disk that fills up mid-crawl (a real 2 MB tmpfs): the crawl stops with a clear error
and everything written before stays valid."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.warc import iter_records, salvage_directory, verify_directory, warc_files
from tests.conftest import scrapy_crawl


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2000k", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_disk_full_stops_crawl_and_keeps_what_was_written(small_disk: Path, tmp_path: Path) -> None:
    data = small_disk / "data"
    with DemoSite() as site:
        crawl = scrapy_crawl("demo", data, base_url=site.url, items_dir=tmp_path)
    assert crawl.returncode == 1
    assert "No space left on device" in crawl.log or "database or disk is full" in crawl.log
    assert "stopping the crawl" in crawl.log
    assert "Traceback" not in crawl.log
    with closing(sqlite3.connect(data / "index.db")) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
        indexed = db.execute("select count(*) from articles").fetchone()[0]
    # Salvage needs room: do it where a later run would, on a disk with space.
    copy = tmp_path / "warc"
    shutil.copytree(data / "warc", copy)
    salvage_directory(copy)
    report = verify_directory(copy)
    assert report.ok, report.format()
    kept = [r for path in warc_files(copy) for r in iter_records(path)]
    assert sum(r.rec_type == "response" for r in kept) >= indexed > 0
