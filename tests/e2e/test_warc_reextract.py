"""Issue #8: the raw WARC archive written by a real run, re-extraction from it without the network,
and import of WARC files made elsewhere."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.extract import extract_article
from scraper.sample_outlet import SESSION_COOKIE, SampleServer, Site, build_site
from tests.helpers import rows, run_scraper, write_config


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    """warcio's own command line (the standard tool), not our reader."""
    return subprocess.run([sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(seed=31, articles=20)


@pytest.fixture(scope="module")
def archived(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warc-run")
    with SampleServer(site) as server:
        config = write_config(folder, {"sample": server.url})
        result = run_scraper("run", "--config", str(config))
        assert result.returncode == 0, result.stderr
    return folder


def test_every_article_points_at_a_readable_warc_record(archived: Path) -> None:
    db = archived / "archive.db"
    stored = rows(db, "SELECT url, text, warc_file, warc_offset FROM articles")
    assert stored and all(row[2] for row in stored)
    for url, text, warc_file, offset in stored:
        with open(archived / "warc" / str(warc_file), "rb") as stream:
            stream.seek(int(offset))  # type: ignore[call-overload]
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_type in ("response", "revisit")
            assert record.rec_headers.get_header("WARC-Target-URI") == url
            body = record.content_stream().read()
        if record.rec_type == "response":
            assert extract_article(body.decode("utf-8"), str(url)).text == text


def test_warc_files_pass_warcio_index_and_check(archived: Path) -> None:
    files = sorted((archived / "warc").glob("*.warc.gz"))
    assert files
    check = warcio("check", *map(str, files))
    assert check.returncode == 0, check.stdout + check.stderr
    index = warcio("index", "-f", "warc-target-uri", *map(str, files))
    assert index.returncode == 0, index.stderr
    uris = {json.loads(line).get("warc-target-uri", "") for line in index.stdout.splitlines() if line.strip()}
    assert any(uri.endswith("/robots.txt") for uri in uris)  # robots.txt and discovery answers are archived too
    assert any("sitemap" in uri for uri in uris)


def test_reextract_changes_nothing_with_the_same_rules_and_versions_with_new_ones(archived: Path, site: Site) -> None:
    db = archived / "archive.db"
    config = archived / "config.toml"
    before = rows(db, "SELECT id, text FROM articles ORDER BY id")
    same = run_scraper("reextract", "--config", str(config), "--json")
    assert same.returncode == 0, same.stderr
    counts = json.loads(same.stdout)["counts"]
    assert counts == {"unchanged": len(before)}
    assert rows(db, "SELECT id, text FROM articles ORDER BY id") == before
    # A new rule: drop one phrase that appears in one stored text.
    target = next(a for a in site.allowed_articles if a.access == "free" and not a.duplicate_of)
    line = target.paragraphs[-1]
    config.write_text(config.read_text() + f"[outlets.sample.extract]\ndrop_phrases = [{json.dumps(line)}]\n")
    changed = run_scraper("reextract", "--config", str(config), "--outlet", "sample", "--json")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["counts"].get("updated") == 1
    text, version = rows(db, "SELECT text, version FROM articles WHERE title = ?", target.title)[0]
    assert line not in str(text) and version == 2
    assert [r[0] for r in rows(db, "SELECT changed FROM versions")] == ['["text"]']


def test_reextract_since_compares_instants_and_refuses_a_non_date(archived: Path) -> None:
    db = archived / "archive.db"
    config = str(archived / "config.toml")
    (first, first_published), (second, second_published) = rows(db, "SELECT id, published FROM articles LIMIT 2")
    with sqlite3.connect(db) as conn:
        # 04:30 UTC on 1 Jan 2099, written in New York time (before the bound as text, after it in time).
        conn.execute("UPDATE articles SET published = '2098-12-31T23:30:00-05:00' WHERE id = ?", (first,))
        conn.execute("UPDATE articles SET published = '2099-01-01T02:00:00+00:00' WHERE id = ?", (second,))
    conn.close()
    try:
        result = run_scraper("reextract", "--config", config, "--since", "2099-01-01T00:00:00+00:00", "--json")
        assert result.returncode == 0, result.stderr
        assert sum(json.loads(result.stdout)["counts"].values()) == 2
    finally:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE articles SET published = ? WHERE id = ?", (first_published, first))
            conn.execute("UPDATE articles SET published = ? WHERE id = ?", (second_published, second))
        conn.close()
    refused = run_scraper("reextract", "--config", config, "--since", "last tuesday")
    assert refused.returncode == 2 and "is not a date" in refused.stderr


def test_reextract_leaves_the_outlets_fetch_schedule_alone(archived: Path) -> None:
    # `every` counts from the last run that fetched: an offline job must not make cron skip the next fetch.
    db = archived / "archive.db"
    before = rows(db, "SELECT outlet, last_run_started, last_run_finished FROM outlet_state")
    assert before and all(row[2] for row in before)
    result = run_scraper("reextract", "--config", str(archived / "config.toml"), "--json")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT outlet, last_run_started, last_run_finished FROM outlet_state") == before
    # `scraper runs` names the job beside its status, not under "What failed".
    listing = run_scraper("runs", "--config", str(archived / "config.toml"))
    line = next(line for line in listing.stdout.splitlines() if "reextract" in line)
    assert "ok (reextract)" in line and line.rstrip(" │").endswith("-"), line


def test_import_warc_from_another_capture(archived: Path, tmp_path: Path, site: Site) -> None:
    files = sorted((archived / "warc").glob("*.warc.gz"))
    source = rows(archived / "archive.db", "SELECT url FROM articles")[0][0]
    home = str(source).rsplit("/", 1)[0] + "/"
    config = write_config(tmp_path, {"sample": home})
    result = run_scraper("import-warc", *map(str, files), "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    imported = {row[0] for row in rows(tmp_path / "archive.db", "SELECT canonical_url FROM articles")}
    original = {row[0] for row in rows(archived / "archive.db", "SELECT canonical_url FROM articles")}
    assert imported == original
    # importing the same files again adds nothing
    again = run_scraper("import-warc", *map(str, files), "--config", str(config), "--json")
    assert json.loads(again.stdout)["counts"].get("new", 0) == 0
    assert rows(tmp_path / "archive.db", "SELECT COUNT(*) FROM articles")[0][0] == len(original)
    # A page, or a gzip'ed page, is no WARC file: refused with a message, nothing read.
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Not a WARC file at all.</p></body></html>")
    zipped = tmp_path / "page.html.gz"
    zipped.write_bytes(gzip.compress(page.read_bytes()))
    for path in (page, zipped):
        refused = run_scraper("import-warc", str(path), "--config", str(config))
        assert refused.returncode == 1, refused.stderr
        assert f"{path}: not a WARC or ARC file" in refused.stderr


def test_session_cookies_never_reach_the_warc(tmp_path: Path) -> None:
    site = build_site(seed=32, articles=8)
    with SampleServer(site) as server:
        cookies = server.cookies_txt(tmp_path / "cookies.txt")
        token = cookies.read_text().split()[-1]
        config = write_config(tmp_path, {"sample": server.url})
        config.write_text(config.read_text() + '[outlets.sample.login]\ncookies_file = "cookies.txt"\n')
        result = run_scraper("run", "--config", str(config))
        assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "archive.db", "SELECT COUNT(*) FROM articles WHERE access = 'subscriber'")[0][0] > 0
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "warc").glob("*.warc.gz"))
    assert raw and token.encode() not in raw
    assert SESSION_COOKIE.encode() + b"=" + token.encode() not in raw
