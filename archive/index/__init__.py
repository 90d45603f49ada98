"""The SQLite index of the archive: schema, the write path, the WARC rebuild, and search."""

from archive.index.store import (
    CaptureDoc,
    CaptureError,
    apply_capture,
    finish_run,
    open_index,
    start_run,
    transaction,
)

__all__ = [
    "CaptureDoc",
    "CaptureError",
    "apply_capture",
    "finish_run",
    "open_index",
    "start_run",
    "transaction",
]
