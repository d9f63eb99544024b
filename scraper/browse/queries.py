"""The stored (canned) queries analysts run every week; Datasette shows each as a page with a form.

Datasette passes every parameter as text and an omitted one as '', so optional filters read
`(:p = '' OR column = :p)` and numbers go through CAST. The weekly, monthly and access-mix queries
read `article_days` (see scraper.browse.schema), which stays small whatever the archive's size.
`fts_query()` and `day_param()` are registered by the bundled Datasette plugin (scraper.browse.plugin): the
first turns what someone types into a safe FTS5 query the way Datasette's own search box does, the second
reads a date parameter ("2024", "2024-05", "2024-05-01", "20240501", with a time) or refuses it;
`canonical_url()` is scraper.dedup.canonical_url, the archive's key for a URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CANNED_QUERIES", "CannedQuery"]


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    sql: str
    params: tuple[str, ...] = field(default=())

    def as_metadata(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"title": self.title, "description": self.description, "sql": self.sql.strip()}
        if self.params:
            entry["params"] = list(self.params)
        return entry


LATEST_PER_OUTLET = CannedQuery(
    name="latest_per_outlet",
    title="Latest articles per outlet",
    description="The newest articles of every outlet, by publication date (default 10 each).",
    params=("per_outlet",),
    sql="""
SELECT a.outlet, o.name AS outlet_name, a.published, a.title, a.access, a.section, a.authors,
       a.duplicate_of, a.url, a.id
FROM outlets o
JOIN articles a ON a.id IN (
    -- a correlated LIMIT walks the (outlet, published) index: no sort of the whole table
    SELECT id FROM articles
    WHERE outlet = o.slug
    ORDER BY published DESC
    LIMIT CAST(coalesce(nullif(:per_outlet, ''), 10) AS INTEGER)
)
ORDER BY a.outlet, a.published DESC
""",
)

SEARCH = CannedQuery(
    name="search",
    title="Search articles",
    description=(
        "Full-text search over title and text (porter stemming: 'council' also finds 'councils'). "
        'Words are all required; put a phrase in double quotes, e.g. "social care". Matches are '
        "marked in the title and snippet; the 50 best matches first. Optional: outlet slug, published "
        "since (YYYY-MM-DD, included) / until (YYYY-MM-DD, not included)."
    ),
    params=("q", "outlet", "since", "until"),
    sql="""
SELECT a.id, a.outlet, a.published, a.access,
       highlight(articles_fts, 0, '<mark>', '</mark>') AS title,
       snippet(articles_fts, -1, '<mark>', '</mark>', '…', 40) AS snippet,
       a.url, round(articles_fts.rank, 3) AS rank
FROM articles_fts
JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH fts_query(:q)
  AND (:outlet = '' OR a.outlet = :outlet)
  -- julianday() reads each date's UTC offset; text would order 23:30-05:00 before 01:00+02:00
  AND (:since = '' OR julianday(a.published) >= julianday(day_param(:since)))
  AND (:until = '' OR julianday(a.published) < julianday(day_param(:until)))
ORDER BY articles_fts.rank
LIMIT 50
""",
)

SEARCH_LATEST = CannedQuery(
    name="search_latest",
    title="Search articles, latest archived first",
    description=(
        "The same search, newest archived articles first instead of best matches first. It stops "
        "after 50 hits, so it stays fast for words and phrases found in a large share of the archive. "
        "Optional: outlet slug, published since (YYYY-MM-DD)."
    ),
    params=("q", "outlet", "since"),
    sql="""
SELECT a.id, a.outlet, a.published, a.access,
       highlight(articles_fts, 0, '<mark>', '</mark>') AS title,
       snippet(articles_fts, -1, '<mark>', '</mark>', '…', 40) AS snippet,
       a.url
FROM articles_fts
JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH fts_query(:q)
  AND (:outlet = '' OR a.outlet = :outlet)
  AND (:since = '' OR julianday(a.published) >= julianday(day_param(:since)))
