"""robots.txt rules per origin, known before any request to that origin is scheduled."""

from __future__ import annotations

from urllib.parse import urlsplit

from protego import Protego


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RobotsRules:
    """Parsed robots.txt per origin. Scrapy's own middleware checks after scheduling and
    races under concurrency (DESIGN.md), so the spider asks here before it yields a request."""

    def __init__(self, user_agent: str):
        self.user_agent = user_agent
        self._rules: dict[str, Protego | None] = {}

    def known(self, url: str) -> bool:
        return origin(url) in self._rules

    def learn(self, url: str, body: bytes | None) -> None:
        """Record an origin's robots.txt; None means no rules (missing robots.txt)."""
        text = body.decode("utf-8", errors="replace") if body is not None else None
        self._rules[origin(url)] = Protego.parse(text) if text is not None else None

    def forbid_all(self, url: str) -> None:
        # An unreachable robots.txt (5xx) means "do not crawl" (RFC 9309, 2.3.1.4).
        self._rules[origin(url)] = Protego.parse("User-agent: *\nDisallow: /\n")

    def allowed(self, url: str) -> bool:
        rules = self._rules.get(origin(url))
        return rules is None or rules.can_fetch(url, self.user_agent)
