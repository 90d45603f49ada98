"""The SQLite index of the archive: schema, the write path, the WARC rebuild, and search."""

from archive.index.query import (
    SearchHit,
    SearchQueryError,
    archived_articles,
    check_index,
    search,
)
from archive.index.rebuild import IndexStats, index_warc_directory, rebuild_index
from archive.index.store import (
    CaptureDoc,
    CaptureError,
    IndexUnusable,
    apply_capture,
    finish_run,
    open_index,
    start_run,
    transaction,
)

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
    "index_warc_directory",
    "open_index",
    "rebuild_index",
    "search",
    "start_run",
    "transaction",
]
