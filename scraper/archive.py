"""The SQLite archive: schema, the per-run lock, and the writes of one run.

Every article is written in one transaction together with the run's bookkeeping
(frontier row, per-outlet counters), so a run killed at any moment leaves a valid
archive that the next run continues without duplicates. See docs/archive.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from .browse.schema import prepare_for_datasette
from .errors import ArchiveError, LockHeld

SCHEMA_VERSION = 2
GIVE_UP_AFTER = 3  # failures (404/410, redirects home) after which revisits and rediscovery leave a URL alone

# Counters kept per run and outlet; names are what `scraper run` prints.
COUNTERS = ("discovered", "fetched", "new", "updated", "unchanged", "duplicates", "teasers", "errors")


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class StoredArticle:
    """The archived state of an article that the pipeline compares a new fetch against."""

    id: int
    canonical_url: str
    title: str | None
    text: str
    access: str
    content_hash: str
    version: int
    etag: str | None
    last_modified: str | None


def read_only_uri(path: Path) -> str:
    """SQLite's read-only URI for `path`: as_uri() quotes '#', '?' and '%', which a bare
    f"file:{path}" would read as the URI's fragment, query or an escape (another, empty file)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


class ArchiveLock:
    """An OS file lock (flock) beside the database; it dies with the process, so it never goes stale."""

    def __init__(self, database: Path) -> None:
        # Resolved, so that two configs reaching one archive through a symlink take the same lock.
        database = Path(database).resolve()
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False, timeout: float | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    holder = self._holder()
                    os.close(fd)
                    raise LockHeld(
                        f"{self.path.with_suffix('')}: another scraper run{holder} is using this archive; "
                        "try again later or pass --wait"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def _holder(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            return f" (pid {int(self.path.read_text().strip())})"
        return ""

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Archive:
    """The archive database. Open with Archive.open(path); every write method is one transaction."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path
        self.run_id: int | None = None
        # Request log and WARC payload rows waiting for the next transaction, so they commit with the
        # article they belong to.
        self.request_buffer: list[dict[str, Any]] = []
        self.payload_buffer: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Archive:
        path = Path(path)
        try:
            if read_only:
                if not path.exists():
                    raise ArchiveError(f"{path}: no archive here yet; run `scraper run` first")
                conn = sqlite3.connect(read_only_uri(path), uri=True)
                return cls(sqlite_utils.Database(conn), path)
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite_utils.Database(path)
            db.conn.execute("PRAGMA busy_timeout = 10000")
            db.enable_wal()
            db.conn.execute("PRAGMA synchronous = NORMAL")
            db.conn.execute("PRAGMA foreign_keys = ON")
            archive = cls(db, path)
            archive.ensure_schema()
            return archive
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{path}: cannot open the archive: {exc}") from None

    def close(self) -> None:
        self.db.close()

    # --- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        db = self.db
        with db.atomic():
            db.table("outlets").create({"slug": str, "name": str, "home": str}, pk="slug", if_not_exists=True)
            db.table("runs").create(
                {
                    "id": int,
                    "started_at": str,
                    "finished_at": str,
                    "status": str,
                    "pid": int,
                    "outlets": str,
                    "duration_s": float,
                    "message": str,
                    **dict.fromkeys(COUNTERS, int),
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("articles").create(
                {
                    "id": int,
                    "outlet": str,
                    "url": str,
                    "canonical_url": str,
                    "title": str,
                    "description": str,
                    "authors": str,
                    "published": str,
                    "modified": str,
                    "section": str,
                    "tags": str,
                    "language": str,
                    "text": str,
                    "word_count": int,
                    "access": str,
                    "paywall_declared": int,
                    "paywall_signals": str,
                    "content_hash": str,
                    "duplicate_of": int,
                    "duplicate_rule": str,
                    "similarity": float,
                    "version": int,
                    "first_seen": str,
                    "fetched_at": str,
                    "last_checked": str,
                    "etag": str,
                    "last_modified": str,
                    "warc_file": str,
                    "warc_offset": int,
                    "run_id": int,
                },
                pk="id",
                foreign_keys=[("outlet", "outlets", "slug"), ("duplicate_of", "articles", "id")],
                if_not_exists=True,
            )
            db.table("versions").create(
                {
                    "id": int,
                    "article_id": int,
                    "version": int,
                    "title": str,
                    "text": str,
                    "access": str,
                    "content_hash": str,
                    "fetched_at": str,
                    "replaced_at": str,
                    "changed": str,
                },
                pk="id",
                foreign_keys=[("article_id", "articles", "id")],
                if_not_exists=True,
            )
            db.table("aliases").create(
                {"url": str, "article_id": int},
                pk="url",
                foreign_keys=[("article_id", "articles", "id")],
                if_not_exists=True,
            )
            db.table("frontier").create(
                {
                    "url": str,
                    "fetch_url": str,
                    "outlet": str,
                    "found_via": str,
                    "lastmod": str,
                    "discovered_at": str,
                    "status": str,
                    "attempts": int,
                    "last_error": str,
                },
                pk="url",
                if_not_exists=True,
            )
            db.table("http_cache").create(
                {"url": str, "etag": str, "last_modified": str, "checked_at": str}, pk="url", if_not_exists=True
            )
            db.table("outlet_state").create(
                {"outlet": str, "last_run_started": str, "last_run_finished": str, "subscription": int},
                pk="outlet",
                if_not_exists=True,
            )
            db.table("run_outlets").create(
                {"run_id": int, "outlet": str, "status": str, **dict.fromkeys(COUNTERS, int)},
                pk=("run_id", "outlet"),
                foreign_keys=[("run_id", "runs", "id")],
                if_not_exists=True,
            )
            db.table("errors").create(
                {
                    "id": int,
                    "run_id": int,
                    "outlet": str,
                    "url": str,
                    "stage": str,
                    "type": str,
                    "message": str,
                    "at": str,
                },
                pk="id",
                foreign_keys=[("run_id", "runs", "id")],
                if_not_exists=True,
            )
            db.table("requests").create(
                {
                    "id": int,
                    "run_id": int,
                    "url": str,
                    "method": str,
                    "status": int,
                    "bytes": int,
                    "elapsed_ms": float,
                    "error": str,
                    "at": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("warc_payloads").create(
                {"digest": str, "uri": str, "date": str, "record_id": str, "file": str, "offset": int},
                pk="digest",
                if_not_exists=True,
            )
            for table, columns, unique in (
                ("articles", ["canonical_url"], True),
                ("articles", ["outlet", "published"], False),
                ("articles", ["published"], False),
                ("articles", ["access"], False),
                ("articles", ["content_hash"], False),
                ("articles", ["duplicate_of"], False),
                ("versions", ["article_id"], False),
                ("frontier", ["outlet", "status"], False),
                ("errors", ["run_id"], False),
                ("requests", ["run_id"], False),
            ):
                db.table(table).create_index(columns, unique=unique, if_not_exists=True)
        if not db.table("articles_fts").exists():
            db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
        prepare_for_datasette(db)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < 2:
            # Version 1 kept the validators of sitemap indexes, so an unchanged index answered 304
            # and new child sitemaps were never read: every discovery source is fetched in full once.
            with db.atomic():
                db.execute("DELETE FROM http_cache")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # --- outlets and runs --------------------------------------------------------------------

    def upsert_outlets(self, outlets: Iterable[Mapping[str, str]]) -> None:
        with self.transaction():
            self.db.table("outlets").upsert_all([dict(o) for o in outlets], pk="slug")

    def start_run(self, outlets: list[str]) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO runs (started_at, status, pid, outlets) VALUES (?, 'running', ?, ?)",
                [utc_now(), os.getpid(), json.dumps(outlets)],
            )
            # A run that died without finishing (kill -9) is marked so, not left "running".
            self.db.execute(
                "UPDATE runs SET status = 'killed' WHERE status = 'running' AND id != ?", [cursor.lastrowid]
            )
        assert cursor.lastrowid is not None
        self.run_id = cursor.lastrowid
        return cursor.lastrowid

    def start_outlet(self, run_id: int, outlet: str, *, scheduled: bool = True) -> None:
        """Open the outlet's row of the run. `scheduled` runs (fetching) also move the outlet's
        `every` clock in outlet_state; offline jobs (reextract, import-warc) leave it alone."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO run_outlets (run_id, outlet, status, "
                + ", ".join(COUNTERS)
                + ") VALUES (?, ?, 'running', "
                + ", ".join("0" for _ in COUNTERS)
                + ")",
                [run_id, outlet],
            )
            if not scheduled:
                return
            self.db.execute(
                "INSERT INTO outlet_state (outlet, last_run_started) VALUES (?, ?) "
                "ON CONFLICT(outlet) DO UPDATE SET last_run_started = excluded.last_run_started",
                [outlet, utc_now()],
            )

    def bump(self, run_id: int, outlet: str, **counts: int) -> None:
        """Add to the run's counters; call inside the article's transaction."""
        if not counts:
            return
        unknown = set(counts) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown counters {sorted(unknown)}")
        assignments = ", ".join(f"{name} = {name} + ?" for name in counts)
        self.db.execute(
            f"UPDATE run_outlets SET {assignments} WHERE run_id = ? AND outlet = ?",
            [*counts.values(), run_id, outlet],
        )

    def finish_outlet(self, run_id: int, outlet: str, status: str, *, scheduled: bool = True) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE run_outlets SET status = ? WHERE run_id = ? AND outlet = ?", [status, run_id, outlet]
            )
            if scheduled and status in ("ok", "partial"):
                self.db.execute("UPDATE outlet_state SET last_run_finished = ? WHERE outlet = ?", [utc_now(), outlet])

    def finish_run(self, run_id: int, status: str, message: str = "") -> dict[str, int]:
        with self.transaction():
            totals = self.db.execute(
                "SELECT "
                + ", ".join(f"COALESCE(SUM({name}), 0)" for name in COUNTERS)
                + " FROM run_outlets WHERE run_id = ?",
                [run_id],
            ).fetchone()
            counts = dict(zip(COUNTERS, totals, strict=True))
            started = self.db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()[0]
            finished = utc_now()
            duration = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, message = ?, duration_s = ?, "
                + ", ".join(f"{name} = ?" for name in COUNTERS)
                + " WHERE id = ?",
                [finished, status, message, duration, *counts.values(), run_id],
            )
        return counts

    def outlet_counts(self, run_id: int) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT outlet, status, " + ", ".join(COUNTERS) + " FROM run_outlets WHERE run_id = ?", [run_id]
        ).fetchall()
        return {row[0]: {"status": row[1], **dict(zip(COUNTERS, row[2:], strict=True))} for row in rows}

    def last_finished(self, outlet: str) -> datetime | None:
        row = self.db.execute("SELECT last_run_finished FROM outlet_state WHERE outlet = ?", [outlet]).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def record_error(self, run_id: int, outlet: str, url: str, stage: str, kind: str, message: str) -> None:
        """Call inside a transaction (the article's, or its own)."""
        self.db.execute(
            "INSERT INTO errors (run_id, outlet, url, stage, type, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [run_id, outlet, url, stage, kind, message[:2000], utc_now()],
        )

    def _flush_buffers(self) -> None:
        rows, self.request_buffer = self.request_buffer, []
        if rows:
            self.db.table("requests").insert_all([{"run_id": self.run_id, **row} for row in rows])
        payloads, self.payload_buffer = self.payload_buffer, {}
        if payloads:
            self.db.table("warc_payloads").insert_all(payloads.values(), ignore=True)

    def seen_payload(self, digest: str) -> tuple[str, str, str] | None:
        """(URI, date, record id) of a WARC record that already holds this payload."""
        row = self.payload_buffer.get(digest)
        if row is not None:
            return row["uri"], row["date"], row["record_id"]
        found = self.db.execute("SELECT uri, date, record_id FROM warc_payloads WHERE digest = ?", [digest]).fetchone()
        return (found[0], found[1], found[2]) if found else None

    def payload_location(self, digest: str) -> tuple[str, int] | None:
        found = self.db.execute("SELECT file, offset FROM warc_payloads WHERE digest = ?", [digest]).fetchone()
        return (found[0], int(found[1])) if found else None

    # --- discovery state ---------------------------------------------------------------------

    def validators(self) -> dict[str, tuple[str | None, str | None]]:
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute("SELECT url, etag, last_modified FROM http_cache").fetchall()
        }

    def save_validators(
        self,
        validators: Mapping[str, tuple[str | None, str | None]],
        previous: Mapping[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        """Store discovery's validators: `validators` is the mapping `validators()` gave, as discovery
        left it; `previous` is a copy taken before discovery (default: the table as it is now). Only
        the differences are written: new or changed entries upserted, and entries discovery removed
        (a 404 source, an answer without validators) deleted, so that a stale ETag is not sent
        again. Writing only the differences also keeps outlets that run side by side, each with its
        own copy, from putting back or deleting each other's entries."""
        now = utc_now()
        with self.transaction():
            if previous is None:
                previous = self.validators()
            changed = {url: value for url, value in validators.items() if previous.get(url) != value}
            removed = [url for url in previous if url not in validators]
            rows = [
                {"url": url, "etag": etag, "last_modified": modified, "checked_at": now}
                for url, (etag, modified) in changed.items()
            ]
            if rows:
                self.db.table("http_cache").upsert_all(rows, pk="url")
            for url in removed:
                self.db.execute("DELETE FROM http_cache WHERE url = ?", [url])

    def known(self, canonical_url: str) -> int | None:
        """The article id a canonical URL is archived under, if any."""
        row = self.db.execute("SELECT article_id FROM aliases WHERE url = ?", [canonical_url]).fetchone()
        return int(row[0]) if row else None

    def same_story_rows(self, first: int, second: int | None) -> bool:
        """Whether two article rows are one story: one is archived as a duplicate of the other."""
        if second is None:
            return False
        row = self.db.execute(
            "SELECT 1 FROM articles WHERE (id = ? AND duplicate_of = ?) OR (id = ? AND duplicate_of = ?)",
            [first, second, second, first],
        ).fetchone()
        return row is not None

    def only_redirected_to(self, url: str) -> bool:
        """Whether a URL known in `aliases` was never queued itself: the archive reached it only as
        where other URLs led (a redirect's target, a declared canonical), not as a page of its own."""
        return self.db.execute("SELECT 1 FROM frontier WHERE url = ?", [url]).fetchone() is None

    def enqueue(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Add URLs to the frontier, keyed by canonical URL (`url`), with the URL to fetch (`fetch_url`),
        outlet, found_via and lastmod; returns how many were new. URLs already in the frontier are
        kept as they are, except that a `failed` one seen again is tried again until it has failed
        GIVE_UP_AFTER times: a 403/404/410 is often passing (an embargo, a CDN not yet in step), and
        the publisher listing the URL again says it should exist."""
        now = utc_now()
        added = 0
        with self.transaction():
            for row in rows:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO frontier (url, fetch_url, outlet, found_via, lastmod, discovered_at, "
                    "status, attempts) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0)",
                    [row["url"], row["fetch_url"], row["outlet"], row["found_via"], row.get("lastmod"), now],
                )
                if cursor.rowcount:
                    added += cursor.rowcount
                    continue
                self.db.execute(
                    "UPDATE frontier SET status = 'pending' WHERE url = ? AND status = 'failed' "
                    f"AND attempts < {GIVE_UP_AFTER}",
                    [row["url"]],
                )
        return added

    def enqueue_done(self, url: str, fetch_url: str, outlet: str, found_via: str) -> None:
        """Record a URL that is already archived (e.g. imported), so discovery never queues it again."""
        self.db.execute(
            "INSERT INTO frontier (url, fetch_url, outlet, found_via, discovered_at, status, attempts) "
            "VALUES (?, ?, ?, ?, ?, 'done', 0) ON CONFLICT(url) DO UPDATE SET status = 'done', attempts = 0",
            [url, fetch_url, outlet, found_via, utc_now()],
        )

    def requeue(self, urls: Iterable[str], found_via: str) -> None:
        """Queue archived articles again, named by any URL in `aliases` (say `canonical_url`). The
        frontier is keyed by the URL discovered, which is often not the canonical URL the page
        declared, so the frontier rows are found through the article's aliases. One row per
        article is queued (the first discovered that has not been given up); nothing is queued when
        one is pending already."""
        with self.transaction():
            for url in urls:
                row = self.db.execute(
                    "SELECT f.url FROM aliases a JOIN aliases b ON b.article_id = a.article_id "
                    "JOIN frontier f ON f.url = b.url WHERE a.url = ? "
                    "ORDER BY f.status != 'pending', "
                    f"f.status = 'failed' AND f.attempts >= {GIVE_UP_AFTER}, f.discovered_at, f.url LIMIT 1",
                    [url],
                ).fetchone()
                self.db.execute(
                    # A page that failed for good (404, 410) three times in a row is left alone.
                    "UPDATE frontier SET status = 'pending', found_via = ? WHERE url = ? AND status != 'pending' "
                    f"AND NOT (status = 'failed' AND attempts >= {GIVE_UP_AFTER})",
                    [found_via, row[0] if row else url],
                )

    def pending(self, outlet: str, limit: int | None = None) -> list[tuple[str, str]]:
        """(canonical URL, URL to fetch) of the outlet's pending frontier entries: fresh ones first,
        newest first; those that failed for passing reasons (5xx, timeouts) come after, and are
        never given up, since a server that is down today is usually back tomorrow."""
        sql = (
            "SELECT url, fetch_url FROM frontier WHERE outlet = ? AND status = 'pending' "
            "ORDER BY attempts, COALESCE(lastmod, '') DESC, discovered_at, url"
        )
        params: list[Any] = [outlet]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(row[0], row[1]) for row in self.db.execute(sql, params).fetchall()]

    def mark(self, url: str, status: str, error: str | None = None, *, attempt: bool = True) -> None:
        """Call inside the article's transaction. `attempts` counts failures in a row: a success resets
        it, so that an archived article stays revisitable run after run. `attempt=False` leaves the
        count alone (the URL was not tried: its host was backed off)."""
        self.db.execute(
            "UPDATE frontier SET status = ?, last_error = ?, attempts = CASE WHEN ? = 'done' THEN 0 "
            "WHEN ? THEN attempts + 1 ELSE attempts END WHERE url = ?",
            [status, error, status, attempt, url],
        )

    def revisit_candidates(self, outlet: str, days: float, now: datetime | None = None) -> list[str]:
        """Canonical URLs of the outlet's stories published (or first seen) within `days`."""
        since = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
        # julianday() reads the publisher's UTC offset, so "09:30+01:00" and "08:30+00:00" compare equal.
        rows = self.db.execute(
            "SELECT canonical_url FROM articles WHERE outlet = ? AND duplicate_of IS NULL "
            "AND julianday(COALESCE(published, first_seen)) >= julianday(?)",
            [outlet, since],
        ).fetchall()
        return [row[0] for row in rows]

    def teaser_urls(self, outlet: str) -> list[str]:
        rows = self.db.execute(
            "SELECT canonical_url FROM articles WHERE outlet = ? AND access = 'teaser'", [outlet]
        ).fetchall()
        return [row[0] for row in rows]

    # --- articles ----------------------------------------------------------------------------

    def stored(self, article_id: int) -> StoredArticle:
        row = self.db.execute(
            "SELECT id, canonical_url, title, text, access, content_hash, version, etag, last_modified "
            "FROM articles WHERE id = ?",
            [article_id],
        ).fetchone()
        return StoredArticle(*row)

    def validators_for(self, canonical_url: str) -> tuple[str | None, str | None]:
        row = self.db.execute(
            "SELECT a.etag, a.last_modified FROM aliases l JOIN articles a ON a.id = l.article_id WHERE l.url = ?",
            [canonical_url],
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def first_with_hash(self, content_hash: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND duplicate_of IS NULL ORDER BY id LIMIT 1",
            [content_hash],
        ).fetchone()
        return int(row[0]) if row else None

    def insert_article(self, row: Mapping[str, Any]) -> int:
        """Insert a new article row; call inside the article's transaction."""
        table = self.db.table("articles")
        table.insert(dict(row))
        assert table.last_pk is not None
        return int(table.last_pk)

    def insert_articles(self, rows: Iterable[Mapping[str, Any]], *, batch_size: int = 5_000) -> int:
        """Bulk-load article rows that need no deduplication (say, from another archive), one
        transaction per `batch_size` rows; returns how many were inserted.

        Each batch is staged in a temporary table and moved into `articles` by one INSERT ... SELECT,
        so the full-text and daily-counts triggers fire as for any insert. One statement per batch
        matters: FTS5 writes the terms it has gathered as a new index segment at every statement
        savepoint, so a statement per row would write a segment per article and merge them all
        later, about twice the work (benchmarks/archive.py).

        Rows are stored as given, except that a missing `version` is 1 and a missing `first_seen`
        is `fetched_at` (else now). Each row's `outlet` must be in `outlets` (upsert_outlets).
        Nothing is derived from the text: no deduplication, aliases or content hash."""
        known = set(self.db.table("articles").columns_dict)
        inserted = 0
        for batch in _batches(rows, batch_size):
            columns = list(dict.fromkeys(column for row in batch for column in row))
            if unknown := [column for column in columns if column not in known]:
                raise ArchiveError(f"{self.path}: articles has no column {', '.join(map(repr, unknown))}")
            names = ", ".join(f'"{column}"' for column in columns)
            moved = ", ".join(f'"{column}"' for column in dict.fromkeys([*columns, "version", "first_seen"]))
            values = ", ".join(
                "COALESCE(version, 1)"
                if column == "version"
                else "COALESCE(first_seen, fetched_at, ?)"
                if column == "first_seen"
                else f'"{column}"'
                for column in dict.fromkeys([*columns, "version", "first_seen"])
            )
            outlets = {str(row.get("outlet")) for row in batch}
            if missing := outlets - {row[0] for row in self.db.execute("SELECT slug FROM outlets")}:
                raise ArchiveError(
                    f"{self.path}: no outlet {', '.join(map(repr, sorted(missing)))} in `outlets`; "
                    "add it first (Archive.upsert_outlets)"
                )
            with self.transaction():
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS articles_staging AS SELECT * FROM articles WHERE 0")
                self.db.conn.executemany(
                    f"INSERT INTO temp.articles_staging ({names}) VALUES ({', '.join('?' for _ in columns)})",
                    [tuple(row.get(column) for column in columns) for row in batch],
                )
                self.db.execute(
                    f"INSERT INTO articles ({moved}) SELECT {values} FROM temp.articles_staging", [utc_now()]
                )
                self.db.execute("DELETE FROM temp.articles_staging")
            inserted += len(batch)
        return inserted

    def add_alias(self, url: str, article_id: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO aliases (url, article_id) VALUES (?, ?)", [url, article_id])

    def new_version(self, old: StoredArticle, changed: tuple[str, ...], update: Mapping[str, Any]) -> None:
        """Keep the old text in `versions` and put the new one in `articles`; inside the transaction."""
        old_fetched = self.db.execute("SELECT fetched_at FROM articles WHERE id = ?", [old.id]).fetchone()[0]
        self.db.table("versions").insert(
            {
                "article_id": old.id,
                "version": old.version,
                "title": old.title,
                "text": old.text,
                "access": old.access,
                "content_hash": old.content_hash,
                "fetched_at": old_fetched,
                "replaced_at": utc_now(),
                "changed": json.dumps(list(changed)),
            }
        )
        self.update_article(old.id, {**update, "version": old.version + 1})

    def update_article(self, article_id: int, values: Mapping[str, Any]) -> None:
        self.db.table("articles").update(article_id, dict(values))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; the request log gathered since the last one commits with it."""
        with self.db.atomic():
            yield
            self._flush_buffers()

    def integrity_ok(self) -> bool:
        return bool(self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
