"""What the archive needs on top of scraper.archive's schema to browse well: daily counts, facet indexes.

`prepare_for_datasette` is idempotent and cheap once applied, so `Archive.ensure_schema` can call it
on every open. It adds:

- `article_days(outlet, day, access, articles, duplicates)`: how many articles each outlet published
  per day and access label, kept exact by triggers on `articles`. The weekly, monthly and access-mix
  queries and charts read this small table instead of grouping a million article rows (the
  benchmark in benchmarks/archive.py measures both). `day` is the YYYY-MM-DD prefix of `published`
  (the outlet's own calendar day), or '' when the article has no parseable date.
- an index on `articles(section)` so the section facet does not scan the table.
- full-text index upkeep tuned for an archive that grows by batches (benchmarks/archive.py measures
  it): FTS5 gathers up to 64 MiB of new terms per segment and merges segments 16 at a time
  instead of 4 (`FTS_SETTINGS`), and the trigger that re-indexes an updated article fires only
  when its title or text changes, not on every revisit that bumps `last_checked`.
"""

from __future__ import annotations

import sqlite_utils

__all__ = [
    "COUNTS_TABLE",
    "COUNTS_TRIGGERS",
    "FTS_SETTINGS",
    "FTS_TABLE",
    "prepare_for_datasette",
    "tune_search_index",
]

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


FTS_TABLE = "articles_fts"
# FTS5 writes each transaction's new terms as a small segment and merges segments during later
# writes. Merging 16 at a time rather than the default 4 rewrites each posting fewer times: 12-24%
# less CPU per inserted article in benchmarks/archive.py, with no measurable cost to search at 1M
# articles (an 'optimize' into one segment afterwards changed the median search by 5%).
# crisismerge (default 16) is raised above automerge so that a full level is merged bit by bit
# over later writes, not all at once inside one. hashsize (default 1 MiB) is how many bytes of new
# terms FTS5 gathers in memory before it writes a segment even inside a transaction: a bulk load
# (Archive.insert_articles) then writes one segment per batch, not dozens.
FTS_SETTINGS: dict[str, int] = {"automerge": 16, "crisismerge": 64, "hashsize": 64 * 1024 * 1024}

# sqlite-utils' update trigger with a column list: it fires for the columns the index holds (and the
# rowid), so the pipeline's frequent last_checked/fetched_at updates do not tokenise the text twice.
_FTS_UPDATE_TRIGGER = "articles_au"
_FTS_UPDATE_SQL = (
    f'CREATE TRIGGER "{_FTS_UPDATE_TRIGGER}" AFTER UPDATE OF "id", "title", "text" ON "articles" BEGIN\n'
    f'  INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rowid, "title", "text") '
    'VALUES(\'delete\', old.rowid, old."title", old."text");\n'
    f'  INSERT INTO "{FTS_TABLE}" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");\n'
    "END"
)


def tune_search_index(db: sqlite_utils.Database) -> None:
    """Apply `FTS_SETTINGS` and the narrow update trigger to `articles_fts`, if the archive has it.

    Idempotent: it writes only what differs, so it is free on every open after the first."""
    tables = {row[0]: row[1] for row in db.execute("SELECT name, sql FROM sqlite_master")}
    if FTS_TABLE not in tables:
        return
    with db.atomic():
        config = dict(db.execute(f'SELECT k, v FROM "{FTS_TABLE}_config"').fetchall())
        for key, value in FTS_SETTINGS.items():
            if config.get(key) != value:
                db.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rank) VALUES (?, ?)', [key, value])
        if tables.get(_FTS_UPDATE_TRIGGER) != _FTS_UPDATE_SQL:
            db.execute(f'DROP TRIGGER IF EXISTS "{_FTS_UPDATE_TRIGGER}"')
            db.execute(_FTS_UPDATE_SQL)


def prepare_for_datasette(db: sqlite_utils.Database) -> None:
    """Add the daily-counts table (filled from existing rows the first time) with its triggers, and
    the facet indexes; tune the full-text index. Safe to call on every open: it only creates what is
    missing."""
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
    tune_search_index(db)
