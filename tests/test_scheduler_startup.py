"""`newsarchive schedule` refuses to start with a one-line `Error:`, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.test_scheduler import ROOT, Setup, write_site
from tests.test_scheduler import setup as setup  # the fixture  # noqa: F401


def _refused(setup: Setup, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    return subprocess.run(setup.command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**environment, **env})


@pytest.mark.parametrize("tz", ["UTC0", "Mars/Olympus_Mons"])
def test_a_machine_time_zone_it_cannot_read_is_a_clear_error(setup: Setup, tz: str) -> None:
    """Regression (bug hunt): TZ=UTC0 (a valid POSIX TZ) with [scheduler] timezone unset ended
    in tzlocal's ZoneInfoNotFoundError traceback."""
    write_site(setup.sites, "http://127.0.0.1:9", 'schedule = "0 3 * * *"')
    result = _refused(setup, TZ=tz)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: cannot tell the machine's time zone (tzlocal() does "
                                    f"not support non-zoneinfo timezones like {tz}. Please use")
    assert result.stderr.strip().endswith(
        f"set [scheduler] timezone (e.g. 'UTC') in {setup.schedule}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_index_that_is_not_a_database_is_a_clear_error(setup: Setup) -> None:
    """Regression (bug hunt): it ended in an IndexUnusable traceback from the service's first
    look at the index; `newsarchive crawl` says it in one line."""
    write_site(setup.sites, "http://127.0.0.1:9", 'schedule = "0 3 * * *"')
    setup.data.mkdir(parents=True)
    index: Path = setup.data / "index.db"
    index.write_bytes(b"not a database, " * 20)
    result = _refused(setup)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and str(index) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
