"""A second SIGTERM within seconds of the first is the same stop (crawler/extensions/stopsignal.py),
even when it lands while Scrapy's first handler is still running."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from crawler.extensions.stopsignal import RepeatedStopSignal


@pytest.fixture
def restore_sigterm() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def test_a_sigterm_inside_scrapys_handler_is_still_the_same_stop(restore_sigterm: None) -> None:
    calls: list[str] = []

    def force(signum: int, frame: FrameType | None) -> None:
        calls.append("force")

    def graceful(signum: int, frame: FrameType | None) -> None:
        # What Scrapy's first handler does: put "force" in place, then go on stopping...
        signal.signal(signal.SIGTERM, force)
        calls.append("graceful")
        # ...while systemd's and the scheduler's SIGTERMs are milliseconds apart: the second
        # lands here, before the guard could take the slot back. It forced the stop.
        os.kill(os.getpid(), signal.SIGTERM)
        calls.append("graceful goes on")

    signal.signal(signal.SIGTERM, graceful)
    guard = RepeatedStopSignal()
    guard._log = lambda *args: calls.append("same stop")  # type: ignore[method-assign]
    guard.install()
    os.kill(os.getpid(), signal.SIGTERM)
    assert calls == ["graceful", "same stop", "graceful goes on"]
    assert signal.getsignal(signal.SIGTERM) == guard._on_sigterm
