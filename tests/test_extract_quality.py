"""Quality gate for extraction: pages the project writes (tests/quality_pages.py), scored with pinned floors.

The pages put four stories (en, de, fr, es) in seven layouts real sites use, each with the
furniture real sites put around and inside an article. A change that lowers a floor fails here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from statistics import mean

import pytest

from archive.extract import ArticleExtraction, extract_article

QUALITY = Path(__file__).parent / "data" / "quality"
EXPECTED: dict[str, dict[str, object]] = json.loads(
    (QUALITY / "expected.json").read_text(encoding="utf-8")
)

# Pinned floors: raise them when extraction improves, never lower them to pass.
MEAN_F1_FLOOR = 0.99
MEAN_PRECISION_FLOOR = 0.99
PAGE_F1_FLOOR = 0.95


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return Counter(tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1)))


def precision_recall_f1(expected: str, got: str) -> tuple[float, float, float]:
    """4-gram shingle overlap, the usual article-extraction benchmark measure."""
    gold, predicted = shingles(expected), shingles(got)
    overlap = sum((gold & predicted).values())
    precision = overlap / sum(predicted.values()) if predicted else 0.0
    recall = overlap / sum(gold.values()) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@pytest.fixture(scope="module")
def results() -> dict[str, ArticleExtraction]:
    return {
        name: extract_article((QUALITY / f"{name}.html").read_bytes(), str(expected["url"]))
        for name, expected in EXPECTED.items()
    }


def test_the_gate_covers_a_few_dozen_pages_in_four_languages() -> None:
    assert len(EXPECTED) >= 24
    assert {name.split("-")[0] for name in EXPECTED} == {"en", "de", "fr", "es"}


def test_text_scores_hold_their_floors(results: dict[str, ArticleExtraction]) -> None:
    scores = {
        name: precision_recall_f1(str(EXPECTED[name]["text"]), result.text)
        for name, result in results.items()
    }
    weak = {name: round(f1, 3) for name, (_, _, f1) in scores.items() if f1 < PAGE_F1_FLOOR}
    assert not weak, f"pages under the {PAGE_F1_FLOOR} F1 floor: {weak}"
    assert mean(f1 for _, _, f1 in scores.values()) >= MEAN_F1_FLOOR
    assert mean(p for p, _, _ in scores.values()) >= MEAN_PRECISION_FLOOR


def test_no_furniture_leaks_into_the_text(results: dict[str, ArticleExtraction]) -> None:
    leaks = {}
    for name, result in results.items():
        text = " ".join(result.text.split())
        found = [s for s in EXPECTED[name]["without"] if " ".join(s.split()) in text]  # type: ignore[attr-defined]
        if found:
            leaks[name] = found
    assert not leaks


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_is_exact(results: dict[str, ArticleExtraction], name: str) -> None:
    expected, result = EXPECTED[name], results[name]
    assert result.status == "ok", result.reason
    assert result.title == expected["title"]
    assert result.authors == expected["authors"]
    assert result.published and result.published[:10] == expected["published_day"]
    if expected["published"] is not None:
        # Where the page states a time and an offset, they are kept.
        assert result.published == expected["published"]
