"""Datasette as researchers get it (config/datasette.yaml, the settings `newsarchive demo
--serve` passes), through Datasette's own test client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "config/datasette.yaml").read_text())
# What `newsarchive demo --serve` passes on the command line (settings are not metadata in 0.65).
SETTINGS = {"suggest_facets": False, "sql_time_limit_ms": 3000}


def get(data: Path, *paths: str, settings: dict[str, Any] | None = None,
        beside: tuple[Path, ...] = ()) -> list[Any]:
    """The responses to `paths` of a Datasette serving DATA/index.db (and `beside` it, other
    database files)."""
    async def run() -> list[Any]:
        files = [str(data / "index.db"), *map(str, beside)]
        ds = Datasette(files, metadata=METADATA, settings=settings or SETTINGS)
        return [await ds.client.get(p) for p in paths]

    return asyncio.run(run())
