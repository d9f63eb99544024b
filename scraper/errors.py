"""The exception tree. Catch ScraperError for any error this package raises on purpose.

ScraperError
├── ConfigError          bad or unreadable config (exit status 2)
├── FetchError           one URL could not be fetched; the run goes on
│   ├── RobotsDisallowed
│   ├── BadStatus
│   ├── NotHTML
│   ├── ResponseTooLarge
│   ├── TooManyRedirects
│   └── HostBackedOff
├── ParseError           a feed, sitemap or page could not be read
├── LoginError           the reader's subscription could not be used
└── ArchiveError         the SQLite archive cannot be used
    └── LockHeld         another run holds the archive's lock
"""

from __future__ import annotations


class ScraperError(Exception):
    """Base of every error raised on purpose by scraper."""


class ConfigError(ScraperError):
    pass


class FetchError(ScraperError):
    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RobotsDisallowed(FetchError):
    pass


class BadStatus(FetchError):
    pass


class NotHTML(FetchError):
    pass


class ResponseTooLarge(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class HostBackedOff(FetchError):
    pass


class ParseError(ScraperError):
    pass


class LoginError(ScraperError):
    pass


class ArchiveError(ScraperError):
    pass


class LockHeld(ArchiveError):
    pass
