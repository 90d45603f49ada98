"""The saved pages the tests of our trafilatura restatements compare them on."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
# The quality-gate pages (tests/data/quality) and the hand-written ones (tests/data/pages).
PAGES = sorted([*DATA.glob("quality/*.html"), *DATA.glob("pages/*.html")])
