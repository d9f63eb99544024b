"""The archive on its own: schema, full-text search, transactions and the per-archive lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scraper.archive import Archive, ArchiveLock
from scraper.errors import ArchiveError, LockHeld


def article(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "outlet": "mj",
        "url": "https://example.org/a",
        "canonical_url": "https://example.org/a",
        "title": "Councils warn over funding",
        "text": "Chief executives said budgets were stretched.",
        "access": "free",
        "authors": "[]",
        "version": 1,
        "content_hash": "h1",
    }
    row.update(values)
    return row


def test_schema_wal_and_fts(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "a.db")
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    with archive.transaction():
        archive.insert_article(article())
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = set(archive.db.table_names())
    assert {"articles", "versions", "runs", "run_outlets", "errors", "requests", "frontier", "articles_fts"} <= tables
    # porter stemming: "warning" finds "warn", "budget" finds "budgets"
    hits = archive.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'warning budget'").fetchall()
    assert hits == [(1,)]
    archive.close()
    # opening again keeps the data and does not recreate anything
    again = Archive.open(tmp_path / "a.db")
    assert again.db["articles"].count == 1
    assert again.integrity_ok()
    again.close()


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "a.db")
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    with pytest.raises(RuntimeError), archive.transaction():
        archive.insert_article(article())
        raise RuntimeError("crash in the middle of an article")
    assert archive.db["articles"].count == 0
    assert archive.db.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0] == 0


def bulk_rows(count: int) -> list[dict[str, object]]:
    return [
        article(
            url=f"https://example.org/{i}",
            canonical_url=f"https://example.org/{i}",
            title=f"Story {i}",
            text=f"Budget report number{i} for the housing committee.",
            published=f"2024-05-{1 + i % 2:02d}T09:00:00+00:00",
            content_hash=f"h{i}",
        )
        for i in range(count)
    ]


def test_bulk_insert_fires_the_search_and_count_triggers(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "a.db")
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    assert archive.insert_articles(bulk_rows(7), batch_size=3) == 7
    db = archive.db
    assert [r[0] for r in db.execute("SELECT title FROM articles ORDER BY id")] == [f"Story {i}" for i in range(7)]
    hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'number5 committees'").fetchall()
    assert hits == [(6,)]  # stemmed, and the last, partial batch is indexed too
    days = db.execute("SELECT day, articles FROM article_days ORDER BY day").fetchall()
    assert days == [("2024-05-01", 4), ("2024-05-02", 3)]
    assert db.execute("SELECT COUNT(*) FROM temp.articles_staging").fetchone()[0] == 0
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")  # raises if stale
    archive.close()


def test_bulk_insert_commits_whole_batches_and_rejects_unknown_columns(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "a.db")
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    rows = bulk_rows(5)
    rows[3]["canonical_url"] = rows[2]["canonical_url"]  # the unique index refuses the second batch
    with pytest.raises(Exception, match="UNIQUE"):
        archive.insert_articles(rows, batch_size=2)
    assert archive.db["articles"].count == 2  # the first batch stays, the failed one left nothing
    assert archive.db.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0] == 2
    with pytest.raises(ArchiveError, match="no column 'colour'"):
        archive.insert_articles([{**bulk_rows(1)[0], "colour": "red"}])
    assert archive.db["articles"].count == 2
    archive.close()


def test_bulk_insert_as_the_readme_shows_it(tmp_path: Path) -> None:
    # A str path, rows with only the essentials: version and first_seen get their defaults.
    archive = Archive.open(str(tmp_path / "bulk" / "a.db"))
    row = {"outlet": "mj", "url": "https://example.org/1", "canonical_url": "https://example.org/1"}
    rows = [{**row, "title": "Story", "text": "Words.", "access": "free", "fetched_at": "2024-05-01T08:00:00+00:00"}]
    with pytest.raises(ArchiveError, match=r"no outlet 'mj' in `outlets`; add it first \(Archive.upsert_outlets\)"):
        archive.insert_articles(rows)
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    assert archive.insert_articles(rows) == 1
    stored = archive.db.execute("SELECT version, first_seen FROM articles").fetchall()
    assert stored == [(1, "2024-05-01T08:00:00+00:00")]
    archive.close()


def test_one_lock_for_one_archive_whatever_the_path_to_it(tmp_path: Path) -> None:
    # Two configs reaching the same file through a symlink must not run at once.
    Archive.open(tmp_path / "real" / "archive.db").close()
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "archive.db").symlink_to(tmp_path / "real" / "archive.db")
    first = ArchiveLock(tmp_path / "real" / "archive.db")
    first.acquire()
    try:
        with pytest.raises(LockHeld):
            ArchiveLock(tmp_path / "link" / "archive.db").acquire()
    finally:
        first.release()


def test_a_version_1_archive_forgets_its_discovery_validators_once(tmp_path: Path) -> None:
    # Version 1 kept sitemap indexes' validators, so an unchanged index hid new child sitemaps.
    archive = Archive.open(tmp_path / "a.db")
    archive.save_validators({"https://example.org/sitemap.xml": ('"v1"', None)})
    archive.db.execute("PRAGMA user_version = 1")
    archive.close()
    archive = Archive.open(tmp_path / "a.db")
    assert archive.validators() == {}
    assert archive.db.execute("PRAGMA user_version").fetchone()[0] == 2
    archive.save_validators({"https://example.org/sitemap.xml": ('"v2"', None)})
    archive.close()
    archive = Archive.open(tmp_path / "a.db")  # a current archive keeps them
    assert archive.validators() == {"https://example.org/sitemap.xml": ('"v2"', None)}
    archive.close()


def test_read_only_open_of_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive here yet"):
        Archive.open(tmp_path / "missing.db", read_only=True)


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        Archive.open(bad)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from scraper.archive import ArchiveLock
    lock = ArchiveLock(Path(sys.argv[1]))
    lock.acquire()
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_lock_between_two_processes_and_release_on_death(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld, match=rf"pid {holder.pid}.*--wait"):
            ArchiveLock(db).acquire()
        with pytest.raises(LockHeld):
            ArchiveLock(db).acquire(wait=True, timeout=0.5)
    finally:
        holder.kill()  # SIGKILL: the OS drops the lock with the process, no stale lock file
        holder.wait()
    lock = ArchiveLock(db)
    lock.acquire()
    lock.release()


def test_wait_gets_the_lock_when_the_holder_finishes(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "1"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    lock = ArchiveLock(db)
    lock.acquire(wait=True, timeout=30)
    lock.release()
    holder.wait()


def test_revisit_window_reads_publisher_offsets(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    archive = Archive.open(tmp_path / "a.db")
    archive.upsert_outlets([{"slug": "mj", "name": "The MJ", "home": "https://example.org/"}])
    now = datetime(2025, 10, 2, 12, 0, tzinfo=UTC)
    with archive.transaction():
        # 12:30 in London (+01:00) is 11:30 UTC: inside a one-hour window ending at 12:00 UTC
        archive.insert_article(article(canonical_url="https://example.org/a", published="2025-10-02T12:30:00+01:00"))
        # 11:30 in New York (-04:00) is 15:30 UTC the same day: also inside (published "later")
        archive.insert_article(
            article(canonical_url="https://example.org/b", published="2025-10-02T11:30:00-04:00", content_hash="h2")
        )
        # 11:30 in London is 10:30 UTC: outside, although its text "11:30" reads later than "11:00"
        archive.insert_article(
            article(canonical_url="https://example.org/c", published="2025-10-02T11:30:00+01:00", content_hash="h3")
        )
    found = sorted(archive.revisit_candidates("mj", 1 / 24, now=now))
    assert found == ["https://example.org/a", "https://example.org/b"]
    archive.close()
