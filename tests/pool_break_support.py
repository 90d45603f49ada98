"""Break an extraction pool on purpose: a worker result the crawl process cannot load kills
pebble's message thread (a ValueError is none of the errors pebble expects from loading a
result), which leaves the pool unusable and the pages it held waiting."""

from __future__ import annotations

import os
import threading
from typing import Any

from scrapy.crawler import Crawler

from archive.extraction.model import ExtractionHints

# URL fragments (space-separated) whose extraction comes back unloadable; read by the workers,
# which inherit the crawl process's environment when they are spawned.
POISON_ENV = "TEST_POISONED_URLS"


# The error loading it raises: ValueError kills pebble's thread; AttributeError (or TypeError)
# is one pebble expects, and it stops the pool itself (BrokenProcessPool).
POISON_ERROR_ENV = "TEST_POISON_ERROR"


def _refuse_to_load(error: str) -> None:
    raise {"AttributeError": AttributeError, "ValueError": ValueError}[error](
        "a worker result the crawl process cannot load")


class Unloadable:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return _refuse_to_load, (os.environ.get(POISON_ERROR_ENV, "ValueError"),)


# Set to let the hints that never finish pickling (StuckHints) finish.
RELEASE_STUCK = threading.Event()


class StuckHints(ExtractionHints):
    """Hints whose pickling waits for RELEASE_STUCK: pebble's thread that sends pages to the
    workers is alive but stuck on them, and no page after them reaches a worker."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        RELEASE_STUCK.wait()
        return ExtractionHints, ()


def poisoned_extract(body: bytes, url: str, hints: ExtractionHints | None) -> Any:
    if any(part in url for part in os.environ.get(POISON_ENV, "").split()):
        return Unloadable()
    from archive.extract import extract_article

    return extract_article(body, url, hints)


class PoisonedExtraction:
    """A crawl extension (tests only): the crawl's pool runs poisoned_extract in its workers."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoisonedExtraction:
        import archive.extract_pool

        archive.extract_pool._extract = poisoned_extract  # type: ignore[assignment]
        return cls()
