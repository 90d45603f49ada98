"""newsarchive core: WARC, extraction, index, demo site. Never imports Scrapy."""

__version__ = "0.1.0"
