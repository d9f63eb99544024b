"""scraper: a paywall-aware news scraper and archiver.

The public Python API is re-exported here (each stage is usable on its own); see README.md for
the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"  # before the imports below: modules that name the tool read it

from .access import classify
from .archive import Archive, ArchiveLock
from .config import Settings, load_config, parse_config
from .dedup import canonical_url, content_hash
from .errors import (
    ArchiveError,
    ConfigError,
    FetchError,
    LockHeld,
    LoginError,
    ParseError,
    ScraperError,
)
from .extract import extract_article
from .models import Access, Article, Candidate, Page, PaywallSignal
from .pipeline import RunOptions, RunReport, run

__all__ = [
    "Access",
    "Archive",
    "ArchiveError",
    "ArchiveLock",
    "Article",
    "Candidate",
    "ConfigError",
    "FetchError",
    "LockHeld",
    "LoginError",
    "Page",
    "ParseError",
    "PaywallSignal",
    "RunOptions",
    "RunReport",
    "ScraperError",
    "Settings",
    "__version__",
    "canonical_url",
    "classify",
    "content_hash",
    "extract_article",
    "load_config",
    "parse_config",
    "run",
]
