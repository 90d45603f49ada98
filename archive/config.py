"""Site configs: one validated `config/sites/<name>.toml` per site, with errors that name file and field."""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from archive import urlpatterns
from archive.cron import check_cron
from archive.urls import ascii_host, canonical_url, has_markers
from archive.zones import site_zone

SITE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DURATION = timedelta(days=36_500)  # a century: more than any archive's reach back


M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A site config is wrong; the message names the file and the field."""


def parse_duration(text: str) -> timedelta:
    """`30m`, `2h`, `7d`, `1w` -> timedelta; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like '30m', '2h' or '7d'")
    try:
        duration = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        duration = MAX_DURATION + MAX_DURATION
    if duration > MAX_DURATION:
        # Longer would overflow a date once subtracted from now ("since", "revisit_after").
        raise ValueError(f"{text!r} is longer than {MAX_DURATION.days:,} days")
    return duration


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    try:
        port = parts.port  # urllib checks the port when it is read
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"{value!r} has no valid port (1-65535)")
    return value


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                     r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def _regex(value: str) -> str:
    if not value:
        # An empty pattern matches every URL: every page of the site became an "article".
        raise ValueError("an empty pattern matches every URL")
    urlpatterns.check(value)
    return value


def _toml_date(value: Any) -> Any:
    """`since = 2026-01-31` unquoted is a TOML date: read it as its ISO text."""
    return value.isoformat() if isinstance(value, date) else value


def _matches(patterns: list[str], url: str) -> bool:
    """Whether a pattern matches the URL as linked, or as the crawl requests it: a link with
    tracking parameters ("/news/beta?utm_source=homepage") never matched a pattern ending in
    `$`, and the article was never fetched."""
    if any(urlpatterns.search(p, url) for p in patterns):
        return True
    return any(other != url and any(urlpatterns.search(p, other) for p in patterns)
               for other in _other_spellings(url))


def _other_spellings(url: str) -> Iterator[str]:
    """The URL as the crawl requests it, and with its escapes decoded as people read it: a
    pattern written "/новости/" matched no link a sitemap percent-encodes (as the protocol
    asks), one written percent-encoded no raw link, and the site's articles were never
    fetched. Most links are ASCII without markers and need neither (26 us a link saved)."""
    if "%" in url:
        yield unquote(url)
    if has_markers(url) or not url.isascii() or "%" in url:
        try:
            yield canonical_url(url)
        except ValueError:
            return


# IPv6 prefixes whose last 32 bits are an IPv4 address the packets go to: NAT64's well-known
# prefix (RFC 6052), IPv4-compatible (deprecated, RFC 4291) and IPv4-translated (RFC 2765).
_CARRYING_LOW_32 = tuple(ipaddress.IPv6Network(net) for net in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
# RFC 8215's local-use NAT64 prefix: the IPv4 address sits where the operator chose.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _carried_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, where it carries one (a mapped one's
    is_global already answers for it; the others' does not)."""
    if ip.version == 4:
        return None
    assert isinstance(ip, ipaddress.IPv6Address)
    if ip in _LOCAL_NAT64:
        return ipaddress.IPv4Address("0.0.0.0")  # wherever it leads: not a global address
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _CARRYING_LOW_32):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped


def _on_domains(url: str, domains: list[str]) -> bool:
    host = ascii_host(urlsplit(url).hostname or "")
    return any(host == d or host.endswith("." + d) for d in domains)


def _since(value: str) -> str:
    if _DURATION.match(value.strip()):
        parse_duration(value)  # its own message: "'40000d' is longer than 36,500 days"
        return value
    try:
        date.fromisoformat(value[:10])
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither an ISO date (2026-01-31) nor a duration like '7d'"
        ) from None
    return value


def _timezone(value: str) -> str:
    site_zone(value)  # ValueError naming the value
    return value


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network like '127.0.0.1/32' ({exc})") from None
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Network = Annotated[str, AfterValidator(_network)]
Regex = Annotated[str, AfterValidator(_regex)]


# Cached: every request and every response is checked (the guard's two middlewares), and a
# crawl meets few addresses; is_global alone tests the address against some twenty networks.
@functools.lru_cache(maxsize=1024)
def _address_allowed(address: str, private_networks: tuple[str, ...]) -> bool:
    """SiteConfig.allows_address for the config's allow_private_networks."""
    ip = ipaddress.ip_address(address)
    if all(each.is_global and not each.is_multicast for each in (ip, _carried_ipv4(ip) or ip)):
        return True
    # A network opted into admits its addresses, spelled as a dual-stack socket may report
    # them (::ffff:127.0.0.1), but not those of another host's network carried to it: a
    # NAT64 gateway's or 6to4 relay's 127.0.0.1 is not ours.
    same = [ip, *filter(None, [getattr(ip, "ipv4_mapped", None)])]
    return any(each in ipaddress.ip_network(net) for net in private_networks for each in same)


