"""Browsing the archive: the real Datasette (search, stored queries, facets, charts), exports, stats, runs."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from scraper.archive import Archive
from scraper.browse import CANNED_QUERIES, COUNTS_TABLE, prepare_for_datasette, read_csv, read_jsonl
from scraper.browse.commands import _ensure_prepared, export, runs, stats
from scraper.browse.export import JSON_COLUMNS, SKIPPED_COLUMNS, column_types
from scraper.browse.metadata import METADATA_FILE, metadata_json
from scraper.browse.plugins.scraper_browse import day_param, fts_query, highlight_marks, register_functions
from scraper.browse.schema import COUNTS_TRIGGERS, FTS_SETTINGS
from scraper.browse.stats import recent_runs

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")

OUTLETS = [
    {"slug": "mj", "name": "The MJ", "home": "https://www.themj.example/"},
    {"slug": "lgc", "name": "Local Government Chronicle", "home": "https://www.lgc.example/"},
    {"slug": "herald", "name": "Borchester Herald", "home": "https://herald.example/"},
]

FILLER = (
    "Chief executives said budgets were stretched after years of rising demand. The finance "
    "director told members that reserves could not be used to plug the gap again, and that "
    "savings would have to come from every directorate. Opposition councillors asked for a "
    "clearer timetable for the review."
)
# The one story that uses the phrase; others use its words apart, so only a phrase-aware ranking
# puts it first.
PRECEPT_TEXT = (
    "Borchester City Council will raise the adult social care precept by two per cent, the "
    "cabinet agreed on Tuesday. The social care precept funds home care and residential places.\n\n" + FILLER
)
NEAR_COPY = PRECEPT_TEXT.replace("on Tuesday", "on Tuesday evening")


def article(n: int, outlet: str, published: str | None, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "outlet": outlet,
        "url": f"https://{outlet}.example/news/story-{n}",
        "canonical_url": f"https://{outlet}.example/news/story-{n}",
        "title": f"Council budget round-up {n}",
        "description": "What councils decided this week.",
        "authors": json.dumps(["Priya Shah"]),
        "published": published,
        "modified": published,
        "section": "Finance",
        "tags": json.dumps(["budgets"]),
        "language": "en",
        "text": f"Story {n}. " + FILLER,
        "access": "free",
        "paywall_declared": 0,
        "paywall_signals": "[]",
        "content_hash": f"hash-{n}",
        "version": 1,
        "first_seen": "2024-05-20T06:00:00+00:00",
        "fetched_at": "2024-05-20T06:00:00+00:00",
        "last_checked": "2024-05-20T06:00:00+00:00",
        "etag": f'"etag-{n}"',
        "run_id": 1,
    }
    row.update(values)
    row["word_count"] = len(row["text"].split())
    return row


# id: the row; ids follow insertion order (1-based).
ARTICLES = [
    article(
        1,
        "mj",
        "2024-04-01T09:00:00+01:00",
        title="Borchester to raise adult social care precept",
        text=PRECEPT_TEXT,
        authors=json.dumps(["Priya Shah", "Tom Hale"]),
        tags=json.dumps(["social care", "council tax"]),
        section="Social care",
    ),
    article(
        2,
        "mj",
        "2024-04-03T10:00:00+01:00",
        title="Care homes warn of closures",
        text="Care providers say the precept will not cover costs. Social workers are scarce. " + FILLER,
        section="Social care",
        tags=json.dumps(["social care"]),
    ),
    article(
        3,
        "mj",
        "2024-04-10T08:30:00+01:00",
        access="teaser",
        paywall_declared=1,
        paywall_signals=json.dumps([{"kind": "jsonld:isAccessibleForFree", "detail": "false", "strength": "declared"}]),
        authors=json.dumps(["Tom Hale"]),
    ),
    article(4, "mj", "2024-04-17T12:00:00+01:00", access="subscriber", paywall_declared=1),
    article(5, "mj", "2024-05-02T07:00:00+01:00", version=3, title="Mudfog leader resigns (updated)"),
    article(6, "lgc", "2024-04-02T11:00:00+01:00", authors=json.dumps(["Amelia Brook"]), section="Housing"),
    article(
        7,
        "lgc",
        "2024-04-09T11:00:00+01:00",
        access="teaser",
        paywall_declared=1,
        authors=json.dumps(["Amelia Brook"]),
        section="Housing",
    ),
    article(8, "lgc", "2024-04-23T11:00:00+01:00", access="teaser", paywall_declared=1, section="Housing"),
    article(9, "lgc", None, title="Undated explainer", section=None, tags="[]"),
    # Exact copy of 1 at another outlet, and a near copy.
    article(
        10,
        "herald",
        "2024-04-02T06:00:00+01:00",
        title="Precept rise for adult social care",
        text=PRECEPT_TEXT,
        content_hash="hash-1",
        duplicate_of=1,
        duplicate_rule="exact",
        similarity=1.0,
        authors=json.dumps([]),
    ),
    article(
        11,
        "herald",
        "2024-04-04T06:00:00+01:00",
        title="Council agrees care precept",
        text=NEAR_COPY,
        duplicate_of=1,
        duplicate_rule="near",
        similarity=0.87,
        authors=json.dumps([]),
    ),
    article(12, "herald", "2024-05-06T06:00:00+01:00", authors=json.dumps(["Tom Hale"]), section="Politics"),
]
EXPECTED_ACCESS = {
    "mj": {"free": 3, "teaser": 1, "subscriber": 1},
    "lgc": {"free": 2, "teaser": 2, "subscriber": 0},
    "herald": {"free": 3, "teaser": 0, "subscriber": 0},
}
VERSIONED_ID = 5


def build_archive(path: Path) -> None:
    """A small archive with the shapes analysts meet: three outlets, all access labels,
    exact and near duplicates, an article with two earlier versions, runs with errors."""
    archive = Archive.open(path)
    db = archive.db
    archive.upsert_outlets(OUTLETS)
    with archive.transaction():
        db["runs"].insert_all(
            [  # type: ignore[union-attr]
                {
                    "id": 1,
                    "started_at": "2024-05-20T06:00:00+00:00",
                    "finished_at": "2024-05-20T06:04:10+00:00",
                    "status": "ok",
                    "pid": 100,
                    "outlets": json.dumps(["mj", "lgc", "herald"]),
                    "duration_s": 250.0,
                    "message": None,
                    "discovered": 40,
                    "fetched": 12,
                    "new": 12,
                    "updated": 0,
                    "unchanged": 0,
                    "duplicates": 2,
                    "teasers": 3,
                    "errors": 0,
                },
                {
                    "id": 2,
                    "started_at": "2024-05-21T06:00:00+00:00",
                    "finished_at": "2024-05-21T06:01:30+00:00",
                    "status": "partial",
                    "pid": 101,
                    "outlets": json.dumps(["mj", "lgc", "herald"]),
                    "duration_s": 90.0,
                    "message": None,
                    "discovered": 41,
                    "fetched": 3,
                    "new": 0,
                    "updated": 1,
                    "unchanged": 2,
                    "duplicates": 0,
                    "teasers": 0,
                    "errors": 3,
                },
            ]
        )
        db["run_outlets"].insert_all(
            [  # type: ignore[union-attr]
                {
                    "run_id": run,
                    "outlet": outlet,
                    "status": status,
                    "discovered": 10,
                    "fetched": 1,
                    "new": 0,
                    "updated": 0,
                    "unchanged": 0,
                    "duplicates": 0,
                    "teasers": 0,
                    "errors": errors,
                }
                for run, outlet, status, errors in (
                    (1, "mj", "ok", 0),
                    (1, "lgc", "ok", 0),
                    (1, "herald", "ok", 0),
                    (2, "mj", "ok", 0),
                    (2, "lgc", "ok", 0),
                    (2, "herald", "failed", 3),
                )
            ]
        )
        for stage, kind, url, message in (
            ("fetch", "BadStatus", "https://herald.example/news/a", "HTTP 503 Service Unavailable"),
            ("fetch", "BadStatus", "https://herald.example/news/b", "HTTP 503 Service Unavailable"),
            ("extract", "ExtractError", "https://herald.example/news/c", "no article body found"),
        ):
            archive.record_error(2, "herald", url, stage, kind, message)
    # Half the rows before the counts table exists (its back-fill), half after (its triggers).
    with archive.transaction():
        for row in ARTICLES[:6]:
            archive.insert_article(row)
    prepare_for_datasette(db)
    prepare_for_datasette(db)  # idempotent
    with archive.transaction():
        for row in ARTICLES[6:]:
            archive.insert_article(row)
        for version, title, access in ((1, "Mudfog leader to resign", "teaser"), (2, "Mudfog leader resigns", "free")):
            db["versions"].insert(
                {  # type: ignore[union-attr]
                    "article_id": VERSIONED_ID,
                    "version": version,
                    "title": title,
                    "text": f"Version {version}. {FILLER}",
                    "access": access,
                    "content_hash": f"v{version}",
                    "fetched_at": f"2024-05-0{version + 2}T06:00:00+00:00",
                    "replaced_at": f"2024-05-0{version + 3}T06:00:00+00:00",
                    "changed": json.dumps(["text", "title"] if version == 2 else ["text", "access"]),
                }
            )
        archive.add_alias("https://mj.example/news/story-5?from=rss", VERSIONED_ID)
    archive.close()


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browse") / "archive.db"
    build_archive(path)
    return path


class Server:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str | list[str]) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}{path}" + (f"?{query}" if query else ""), timeout=10) as response:
            body = response.read().decode()
        return json.loads(body) if ".json" in path else body

    def query(self, name: str, **params: str) -> list[dict[str, Any]]:
        return self.get(f"/archive/{name}.json", _shape="array", **params)


@pytest.fixture(scope="module")
def datasette(archive_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`scraper serve` on a free loopback port (port 0; the bound address is read from its log)."""
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scraper.browse", "serve", "--database", str(archive_path), "--port", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None:
            match = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            if match:
                url = match.group(1)
            elif process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"datasette did not start:\n{log_path.read_text()}")
            else:
                time.sleep(0.05)
        assert "Serving" in log_path.read_text() and ":0/" not in log_path.read_text()  # port 0 is no address
        server = Server(url)
        while True:  # listening is announced just before requests are served
            try:
                server.get("/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def by_id(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


# --- schema -----------------------------------------------------------------------------------


def test_daily_counts_match_the_articles_after_inserts_updates_and_deletes(archive_path: Path) -> None:
    copy = archive_path.with_name("counts.db")
    copy.write_bytes(archive_path.read_bytes())
    db = Archive.open(copy).db
    prepare_for_datasette(db)
    db.execute("UPDATE articles SET access = 'free', published = '2024-06-01T09:00:00Z' WHERE id = 3")
    db.execute("UPDATE articles SET duplicate_of = NULL WHERE id = 11")
    db.execute("DELETE FROM articles WHERE id = 12")
    db.conn.commit()
    counted = db.execute(
        f"SELECT outlet, day, access, articles, duplicates FROM {COUNTS_TABLE} ORDER BY 1, 2, 3"
    ).fetchall()
    direct = db.execute(
        "SELECT outlet, coalesce(substr(published, 1, 10), ''), access, COUNT(*), COUNT(duplicate_of) "
        "FROM articles GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ).fetchall()
    assert counted == direct
    assert ("mj", "2024-06-01", "free", 1, 0) in counted
    assert not any(row[0] == "herald" and row[1] == "2024-05-06" for row in counted)  # deleted: row dropped


def _fts_matches(db: sqlite_utils.Database, phrase: str) -> list[int]:
    return [row[0] for row in db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [phrase])]


def test_search_index_follows_title_and_text_but_ignores_revisits(archive_path: Path) -> None:
    copy = archive_path.with_name("fts.db")
    copy.write_bytes(archive_path.read_bytes())
    db = Archive.open(copy).db
    conn = db.conn
    before = conn.total_changes
    db.execute("UPDATE articles SET last_checked = '2024-06-02T06:00:00+00:00', run_id = 2 WHERE id = 3")
    assert conn.total_changes - before == 1  # the row only: the full-text index was not rewritten
    db.execute("UPDATE articles SET text = 'The ferry timetable was cut.' WHERE id = 3")
    db.execute("UPDATE articles SET title = 'Quayside ferry row' WHERE id = 4")
    conn.commit()
    assert _fts_matches(db, '"ferry timetable"') == [3]
    assert _fts_matches(db, "quayside") == [4]
    assert 3 not in _fts_matches(db, '"finance director"')  # its old text is gone from the index
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")  # raises if stale


def test_search_index_tuning_upgrades_an_older_archive_once(archive_path: Path) -> None:
    copy = archive_path.with_name("old-fts.db")
    copy.write_bytes(archive_path.read_bytes())
    db = Archive.open(copy).db
    # As sqlite-utils' enable_fts left it: FTS5's merge defaults, an update trigger on every column.
    db.execute("DELETE FROM articles_fts_config WHERE k IN ('automerge', 'crisismerge', 'hashsize')")
    db.execute("DROP TRIGGER articles_au")
    db.execute(
        'CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN '
        """INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") """
        """VALUES('delete', old.rowid, old."title", old."text"); """
        'INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text"); END'
    )
    db.conn.commit()
    before = db.conn.total_changes
    db.execute("UPDATE articles SET last_checked = '2024-06-02T06:00:00+00:00' WHERE id = 3")
    assert db.conn.total_changes - before > 1  # the broad trigger rewrites the index entry

    prepare_for_datasette(db)
    config = dict(db.execute("SELECT k, v FROM articles_fts_config").fetchall())
    assert {key: config[key] for key in FTS_SETTINGS} == FTS_SETTINGS
    before = db.conn.total_changes
    prepare_for_datasette(db)  # already tuned: writes nothing
    db.execute("UPDATE articles SET last_checked = '2024-06-03T06:00:00+00:00' WHERE id = 3")
    assert db.conn.total_changes - before == 1
    assert _fts_matches(db, '"social care precept"')  # the index still answers
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


def test_shipped_metadata_json_is_current() -> None:
    # metadata.json is for running datasette by hand; it must say what build_metadata says.
    assert METADATA_FILE.read_text(encoding="utf-8") == metadata_json()


def test_fts_query_escapes_like_datasette() -> None:
    assert fts_query("social care") == '"social" "care"'
    assert fts_query('"social care" precept') == '"social care" "precept"'
    assert fts_query("  ") == '""'
    assert fts_query("AND (") == '"AND" "("'


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # sqlite3 reports the ValueError
def test_search_date_filters_compare_instants(archive_path: Path, tmp_path: Path) -> None:
    # The stored queries' SQL run on a real SQLite copy (fts_query registered as Datasette's plugin does).
    path = tmp_path / "offsets.db"
    shutil.copy(archive_path, path)
    conn = sqlite3.connect(path)
    register_functions(conn)
    with conn:
        # 04:30 UTC on 20 Nov, written in New York time; 23:00 UTC on 19 Nov, written in Cairo time.
        conn.execute("UPDATE articles SET published = '2026-11-19T23:30:00-05:00' WHERE id = 1")
        conn.execute("UPDATE articles SET published = '2026-11-20T01:00:00+02:00' WHERE id = 11")
    queries = {query.name: query.sql for query in CANNED_QUERIES}

    def ids(name: str, **params: str) -> set[int]:
        return {row[0] for row in conn.execute(queries[name], {"q": '"adult social care precept"', **params})}

    assert ids("search", outlet="", since="2026-11-20", until="") == {1}
    assert ids("search", outlet="", since="", until="2026-11-20") == {10, 11}
    assert ids("search_latest", outlet="", since="2026-11-20T00:00:00+00:00") == {1}
    # A year or a month means its first day ("2030" is no Julian day number); junk is an error.
    assert ids("search", outlet="", since="2030", until="") == set()
    assert ids("search", outlet="", since="2026-11", until="") == {1, 11}
    with pytest.raises(sqlite3.OperationalError):
        ids("search", outlet="", since="last tuesday", until="")
    conn.close()


def test_day_param_reads_the_date_forms_analysts_type() -> None:
    assert day_param("") == ""
    assert day_param("2024") == "2024-01-01T00:00:00"
    assert day_param("2024-05") == "2024-05-01T00:00:00"
    assert day_param("20240501") == "2024-05-01T00:00:00"
    assert day_param("2024-05-01T09:30+02:00") == "2024-05-01T09:30:00+02:00"
    with pytest.raises(ValueError, match="not a date like 2024-05-01"):
        day_param("May")


def test_highlight_keeps_everything_but_marks_escaped() -> None:
    assert str(highlight_marks("<b>x</b> <mark>care</mark>")) == "&lt;b&gt;x&lt;/b&gt; <mark>care</mark>"


# --- Datasette, through its JSON API ------------------------------------------------------------


def test_search_finds_the_phrase_and_ranks_its_article_first(datasette: Server) -> None:
    rows = datasette.query("search", q='"adult social care precept"', outlet="", since="", until="")
    assert by_id(rows)[0] == 1
    assert set(by_id(rows)) == {1, 10, 11}  # the story and its two copies; article 2 lacks the phrase
    latest = datasette.query("search_latest", q='"adult social care precept"', outlet="", since="")
    assert by_id(latest) == [11, 10, 1]
    assert by_id(datasette.query("search_latest", q="precept", outlet="mj", since="")) == [2, 1]
    assert "<mark>" in rows[0]["snippet"]
    # porter stemming: "warns" finds "warn"; filters narrow the hits
    assert by_id(datasette.query("search", q="warns closures", outlet="", since="", until="")) == [2]
    assert by_id(datasette.query("search", q="precept", outlet="mj", since="2024-04-02", until="")) == [2]
    # FTS5 syntax typed by accident is searched as words, not parsed (no "syntax error")
    assert set(by_id(datasette.query("search", q='care" AND (', outlet="", since="", until=""))) == {1, 2, 10, 11}


def test_search_box_on_the_articles_table(datasette: Server) -> None:
    data = datasette.get("/archive/articles.json", _search="precept", _shape="objects")
    assert set(by_id(data["rows"])) == {1, 2, 10, 11}
    html = datasette.get("/archive/search", q="precept", outlet="", since="", until="")
    snippets = re.findall(r'<td class="col-snippet[^"]*">(.*?)</td>', html, re.S)
    assert len(snippets) == 4
    assert all("<mark>precept</mark>" in cell.lower() and "&lt;mark" not in cell for cell in snippets)


def test_every_stored_query_runs_with_its_parameters_empty(datasette: Server) -> None:
    for query in CANNED_QUERIES:
        data = datasette.get(f"/archive/{query.name}.json", **dict.fromkeys(query.params, ""))
        assert data["ok"], (query.name, data)
        assert data["rows"] or query.name in ("search", "search_latest", "version_history"), query.name


def test_latest_per_outlet(datasette: Server) -> None:
    rows = datasette.query("latest_per_outlet", per_outlet="2")
    assert [(row["outlet"], row["id"]) for row in rows] == [
        ("herald", 12),
        ("herald", 11),
        ("lgc", 8),
        ("lgc", 7),
        ("mj", 5),
        ("mj", 4),
    ]


def test_articles_per_week(datasette: Server) -> None:
    rows = datasette.query("articles_per_week", outlet="", since="")
    expected: Counter[tuple[str, str]] = Counter()
    for row in ARTICLES:
        if row["published"]:
            day = date.fromisoformat(row["published"][:10])
            expected[(row["outlet"], (day - timedelta(days=day.weekday())).isoformat())] += 1
    assert {(r["outlet"], r["week"]): r["articles"] for r in rows} == dict(expected)
    assert {(r["outlet"], r["week"]): r["originals"] for r in rows}[("herald", "2024-04-01")] == 0
    assert [r["week"] for r in rows] == sorted(r["week"] for r in rows)
    assert {r["outlet"] for r in datasette.query("articles_per_week", outlet="lgc", since="")} == {"lgc"}


def test_teaser_share_and_access_mix(datasette: Server) -> None:
    months = {(r["outlet"], r["month"]): r for r in datasette.query("teaser_share_by_month", outlet="")}
    assert months[("lgc", "2024-04")]["teaser"] == 2
    assert months[("lgc", "2024-04")]["teaser_pct"] == pytest.approx(66.7)
    assert months[("mj", "2024-04")]["subscriber"] == 1
    mix = {r["outlet"]: r for r in datasette.query("access_mix", since="")}
    for outlet, counts in EXPECTED_ACCESS.items():
        assert {kind: mix[outlet][kind] for kind in counts} == counts
    assert mix["lgc"]["articles"] == 4  # the undated article counts in the mix
    assert mix["mj"]["outlet_name"] == "The MJ"


def test_duplicate_clusters(datasette: Server) -> None:
    rows = datasette.query("duplicate_clusters", outlet="")
    assert [(r["cluster"], r["role"], r["id"]) for r in rows] == [(1, "original", 1), (1, "exact", 10), (1, "near", 11)]
    assert rows[2]["similarity"] == pytest.approx(0.87)
    assert datasette.query("duplicate_clusters", outlet="lgc") == []
    assert len(datasette.query("duplicate_clusters", outlet="herald")) == 3


def test_version_history_by_id_or_url(datasette: Server) -> None:
    rows = datasette.query("version_history", article=str(VERSIONED_ID))
    assert [(r["version"], r["state"], r["access"]) for r in rows] == [
        (1, "archived", "teaser"),
        (2, "archived", "free"),
        (3, "current", "free"),
    ]
    assert json.loads(rows[0]["changed"]) == ["text", "access"]
    by_alias = datasette.query("version_history", article="https://mj.example/news/story-5?from=rss")
    assert [r["version"] for r in by_alias] == [1, 2, 3]
    # The URL as a browser shows it: another scheme, www., a trailing slash, tracking parameters.
    pasted = datasette.query("version_history", article="http://www.mj.example/news/story-5/?utm_source=mail")
    assert [r["version"] for r in pasted] == [1, 2, 3]


def test_run_history_and_errors(datasette: Server) -> None:
    history = datasette.query("run_history", limit="")
    assert [r["run"] for r in history] == [2, 1]
    assert history[0]["not_ok"] == "herald: failed"
    assert history[0]["error_kinds"] == "fetch/BadStatus ×2, extract/ExtractError ×1"
    assert history[0]["duration_s"] == 90.0 and history[1]["not_ok"] is None
    errors = datasette.query("run_errors", run="")
    assert [(e["outlet"], e["type"]) for e in errors] == [("herald", "BadStatus")] * 2 + [("herald", "ExtractError")]
    assert datasette.query("run_errors", run="1") == []


def test_facets_default_sort_and_labels(datasette: Server) -> None:
    data = datasette.get("/archive/articles.json", _shape="objects")
    facets = data["facet_results"]
    assert {f["value"]: f["count"] for f in facets["outlet"]["results"]} == {"mj": 5, "lgc": 4, "herald": 3}
    assert {f["value"]: f["count"] for f in facets["access"]["results"]} == {"free": 8, "teaser": 3, "subscriber": 1}
    authors = {f["value"]: f["count"] for f in facets["authors"]["results"]}
    assert authors["Tom Hale"] == 3 and authors["Priya Shah"] == 6
    assert {f["value"] for f in facets["tags"]["results"]} >= {"social care", "council tax", "budgets"}
    published = [row["published"] for row in data["rows"] if row["published"]]
    assert published == sorted(published, reverse=True)  # newest first by default
    filtered = datasette.get("/archive/articles.json", authors__arraycontains="Amelia Brook", _shape="objects")
    assert set(by_id(filtered["rows"])) == {6, 7}
    # label columns: foreign keys show the outlet's name and the article's title
    row = datasette.get("/archive/articles.json", id="6", _shape="objects", _labels="on")["rows"][0]
    assert row["outlet"] == {"value": "lgc", "label": "Local Government Chronicle"}
    version = datasette.get("/archive/versions.json", _shape="objects", _labels="on")["rows"][0]
    assert version["article_id"]["label"] == "Mudfog leader resigns (updated)"


def test_internal_tables_hidden_and_documented(datasette: Server) -> None:
    tables = {t["name"]: t for t in datasette.get("/archive.json")["tables"]}
    for name in ("frontier", "http_cache", "aliases", "outlet_state", "requests", "articles_fts", "articles_fts_data"):
        assert tables[name]["hidden"], name
    for name in ("articles", "outlets", "versions", "runs", "run_outlets", "errors", COUNTS_TABLE):
        assert not tables[name]["hidden"], name
    metadata = datasette.get("/-/metadata.json")
    assert metadata["title"] and metadata["license"]
    columns = metadata["databases"]["archive"]["tables"]["articles"]["columns"]
    for name in ("access", "paywall_declared", "paywall_signals", "duplicate_of", "duplicate_rule", "similarity"):
        assert len(columns[name]) > 30, name
    page = datasette.get("/archive/articles")
    assert "teaser: the publisher served only a preview" in page


def test_the_server_opens_the_archive_read_only(datasette: Server, archive_path: Path) -> None:
    # Live, not immutable: a row written by a run shows up at once.
    writer = sqlite3.connect(archive_path)
    try:
        writer.execute("PRAGMA busy_timeout = 5000")
        writer.execute(
            "INSERT INTO errors (run_id, outlet, url, stage, type, message, at) "
            "VALUES (2, 'mj', 'https://mj.example/x', 'fetch', 'FetchTimeout', 'late', '2024-05-21')"
        )
        writer.commit()
        assert len(datasette.query("run_errors", run="2")) == 4
    finally:
        writer.execute("DELETE FROM errors WHERE type = 'FetchTimeout'")
        writer.commit()
        writer.close()
    # and it cannot write, even with SQL typed by hand
    with pytest.raises(urllib.error.HTTPError):
        datasette.get("/archive.json", sql="DELETE FROM errors")
    assert len(datasette.query("run_errors", run="2")) == 3


def test_charts_page_is_served(datasette: Server) -> None:
    html = datasette.get("/-/charts")
    assert 'id="weekly-chart"' in html and "/archive/articles_per_week.json" in html
    assert 'value="2023-05-' in html  # default range: a year back from the newest article
    assert "Charts" in datasette.get("/")  # in the menu


# --- exports ----------------------------------------------------------------------------------


def stored_articles(path: Path, where: str = "1") -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = []
    for row in conn.execute(f"SELECT * FROM articles WHERE {where} ORDER BY id"):
        record = {k: row[k] for k in row.keys() if k not in SKIPPED_COLUMNS}  # noqa: SIM118
        for column in JSON_COLUMNS:
            record[column] = json.loads(record[column]) if record[column] else None
        rows.append(record)
    conn.close()
    return rows


def run_export(path: Path, *args: str) -> str:
    result = CliRunner().invoke(export, ["--database", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_jsonl_export_round_trips(archive_path: Path) -> None:
    out = run_export(archive_path, "--format", "jsonl")
    records = list(read_jsonl(io.StringIO(out)))
    assert records == stored_articles(archive_path)
    assert records[0]["authors"] == ["Priya Shah", "Tom Hale"]  # arrays, not JSON text
    assert records[2]["paywall_signals"][0]["strength"] == "declared"


def test_csv_export_round_trips(archive_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "articles.csv"
    result = CliRunner().invoke(export, ["--database", str(archive_path), "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exported 12 articles" in result.stderr
    with open(target, encoding="utf-8", newline="") as stream:
        header = stream.readline()
        assert '"authors"' not in header and "authors" in header
        stream.seek(0)
        db = sqlite_utils.Database(archive_path)
        records = list(read_csv(stream, column_types(db)))
        db.close()
    assert records == stored_articles(archive_path)
    assert '"[""Priya Shah"", ""Tom Hale""]"' in target.read_text(encoding="utf-8")  # JSON text in CSV


def test_export_filters(archive_path: Path) -> None:
    ids = [r["id"] for r in read_jsonl(io.StringIO(run_export(archive_path, "--outlet", "lgc", "--access", "teaser")))]
    assert ids == [7, 8]
    ids = [r["id"] for r in read_jsonl(io.StringIO(run_export(archive_path, "--since", "2024-05-01")))]
    assert ids == [5, 9, 12]  # 9 has no date: first seen 2024-05-20
    result = CliRunner().invoke(export, ["--database", str(archive_path), "--outlet", "nope"])
    assert result.exit_code == 2 and "no outlet 'nope'" in result.output
    result = CliRunner().invoke(export, ["--database", str(archive_path), "--since", "last tuesday"])
    assert result.exit_code == 2 and "is not a date" in result.output


def test_export_since_compares_instants_not_text(archive_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "offsets.db"
    shutil.copy(archive_path, path)
    with sqlite3.connect(path) as conn:
        # 04:30 UTC on the 20th, written in New York time; 23:00 UTC on the 19th, written in Cairo time.
        conn.execute("UPDATE articles SET published = '2026-11-19T23:30:00-05:00' WHERE id = 1")
        conn.execute("UPDATE articles SET published = '2026-11-20T01:00:00+02:00' WHERE id = 2")
    conn.close()
    for since in ("2026-11-20T00:00:00+00:00", "2026-11-20", "20261120"):
        ids = [r["id"] for r in read_jsonl(io.StringIO(run_export(path, "--since", since)))]
        assert ids == [1], since


# --- stats and runs ---------------------------------------------------------------------------


def test_stats(archive_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(stats, ["--database", str(archive_path)])
    assert result.exit_code == 0, result.output
    assert "12 articles, 2 earlier versions" in result.stdout
    mj_line = next(line for line in result.stdout.splitlines() if "The MJ (mj)" in line)
    assert re.search(r"│\s*5\s*│\s*3\s*│\s*1\s*│\s*1\s*│\s*20\.0\s*│\s*0\s*│", mj_line), mj_line
    assert "partial" in result.stdout and "herald: failed" in result.stdout
    assert "Errors in run 2" in result.stdout and "ExtractError" in result.stdout
    data = json.loads(CliRunner().invoke(stats, ["--database", str(archive_path), "--json"]).stdout)
    herald = next(o for o in data["outlets"] if o["outlet"] == "herald")
    assert (herald["articles"], herald["duplicates"]) == (3, 2)
    assert next(o for o in data["outlets"] if o["outlet"] == "lgc")["undated"] == 1
    assert data["last_run"]["run"] == 2 and len(data["last_run_errors"]) == 3


def test_runs(archive_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(runs, ["--database", str(archive_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    row2 = next(i for i, line in enumerate(lines) if re.match(r"│\s*2\s*│", line))
    row1 = next(i for i, line in enumerate(lines) if re.match(r"│\s*1\s*│", line))
    assert row2 < row1  # newest first
    assert "1.5 min" in lines[row2] or "1 min 30 s" in lines[row2]
    assert "4 min 10 s" in lines[row1]
    data = json.loads(CliRunner().invoke(runs, ["--database", str(archive_path), "--json", "-n", "1"]).stdout)
    assert [r["run"] for r in data] == [2] and data[0]["errors"] == 3
    detail = CliRunner(env={"COLUMNS": "200"}).invoke(runs, ["--database", str(archive_path), "--run", "2"])
    assert detail.stdout.count("herald.example/news/") == 3
    assert CliRunner().invoke(runs, ["--database", str(archive_path), "--run", "1"]).stdout.strip() == (
        "Run 1 recorded no errors."
    )
    missing = CliRunner().invoke(runs, ["--database", str(archive_path), "--run", "99"])
    assert missing.exit_code == 2 and "no run 99" in missing.output


def test_a_run_whose_process_is_gone_shows_as_killed(archive_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    shutil.copy(archive_path, path)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    with sqlite3.connect(path) as conn:
        for run_id, pid in ((3, dead_pid), (4, os.getpid())):
            conn.execute(
                "INSERT INTO runs (id, started_at, status, pid, outlets) VALUES (?, '2024-05-22T06:00:00+00:00', "
                "'running', ?, '[]')",
                (run_id, pid),
            )
    conn.close()
    db = sqlite_utils.Database(path)
    statuses = {run.run: run.status for run in recent_runs(db)}
    db.close()
    assert statuses[3] == "killed" and statuses[4] == "running"


def test_browse_commands_open_archives_whose_path_has_uri_characters(archive_path: Path, tmp_path: Path) -> None:
    for name in ("h#1", "q?1", "p%41"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(archive_path, folder / "archive.db")
        result = CliRunner(env={"COLUMNS": "200"}).invoke(stats, ["--database", str(folder / "archive.db")])
        assert result.exit_code == 0, (name, result.output)
        assert "12 articles" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h#1", "p%41", "q?1"]  # no stray empty files


def test_stats_and_runs_are_not_cut_to_80_columns_off_a_terminal(archive_path: Path) -> None:
    # Cron mail and files: no terminal, no COLUMNS. The tables keep their dates and numbers whole.
    for command in (stats, runs):
        result = CliRunner(env={"COLUMNS": None}).invoke(command, ["--database", str(archive_path)])
        assert result.exit_code == 0, result.output
        assert "…" not in result.stdout, result.stdout
    assert "4 min 10 s" in CliRunner(env={"COLUMNS": None}).invoke(runs, ["--database", str(archive_path)]).stdout


def test_an_archive_from_before_the_counts_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    archive = Archive.open(path)
    archive.upsert_outlets(OUTLETS)
    with archive.transaction():
        for row in ARTICLES[5:9]:
            archive.insert_article(row)
        # as written by a version without the table (Archive.open may already add it)
        for trigger in COUNTS_TRIGGERS:
            archive.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        archive.db.execute(f"DROP TABLE IF EXISTS {COUNTS_TABLE}")
    archive.close()
    data = json.loads(CliRunner().invoke(stats, ["--database", str(path), "--json"]).stdout)
    lgc = next(o for o in data["outlets"] if o["outlet"] == "lgc")
    assert (lgc["articles"], lgc["teaser"], lgc["undated"]) == (4, 2, 1)  # counted from articles
    _ensure_prepared(path)  # what `scraper serve` does first
    conn = sqlite3.connect(path)
    assert conn.execute(f"SELECT SUM(articles) FROM {COUNTS_TABLE} WHERE outlet = 'lgc'").fetchone()[0] == 4
    conn.close()
    assert json.loads(CliRunner().invoke(stats, ["--database", str(path), "--json"]).stdout) == data


def test_commands_explain_a_missing_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(stats, ["--database", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "no archive here yet" in str(result.exception)


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
)
def test_in_a_browser_table_search_and_charts(datasette: Server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{datasette.url}/archive/articles")
            assert page.locator("table.rows-and-columns tbody tr").count() == len(ARTICLES)
            page.fill("input#_search", "precept")
            page.locator("input#_search").press("Enter")
            page.wait_for_url(re.compile(r"_search=precept"))
            assert page.locator("table.rows-and-columns tbody tr").count() == 4
            page.screenshot(path=str(ARTIFACTS / "browse-search.png"), full_page=True)

            page.goto(f"{datasette.url}/-/charts?since=2024-01-01")
            page.wait_for_selector("#weekly-chart[data-rendered=true]", timeout=10_000)
            page.wait_for_selector("#access-chart[data-rendered=true]", timeout=10_000)
            assert page.locator("#weekly-chart svg polyline.series").count() == 3
            assert page.locator("#weekly-chart svg circle").count() > 10
            bars = page.locator("#access-chart svg rect.bar")
            assert bars.count() == 6  # mj: 3 kinds, lgc: 2, herald: 1
            assert float(bars.first.get_attribute("width") or 0) > 0
            assert page.locator("#weekly-status").inner_text() == ""
            page.screenshot(path=str(ARTIFACTS / "browse-charts.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "browse-charts.png").stat().st_size > 10_000
    assert os.path.getsize(ARTIFACTS / "browse-search.png") > 10_000
