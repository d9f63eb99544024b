"""scraper: a paywall-aware news scraper and archiver.

The public API is re-exported here; see README.md for the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
