"""The Demo Times: a deterministic fake news site, served locally, for demos and crawl tests."""

from archive.demosite.content import DemoArticle, DemoManifest
from archive.demosite.routes import ROUTES, DemoRequest, DemoResponse, Routes, SiteState
from archive.demosite.server import DemoSite, SentResponse

# Registers the /hostile/ endpoints on ROUTES, so every DemoSite serves them (unlinked).
from archive.demosite import hostile  # noqa: F401  # isort: skip

__all__ = [
    "ROUTES", "DemoArticle", "DemoManifest", "DemoRequest", "DemoResponse", "DemoSite",
    "Routes", "SentResponse", "SiteState",
]
