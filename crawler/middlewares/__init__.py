"""Scrapy downloader middlewares of newsarchive."""
