"""Which archived article a fetched page belongs to, end to end: real runs of the pipeline against
crafted sites on 127.0.0.1, into a real SQLite archive.

1. A page that declares another archived story's URL as its canonical URL (a CMS template bug)
   is archived as its own article, while variants of a story that declare its URL still join it.
2. When a story's text is rewritten, the copies linked to it are deduplicated again, and a copy
   whose text is rewritten leaves its story; the near-duplicate index follows.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper import pipeline
from scraper.archive import Archive
from scraper.config import Settings, parse_config
from scraper.dedup import DEFAULT_NEAR_THRESHOLD, canonical_url
from scraper.extract import extract_article
from scraper.models import Access, Page
from scraper.warc import WarcRef
from tests.crafted_site import Route, Site, serve
from tests.helpers import rows

_SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "ni", "pa", "qua", "ber", "zin", "ot", "ule")
# Enough distinct words that unrelated texts share next to no 5-word shingles.
VOCABULARY = sorted({"".join(random.Random(i).choice(_SYLLABLES) for _ in range(2 + i % 3)) for i in range(4000)})
HOME = b"<html><head><title>Home</title></head><body><h1>Home</h1><p>Welcome.</p></body></html>"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(HOME) as served:
        yield served


@pytest.fixture
def other_site() -> Iterator[Site]:
    with serve(HOME) as served:
        yield served


def paragraphs(seed: int, count: int = 8) -> list[str]:
    """`count` paragraphs of 30 words, the same for the same seed."""
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(VOCABULARY) for _ in range(30)).capitalize() + "." for _ in range(count)]


def page(
    title: str, body: list[str], *, canonical: str | None = None, published: str = "2026-11-20T10:00:00Z"
) -> Route:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    jsonld = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": published})
    html = (
        f'<html><head><title>{title}</title>{link}<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{jsonld}</script></head>'
        f"<body><article><h1>{title}</h1>{''.join(f'<p>{p}</p>' for p in body)}</article></body></html>"
    )
    return (200, [("Content-Type", "text/html; charset=utf-8")], html.encode())


def settings(tmp_path: Path, sites: dict[str, Site], extra: str = "revisit_days = 100000\n") -> Settings:
    text = f'[archive]\ndatabase = "{tmp_path / "archive.db"}"\nwarc_dir = "{tmp_path / "warc"}"\n\n'
    text += "[fetch]\nretries = 0\nbackoff = 0\nconnect_timeout = 2\nread_timeout = 5\n\n"
    for slug, served in sites.items():
        text += f'[outlets.{slug}]\nname = "{slug}"\nhome = "{served.url}/"\ndelay = 0\nconcurrency = 2\n{extra}\n'
    return parse_config(text, tmp_path / "config.toml")


def run(config: Settings) -> dict[str, dict[str, int]]:
    report = pipeline.run(config, pipeline.RunOptions(force=True))
    return {outcome.slug: outcome.counts for outcome in report.outlets}


def articles(tmp_path: Path) -> dict[str, dict[str, object]]:
    """The archive's rows by URL path."""
    found = rows(tmp_path / "archive.db", "SELECT * FROM articles")
    return {str(row["url"]).split(":", 2)[2].split("/", 1)[1]: dict(row) for row in found}


def aliases(tmp_path: Path) -> dict[str, int]:
    return {row["url"]: row["article_id"] for row in rows(tmp_path / "archive.db", "SELECT * FROM aliases")}


def indexed(tmp_path: Path) -> set[int]:
    """Articles in the near-duplicate index: with a signature, and in the LSH bands."""
    db = tmp_path / "archive.db"
    signed = {row[0] for row in rows(db, "SELECT article_id FROM dedup_signatures")}
    banded = {row[0] for row in rows(db, "SELECT DISTINCT article_id FROM dedup_bands")}
    assert signed == banded
    return signed


# --- 1: a declared canonical URL that names another archived story ---------------------------------


