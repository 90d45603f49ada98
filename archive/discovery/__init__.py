"""Pure parsers for what sites publish to be discovered: feeds and sitemaps (bytes in, entries out)."""

from archive.discovery.entries import DiscoveredLink
from archive.discovery.feeds import FeedError, parse_feed
from archive.discovery.sitemaps import Sitemap, SitemapError, parse_sitemap

__all__ = ["DiscoveredLink", "FeedError", "Sitemap", "SitemapError", "parse_feed", "parse_sitemap"]
