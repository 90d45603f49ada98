"""What a feed or sitemap tells us about one URL before we fetch it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True)
class DiscoveredLink:
    url: str
    source: str  # feed | sitemap | news_sitemap | page | start
    title: str | None = None
    published: str | None = None  # ISO 8601 as the source gave it (normalised)
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keywords"] = list(self.keywords)
        return data


def normalise_date(value: str | None) -> str | None:
    """ISO 8601 or RFC 822 (RSS) -> ISO 8601; None for anything unparseable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.isoformat()


def as_utc(value: str | None) -> datetime | None:
    """An ISO date string as an aware datetime (naive and date-only values read as UTC)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
