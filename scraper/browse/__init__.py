"""The analysts' side of the archive: Datasette metadata, stored queries, charts, exports and summaries.

`prepare_for_datasette(db)` adds what browsing needs to the archive schema; the click commands
(`serve`, `export`, `stats`, `runs`) live in scraper.browse.commands.
"""

from .export import EXPORT_FORMATS, export_articles, iter_articles, read_csv, read_jsonl
from .metadata import METADATA_FILE, build_metadata
from .queries import CANNED_QUERIES, CannedQuery
from .schema import COUNTS_TABLE, prepare_for_datasette
from .stats import ArchiveStats, OutletStats, RunSummary, archive_stats, recent_runs, run_errors

__all__ = [
    "CANNED_QUERIES",
    "COUNTS_TABLE",
    "EXPORT_FORMATS",
    "METADATA_FILE",
    "ArchiveStats",
    "CannedQuery",
    "OutletStats",
    "RunSummary",
    "archive_stats",
    "build_metadata",
    "export_articles",
    "iter_articles",
    "prepare_for_datasette",
    "read_csv",
    "read_jsonl",
    "recent_runs",
    "run_errors",
]
