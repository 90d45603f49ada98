"""A disk that fills up mid-crawl (a real 2 MB tmpfs): the crawl stops with a clear error
and everything written before stays valid."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.index import open_index
from archive.warc import iter_records, salvage_directory, verify_directory, warc_files
from tests.conftest import ROOT, scrapy_crawl


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    size = getattr(request, "param", "2000k")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


# The demo crawl takes about a second: committing each page, its index fills the disk mid-crawl;
# committing a second's pages together it writes less, and the disk fills at its last commit,
# as the spider closes (which must fail the run all the same: those rows are not in the index).
@pytest.mark.parametrize(("small_disk", "interval"), [("2000k", "0"), ("1200k", "1")],
                         indirect=["small_disk"], ids=["commit-per-page", "commit-per-second"])
def test_disk_full_stops_crawl_and_keeps_what_was_written(
    small_disk: Path, interval: str, tmp_path: Path
) -> None:
    data = small_disk / "data"
    with DemoSite() as site:
        crawl = scrapy_crawl("demo", data, base_url=site.url, items_dir=tmp_path,
                             settings={"NEWSARCHIVE_INDEX_COMMIT_INTERVAL": interval})
    assert crawl.returncode == 1
    assert "No space left on device" in crawl.log or "database or disk is full" in crawl.log
    assert "stopping the crawl" in crawl.log
    assert "Traceback" not in crawl.log
    with closing(sqlite3.connect(data / "index.db")) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
        indexed = db.execute("select count(*) from articles").fetchone()[0]
        (outcome,) = db.execute("select outcome from crawl_runs").fetchone()
    # Salvage needs room: do it where a later run would, on a disk with space.
    copy = tmp_path / "warc"
    shutil.copytree(data / "warc", copy)
    salvage_directory(copy)
    report = verify_directory(copy)
    assert report.ok, report.format()
    kept = [r for path in warc_files(copy) for r in iter_records(path)]
    assert sum(r.rec_type == "response" for r in kept) >= indexed
    assert kept and (indexed > 0 or interval != "0")
    # The run's own record, written last, may not fit: the index has the run all the same.
    runs = [json.loads(r.payload) for r in kept
            if (r.target_uri or "").startswith("urn:newsarchive:crawl-run:")]
    assert outcome == "storage_error" and [r["outcome"] for r in runs] in ([], ["storage_error"])


def test_an_index_the_crawl_cannot_write_stops_it_before_it_starts(tmp_path: Path) -> None:
    """An index that cannot take the crawl's lease (a full disk, a read-only file, a lock held
    past the busy timeout): the crawl ran on with neither a lease (a second crawl of the site
    could start beside it) nor a crawl_runs row, after a traceback."""
    data = tmp_path / "data"
    data.mkdir()
    open_index(data / "index.db").close()
    index = data / "index.db"
    with DemoSite() as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={site.url}",
                   "-s", f"NEWSARCHIVE_DATA={data}"]
        # The index file alone read-only, in a private mount namespace (root writes through
        # file modes).
        script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
        result = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(index), *command],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert site.hits(site.manifest.articles[0].path) == 0
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "cannot take the lease of demo in the index (attempt to write a readonly database)" in (
        result.stderr)
    assert "Spider closed (storage_error)" in result.stderr
