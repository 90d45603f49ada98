"""Spiders are built from config/sites/*.toml by crawler.spiderloader."""
