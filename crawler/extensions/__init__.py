"""Scrapy extensions of newsarchive."""
