"""The Datasette plugin that `scraper serve` loads (--plugins-dir): the charts page, search helpers.

- `fts_query(text)`, an SQL function that turns what someone typed into a safe FTS5 query, as
  Datasette's own search box does (words are all required, "quoted phrases" kept), so the stored
  search query never fails on stray punctuation; `day_param(text)` reads a date parameter;
  `canonical_url(url)` gives the archive's key for a URL (version_history takes any form of it).
- Cells of stored-query results that carry FTS5 `<mark>` highlights render as highlighted text;
  everything else in the cell stays escaped.
- `/-/charts`: articles per week per outlet and the access mix per outlet, drawn as SVG in the
  browser from the stored queries' JSON, so the charts always show the live archive.

Datasette loads this file by path, so imports are absolute.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from scraper.browse.queries import ACCESS_MIX, ARTICLES_PER_WEEK
from scraper.browse.schema import COUNTS_TABLE
from scraper.dedup import canonical_url

CHARTS_PATH = "/-/charts"
# Weeks the charts page shows by default: a year fits the JSON API's row cap for a dozen outlets.
DEFAULT_WEEKS = 52


def fts_query(text: str | None) -> str:
    """A user's search text as an FTS5 query; '""' (matches nothing) when there is nothing to search."""
    query = escape_fts((text or "").strip())
    return query or '""'


def day_param(text: str | None) -> str:
    """A stored query's date parameter as ISO 8601 that SQLite's julianday() reads: '' stays '' (no
    filter); "2024" and "2024-05" mean their first day; "20240501" and times with offsets are
    accepted. Anything else is an error, not a silent empty result (julianday('2030') would even
    read a bare year as a Julian day number)."""
    value = (text or "").strip()
    if not value:
        return ""
    if value.isdigit() and len(value) == 4:
        value += "-01-01"
    elif len(value) == 7 and value[4] == "-":
        value += "-01"
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2024-05-01") from None


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the stored queries use (also for running them outside Datasette)."""
    conn.create_function("fts_query", 1, fts_query, deterministic=True)
    conn.create_function("day_param", 1, day_param, deterministic=True)
    conn.create_function("canonical_url", 1, canonical_url, deterministic=True)


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_functions(conn)


def highlight_marks(value: str) -> Markup:
    """Escape the value, then turn FTS5's <mark> and </mark> back into tags."""
    escaped = str(escape(value))
    return Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


@hookimpl
def render_cell(value: Any, table: str | None) -> Markup | None:
    # Only query results (table is None): a stored article text that merely contains "<mark>" in a
    # table view stays as it is.
    if table is None and isinstance(value, str) and "<mark>" in value:
        return highlight_marks(value)
    return None


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path(CHARTS_PATH), "label": "Charts"}]


async def _archive_database(datasette: Any, wanted: str | None) -> Any | None:
    """The named database, or the first one that has the archive's counts table."""
    for name, db in datasette.databases.items():
        if (wanted is None or name == wanted) and name != "_internal" and await db.table_exists(COUNTS_TABLE):
            return db
    return None


async def charts(datasette: Any, request: Any) -> Response:
    db = await _archive_database(datasette, request.args.get("database"))
    if db is None:
        return Response.html(
            "<h1>No scraper archive</h1><p>No attached database has the archive's tables.</p>", status=404
        )
    latest = (await db.execute(f"SELECT max(day) FROM {COUNTS_TABLE} WHERE day != ''")).first()[0]
    since = request.args.get("since")
    if not since:
        end = date.fromisoformat(latest) if latest else date.today()
        since = (end - timedelta(weeks=DEFAULT_WEEKS)).isoformat()
    context = {
        "database": db.name,
        "since": since,
        "latest": latest,
        "weekly_url": datasette.urls.query(db.name, ARTICLES_PER_WEEK.name, format="json"),
        "mix_url": datasette.urls.query(db.name, ACCESS_MIX.name, format="json"),
        "weekly_page": datasette.urls.query(db.name, ARTICLES_PER_WEEK.name),
        "mix_page": datasette.urls.query(db.name, ACCESS_MIX.name),
    }
    html = await datasette.render_template("scraper_charts.html", context, request=request)
    return Response.html(html)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(rf"^{CHARTS_PATH}$", charts)]