class SiteConfig(BaseModel):
    """What a maintainer writes in `config/sites/<name>.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(description="Spider name; defaults to the file name.")
    allowed_domains: list[str] = Field(min_length=1)
    # Seeds may be paths ("/feeds/rss.xml") resolved against base_url, so one config can
    # follow a site that moves (the demo site runs on a free port: `-a base_url=...`).
    base_url: HttpUrl | None = None
    feeds: list[str] = []
    sitemaps: list[str] = []
    start_urls: list[str] = []
    article_patterns: list[Regex] = Field(min_length=1)
    follow_patterns: list[Regex] = []
    # strict: TOML has integers; `true` or "10" is a slip, not a number
    max_pages: int = Field(default=10_000, gt=0, strict=True)
    max_depth: int = Field(default=3, ge=0, strict=True)
    since: Annotated[str, BeforeValidator(_toml_date), AfterValidator(_since)] | None = None
    # Loopback, private and link-local addresses are refused (SSRF) unless listed here as
    # networks, e.g. ["127.0.0.1/32"] for the demo site: an explicit, narrow opt-in.
    allow_private_networks: list[Network] = []
    # Articles already archived are skipped by later runs unless older than this ("1d").
    revisit_after: str | None = None
    # When the scheduler crawls the site: cron (crontab(5) syntax) or an interval ("2h", "30s").
    schedule: Annotated[str, AfterValidator(check_cron)] | None = None
    every: str | None = None
    # The IANA zone ("Europe/Berlin") of the site's times that carry no offset: a page's
    # "2025-04-29T21:00:25", a sitemap's lastmod without zone. They are read as UTC without it.
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SITE_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid site name (lowercase letters, digits, '-' and '_')"
            )
        return value

    @field_validator("feeds", "sitemaps", "start_urls")
    @classmethod
    def _seeds(cls, values: list[str], info: ValidationInfo) -> list[str]:
        base, domains = info.data.get("base_url"), info.data.get("allowed_domains")
        for number, value in enumerate(values):
            if value.startswith("/"):
                if not base:
                    raise ValueError(f"[{number}] {value!r} is a path: set base_url or give a full URL")
                url = urljoin(str(base), value)
            else:
                try:
                    _http_url(value)
                except ValueError as exc:
                    raise ValueError(f"[{number}] {exc}") from None
                url = value
            # Here, not once the whole file is read: the message then named no field.
            if domains and not _on_domains(url, domains):  # the crawl would drop it as off-site
                raise ValueError(f"[{number}] {url!r} is not on allowed_domains {domains}")
        return values

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        domains = []
        for value in values:
            if "/" in value or ":" in value:
                raise ValueError(f"{value!r} is a URL, not a domain (write 'example.com')")
            domain = ascii_host(value)
            if value.startswith("*."):
                raise ValueError(f"{value!r}: write {value[2:]!r}, which covers its subdomains")
            if not _DOMAIN.match(domain):
                raise ValueError(f"{value!r} is not a domain name like 'example.com'")
            domains.append(domain)
        return domains

    @field_validator("every", "revisit_after")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("every")
    @classmethod
    def _every_is_positive(cls, value: str | None) -> str | None:
        if value is not None and not parse_duration(value):
            raise ValueError(f"{value!r} is no time at all: give an interval like '30m' or '2h'")
        return value

    @model_validator(mode="after")
    def _has_seeds(self) -> SiteConfig:
        if not (self.feeds or self.sitemaps or self.start_urls):
            raise ValueError("give at least one of feeds, sitemaps or start_urls")
        if self.schedule and self.every:
            raise ValueError("give either schedule or every, not both")
        return self

    def absolute(self, url: str) -> str:
        return urljoin(self.base_url, url) if self.base_url and url.startswith("/") else url

    @property
    def seeds(self) -> list[tuple[str, str]]:
        """(absolute URL, kind) of every feed, sitemap and start page, in that order."""
        return (
            [(self.absolute(u), "feed") for u in self.feeds]
            + [(self.absolute(u), "sitemap") for u in self.sitemaps]
            + [(self.absolute(u), "page") for u in self.start_urls]
        )

    def on_site(self, url: str) -> bool:
        """Is the URL's host one of allowed_domains or below one?"""
        return _on_domains(url, self.allowed_domains)

    def allows_address(self, address: str) -> bool:
        """May the crawl connect to this IP? Global addresses yes; others only if opted in.

        An IPv6 address that carries an IPv4 one reaches that IPv4 host, and is judged as it:
        Python calls 64:ff9b::7f00:1 (NAT64), 2002:7f00:1:: (6to4) and ::127.0.0.1 global,
        and each is loopback behind a NAT64 gateway or a 6to4 relay."""
        return _address_allowed(address, tuple(self.allow_private_networks))

    def is_article(self, url: str) -> bool:
        return _matches(self.article_patterns, url)

    def is_followed(self, url: str) -> bool:
        return _matches(self.follow_patterns, url)

    @property
    def zone(self) -> tzinfo:
        """The zone of the site's times without an offset (UTC when the config names none)."""
        return site_zone(self.timezone)

    def since_datetime(self, now: datetime | None = None) -> datetime | None:
        """The oldest publication date still wanted, as an aware UTC datetime."""
        if self.since is None:
            return None
        now = now or datetime.now(UTC)
        try:
            return now - parse_duration(self.since)
        except ValueError:
            value = datetime.fromisoformat(self.since)
            return value if value.tzinfo else value.replace(tzinfo=UTC)


