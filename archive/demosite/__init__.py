"""The Demo Times: a deterministic fake news site, served locally, for demos and crawl tests."""

from archive.demosite.content import DemoArticle, DemoManifest
from archive.demosite.routes import ROUTES, DemoRequest, DemoResponse, Routes, SiteState
from archive.demosite.server import DemoSite, SentResponse

__all__ = [
    "ROUTES", "DemoArticle", "DemoManifest", "DemoRequest", "DemoResponse", "DemoSite",
    "Routes", "SentResponse", "SiteState",
]
