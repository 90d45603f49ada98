"""Scorer adapters (../shared/tools/eval_extract.py): our extraction, and trafilatura alone for comparison."""

from __future__ import annotations

from typing import Any

import trafilatura

from archive.extract import extract_article


def extract(html: bytes | str, url: str | None) -> dict[str, Any]:
    """archive.extract_article mapped to the scorer's {text, title, author, date}."""
    body = html if isinstance(html, bytes) else html.encode("utf-8")
    article = extract_article(body, url or "http://example.invalid/")
    return {
        "text": article.text,
        "title": article.title,
        "author": "; ".join(article.authors) or None,
        "date": article.published[:10] if article.published else None,
    }


def trafilatura_alone(html: bytes | str, url: str | None) -> dict[str, Any]:
    """The issue's baseline: bare_extraction with metadata, comments excluded."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False
    )
    if document is None or isinstance(document, dict):
        return {"text": ""}
    return {
        "text": document.text or "",
        "title": document.title,
        "author": document.author,
        "date": document.date,
    }