-- FTS5 walks its index in rowid order and stops at the LIMIT: no scoring of every match
ORDER BY articles_fts.rowid DESC
LIMIT 50
""",
)

_ACCESS_SUMS = """
       SUM(articles) AS articles,
       SUM(CASE WHEN access = 'free' THEN articles ELSE 0 END) AS free,
       SUM(CASE WHEN access = 'teaser' THEN articles ELSE 0 END) AS teaser,
       SUM(CASE WHEN access = 'subscriber' THEN articles ELSE 0 END) AS subscriber,
       round(100.0 * SUM(CASE WHEN access = 'teaser' THEN articles ELSE 0 END) / SUM(articles), 1)
           AS teaser_pct"""

TEASER_SHARE_BY_MONTH = CannedQuery(
    name="teaser_share_by_month",
    title="Teaser share per outlet per month",
    description=(
        "For each outlet and month of publication: articles archived, how many were free, teaser "
        "(only the paywall's preview was served) or subscriber (full text through the reader's own "
        "subscription), and the teaser share in percent. Articles without a date are left out."
    ),
    params=("outlet",),
    sql=f"""
SELECT outlet, substr(day, 1, 7) AS month,{_ACCESS_SUMS}
FROM article_days
WHERE day != '' AND (:outlet = '' OR outlet = :outlet)
GROUP BY outlet, month
ORDER BY month DESC, outlet
""",
)

ARTICLES_PER_WEEK = CannedQuery(
    name="articles_per_week",
    title="Articles per week per outlet",
    description=(
        "Articles published per outlet per week (weeks start on Monday), with how many of them are "
        "originals (not duplicates of an earlier article). Optional: outlet slug, weeks since "
        "(YYYY-MM-DD). The charts page draws this query."
    ),
    params=("outlet", "since"),
    sql="""
SELECT outlet, date(day, 'weekday 0', '-6 days') AS week,
       SUM(articles) AS articles, SUM(articles) - SUM(duplicates) AS originals
FROM article_days
WHERE day != '' AND (:outlet = '' OR outlet = :outlet) AND (:since = '' OR day >= substr(day_param(:since), 1, 10))
GROUP BY outlet, week
ORDER BY week, outlet
""",
)

ACCESS_MIX = CannedQuery(
    name="access_mix",
    title="Access mix per outlet",
    description=(
        "Free, teaser and subscriber articles per outlet, over the whole archive or since a date "
        "(YYYY-MM-DD). The charts page draws this query."
    ),
    params=("since",),
    sql=f"""
SELECT d.outlet, coalesce(o.name, d.outlet) AS outlet_name,{_ACCESS_SUMS}
FROM article_days d
LEFT JOIN outlets o ON o.slug = d.outlet
WHERE (:since = '' OR d.day >= substr(day_param(:since), 1, 10))
GROUP BY d.outlet
ORDER BY 3 DESC
""",
)

DUPLICATE_CLUSTERS = CannedQuery(
    name="duplicate_clusters",
    title="Duplicate clusters",
    description=(
        "Every article that has duplicates, followed by its duplicates: one row per member, the "
        "original first. role is 'original', 'exact' (same normalised text) or 'near' (a lightly "
        "edited copy; similarity estimates the share of shared 5-word phrases). Optional: outlet slug "
        "(clusters with a member in that outlet)."
    ),
    params=("outlet",),
    sql="""
WITH clusters AS (
    SELECT duplicate_of AS cluster, COUNT(*) + 1 AS members
    FROM articles
    WHERE duplicate_of IS NOT NULL
    GROUP BY duplicate_of
    HAVING :outlet = '' OR SUM(outlet = :outlet) > 0
        OR (SELECT outlet FROM articles WHERE id = duplicate_of) = :outlet
),
members AS (
    SELECT c.cluster, c.members, 'original' AS role, NULL AS similarity,
           a.id, a.outlet, a.published, a.title, a.url
    FROM clusters c JOIN articles a ON a.id = c.cluster
    UNION ALL
    SELECT c.cluster, c.members, a.duplicate_rule, a.similarity, a.id, a.outlet, a.published, a.title, a.url
    FROM clusters c JOIN articles a ON a.duplicate_of = c.cluster
)
SELECT * FROM members
ORDER BY members DESC, cluster, role != 'original', published, id
""",
)

VERSION_HISTORY = CannedQuery(
    name="version_history",
    title="An article's version history",
    description=(
        "Every archived version of one article (by id, or any URL it was seen under), oldest first, "
        "ending with the current one. On an archived version, changed names what the next version "
        "changed (text, title, access)."
    ),
    params=("article",),
    sql="""
