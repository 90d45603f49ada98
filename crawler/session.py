"""The crawl's open WARC writer, index and extraction pool, shared by middleware, pipelines and extensions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from archive.warc.reader import warc_files
from archive.warc.records import OPEN_SUFFIX, WARC_SUFFIX
from archive.warc.salvage import salvage_directory
from archive.warc.writer import WarcFileWriter

if TYPE_CHECKING:
    import sqlite_utils

    from archive.extract_pool import ExtractionPool

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataDir:
    """Layout of a data directory: WARC files in warc/, the index in index.db."""

    root: Path

    @property
    def warc(self) -> Path:
        return self.root / "warc"

    @property
    def index(self) -> Path:
        return self.root / "index.db"

    def problem(self) -> str | None:
        """Why a crawl cannot write here, or None; creates the directory."""
        return self.storage_problem() or self.missing_index()

    def missing_index(self) -> str | None:
        """Why a crawl must wait for the index to be built from the WARC files, or None."""
        if self.index.exists():
            return None
        # Deleted (under the scheduler, say): a fresh empty index would take every archived
        # article for new, and the crawl would fetch and archive them all again.
        # A killed crawl's `.open` file too (the next crawl or `index` salvages it): alone,
        # it let a crawl start on an empty index and archive what it holds again.
        archived = (len(warc_files(self.warc)) + len(list(self.warc.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")))
                    if self.warc.is_dir() else 0)
        if archived:
            return (f"{self.index} is missing but {self.warc} holds {archived} WARC file(s): "
                    "run `newsarchive index` to build it from them first")
        return None

    def storage_problem(self) -> str | None:
        """Why nothing can be written here (the directory, the index), or None; creates the
        directory. A directory that cannot be created or written (a read-only mount, a file
        in its path) failed the crawl with a traceback per component, and its last line
        blamed the site's config."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            return f"cannot write to the data directory {self.root}: {exc}"
        if not self.index.exists():
            return None
        from archive.index import IndexUnusable, open_index

        try:
            open_index(self.index).close()
        except IndexUnusable as exc:
            return str(exc)
        except sqlite3.Error as exc:  # a full disk, a lock held past the busy timeout
            return f"cannot use the index {self.index}: {exc}"
        return None


class ArchiveSession:
    """Opened lazily per crawl; closed when the engine stops, after every pipeline is done."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.data = DataDir(Path(settings.get("NEWSARCHIVE_DATA", "data")))
        self._writer: WarcFileWriter | None = None
        self._index: sqlite_utils.Database | None = None
        self._pool: ExtractionPool | None = None
        self.failed: str | None = None
        self._closing: object = None
        self._salvaged = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler: Crawler) -> ArchiveSession:
        session = crawler.__dict__.get("_newsarchive_session")
        if session is None:
            session = crawler.__dict__["_newsarchive_session"] = cls(crawler)
        return session

    async def spider_opened(self) -> None:
        """Salvage what a crash left, in a thread and before the first request: scanning a big
        `.open` file must neither block the reactor nor race the first downloads."""
        await asyncio.to_thread(self._salvage)
        _ = self.writer

    def _salvage(self) -> None:
        self.data.warc.mkdir(parents=True, exist_ok=True)
        # Files still flock-ed by a running crawl are left alone by the salvage.
        for result in salvage_directory(self.data.warc):
            if not result.skipped:
                logger.warning("salvaged WARC left by a crash: %s", result.message)
        self._salvaged = True

    @property
    def writer(self) -> WarcFileWriter:
        if self._writer is None:
            settings = self.crawler.settings
            if not self._salvaged:
                self._salvage()
            site = self.crawler.spider.name if self.crawler.spider else "crawl"
            self._writer = WarcFileWriter(
                self.data.warc,
                prefix=f"{settings.get('WARC_PREFIX')}-{site}",
                max_size=settings.getint("WARC_MAX_SIZE"),
                gzip_level=settings.getint("WARC_GZIP_LEVEL"),
                fsync=settings.getbool("WARC_FSYNC"),
                info={  # the writer adds software (with versions) and format itself
                    "robots": "obey (checked before scheduling)",
                    "http-header-user-agent": settings.get("USER_AGENT"),
                    "operator": settings.get("WARC_OPERATOR") or "",
                    "isPartOf": site,
                },
            )
        return self._writer

    @property
    def current_writer(self) -> WarcFileWriter | None:
        """The writer if one is open (reading `writer` opens one, a new file after close)."""
        return self._writer

    @property
    def index(self) -> sqlite_utils.Database:
        if self._index is None:
            from archive.index import open_index

            self.data.root.mkdir(parents=True, exist_ok=True)
            self._index = open_index(self.data.index)
        return self._index

    @property
    def pool(self) -> ExtractionPool:
        if self._pool is None:
            from archive.extract_pool import ExtractionPool

            settings = self.crawler.settings
            self._pool = ExtractionPool(
                workers=settings.getint("NEWSARCHIVE_EXTRACT_WORKERS") or None,
                timeout=settings.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT"),
                restarts=settings.getint("NEWSARCHIVE_EXTRACT_RESTARTS"),
            )
        return self._pool

    @property
    def current_pool(self) -> ExtractionPool | None:
        """The pool if one was started (reading `pool` starts one)."""
        return self._pool

    def storage_failed(self, error: OSError | sqlite3.Error, what: str) -> None:
        """The disk is full (or failing): stop the crawl, once, with a clear message. What was
        written before stays valid: each WARC record is fsynced and each page lands in the
        index whole or not at all; an interrupted write is cut off by the salvage at the next
        start."""
        if self.failed is not None:
            return
        self.failed = f"cannot write {what} under {self.data.root}: {error}; stopping the crawl"
        logger.error("%s", self.failed)
        if self.crawler.stats is not None:
            # Read by the run's outcome: a failure while the spider closes (the index's last
            # commit) comes too late to be the close reason.
            self.crawler.stats.set_value("newsarchive/storage_error", str(error))
        try:
            engine = self.crawler.engine
        except RuntimeError:  # Scrapy raises until the crawl starts (a component used alone)
            engine = None
        if engine is not None:
            self._closing = deferred_from_coro(engine.close_spider_async(reason="storage_error"))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._writer is not None:
            try:
                self._writer.close()
            except OSError as exc:  # a full disk: the .open file is salvaged at the next start
                logger.error("could not close the WARC file cleanly: %s", exc)
            self._writer = None
        if self._index is not None:
            self._index.close()
            self._index = None
