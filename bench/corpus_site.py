"""Serve saved real pages as a local news site, for benchmarks on real page weight.

    python bench/corpus_site.py DIR --articles 2000

Every `*.html` or `*.html.gz` file under DIR (sorted by path) becomes an article at
`/article/NNNNN`, cycled until there are `--articles` of them, listed in `/sitemap.xml`.
Prints the site's base URL on its first line, then serves until killed.
"""

from __future__ import annotations

import argparse
import gzip
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE_CONFIG = """\
base_url = "{base}"
allowed_domains = ["127.0.0.1"]
allow_private_networks = ["127.0.0.1/32"]
sitemaps = ["/sitemap.xml"]
article_patterns = ['/article/\\d+$']
max_pages = {max_pages}
"""


def load_pages(directory: Path) -> list[bytes]:
    files = sorted(p for p in directory.rglob("*") if p.name.endswith((".html", ".html.gz")))
    if not files:
        raise SystemExit(f"{directory}: no .html or .html.gz files")
    return [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files]


def article_path(n: int) -> str:
    return f"/article/{n:05d}"


def site_config(base: str, articles: int) -> str:
    """A site config (TOML) that discovers every article from the sitemap."""
    return SITE_CONFIG.format(base=base, max_pages=articles + 10)


def serve(pages: list[bytes], articles: int) -> ThreadingHTTPServer:
    sitemap = "".join(f"<url><loc>{{base}}{article_path(n)}</loc></url>" for n in range(articles))
    # Paths only: the site's base URL is known once the server has its port.

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/robots.txt":
                self._send(b"User-agent: *\nAllow: /\n", "text/plain")
            elif self.path == "/sitemap.xml":
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                        f'"http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap.format(base=base)}</urlset>')
                self._send(body.encode(), "application/xml")
            elif (number := self.path.removeprefix("/article/")).isdigit() and int(number) < articles:
                self._send(pages[int(number) % len(pages)], "text/html")
            else:
                self.send_error(404)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    server = serve(load_pages(args.directory), args.articles)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
