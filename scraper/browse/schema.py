"""What the archive needs on top of scraper.archive's schema to browse well: daily counts, facet indexes.

`prepare_for_datasette` is idempotent and cheap once applied, so `Archive.ensure_schema` can call it
on every open. It adds:

- `article_days(outlet, day, access, articles, duplicates)`: how many articles each outlet published
  per day and access label, kept exact by triggers on `articles`. The weekly, monthly and access-mix
  queries and charts read this small table instead of grouping a million article rows (the
  benchmark in benchmarks/archive.py measures both). `day` is the YYYY-MM-DD prefix of `published`
  (the outlet's own calendar day), or '' when the article has no parseable date.
- an index on `articles(section)` so the section facet does not scan the table.
"""

from __future__ import annotations

import sqlite_utils

__all__ = ["COUNTS_TABLE", "COUNTS_TRIGGERS", "prepare_for_datasette"]

COUNTS_TABLE = "article_days"

# The day an article counts under; '' when `published` is missing or not an ISO date.
_DAY = (
    "CASE WHEN {row}.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
    "THEN substr({row}.published, 1, 10) ELSE '' END"
)


def _add(row: str, sign: str) -> str:
    """SQL that adds (+) or removes (-) the article `row` (new/old) from its day's counts."""
    day = _DAY.format(row=row)
    if sign == "+":
        return (
            f"INSERT INTO {COUNTS_TABLE} (outlet, day, access, articles, duplicates) "
            f"VALUES (coalesce({row}.outlet, ''), {day}, coalesce({row}.access, ''), 1, "
            f"{row}.duplicate_of IS NOT NULL) "
            "ON CONFLICT (outlet, day, access) DO UPDATE SET articles = articles + 1, "
            "duplicates = duplicates + excluded.duplicates;"
        )
    where = f"outlet = coalesce({row}.outlet, '') AND day = {day} AND access = coalesce({row}.access, '')"
    return (
        f"UPDATE {COUNTS_TABLE} SET articles = articles - 1, "
        f"duplicates = duplicates - ({row}.duplicate_of IS NOT NULL) WHERE {where}; "
        f"DELETE FROM {COUNTS_TABLE} WHERE {where} AND articles <= 0;"
    )


_TRIGGERS = {
    f"{COUNTS_TABLE}_ai": f"AFTER INSERT ON articles BEGIN {_add('new', '+')} END",
    f"{COUNTS_TABLE}_ad": f"AFTER DELETE ON articles BEGIN {_add('old', '-')} END",
    # Only the columns the counts depend on: a revisit that touches last_checked costs nothing here.
    f"{COUNTS_TABLE}_au": (
        "AFTER UPDATE OF outlet, published, access, duplicate_of ON articles "
        f"BEGIN {_add('old', '-')} {_add('new', '+')} END"
    ),
}
COUNTS_TRIGGERS = tuple(_TRIGGERS)


def prepare_for_datasette(db: sqlite_utils.Database) -> None:
    """Add the daily-counts table (filled from existing rows the first time) with its triggers, and
    the facet indexes. Safe to call on every open: it only creates what is missing."""
    with db.atomic():
        if not db[COUNTS_TABLE].exists():
            db.execute(
                f"CREATE TABLE {COUNTS_TABLE} ("
                "outlet TEXT NOT NULL, day TEXT NOT NULL, access TEXT NOT NULL, "
                "articles INTEGER NOT NULL, duplicates INTEGER NOT NULL, "
                "PRIMARY KEY (outlet, day, access)) WITHOUT ROWID"
            )
            # Back-fill from the rows archived before the triggers existed.
            day = _DAY.format(row="articles")
            db.execute(
                f"INSERT INTO {COUNTS_TABLE} (outlet, day, access, articles, duplicates) "
                f"SELECT coalesce(outlet, ''), {day}, coalesce(access, ''), COUNT(*), COUNT(duplicate_of) "
                "FROM articles GROUP BY 1, 2, 3"
            )
        existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        for name, body in _TRIGGERS.items():
            if name not in existing:
                db.execute(f"CREATE TRIGGER {name} {body}")
        db["articles"].create_index(["section"], if_not_exists=True)  # type: ignore[union-attr]
