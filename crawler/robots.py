"""robots.txt rules per origin, known before any request to that origin is scheduled."""

from __future__ import annotations

import contextlib
import functools
import math
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from protego import Protego


# Cached: the spider asks it of each request's URL five or six times (known, allowed,
# crawl_delay, held, released), each a urlsplit and an IDNA encoding.
@functools.lru_cache(maxsize=4096)
def origin(url: str) -> str:
    """scheme://host[:port] as Scrapy's Request writes it (host lowercased, IDNA-encoded): the
    requests held for an origin's robots.txt are filed under their Request.url, and released
    under the URL the config wrote ("http://LocalHost", "http://bücher.de")."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    with contextlib.suppress(UnicodeError):  # a name IDNA cannot encode stays as written
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # a port that is not a number: the request will fail on its own
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    return f"{parts.scheme.lower()}://{host}{port}"


MAX_ROBOTS = 500 * 1024
# RFC 9309 2.3.1.2: follow at least five consecutive redirects; past them, the file may be
# taken as unavailable. (Scrapy's REDIRECT_MAX_TIMES, 20, asked a looping robots.txt 21 times.)
MAX_ROBOTS_REDIRECTS = 5
# A group's User-agent line as Protego reads it ("user-agent", "useragent", "user agent").
_USER_AGENT_LINE = re.compile(r"(?P<field>\s*user[- ]?agent\s*:\s*)(?P<name>[^#\r\n]*)", re.IGNORECASE)


class RobotsRules:
    """Parsed robots.txt per origin. Scrapy's own middleware checks after scheduling and
    races under concurrency (DESIGN.md), so the spider asks here before it yields a request."""

    def __init__(self, user_agent: str, max_age: float = math.inf,
                 clock: Callable[[], float] = time.monotonic):
        # Groups are matched on the product token alone (RFC 9309 2.2.1): Protego matches any
        # part of what it is given, so "User-agent: github" applied to our full User-Agent,
        # whose contact URL holds "github".
        self.user_agent = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else user_agent
        self._rules: dict[str, Protego | None] = {}
        self._unreachable: set[str] = set()
        # RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours.
        self.max_age = max_age
        self._clock = clock
        self._read_at: dict[str, float] = {}  # origin -> when its rules were read (clock)

    def known(self, url: str) -> bool:
        """Whether the rules of the URL's origin were read, no longer than max_age ago."""
        key = origin(url)
        return key in self._rules and self._clock() - self._read_at[key] < self.max_age

    def read_before(self, url: str) -> bool:
        """Whether the origin's rules were read once already (a reading now is a re-reading)."""
        return origin(url) in self._rules

    def age(self, url: str) -> float:
        return self._clock() - self._read_at[origin(url)]

    def keep(self, url: str) -> None:
        """Keep the rules read before for another max_age: robots.txt could not be read again,
        and RFC 9309 2.4 allows the cached copy longer then (a 503 to the re-reading closed
        the origin for the rest of the run)."""
        self._read_at[origin(url)] = self._clock()

    def learn(self, url: str, body: bytes | None) -> None:
        """Record an origin's robots.txt; None means no rules (missing robots.txt)."""
        if body is not None and len(body) > MAX_ROBOTS:
            # RFC 9309 2.5: at least 500 KiB must be read, and no more need be. A 5 MB file
            # took 6 s to learn and 140 ms for every URL checked after it, on the reactor.
            body = body[:body.rfind(b"\n", 0, MAX_ROBOTS) + 1 or MAX_ROBOTS]
        # utf-8-sig: a byte-order mark kept in front of "User-agent" hid the first group.
        text = body.decode("utf-8-sig", errors="replace") if body is not None else None
        self._rules[origin(url)] = Protego.parse(self._ours_only(text)) if text is not None else None
        self._read_at[origin(url)] = self._clock()
        self._unreachable.discard(origin(url))

    def _ours_only(self, text: str) -> str:
        """robots.txt with each group's User-agent line either our token exactly, "*", or
        made one that cannot match. Protego takes a group whose name begins our token as
        ours: "User-agent: news" (Allow: /) let us past "User-agent: *" (Disallow: /); and
        "newsarchive/1.0" was not ours. RFC 9309 2.2.1 matches the product token, as Google
        does: the name's leading letters, "-" and "_"."""
        lines = text.splitlines(keepends=True)
        for n, line in enumerate(lines):
            group = _USER_AGENT_LINE.match(line)
            if group is None or group["name"].strip() == "*":
                continue
            token = re.match(r"[A-Za-z_-]*", group["name"].strip())
            mine = token is not None and token[0].lower() == self.user_agent.lower()
            # "~" is in no product token: another crawler's group is kept, never matched.
            name = self.user_agent if mine else "~" + group["name"]
            lines[n] = group["field"] + name + line[group.end("name"):]
        return "".join(lines)

    def forbid_all(self, url: str) -> None:
        # An unreachable robots.txt (5xx) means "do not crawl" (RFC 9309, 2.3.1.4).
        self._rules[origin(url)] = Protego.parse("User-agent: *\nDisallow: /\n")
        self._read_at[origin(url)] = self._clock()
        self._unreachable.add(origin(url))

    def unreachable(self, url: str) -> bool:
        """Whether the URL's origin is closed because its robots.txt could not be read."""
        return origin(url) in self._unreachable

    def allowed(self, url: str) -> bool:
        rules = self._rules.get(origin(url))
        return rules is None or rules.can_fetch(url, self.user_agent)

    def crawl_delay(self, url: str) -> float | None:
        """Seconds between requests our group asks for: its Crawl-delay, or its Request-rate
        (1/10s) as a delay. Neither is in RFC 9309, but both are widely honoured."""
        rules = self._rules.get(origin(url))
        if rules is None:
            return None
        delays = [rules.crawl_delay(self.user_agent)]
        rate = rules.request_rate(self.user_agent)
        if rate is not None and rate.requests > 0:
            try:
                delays.append(rate.seconds / rate.requests)
            except OverflowError:  # Protego's ints have any size: "1/9999…s" is past a float
                delays.append(math.inf)
        return max((d for d in delays if d is not None and d > 0), default=None)
