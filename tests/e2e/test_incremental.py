"""Issue #3 through the whole pipeline: incremental runs, conditional requests, schedules, the
request log, politeness as the server saw it, and several outlets at once."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import httpx
from protego import Protego

from scraper.sample_outlet import SampleServer, build_site, make_outlets
from tests.helpers import rows, run_scraper, write_config


def test_second_run_on_unchanged_site_fetches_no_article_page(tmp_path: Path) -> None:
    site = build_site(seed=21, articles=30)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        first = run_scraper("run", "--config", str(config))
        assert first.returncode == 0, first.stderr
        article_paths = {a.path for a in site.all_articles}
        site.clear_requests()
        second = run_scraper("run", "--config", str(config), "--json")
        assert second.returncode == 0, second.stderr
        requests = list(site.requests)
    fetched_articles = [r for r in requests if r.path in article_paths]
    assert fetched_articles == []
    # feeds, sitemaps and listing pages were asked conditionally, and answered 304
    conditional = [r for r in requests if r.header("if-none-match") or r.header("if-modified-since")]
    assert conditional
    assert all(r.status == 304 for r in conditional)
    report = json.loads(second.stdout)
    assert report["totals"]["new"] == 0 and report["totals"]["fetched"] == 0


def test_revisit_policy_uses_conditional_requests_and_catches_updates(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    site = build_site(seed=22, articles=20, now=datetime.now(UTC))
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        config.write_text(config.read_text() + "revisit_days = 3650\n")
        assert run_scraper("run", "--config", str(config)).returncode == 0
        changed = next(a for a in site.allowed_articles if a.access == "free" and not a.duplicate_of)
        site.update(changed.slug)
        site.clear_requests()
        again = run_scraper("run", "--config", str(config), "--json")
        assert again.returncode == 0, again.stderr
        article_requests = [r for r in site.requests if r.path in {a.path for a in site.articles}]
    assert article_requests and all(r.header("if-none-match") for r in article_requests)
    assert {r.status for r in article_requests if r.path != changed.path} == {304}
    report = json.loads(again.stdout)
    assert report["totals"]["updated"] == 1
    db = tmp_path / "archive.db"
    assert [tuple(r) for r in rows(db, "SELECT version FROM articles WHERE title = ?", changed.title)] == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM versions")[0][0] == 1


def test_schedules_skip_outlets_that_are_not_due(tmp_path: Path) -> None:
    site = build_site(seed=23, articles=10)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        config.write_text(config.read_text() + 'every = "1h"\n')
        assert run_scraper("run", "--config", str(config)).returncode == 0
        site.clear_requests()
        skipped = run_scraper("run", "--config", str(config))
        assert skipped.returncode == 0
        assert "sample: skipped, not due yet" in skipped.stdout
        assert list(site.requests) == []
        forced = run_scraper("run", "--config", str(config), "--force")
        assert forced.returncode == 0
        assert "sample: ok" in forced.stdout
        assert list(site.requests)


def test_requests_are_logged_and_robots_is_obeyed(tmp_path: Path) -> None:
    site = build_site(seed=24, articles=20, crawl_delay=0.05)
    with SampleServer(site) as server:
        config = write_config(tmp_path, {"sample": server.url})
        assert run_scraper("run", "--config", str(config)).returncode == 0
        requests = list(site.requests)
        base = server.url.rstrip("/")
        robots = Protego.parse(httpx.get(base + "/robots.txt").text)
    assert requests[0].path == "/robots.txt"
    for request in requests:
        assert robots.can_fetch(base + request.target, "scraper"), request.target
        assert (request.header("user-agent") or "").startswith("scraper/")
    starts = [r.time for r in requests]
    # Crawl-delay (0.05 s) is larger than the configured delay (0.01 s): it wins. The server sees
    # arrivals, not starts: a new connection arrives a little later than a kept-alive one.
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.05 * 0.7
    db = tmp_path / "archive.db"
    logged = rows(db, "SELECT COUNT(*), COUNT(DISTINCT run_id), SUM(status = 200) FROM requests")[0]
    assert logged[0] == len(requests) and logged[1] == 1 and logged[2]


def test_many_outlets_run_concurrently_bounded_by_the_slowest(tmp_path: Path) -> None:
    with make_outlets(4, articles_each=8, seed=25, latency=0.0) as outlets:
        config = write_config(tmp_path, {f"o{i}": url for i, url in enumerate(outlets.urls)})
        text = config.read_text().replace("delay = 0.01\nconcurrency = 4", "delay = 0.1\nconcurrency = 1")
        config.write_text(text)
        started = time.monotonic()
        result = run_scraper("run", "--config", str(config), "--json")
        elapsed = time.monotonic() - started
        per_host = [len(site.requests) for site in outlets.sites]
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [o["status"] for o in report["outlets"]] == ["ok"] * 4
    lower_bound = max(n - 1 for n in per_host) * 0.1
    assert elapsed < sum(per_host) * 0.1  # far below running the outlets one after another
    assert elapsed >= lower_bound
