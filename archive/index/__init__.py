"""The SQLite index of the archive: schema, the write path, the WARC rebuild, and search."""

from archive.index.database import IndexUnusable, open_index, open_index_for_reading, transaction
from archive.index.query import (
    SearchHit,
    SearchQueryError,
    archived_articles,
    check_index,
    search,
)
from archive.index.rebuild import IndexStats, index_warc_directory
from archive.index.replace import index_lock, rebuild_index
from archive.index.runs import finish_run, start_run
from archive.index.store import CaptureDoc, CaptureError, apply_capture

__all__ = [
    "CaptureDoc",
    "CaptureError",
    "IndexUnusable",
    "IndexStats",
    "SearchHit",
    "SearchQueryError",
    "apply_capture",
    "archived_articles",
    "check_index",
    "finish_run",
    "index_lock",
    "index_warc_directory",
    "open_index",
    "open_index_for_reading",
    "rebuild_index",
    "search",
    "start_run",
    "transaction",
]
