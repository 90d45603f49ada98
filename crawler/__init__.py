"""Everything that knows Scrapy: settings, spiders, middlewares, spider loader, CLI."""