WITH target AS (
    SELECT id FROM articles WHERE id = :article
    UNION SELECT article_id FROM aliases WHERE url = :article
    UNION SELECT id FROM articles WHERE canonical_url = :article
    -- a URL as a browser shows it (tracking parameters, www., AMP): the archive's key for it
    UNION SELECT id FROM articles WHERE canonical_url = canonical_url(:article)
    UNION SELECT article_id FROM aliases WHERE url = canonical_url(:article)
    LIMIT 1
)
SELECT v.article_id, v.version, 'archived' AS state, v.title, v.access, v.content_hash,
       v.fetched_at, v.replaced_at, v.changed, length(v.text) AS characters, v.text
FROM versions v
WHERE v.article_id = (SELECT id FROM target)
UNION ALL
SELECT a.id, a.version, 'current', a.title, a.access, a.content_hash,
       a.fetched_at, NULL, NULL, length(a.text), a.text
FROM articles a
WHERE a.id = (SELECT id FROM target)
ORDER BY 2
""",
)

RUN_HISTORY = CannedQuery(
    name="run_history",
    title="Run history",
    description=(
        "Scheduled runs, newest first: when each started, how long it took, its status, what it "
        "added, which outlets did not finish cleanly and the kinds of errors recorded. See run_errors "
        "for the individual failures."
    ),
    params=("limit",),
    sql="""
SELECT r.id AS run, r.started_at, r.finished_at, round(r.duration_s, 1) AS duration_s, r.status,
       (SELECT group_concat(outlet, ', ') FROM run_outlets WHERE run_id = r.id) AS outlets,
       coalesce(r.fetched, (SELECT SUM(fetched) FROM run_outlets WHERE run_id = r.id), 0) AS fetched,
       coalesce(r.new, (SELECT SUM(new) FROM run_outlets WHERE run_id = r.id), 0) AS new,
       coalesce(r.updated, (SELECT SUM(updated) FROM run_outlets WHERE run_id = r.id), 0) AS updated,
       coalesce(r.duplicates, (SELECT SUM(duplicates) FROM run_outlets WHERE run_id = r.id), 0)
           AS duplicates,
       coalesce(r.teasers, (SELECT SUM(teasers) FROM run_outlets WHERE run_id = r.id), 0) AS teasers,
       (SELECT COUNT(*) FROM errors WHERE run_id = r.id) AS errors,
       (SELECT group_concat(outlet || ': ' || status, ', ') FROM run_outlets
        WHERE run_id = r.id AND status != 'ok') AS not_ok,
       (SELECT group_concat(kind || ' ×' || n, ', ') FROM (
            SELECT stage || '/' || type AS kind, COUNT(*) AS n FROM errors
            WHERE run_id = r.id GROUP BY kind ORDER BY n DESC, kind
        )) AS error_kinds,
       r.message
FROM runs r
ORDER BY r.id DESC
LIMIT CAST(coalesce(nullif(:limit, ''), 100) AS INTEGER)
""",
)

RUN_ERRORS = CannedQuery(
    name="run_errors",
    title="Errors of a run",
    description=("The failures recorded during one run (default: the latest run): outlet, URL, stage, type, message."),
    params=("run",),
    sql="""
SELECT e.run_id AS run, e.at, e.outlet, e.stage, e.type, e.message, e.url
FROM errors e
WHERE e.run_id = coalesce(nullif(:run, ''), (SELECT max(id) FROM runs))
ORDER BY e.id
""",
)

CANNED_QUERIES: tuple[CannedQuery, ...] = (
    LATEST_PER_OUTLET,
    SEARCH,
    SEARCH_LATEST,
    ARTICLES_PER_WEEK,
    TEASER_SHARE_BY_MONTH,
    ACCESS_MIX,
    DUPLICATE_CLUSTERS,
    VERSION_HISTORY,
    RUN_HISTORY,
    RUN_ERRORS,
)