def test_page_declaring_another_storys_url_is_archived_as_its_own_article(tmp_path: Path, site: Site) -> None:
    mayor, flood = "/news/mayor-opens-new-library", "/news/flood-warning-for-the-river"
    site.listing(mayor)
    site.routes[mayor] = page("Mayor opens new library", paragraphs(1))
    config = settings(tmp_path, {"t": site})
    assert run(config)["t"]["new"] == 1

    # Another story whose CMS template declares the first story's URL as canonical.
    site.listing(mayor, flood)
    site.routes[flood] = page("Flood warning for the river", paragraphs(2), canonical=mayor)
    counts = run(config)["t"]
    assert (counts["new"], counts["updated"]) == (1, 0)
    archived = articles(tmp_path)
    assert set(archived) == {mayor[1:], flood[1:]}
    assert archived[mayor[1:]]["title"] == "Mayor opens new library" and archived[mayor[1:]]["version"] == 1
    assert archived[flood[1:]]["canonical_url"] == canonical_url(site.url + flood)
    assert archived[flood[1:]]["title"] == "Flood warning for the river"
    assert archived[flood[1:]]["duplicate_of"] is None
    known = aliases(tmp_path)
    assert known[canonical_url(site.url + flood)] == archived[flood[1:]]["id"]
    assert known[canonical_url(site.url + mayor)] == archived[mayor[1:]]["id"]

    # Revisits fetch both pages, each into its own row: nothing flips back and forth.
    for _ in range(2):
        site.requested.clear()
        counts = run(config)["t"]
        assert sorted(site.article_requests()) == sorted([mayor, flood])
        assert (counts["unchanged"], counts["updated"], counts["new"]) == (2, 0, 0)
    assert rows(tmp_path / "archive.db", "SELECT COUNT(*) FROM versions")[0][0] == 0
    assert {path: row["title"] for path, row in articles(tmp_path).items()} == {
        mayor[1:]: "Mayor opens new library",
        flood[1:]: "Flood warning for the river",
    }


def test_variants_declaring_the_archived_url_still_join_the_story(tmp_path: Path, site: Site) -> None:
    story, again, edited = "/news/council-sets-budget", "/news/council-sets-budget-2", "/news/p/4411"
    text = paragraphs(3)
    site.listing(story)
    site.routes[story] = page("Council sets budget", text)
    config = settings(tmp_path, {"t": site}, extra="")  # no revisits: only the variants are fetched
    assert run(config)["t"]["new"] == 1
    story_id = articles(tmp_path)[story[1:]]["id"]

    # The story republished at a second slug with the same words, and an edited variant under
    # another headline: both declare the story's URL, and both are the story.
    site.listing(story, again)
    site.routes[again] = page("Council sets budget", text, canonical=site.url + story)
    assert run(config)["t"]["unchanged"] == 1
    site.listing(story, again, edited)
    changed = [*text[:-1], paragraphs(4, 1)[0]]
    site.routes[edited] = page("Council sets its budget for next year", changed, canonical=story)
    assert run(config)["t"]["updated"] == 1
    archived = rows(tmp_path / "archive.db", "SELECT id, title, version FROM articles")
    assert [tuple(row) for row in archived] == [(story_id, "Council sets its budget for next year", 2)]
    known = aliases(tmp_path)
    assert {known[canonical_url(site.url + path)] for path in (story, again, edited)} == {story_id}

    # A rewrite at the story's own URL is still a new version of it, whatever the text.
    site.listing(story)
    site.routes[story] = page("Budget vote postponed", paragraphs(5))
    assert run(settings(tmp_path, {"t": site}))["t"]["updated"] == 1
    archived = rows(tmp_path / "archive.db", "SELECT id, title, version FROM articles")
    assert [tuple(row) for row in archived] == [(story_id, "Budget vote postponed", 3)]


# --- 2: links after a story or a copy is rewritten -------------------------------------------------