def describe_error(error: ErrorDetails) -> str:
    """One pydantic error as `field: what is wrong`, in a maintainer's words."""
    field = ".".join(str(p) for p in error["loc"]) or "(file)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{field}: {message}"


def read_toml(path: Path) -> dict[str, Any]:
    """A config file's TOML; ConfigError names the file when it cannot be read or parsed."""
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad's "UTF-8") was "Invalid statement (at
        # line 1, column 1)", a character nobody sees.
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def validated(model: type[M], data: dict[str, Any], path: Path) -> M:
    """`data` as `model`; ConfigError names the file and each wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {'; '.join(describe_error(e) for e in exc.errors())}") from None


def load_site(path: Path) -> SiteConfig:
    """Read and validate one site file; ConfigError names the file and each wrong field."""
    data = read_toml(path)
    data.setdefault("name", path.stem)
    return validated(SiteConfig, data, path)


def load_sites(directory: Path) -> dict[str, SiteConfig]:
    """Every `*.toml` in the directory, by site name; the first wrong one raises."""
    sites, broken = read_sites(directory)
    if broken:
        raise next(iter(broken.values()))
    return sites


def sites_sharing_a_domain(site: SiteConfig, directory: Path) -> list[str]:
    """The other sites in `directory` whose allowed_domains overlap `site`'s (one is the
    other or below it)."""
    try:
        others, _ = read_sites(directory)
    except ConfigError:
        return []

    def overlap(a: str, b: str) -> bool:
        return a == b or a.endswith("." + b) or b.endswith("." + a)

    return sorted(
        name for name, other in others.items()
        if name != site.name
        and any(overlap(a, b) for a in site.allowed_domains for b in other.allowed_domains)
    )


def read_sites(directory: Path) -> tuple[dict[str, SiteConfig], dict[str, ConfigError]]:
    """The good configs by site name, and the wrong ones' errors by file stem (the name a
    site gets by default): one site's typo need not stop another site's crawl."""
    if not directory.is_dir():
        hint = "" if directory.is_absolute() else (
            f" in {Path.cwd()} (run from the project root, or give --sites or NEWSARCHIVE_SITES)"
        )
        raise ConfigError(f"{directory}: sites directory does not exist{hint}")
    sites: dict[str, SiteConfig] = {}
    broken: dict[str, ConfigError] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            site = load_site(path)
            if site.name in sites:
                raise ConfigError(f"{path}: name: site {site.name!r} is defined twice")
        except ConfigError as exc:
            broken[path.stem] = exc
            continue
        sites[site.name] = site
    return sites, broken


def article_url_tests(directory: Path) -> tuple[dict[str, Callable[[str], bool]], dict[str, str]]:
    """Each readable site's test of an article URL (SiteConfig.is_article) by site name, and
    what could not be read, as messages: by file stem for a broken config, under the
    directory's own name when it cannot be read at all."""
    try:
        sites, broken = read_sites(directory)
    except ConfigError as exc:
        return {}, {str(directory): str(exc)}
    return ({name: site.is_article for name, site in sites.items()},
            {stem: str(e) for stem, e in broken.items()})


def rebase(site: SiteConfig, base_url: str) -> SiteConfig:
    """The same site config served from another base URL; ConfigError when it is not one."""
    try:
        _http_url(base_url)
    except ValueError as exc:
        raise ConfigError(f"base_url: {exc}") from None
    try:
        return SiteConfig.model_validate({**site.model_dump(), "base_url": base_url})
    except ValidationError as exc:
        raise ConfigError(f"base_url: {'; '.join(describe_error(e) for e in exc.errors())}") from None
