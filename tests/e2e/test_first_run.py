"""Issue #2 end to end: the real `scraper` command against the sample outlet on 127.0.0.1,
a real SQLite archive, and a real Datasette reading it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scraper.sample_outlet import PROMPT_LINES, SampleServer, Site, build_site
from tests.helpers import free_port, rows, run_scraper, write_config

BOILERPLATE = (
    "cookie",
    "newsletter",
    "Apply for this job",
    "Sample Media Group Limited",
    "Read More News",
    "Share this article",
    "Related articles",
)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(seed=7, articles=70)


@pytest.fixture(scope="module")
def archived(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, SampleServer]]:
    tmp_path = tmp_path_factory.mktemp("first-run")
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        first = run_scraper("run", "--config", str(config))
        assert first.returncode == 0, first.stdout + first.stderr
        assert "sample: ok; discovered" in first.stdout
        yield tmp_path / "archive.db", server


def test_archives_clean_articles_with_metadata(archived: tuple[Path, SampleServer], site: Site) -> None:
    db, _ = archived
    articles = rows(db, "SELECT * FROM articles WHERE duplicate_of IS NULL")
    assert len(articles) >= 50
    by_title = {a.title: a for a in site.articles}
    matched = 0
    for row in articles:
        assert row["title"] and row["text"] and row["published"], dict(row)
        assert json.loads(row["authors"]), row["url"]
        truth = by_title.get(row["title"])
        if truth is None:
            continue
        matched += 1
        assert json.loads(row["authors"]) == list(truth.authors)
        assert row["published"][:16] == truth.published_iso[:16]
        expected = truth.teaser_text if row["access"] == "teaser" else truth.text
        # every public paragraph, subheading and list item is kept, each on its own line
        lines = set(row["text"].splitlines())
        for line in filter(None, expected.splitlines()):
            assert line.strip() in lines, (row["url"], line)
    assert matched >= 50
    access = {r["access"]: r["n"] for r in rows(db, "SELECT access, COUNT(*) AS n FROM articles GROUP BY access")}
    assert access.get("teaser", 0) >= 5 and access.get("free", 0) >= 5


def test_no_boilerplate_or_prompt_in_any_text(archived: tuple[Path, SampleServer]) -> None:
    db, _ = archived
    for row in rows(db, "SELECT url, text FROM articles"):
        lines = [line.strip() for line in row["text"].splitlines()]
        for prompt_line in PROMPT_LINES:
            assert prompt_line not in lines, (row["url"], prompt_line)
        lowered = row["text"].lower()
        for phrase in BOILERPLATE:
            assert phrase.lower() not in lowered, (row["url"], phrase)


def test_bulleted_list_survives_as_lines(archived: tuple[Path, SampleServer], site: Site) -> None:
    db, _ = archived
    free = [a for a in site.allowed_articles if a.access == "free" and a.list_items]
    assert free
    text = rows(db, "SELECT text FROM articles WHERE title = ?", free[0].title)[0]["text"]
    lines = text.splitlines()
    for item in free[0].list_items:
        assert item in lines


def test_second_run_adds_no_rows(archived: tuple[Path, SampleServer], tmp_path: Path) -> None:
    db, server = archived
    before = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    config = write_config(db.parent, {"sample": server.url}, name="again.toml")
    again = run_scraper("run", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"] == before
    assert "new 0" in again.stdout
    runs = rows(db, "SELECT status FROM runs ORDER BY id")
    assert [r["status"] for r in runs][-2:] == ["ok", "ok"]


def test_full_text_search_in_datasette(archived: tuple[Path, SampleServer], site: Site) -> None:
    db, _ = archived
    target = next(a for a in site.allowed_articles if a.access == "free" and not a.duplicate_of)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/archive/articles.json"
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(url, params={"_search": f'"{target.phrase}"', "_shape": "objects"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.2)
        assert answer.status_code == 200
        found = answer.json()["rows"]
        assert [r["title"] for r in found][:1] == [target.title]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unreachable_outlet_fails_cleanly_and_keeps_the_archive(
    archived: tuple[Path, SampleServer], tmp_path: Path
) -> None:
    db, _ = archived
    before = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    dead = f"http://127.0.0.1:{free_port()}/"
    config = write_config(db.parent, {"gone": dead}, name="dead.toml")
    result = run_scraper("run", "--config", str(config))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "gone: failed" in result.stdout
    assert "127.0.0.1" in result.stderr  # the per-outlet error names what could not be reached
    assert rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"] == before
    assert rows(db, "PRAGMA integrity_check")[0][0] == "ok"
    errors = rows(db, "SELECT * FROM errors WHERE outlet = 'gone'")
    assert errors


def test_demo_archives_the_sample_outlet_and_a_second_demo_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    port = str(free_port())
    first = run_scraper("demo", "--database", str(db), "--port", port)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"datasette {db}" in first.stdout
    count = rows(db, "SELECT COUNT(*) AS n FROM articles WHERE duplicate_of IS NULL")[0]["n"]
    assert count >= 50
    assert rows(db, "SELECT COUNT(*) AS n FROM articles WHERE access = 'teaser'")[0]["n"] > 0
    total = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    again = run_scraper("demo", "--database", str(db), "--port", port)
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"] == total


def test_scraper_serve_on_a_real_run_stored_queries_and_facets(archived: tuple[Path, SampleServer], site: Site) -> None:
    from scraper.browse.queries import CANNED_QUERIES

    db, _ = archived
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "serve", "--database", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/archive"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + ".json").raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "scraper serve did not start"
                time.sleep(0.2)
        for query in CANNED_QUERIES:
            answer = httpx.get(f"{base}/{query.name}.json", params={"_shape": "objects"}, timeout=30)
            assert answer.status_code == 200, (query.name, answer.text[:300])
        latest = httpx.get(f"{base}/latest_per_outlet.json", params={"_shape": "objects"}).json()["rows"]
        assert latest and all(row["outlet"] == "sample" for row in latest)
        target = next(a for a in site.allowed_articles if a.access == "free" and not a.duplicate_of)
        found = httpx.get(f"{base}/search.json", params={"q": target.phrase, "_shape": "objects"}).json()["rows"]
        assert found[0]["title"] == target.title
        clusters = httpx.get(f"{base}/duplicate_clusters.json", params={"_shape": "objects"}).json()["rows"]
        assert clusters  # the republished slug
        facets = httpx.get(
            f"{base}/articles.json", params={"_facet": ["outlet", "access"], "_facet_array": "authors"}
        ).json()["facet_results"]
        facet_results = facets.get("results", facets)
        access_values = {v["value"] for v in facet_results["access"]["results"]}
        assert access_values >= {"free", "teaser"}
        authors = {v["value"] for v in facet_results["authors"]["results"]}
        assert authors & {name for a in site.articles for name in a.authors}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
