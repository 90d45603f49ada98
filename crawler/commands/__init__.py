"""Project Scrapy commands (override built-ins where our exit codes differ)."""
