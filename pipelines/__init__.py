"""Scrapy item pipelines: thin adapters over archive/."""
