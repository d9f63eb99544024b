"""Issue #6 end to end: one story, one row, with its history.

Two sample outlets on their own loopback ports share syndicated press releases; each has
utm-tagged links and one article republished at a second slug. Five runs of the real pipeline
against one real SQLite archive:

1. first run: every story once, copies linked to the earliest copy;
2. two articles published, no revisits: only they are fetched;
3. one article updated and one deleted, revisits on: one new version, the deleted row kept;
4. nothing changed, revisits on: nothing added;
5. another article updated: revisits go on working run after run.

Each run's requests and report are kept by the fixture, so every test reads one snapshot.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from scraper.config import load_config
from scraper.dedup import canonical_url, content_hash
from scraper.pipeline import RunOptions, RunReport, run
from scraper.sample_outlet import RequestRecord, SampleArticle, SampleServer, Site, build_site
from tests.helpers import rows, write_config

ARTICLES = 30
# Section listings are kept out so that every count below is a count of articles: deciding what is
# an article is discovery's job, tested elsewhere.
OUTLET_KEYS = 'exclude_pattern = "/news(/|$)"\n'
# The sample's articles are dated 2025; revisit everything the archive holds.
REVISIT = "revisit_days = 100000\n"


@dataclass
class Run:
    report: RunReport
    requests: dict[str, list[RequestRecord]]  # outlet slug -> what its server received during the run
    versions: int  # rows in `versions` after the run


@dataclass
class Archived:
    db: Path
    sites: dict[str, Site]
    servers: dict[str, SampleServer]
    runs: list[Run]
    updated: SampleArticle
    updated_first_text: str
    deleted: SampleArticle
    published: tuple[SampleArticle, ...]
    updated_later: SampleArticle


def _plain(site: Site, republished_originals: set[str]) -> list[SampleArticle]:
    """Free, fetchable articles that are neither copies nor copied."""
    return [
        a
        for a in site.allowed_articles
        if a.access == "free" and not a.duplicate_of and not a.syndication_key and a.slug not in republished_originals
    ]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    tmp_path = tmp_path_factory.mktemp("dedup-versions")
    alpha = build_site(seed=11, articles=ARTICLES, name="Alpha Weekly")
    beta = build_site(seed=12, articles=ARTICLES, name="Beta Daily", syndicate_with=alpha)
    sites = {"alpha": alpha, "beta": beta}
    with SampleServer(alpha) as server_a, SampleServer(beta) as server_b:
        servers = {"alpha": server_a, "beta": server_b}
        plain = write_config(tmp_path, {slug: s.url for slug, s in servers.items()})
        text = plain.read_text()
        plain.write_text(text.replace("concurrency = 4\n", "concurrency = 4\n" + OUTLET_KEYS))
        revisit = tmp_path / "revisit.toml"
        revisit.write_text(text.replace("concurrency = 4\n", "concurrency = 4\n" + OUTLET_KEYS + REVISIT))
        runs: list[Run] = []

        def one_run(config: Path) -> None:
            for site in sites.values():
                site.clear_requests()
            report = run(load_config(config), RunOptions())
            versions = rows(tmp_path / "archive.db", "SELECT COUNT(*) AS n FROM versions")[0]["n"]
            runs.append(Run(report, {slug: list(site.requests) for slug, site in sites.items()}, versions))

        one_run(plain)
        published = alpha.publish(2)
        one_run(plain)
        originals = {a.duplicate_of or "" for a in alpha.all_articles}
        updated, deleted, updated_later = _plain(alpha, originals)[:3]
        first_text = updated.text
        alpha.update(updated.slug)
        alpha.delete(deleted.slug)
        one_run(revisit)
        one_run(revisit)
        alpha.update(updated_later.slug)
        one_run(revisit)
        yield Archived(
            tmp_path / "archive.db", sites, servers, runs, updated, first_text, deleted, published, updated_later
        )


def first_run_articles(archived: Archived, slug: str) -> list[SampleArticle]:
    """What the first run could archive: everything but the robots-disallowed and the later ones."""
    later = {a.path for a in archived.published}
    return [a for a in archived.sites[slug].all_articles if not a.disallowed and a.path not in later]


def holds(archived_text: str, truth: str) -> bool:
    """Whether every paragraph, subheading and list item of `truth` is a line of the archived text."""
    lines = {line.strip() for line in archived_text.splitlines()}
    return all(line.strip() in lines for line in truth.splitlines() if line.strip())


def row_for(archived: Archived, slug: str, article: SampleArticle) -> sqlite3.Row:
    url = canonical_url(archived.servers[slug].url_for(article))
    found = rows(archived.db, "SELECT * FROM articles WHERE canonical_url = ?", url)
    assert len(found) == 1, (url, len(found))
    return found[0]


def counts(archived: Archived, run_index: int) -> dict[str, dict[str, int]]:
    run_id = archived.runs[run_index].report.run_id
    return {
        r["outlet"]: {k: r[k] for k in ("fetched", "new", "updated", "unchanged", "duplicates", "errors")}
        for r in rows(archived.db, "SELECT * FROM run_outlets WHERE run_id = ?", run_id)
    }


def article_gets(run_: Run, slug: str, site: Site) -> Counter[str]:
    """GET requests per article path during one run."""
    paths = {a.path for a in site.all_articles}
    return Counter(r.path for r in run_.requests[slug] if r.method == "GET" and r.path in paths)


# --- first run --------------------------------------------------------------------------------


def test_first_run_archives_every_story_once(archived: Archived) -> None:
    first = archived.runs[0]
    assert first.report.status == "ok", first.report.as_dict()
    for slug, site in archived.sites.items():
        allowed = first_run_articles(archived, slug)
        outlet_rows = rows(archived.db, "SELECT canonical_url FROM articles WHERE outlet = ?", slug)
        expected = {canonical_url(archived.servers[slug].url_for(a)) for a in allowed}
        assert expected <= {r["canonical_url"] for r in outlet_rows}
        # utm-tagged links and plain links to one article: one fetch, however many links were seen
        gets = article_gets(first, slug, site)
        assert gets and max(gets.values()) == 1, [p for p, n in gets.items() if n > 1]


def test_tracking_variants_make_one_row_and_one_fetch(archived: Archived) -> None:
    server, site = archived.servers["alpha"], archived.sites["alpha"]
    home = httpx.get(server.url).text
    tagged = [a for a in site.articles if f"{a.path}?utm_" in home]
    assert tagged, "the sample's home page links some articles with utm parameters"
    gets = article_gets(archived.runs[0], "alpha", site)
    for article in tagged:
        assert gets[article.path] == 1
        row = row_for(archived, "alpha", article)
        assert "utm_" not in row["url"] and "utm_" not in row["canonical_url"]
        variant = canonical_url(server.url_for(article) + "?utm_source=newsletter&utm_medium=email")
        assert variant == row["canonical_url"]
        alias = rows(archived.db, "SELECT article_id FROM aliases WHERE url = ?", variant)
        assert [a["article_id"] for a in alias] == [row["id"]]
    assert not rows(archived.db, "SELECT url FROM frontier WHERE url LIKE '%utm_%' OR fetch_url LIKE '%utm_%'")


def test_republished_slug_links_to_the_original(archived: Archived) -> None:
    checked = 0
    for slug, site in archived.sites.items():
        for copy in (a for a in site.all_articles if a.duplicate_of):
            original = row_for(archived, slug, site.article(copy.duplicate_of or ""))
            copied = row_for(archived, slug, copy)
            assert original["duplicate_of"] is None
            assert copied["duplicate_of"] == original["id"]
            # the page is the same article at another slug: the same text
            assert copied["duplicate_rule"] == "exact" and copied["similarity"] == 1.0
            checked += 1
    assert checked == 2


def test_syndicated_copy_links_to_the_earliest_copy_across_outlets(archived: Archived) -> None:
    alpha, beta = archived.sites["alpha"], archived.sites["beta"]
    rules = []
    for copy in (a for a in beta.all_articles if a.syndication_key):
        origin = next(a for a in alpha.all_articles if a.syndication_key == copy.syndication_key)
        assert origin.published < copy.published
        origin_row, copy_row = row_for(archived, "alpha", origin), row_for(archived, "beta", copy)
        assert origin_row["duplicate_of"] is None
        assert copy_row["duplicate_of"] == origin_row["id"]
        if origin_row["content_hash"] == copy_row["content_hash"]:
            assert (copy_row["duplicate_rule"], copy_row["similarity"]) == ("exact", 1.0)
        else:
            assert copy_row["duplicate_rule"] == "near"
            assert 0.6 <= copy_row["similarity"] < 1.0
        rules.append(copy_row["duplicate_rule"])
    assert "near" in rules, rules  # the lightly edited copy is found by similarity, not by hash


def test_duplicates_are_not_stories(archived: Archived) -> None:
    # every link points at a story (no chains), and copies are left out of the near-duplicate index
    chained = rows(
        archived.db,
        "SELECT a.id FROM articles a JOIN articles o ON o.id = a.duplicate_of WHERE o.duplicate_of IS NOT NULL",
    )
    assert not chained
    indexed = rows(
        archived.db,
        "SELECT s.article_id FROM dedup_signatures s JOIN articles a ON a.id = s.article_id "
        "WHERE a.duplicate_of IS NOT NULL",
    )
    assert not indexed


def test_first_run_counts(archived: Archived) -> None:
    first = counts(archived, 0)
    for slug in archived.sites:
        allowed = first_run_articles(archived, slug)
        copies = [a for a in allowed if a.duplicate_of or (slug == "beta" and a.syndication_key)]
        assert first[slug]["fetched"] == len(allowed)
        assert first[slug]["duplicates"] == len(copies), slug
        assert first[slug]["new"] == len(allowed) - len(copies), slug
        assert first[slug]["updated"] == first[slug]["unchanged"] == first[slug]["errors"] == 0


def test_new_counts_add_up_to_the_stories_archived(archived: Archived) -> None:
    stories = rows(archived.db, "SELECT COUNT(*) AS n FROM articles WHERE duplicate_of IS NULL")[0]["n"]
    assert stories == rows(archived.db, "SELECT SUM(new) AS n FROM run_outlets")[0]["n"]
    copies = rows(archived.db, "SELECT COUNT(*) AS n FROM articles WHERE duplicate_of IS NOT NULL")[0]["n"]
    republished = sum(1 for site in archived.sites.values() for a in site.all_articles if a.duplicate_of)
    syndicated = sum(1 for a in archived.sites["beta"].all_articles if a.syndication_key)
    assert republished == 2 and syndicated >= 2
    expected = republished + syndicated
    assert copies == rows(archived.db, "SELECT SUM(duplicates) AS n FROM run_outlets")[0]["n"] == expected


# --- second run: only what is new ------------------------------------------------------------


def test_known_articles_are_not_fetched_again(archived: Archived) -> None:
    second = archived.runs[1]
    alpha = archived.sites["alpha"]
    gets = article_gets(second, "alpha", alpha)
    assert set(gets) == {a.path for a in archived.published}
    assert not article_gets(second, "beta", archived.sites["beta"])
    assert counts(archived, 1) == {
        "alpha": {"fetched": 2, "new": 2, "updated": 0, "unchanged": 0, "duplicates": 0, "errors": 0},
        "beta": {"fetched": 0, "new": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "errors": 0},
    }


# --- third run: an update and a deletion, seen on revisit -------------------------------------


def test_updated_article_is_one_row_with_its_earlier_version(archived: Archived) -> None:
    updated = archived.updated
    row = row_for(archived, "alpha", updated)
    assert row["version"] == 2
    assert row["title"] == updated.title and updated.first_title and row["title"] != updated.first_title
    assert holds(row["text"], updated.text) and not holds(row["text"], archived.updated_first_text)
    versions = rows(archived.db, "SELECT * FROM versions WHERE article_id = ?", row["id"])
    assert len(versions) == 1
    old = versions[0]
    assert old["version"] == 1 and old["title"] == updated.first_title
    assert json.loads(old["changed"]) == ["text", "title"]
    assert old["content_hash"] == content_hash(old["text"]) != row["content_hash"]
    assert old["fetched_at"] <= old["replaced_at"]
    assert holds(old["text"], archived.updated_first_text) and not holds(old["text"], updated.text)


def test_deleted_article_keeps_its_archived_row(archived: Archived) -> None:
    deleted = archived.deleted
    row = row_for(archived, "alpha", deleted)
    assert row["version"] == 1 and row["title"] == deleted.title
    assert holds(row["text"], deleted.text)
    third = archived.runs[2]
    statuses = [r.status for r in third.requests["alpha"] if r.path == deleted.path]
    assert statuses and set(statuses) == {404}
    errors = rows(
        archived.db,
        "SELECT * FROM errors WHERE run_id = ? AND stage = 'fetch' AND url LIKE ?",
        third.report.run_id,
        f"%{deleted.path}",
    )
    assert errors and "404" in errors[0]["message"]
    # a gone page is tried on each revisit until three failures in a row (runs 3-5), then left alone
    for later in archived.runs[3:]:
        assert [r.status for r in later.requests["alpha"] if r.path == deleted.path] == [404]
    frontier = rows(archived.db, "SELECT status, attempts FROM frontier WHERE url = ?", row["canonical_url"])
    assert [(f["status"], f["attempts"]) for f in frontier] == [("failed", 3)]


def test_revisit_counts(archived: Archived) -> None:
    sql = "SELECT COUNT(*) AS n FROM articles WHERE outlet = ? AND duplicate_of IS NULL"
    stories = {slug: rows(archived.db, sql, slug)[0]["n"] for slug in archived.sites}
    third = counts(archived, 2)
    assert third["alpha"] == {
        "fetched": stories["alpha"] - 1,  # the deleted one failed
        "new": 0,
        "updated": 1,
        "unchanged": stories["alpha"] - 2,
        "duplicates": 0,
        "errors": 1,
    }
    assert third["beta"] == {
        "fetched": stories["beta"],
        "new": 0,
        "updated": 0,
        "unchanged": stories["beta"],
        "duplicates": 0,
        "errors": 0,
    }


# --- fourth run: nothing changed --------------------------------------------------------------


def test_unchanged_revisits_add_nothing(archived: Archived) -> None:
    fourth = archived.runs[3]
    assert fourth.versions == archived.runs[2].versions == 1
    assert not rows(archived.db, "SELECT id FROM articles WHERE run_id = ?", fourth.report.run_id)
    for slug, site in archived.sites.items():
        gets = [r for r in fourth.requests[slug] if r.method == "GET" and r.path in {a.path for a in site.articles}]
        assert gets
        # conditional requests answered 304: the server sent no body, the archive changed nothing
        assert all(r.status == 304 for r in gets), Counter(r.status for r in gets)
        assert all(r.header("if-none-match") or r.header("if-modified-since") for r in gets)
    fourth_counts = counts(archived, 3)
    assert all(c["new"] == c["updated"] == c["duplicates"] == 0 for c in fourth_counts.values())
    assert fourth_counts["beta"]["unchanged"] == fourth_counts["beta"]["fetched"] > 0


# --- fifth run: revisits go on ------------------------------------------------------------------


def test_revisits_keep_catching_updates_on_later_runs(archived: Archived) -> None:
    later = archived.updated_later
    row = row_for(archived, "alpha", later)
    assert row["version"] == 2 and row["title"] == later.title
    assert holds(row["text"], later.text)
    versions = rows(archived.db, "SELECT changed FROM versions WHERE article_id = ?", row["id"])
    assert [json.loads(v["changed"]) for v in versions] == [["text", "title"]]
    fifth = counts(archived, 4)
    assert fifth["alpha"]["updated"] == 1 and fifth["beta"]["updated"] == 0
    # the article updated in the third run is still revisited, and still unchanged
    gets = article_gets(archived.runs[4], "alpha", archived.sites["alpha"])
    assert gets[archived.updated.path] == 1
    assert row_for(archived, "alpha", archived.updated)["version"] == 2
