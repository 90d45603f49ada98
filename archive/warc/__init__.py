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
from archive.warc.salvage import SalvageResult, salvage_directory
from archive.warc.verify import VerifyProblem, VerifyReport, verify_directory
from archive.warc.writer import WarcFileWriter

__all__ = [
    "ExchangePositions",
    "HttpRequestData",
    "HttpResponseData",
    "SalvageResult",
    "VerifyProblem",
    "VerifyReport",
    "WarcFileWriter",
    "WarcFormatError",
    "WarcPosition",
    "WarcRecordData",
    "iter_records",
    "read_record",
    "salvage_directory",
    "verify_directory",
    "warc_files",
]
