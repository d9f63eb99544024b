"""Datasette metadata for the archive: descriptions, default sort, facets, hidden tables, stored queries.

Datasette keys metadata by database name (the file name without .db), so `build_metadata(name)`
builds it for any archive file; `metadata.json` beside this module is the same for the default
`archive.db`, for running `datasette data/archive.db -m .../metadata.json` by hand
(tests/test_browse.py keeps the two in step).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .queries import CANNED_QUERIES
from .schema import COUNTS_TABLE

__all__ = ["DEFAULT_DATABASE_NAME", "METADATA_FILE", "build_metadata", "metadata_json"]

METADATA_FILE = Path(__file__).with_name("metadata.json")
DEFAULT_DATABASE_NAME = "archive"

# Kept from Datasette's table list: they are the scraper's working state, not research data.
# (Datasette hides the FTS index tables itself.)
HIDDEN_TABLES = (
    "frontier",
    "http_cache",
    "aliases",
    "outlet_state",
    "requests",
    "dedup_signatures",
    "dedup_bands",
)

ARTICLE_COLUMNS = {
    "id": "Article id; stable for the life of the archive.",
    "outlet": "Outlet slug (the [outlets.<slug>] table in config.toml).",
    "url": "URL the article was last fetched from (after redirects).",
    "canonical_url": "The article's canonical URL, tracking parameters removed; unique.",
    "title": "Headline.",
    "description": "Standfirst or summary, as the publisher's metadata gives it.",
    "authors": "JSON array of author names (facet it as an array).",
    "published": "Publication time, ISO 8601 with the outlet's UTC offset when known.",
    "modified": "Last modification time the publisher declared, ISO 8601.",
    "section": "Section or category the outlet files the article under.",
    "tags": "JSON array of the outlet's tags or keywords (facet it as an array).",
    "language": "Language code declared by the page.",
    "text": "Clean body text: paragraphs separated by blank lines; no paywall prompts or boilerplate. "
    "For a teaser, only the part the publisher serves without a subscription.",
    "word_count": "Words in text.",
    "access": "free: the full text is served to anyone. teaser: the publisher served only a preview "
    "behind a paywall, and text holds that preview. subscriber: a paywalled article whose full text "
    "was served through the reader's own subscription.",
    "paywall_declared": "What the publisher's markup says (schema.org isAccessibleForFree and similar): "
    "1 paywalled, 0 free, empty when the page says nothing.",
    "paywall_signals": "JSON array of the evidence behind access: {kind, detail, strength}, where "
    "strength is declared (publisher markup), strong or weak (inferred from the page).",
    "content_hash": "Hash of the normalised text; equal hashes mean exactly the same text.",
    "duplicate_of": "If this article repeats an earlier one (a syndicated or re-published copy), the id "
    "of that earlier article; empty for originals.",
    "duplicate_rule": "How the duplicate was found: exact (same normalised text) or near (a lightly edited copy).",
    "similarity": "For duplicates: estimated share of 5-word phrases shared with the original (1.0 exact).",
    "version": "1 for the first fetch; +1 each time a revisit found changed text, title or access. "
    "Earlier versions are in the versions table.",
    "first_seen": "When the archive first fetched the article (UTC).",
    "fetched_at": "When the current version was fetched (UTC).",
    "last_checked": "When the article was last revisited, changed or not (UTC).",
    "etag": "HTTP ETag of the last fetch, for conditional requests.",
    "last_modified": "HTTP Last-Modified of the last fetch, for conditional requests.",
    "warc_file": "WARC file holding the raw response of the current version.",
    "warc_offset": "Byte offset of that response in the WARC file.",
    "run_id": "The run that fetched the current version.",
}

COUNTER_COLUMNS = {
    "discovered": "URLs found by discovery.",
    "fetched": "Article pages fetched.",
    "new": "New articles archived.",
    "updated": "Articles whose text, title or access changed (a new version).",
    "unchanged": "Articles revisited without change (including 304 Not Modified).",
    "duplicates": "New articles that duplicate an earlier one.",
    "teasers": "Articles archived as teasers.",
    "errors": "Pages or steps that failed (details in errors).",
}


def _tables() -> dict[str, Any]:
    tables: dict[str, Any] = {
        "articles": {
            "description": "One row per article (its latest version). Search the title and text with the "
            "search box; duplicates are kept and linked to their original by duplicate_of.",
            "sort_desc": "published",
            "label_column": "title",
            "fts_table": "articles_fts",
            "fts_pk": "id",
            "facets": ["outlet", "access", "section", {"array": "authors"}, {"array": "tags"}],
            "columns": ARTICLE_COLUMNS,
        },
        "outlets": {
            "description": "The outlets in config.toml.",
            "label_column": "name",
            "columns": {"slug": "Short name used in every other table.", "name": "Display name.", "home": "Home page."},
        },
        "versions": {
            "description": "Earlier versions of articles that changed when revisited; the current version "
            "is in articles. See the version_history query.",
            "sort_desc": "replaced_at",
            "facets": ["access"],
            "columns": {
                "article_id": "The article this is an earlier version of.",
                "version": "Version number (1 = first fetch).",
                "title": "Headline at that version.",
                "text": "Body text at that version.",
                "access": "Access label at that version (free, teaser, subscriber).",
                "content_hash": "Hash of that version's normalised text.",
                "fetched_at": "When that version was fetched.",
                "replaced_at": "When a newer version replaced it.",
                "changed": "JSON array of what the next version changed: text, title, access.",
            },
        },
        "runs": {
            "description": "One row per `scraper run` (usually from cron). See the run_history query.",
            "sort_desc": "id",
            "label_column": "started_at",
            "facets": ["status"],
            "columns": {
                "started_at": "Start time (UTC).",
                "finished_at": "End time (UTC); empty while running or if the run was killed.",
                "status": "running, ok, partial (some outlets or pages failed), failed, interrupted, or "
                "killed (the process died; marked by the next run).",
                "pid": "Process id of the run.",
                "outlets": "JSON array of the outlet slugs the run was asked to do.",
                "duration_s": "Wall-clock duration in seconds.",
                "message": "Why the run stopped early, if it did.",
                **COUNTER_COLUMNS,
            },
        },
        "run_outlets": {
            "description": "Per run and outlet: status and counters.",
            "facets": ["outlet", "status"],
            "columns": {"status": "running, ok, partial or failed.", **COUNTER_COLUMNS},
        },
        "errors": {
            "description": "Failures recorded during runs; a failure on one page never stops a run.",
            "sort_desc": "id",
            "facets": ["outlet", "stage", "type"],
            "columns": {
                "stage": "Pipeline stage that failed: discover, fetch, extract, classify, store, ...",
                "type": "Error class, e.g. BadStatus, FetchTimeout, RobotsDisallowed.",
                "message": "What happened, in words.",
                "at": "When (UTC).",
            },
        },
        COUNTS_TABLE: {
            "description": "Articles per outlet, publication day and access label, kept up to date by "
            "triggers on articles; the weekly and monthly queries and the charts read it. "
            "day is empty for articles without a publication date.",
            "sort_desc": "day",
            "facets": ["outlet", "access"],
            "columns": {
                "day": "Publication day (YYYY-MM-DD, the outlet's calendar).",
                "articles": "Articles published that day with that access label.",
                "duplicates": "How many of them duplicate an earlier article.",
            },
        },
    }
    for name in HIDDEN_TABLES:
        tables[name] = {"hidden": True}
    return tables


def build_metadata(database_name: str = DEFAULT_DATABASE_NAME) -> dict[str, Any]:
    """The Datasette metadata for an archive whose file is `<database_name>.db`."""
    return {
        "title": "News archive",
        "description_html": (
            "Articles archived by <code>scraper</code>: clean text and metadata, each labelled free, "
            "teaser or subscriber, with duplicates linked and earlier versions kept. "
            'Start with <a href="/-/charts">the charts</a>, the stored queries below, or search '
            "the articles table."
        ),
        "license": "Article texts remain the copyright of their publishers; archived for research use.",
        "source": "The outlets in config.toml, fetched politely (robots.txt honoured, paywalls respected).",
        "about": "scraper",
        "databases": {
            database_name: {
                "description": "The scraper archive. Timestamps are ISO 8601; fetch times are UTC.",
                "tables": _tables(),
                "queries": {query.name: query.as_metadata() for query in CANNED_QUERIES},
            }
        },
    }


def metadata_json(database_name: str = DEFAULT_DATABASE_NAME) -> str:
    return json.dumps(build_metadata(database_name), indent=2, ensure_ascii=False) + "\n"
