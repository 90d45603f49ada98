"""WARC archive: crash-safe writing, strict reading, salvage after a crash, verification."""

from archive.warc.reader import (
    WarcFormatError,
    WarcRecordData,
    iter_records,
    read_record,
    warc_files,
)
from archive.warc.records import (
    ExchangePositions,
    HttpRequestData,
    HttpResponseData,
    WarcPosition,
)
from archive.warc.writer import WarcFileWriter

__all__ = [
    "ExchangePositions",
    "HttpRequestData",
    "HttpResponseData",
    "WarcFileWriter",
    "WarcFormatError",
    "WarcPosition",
    "WarcRecordData",
    "iter_records",
    "read_record",
    "warc_files",
]