def test_rewritten_original_lets_its_copies_be_stories_again(tmp_path: Path, site: Site, other_site: Site) -> None:
    agency = paragraphs(6)
    original, first, second, third = (
        "/news/agency-story-rail-strike",
        "/news/rail-strike-copy",
        "/news/rail-strike-copy-edited",
        "/news/rail-strike-third-copy",
    )
    # Outlet b publishes the agency text first; outlet a copies it twice, once lightly edited.
    other_site.listing(original)
    other_site.routes[original] = page("Rail strike", agency, published="2026-11-20T09:00:00Z")
    site.listing(first, second)
    site.routes[first] = page("Rail strike", agency, published="2026-11-20T11:00:00Z")
    edited = [*agency[:-1], paragraphs(7, 1)[0]]
    site.routes[second] = page("Rail strike (edited)", edited, published="2026-11-20T12:00:00Z")
    config = settings(tmp_path, {"a": site, "b": other_site})
    run(config)
    archived = articles(tmp_path)
    b, a1, a2 = (archived[path[1:]]["id"] for path in (original, first, second))
    assert (archived[first[1:]]["duplicate_of"], archived[second[1:]]["duplicate_of"]) == (b, b)
    assert indexed(tmp_path) == {b}

    # Outlet b rewrites its article with its own reporting: the copies no longer copy it.
    other_site.routes[original] = page("Rail strike: our report", paragraphs(8), published="2026-11-20T09:00:00Z")
    assert run(config)["b"]["updated"] == 1
    archived = articles(tmp_path)
    assert archived[original[1:]]["duplicate_of"] is None
    # The earliest-published remaining copy is the agency story now; the edited copy links to it.
    assert (archived[first[1:]]["duplicate_of"], archived[first[1:]]["duplicate_rule"]) == (None, None)
    assert archived[first[1:]]["similarity"] is None
    assert (archived[second[1:]]["duplicate_of"], archived[second[1:]]["duplicate_rule"]) == (a1, "near")
    assert DEFAULT_NEAR_THRESHOLD <= float(archived[second[1:]]["similarity"] or 0) < 1  # type: ignore[arg-type]
    stories = rows(tmp_path / "archive.db", "SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY id")
    assert [row[0] for row in stories] == sorted([b, a1])
    assert indexed(tmp_path) == {b, a1}

    # The index holds the new texts: a third copy of the agency text links to the new story.
    site.listing(first, second, third)
    site.routes[third] = page("Rail strike", agency, published="2026-11-20T13:00:00Z")
    assert run(config)["a"]["duplicates"] == 1
    third_row = articles(tmp_path)[third[1:]]
    assert (third_row["duplicate_of"], third_row["duplicate_rule"], third_row["similarity"]) == (a1, "exact", 1.0)
    assert a2 not in indexed(tmp_path)


def test_rewritten_copy_leaves_its_story(tmp_path: Path, site: Site) -> None:
    text = paragraphs(9)
    story, copy = "/news/harbour-reopens-after-storm", "/news/harbour-reopens-after-storm-again"
    site.listing(story, copy)
    site.routes[story] = page("Harbour reopens", text, published="2026-11-20T09:00:00Z")
    site.routes[copy] = page("Harbour reopens", text, published="2026-11-20T10:00:00Z")
    config = settings(tmp_path, {"t": site})
    run(config)
    archived = articles(tmp_path)
    story_id, copy_id = archived[story[1:]]["id"], archived[copy[1:]]["id"]
    assert (archived[copy[1:]]["duplicate_of"], archived[copy[1:]]["duplicate_rule"]) == (story_id, "exact")

    # Runs revisit stories only; a copy gets a new version through the same writer when its teaser
    # is fetched again in full, or when `scraper reextract` / `import-warc` store it again.
    def store_again(body: list[str]) -> str:
        url = site.url + copy
        html = page("Harbour reopens", body, published="2026-11-20T10:00:00Z")
        assert not callable(html)
        fetched = Page(url, url, 200, (), html[2], html[2].decode(), "utf-8", "2026-11-22T10:00:00+00:00")
        article = extract_article(fetched.text, url)
        archive = Archive.open(tmp_path / "archive.db")
        try:
            writer = pipeline.ArticleWriter(config, archive, "t", run_id=1)
            with archive.transaction():
                return writer.store(
                    canonical_url(url), fetched, article, Access("free", None, "test"),
                    archive.known(canonical_url(url)), WarcRef("x.warc.gz", 0, "<urn:uuid:x>"),
                )  # fmt: skip
        finally:
            archive.close()

    # Lightly edited: still a copy, the link measured against the new text.
    assert store_again([*text[:-1], paragraphs(10, 1)[0]]) == "updated"
    row = articles(tmp_path)[copy[1:]]
    assert (row["duplicate_of"], row["duplicate_rule"]) == (story_id, "near")
    assert DEFAULT_NEAR_THRESHOLD <= float(row["similarity"] or 0) < 1  # type: ignore[arg-type]
    assert indexed(tmp_path) == {story_id}

    # Rewritten: a story of its own, found by the index.
    assert store_again(paragraphs(11)) == "updated"
    row = articles(tmp_path)[copy[1:]]
    assert (row["duplicate_of"], row["duplicate_rule"], row["similarity"]) == (None, None, None)
    assert indexed(tmp_path) == {story_id, copy_id}
    assert articles(tmp_path)[story[1:]]["duplicate_of"] is None
