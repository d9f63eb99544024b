"""Summaries of the archive for the terminal: per-outlet counts, the last run, recent runs and errors.

Counts come from `article_days` when the archive has it (a few thousand rows whatever the archive's
size) and from `articles` otherwise, with the same aggregate SQL over either source.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import sqlite_utils

from .queries import RUN_ERRORS, RUN_HISTORY
from .schema import COUNTS_TABLE

__all__ = ["ArchiveStats", "OutletStats", "RunSummary", "archive_stats", "recent_runs", "run_errors"]


@dataclass(frozen=True)
class OutletStats:
    outlet: str
    name: str | None
    articles: int
    free: int
    teaser: int
    subscriber: int
    duplicates: int
    undated: int
    latest_published: str | None

    @property
    def teaser_share(self) -> float:
        return self.teaser / self.articles if self.articles else 0.0


@dataclass(frozen=True)
class RunSummary:
    run: int
    started_at: str | None
    finished_at: str | None
    duration_s: float | None
    status: str | None
    outlets: str | None
    fetched: int
    new: int
    updated: int
    duplicates: int
    teasers: int
    errors: int
    not_ok: str | None  # "slug: status, ..." for outlets that did not finish with ok
    error_kinds: str | None  # "stage/type ×n, ..." most frequent first
    message: str | None


@dataclass(frozen=True)
class ArchiveStats:
    outlets: tuple[OutletStats, ...]
    versions: int
    last_run: RunSummary | None
    last_run_errors: tuple[dict[str, Any], ...] = field(default=())

    @property
    def articles(self) -> int:
        return sum(o.articles for o in self.outlets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "versions": self.versions,
            "outlets": [asdict(o) for o in self.outlets],
            "last_run": asdict(self.last_run) if self.last_run else None,
            "last_run_errors": list(self.last_run_errors),
        }


def _counts_source(db: sqlite_utils.Database) -> str:
    if db[COUNTS_TABLE].exists():
        return COUNTS_TABLE
    # The same columns computed row by row, for an archive that has not been prepared.
    return (
        "(SELECT outlet, access, 1 AS articles, duplicate_of IS NOT NULL AS duplicates, "
        "CASE WHEN published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
        "THEN substr(published, 1, 10) ELSE '' END AS day FROM articles)"
    )


def outlet_stats(db: sqlite_utils.Database) -> tuple[OutletStats, ...]:
    rows = db.execute(
        f"""
        SELECT c.outlet, o.name, SUM(c.articles),
               SUM(CASE WHEN c.access = 'free' THEN c.articles ELSE 0 END),
               SUM(CASE WHEN c.access = 'teaser' THEN c.articles ELSE 0 END),
               SUM(CASE WHEN c.access = 'subscriber' THEN c.articles ELSE 0 END),
               SUM(c.duplicates),
               SUM(CASE WHEN c.day = '' THEN c.articles ELSE 0 END),
               (SELECT max(published) FROM articles WHERE outlet = c.outlet)
        FROM {_counts_source(db)} c
        LEFT JOIN outlets o ON o.slug = c.outlet
        GROUP BY c.outlet
        ORDER BY c.outlet
        """
    ).fetchall()
    return tuple(OutletStats(*row) for row in rows)


def _query(db: sqlite_utils.Database, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def recent_runs(db: sqlite_utils.Database, limit: int = 20) -> list[RunSummary]:
    """The newest runs first, with their counts and what failed (the run_history stored query)."""
    if not db["runs"].exists():
        return []
    runs = [RunSummary(**row) for row in _query(db, RUN_HISTORY.sql, {"limit": str(limit)})]
    # A run killed with -9 stays 'running' in the archive until the next run marks it 'killed';
    # its process being gone says so now (archives live on the machine that runs the scraper).
    pids = dict(db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall())
    return [replace(run, status="killed") if run.run in pids and not _alive(pids[run.run]) else run for run in runs]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def run_errors(db: sqlite_utils.Database, run: int | None = None) -> list[dict[str, Any]]:
    """The errors recorded in one run (default: the latest), oldest first."""
    if not db["errors"].exists():
        return []
    return _query(db, RUN_ERRORS.sql, {"run": "" if run is None else str(run)})


def archive_stats(db: sqlite_utils.Database) -> ArchiveStats:
    runs = recent_runs(db, limit=1)
    last = runs[0] if runs else None
    versions = db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] if db["versions"].exists() else 0
    return ArchiveStats(
        outlets=outlet_stats(db),
        versions=versions,
        last_run=last,
        last_run_errors=tuple(run_errors(db, last.run)) if last else (),
    )


def runs_as_json(runs: list[RunSummary]) -> str:
    return json.dumps([asdict(run) for run in runs], ensure_ascii=False, indent=2)
