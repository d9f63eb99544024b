"""The pipeline against small crafted sites on 127.0.0.1, for the cases where a run used to lose
or spoil archived data: empty pages, redirects to the home page, validators saved before the URLs
they gave, robots.txt down on the article host, revisits of URLs whose canonical form differs,
passing 404s, and archive paths with URI characters in them."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from scraper import pipeline
from scraper.archive import Archive
from scraper.config import Settings, parse_config
from scraper.models import Access, Article, Page, PaywallSignal
from scraper.warc import WarcRef
from tests.crafted_site import Response, Route, Site, serve
from tests.helpers import rows

WORDS = ("alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta", "river", "market", "council")
HOME = (
    b"<html><head><title>Daily Example - news</title><meta property='og:type' content='website'></head>"
    b"<body><h1>Daily Example</h1><p>Welcome to Daily Example, your source of local news and views from "
    b"the valley.</p><p>Read our latest coverage of the council and the river market every day.</p></body></html>"
)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(HOME) as served:
        yield served


def settings(tmp_path: Path, home: str, outlet_extra: str = "") -> Settings:
    text = f'[archive]\ndatabase = "{tmp_path / "archive.db"}"\nwarc_dir = "{tmp_path / "warc"}"\n\n'
    text += "[fetch]\nretries = 0\nbackoff = 0\nconnect_timeout = 2\nread_timeout = 5\n\n"
    text += f'[outlets.t]\nname = "t"\nhome = "{home}/"\ndelay = 0\nconcurrency = 2\n{outlet_extra}\n'
    return parse_config(text, tmp_path / "config.toml")


def run(config: Settings) -> dict[str, int]:
    return pipeline.run(config, pipeline.RunOptions(force=True)).outlets[0].counts


def html(body: bytes, status: int = 200) -> Response:
    return (status, [("Content-Type", "text/html; charset=utf-8")], body)


def article(title: str, seed: int, canonical: str | None = None) -> Response:
    rnd = random.Random(seed)
    words = " ".join(rnd.choice(WORDS) for _ in range(200))
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    jsonld = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": "2026-11-20T10:00:00Z"})
    page = (
        f'<html><head><title>{title}</title>{link}<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{jsonld}</script></head>'
        f"<body><article><h1>{title}</h1><p>{words}</p><p>{words[::-1]}</p></article></body></html>"
    )
    return html(page.encode())


def redirect(location: str, status: int = 301) -> Response:
    return (status, [("Location", location)], b"")


def sitemap(urls: list[str], etag: str | None = None) -> Route:
    """A sitemap answering 304 to its own ETag."""
    body = '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    body += "".join(f"<url><loc>{u}</loc><lastmod>2026-11-20T10:00:00Z</lastmod></url>" for u in urls)
    body += "</urlset>"

    def answer(request: BaseHTTPRequestHandler) -> Response:
        if etag is not None and request.headers.get("If-None-Match") == etag:
            return (304, [("ETag", etag)], b"")
        return (200, [("Content-Type", "application/xml"), *([("ETag", etag)] if etag else [])], body.encode())

    return answer


def robots_with_sitemap(site: Site) -> Response:
    return (
        200,
        [("Content-Type", "text/plain")],
        f"User-agent: *\nAllow: /\nSitemap: {site.url}/sitemap.xml\n".encode(),
    )


def frontier(tmp_path: Path) -> dict[str, tuple[str, int, str | None]]:
    found = rows(tmp_path / "archive.db", "SELECT url, status, attempts, last_error FROM frontier")
    return {row["url"]: (row["status"], row["attempts"], row["last_error"]) for row in found}


# --- A: a page without article text --------------------------------------------------------------


def test_empty_page_fails_like_a_404_and_never_replaces_archived_text(tmp_path: Path, site: Site) -> None:
    story, fresh, junk = (
        f"{site.url}/news/{slug}" for slug in ("a-story-about-things", "a-new-story", "junk-page-about-things")
    )
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([story])
    site.routes["/news/a-story-about-things"] = article("A real story", seed=1)
    config = settings(tmp_path, site.url, "revisit_days = 3650\n")
    assert run(config)["new"] == 1
    original = rows(tmp_path / "archive.db", "SELECT text FROM articles")[0]["text"]

    # A CDN hiccup: empty 200s, for the archived story (revisited) and for two new ones.
    site.routes["/sitemap.xml"] = sitemap([story, fresh, junk])
    site.routes["/news/a-story-about-things"] = html(b"")
    site.routes["/news/a-new-story"] = html(b"")
    site.routes["/news/junk-page-about-things"] = html(
        b"<html><head><title>Oops</title></head><body><div></div></body></html>"
    )
    counts = run(config)
    assert counts["new"] == counts["updated"] == 0 and counts["errors"] == 3
    db = tmp_path / "archive.db"
    assert [(r["text"], r["version"]) for r in rows(db, "SELECT text, version FROM articles")] == [(original, 1)]
    assert rows(db, "SELECT COUNT(*) FROM versions")[0][0] == 0
    queue = frontier(tmp_path)
    for url in (fresh, junk):
        status, attempts, error = queue[url]
        assert (status, attempts) == ("failed", 1) and "no article text" in (error or "")

    # The pages come back; the sitemap still lists them, so the new story is fetched again and archived.
    site.routes["/news/a-story-about-things"] = article("A real story", seed=1)
    site.routes["/news/a-new-story"] = article("A new story", seed=2)
    assert run(config)["new"] == 1
    assert {r["title"] for r in rows(db, "SELECT title FROM articles")} == {"A real story", "A new story"}
    assert frontier(tmp_path)[fresh][:2] == ("done", 0)


def test_a_hard_paywall_page_without_text_is_stored_as_a_teaser(tmp_path: Path, site: Site) -> None:
    # Only the headline and a prompt in a frame: no body text, but the publisher declares a paywall.
    url = f"{site.url}/news/minister-resigns-over-expenses"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([url])
    jsonld = json.dumps({"@type": "NewsArticle", "headline": "Minister resigns", "isAccessibleForFree": False})
    page = (
        f'<html><head><title>Minister resigns</title><script type="application/ld+json">{jsonld}</script></head>'
        '<body><article><h1>Minister resigns</h1><iframe src="/offer"></iframe></article></body></html>'
    )
    site.routes["/news/minister-resigns-over-expenses"] = html(page.encode())
    counts = run(settings(tmp_path, site.url))
    assert counts["new"] == 1 and counts.get("errors", 0) == 0
    assert [(r["title"], r["access"]) for r in rows(tmp_path / "archive.db", "SELECT title, access FROM articles")] == [
        ("Minister resigns", "teaser")
    ]


@contextmanager
def archived_story(tmp_path: Path, site: Site) -> Iterator[tuple[Archive, pipeline.ArticleWriter, Page]]:
    """One story archived by a real run, with the writer that `reextract`, `import-warc` and
    revisits store through, and a later fetch of the same URL to hand it."""
    url = f"{site.url}/news/a-story-about-things"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([url])
    site.routes["/news/a-story-about-things"] = article("A real story", seed=1)
    config = settings(tmp_path, site.url)
    run(config)
    archive = Archive.open(tmp_path / "archive.db")
    try:
        page = Page(url, url, 200, (), b"", "", "utf-8", "2026-11-21T10:00:00+00:00")
        yield archive, pipeline.ArticleWriter(config, archive, "t", run_id=1), page
    finally:
        archive.close()


REF = WarcRef("x.warc.gz", 0, "<urn:uuid:x>")


def test_writer_never_replaces_archived_text_with_none(tmp_path: Path, site: Site) -> None:
    # `scraper reextract` and `import-warc` store through the same writer, without the run's check.
    with archived_story(tmp_path, site) as (archive, writer, page):
        url = page.final_url
        with archive.transaction():
            outcome = writer.store(
                url, page, Article(url, title="A real story"), Access("free", None, "test"), archive.known(url), REF
            )
        assert outcome == "unchanged"
        assert archive.stored(1).text and archive.stored(1).version == 1


def test_an_unrecognised_teaser_never_replaces_the_full_text_held(tmp_path: Path, site: Site) -> None:
    # An expired session brings back the public teaser, whose prompt sits in an iframe the extractor
    # cannot read: a paywalled page with far fewer words than the stored text is no new version.
    with archived_story(tmp_path, site) as (archive, writer, page):
        url = page.final_url
        full = archive.stored(1).text
        teaser = " ".join(full.split()[:60])
        declared = PaywallSignal("jsonld:isAccessibleForFree", "false", "declared")
        paywalled = Article(url, title="A real story", text=teaser, paywall_declared=True, paywall_signals=(declared,))
        with archive.transaction():
            outcome = writer.store(url, page, paywalled, Access("subscriber", True, "test"), 1, REF)
        assert outcome == "unchanged"
        assert archive.stored(1).text == full and archive.stored(1).version == 1
        # The same shortening on a page without any paywall is an edit, and a new version.
        edited = Article(url, title="A real story", text=teaser)
        with archive.transaction():
            assert writer.store(url, page, edited, Access("free", None, "test"), 1, REF) == "updated"
        assert archive.stored(1).text == teaser


# --- B: redirects to the home page or to another story -------------------------------------------


def test_story_redirected_to_the_home_page_is_neither_overwritten_nor_aliased(tmp_path: Path, site: Site) -> None:
    story, second = f"{site.url}/news/a-story-about-things", f"{site.url}/news/second-story-about-stuff"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([story])
    site.routes["/news/a-story-about-things"] = article("A real story", seed=1)
    config = settings(tmp_path, site.url, "revisit_days = 3650\n")
    assert run(config)["new"] == 1
    db = tmp_path / "archive.db"
    before = [tuple(r) for r in rows(db, "SELECT * FROM articles")]

    # The story is taken down and redirected home; a later story is redirected home before we fetch it.
    site.routes["/news/a-story-about-things"] = redirect("/")
    site.routes["/sitemap.xml"] = sitemap([story, second])
    site.routes["/news/second-story-about-stuff"] = redirect("/", 302)
    counts = run(config)
    assert counts["new"] == counts["updated"] == counts["unchanged"] == 0 and counts["errors"] == 2
    assert [tuple(r) for r in rows(db, "SELECT * FROM articles")] == before
    assert {r["url"] for r in rows(db, "SELECT url FROM aliases")} == {story}
    queue = frontier(tmp_path)
    for url in (story, second):
        status, attempts, error = queue[url]
        assert (status, attempts) == ("failed", 1) and "home page" in (error or "")


def test_revisit_redirected_to_another_archived_story_keeps_its_own_text(tmp_path: Path, site: Site) -> None:
    one, two = f"{site.url}/news/story-one-about-things", f"{site.url}/news/story-two-about-things"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([one, two])
    site.routes["/news/story-one-about-things"] = article("One", seed=1)
    site.routes["/news/story-two-about-things"] = article("Two", seed=2)
    config = settings(tmp_path, site.url, "revisit_days = 3650\n")
    assert run(config)["new"] == 2
    db = tmp_path / "archive.db"
    before = {r["title"]: r["text"] for r in rows(db, "SELECT title, text FROM articles")}

    site.routes["/news/story-one-about-things"] = redirect("/news/story-two-about-things")
    counts = run(config)
    assert counts["updated"] == 0 and counts["errors"] == 1
    assert {r["title"]: r["text"] for r in rows(db, "SELECT title, text FROM articles")} == before
    assert rows(db, "SELECT COUNT(*) FROM versions")[0][0] == 0
    assert "archived as another article" in (frontier(tmp_path)[one][2] or "")


def test_a_renamed_slug_redirecting_to_its_new_url_is_followed(tmp_path: Path, site: Site) -> None:
    # The publisher renames a story: first both slugs serve it (the new one is archived as a copy),
    # then the old slug answers 301 to the new one. The story's revisit follows the redirect.
    old, new = f"{site.url}/news/council-debates-draft-budget", f"{site.url}/news/council-sets-budget"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([old])
    site.routes["/news/council-debates-draft-budget"] = article("Council debates budget", seed=1)
    config = settings(tmp_path, site.url, "revisit_days = 3650\n")
    assert run(config)["new"] == 1
    site.routes["/sitemap.xml"] = sitemap([new])
    site.routes["/news/council-sets-budget"] = article("Council debates budget", seed=1)
    assert run(config)["duplicates"] == 1
    site.routes["/news/council-debates-draft-budget"] = redirect("/news/council-sets-budget")
    counts = run(config)
    assert counts.get("errors", 0) == 0, counts
    assert site.article_requests()[-1] == "/news/council-sets-budget"  # the redirect was followed
    assert frontier(tmp_path)[old][0] == "done"


# --- C: discovery's validators and the URLs they gave --------------------------------------------


def test_validators_commit_with_the_urls_they_gave(tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = [f"{site.url}/news/story-number-{i}-about-things" for i in range(3)]
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap(urls, etag='"v1"')
    for i, url in enumerate(urls):
        site.routes[url.removeprefix(site.url)] = article(f"Story {i}", seed=i)
    config = settings(tmp_path, site.url)

    # A server cannot make the run die between two commits; a failing enqueue stands for kill -9.
    def crash(self: Archive, rows: object) -> int:
        raise RuntimeError("killed while queueing")

    with monkeypatch.context() as patch:
        patch.setattr(Archive, "enqueue", crash)
        pipeline.run(config, pipeline.RunOptions(force=True))
    assert rows(tmp_path / "archive.db", "SELECT COUNT(*) FROM http_cache")[0][0] == 0

    assert run(config)["new"] == 3  # the sitemap is read in full again, not answered 304
    assert rows(tmp_path / "archive.db", "SELECT etag FROM http_cache")[0]["etag"] == '"v1"'


def test_candidates_of_a_host_whose_robots_txt_is_down_are_queued(tmp_path: Path, site: Site) -> None:
    # The feed is on another host name (localhost) than the articles (127.0.0.1), whose robots.txt
    # answers 503 in the first run: its URLs must wait in the frontier, not be dropped while the
    # feed's ETag is kept (the next runs would get 304 and never see them again).
    port = site.url.rsplit(":", 1)[1]
    robots_down = [True]

    def robots(request: BaseHTTPRequestHandler) -> Response:
        if request.headers.get("Host", "").startswith("127.0.0.1") and robots_down[0]:
            return (503, [("Content-Type", "text/plain")], b"busy")
        return (200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n")

    urls = [f"{site.url}/news/story-number-{i}-about-things" for i in range(3)]
    items = "".join(
        f"<item><title>s{i}</title><link>{u}</link><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i, u in enumerate(urls)
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()

    def feed_route(request: BaseHTTPRequestHandler) -> Response:
        if request.headers.get("If-None-Match") == '"f1"':
            return (304, [("ETag", '"f1"')], b"")
        return (200, [("Content-Type", "application/rss+xml"), ("ETag", '"f1"')], feed)

    site.routes["/robots.txt"] = robots
    site.routes["/feed.xml"] = feed_route
    for i, url in enumerate(urls):
        site.routes[url.removeprefix(site.url)] = article(f"S{i}", seed=i)
    config = settings(
        tmp_path, site.url, f'feeds = ["http://localhost:{port}/feed.xml"]\nsitemaps = []\nsections = []\n'
    )
    assert run(config)["discovered"] == 3
    assert {url: entry[:2] for url, entry in frontier(tmp_path).items()} == {url: ("pending", 0) for url in urls}

    robots_down[0] = False
    assert run(config)["new"] == 3


def test_validators_discovery_drops_are_deleted(tmp_path: Path, site: Site) -> None:
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([f"{site.url}/news/a-story-about-things"], etag='"v1"')
    site.routes["/news/a-story-about-things"] = article("A real story", seed=1)
    config = settings(tmp_path, site.url)
    run(config)
    db = tmp_path / "archive.db"
    assert [r["url"] for r in rows(db, "SELECT url FROM http_cache")] == [f"{site.url}/sitemap.xml"]

    del site.routes["/sitemap.xml"]  # gone (404): its ETag must not be sent again if it comes back
    run(config)
    assert rows(db, "SELECT COUNT(*) FROM http_cache")[0][0] == 0


# --- D: revisits when the canonical URL is not the URL discovered ---------------------------------


def test_revisit_refetches_a_story_whose_canonical_url_differs(tmp_path: Path, site: Site) -> None:
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([f"{site.url}/p/story-one-123", f"{site.url}/news/story-two-about-things"])
    site.routes["/p/story-one-123"] = article("One", seed=1, canonical=f"{site.url}/news/story-one")
    site.routes["/news/story-two-about-things"] = article("Two", seed=2)
    config = settings(tmp_path, site.url, "revisit_days = 3650\n")
    assert run(config)["new"] == 2
    site.requested.clear()
    assert run(config)["unchanged"] == 2
    assert sorted(site.article_requests()) == ["/news/story-two-about-things", "/p/story-one-123"]


# --- E: a passing 404 on the first fetch ----------------------------------------------------------


def test_failed_url_listed_again_is_retried_until_given_up(tmp_path: Path, site: Site) -> None:
    late, gone = f"{site.url}/news/late-story-about-things", f"{site.url}/news/gone-story-about-things"
    site.routes["/robots.txt"] = robots_with_sitemap(site)
    site.routes["/sitemap.xml"] = sitemap([late, gone])
    config = settings(tmp_path, site.url)
    run(config)  # both 404: not there yet (an embargo, a CDN not in step), or not at all
    site.routes["/news/late-story-about-things"] = article("Late", seed=1)
    assert run(config)["new"] == 1
    run(config)
    assert frontier(tmp_path)[gone][:2] == ("failed", 3)
    site.requested.clear()
    run(config)
    assert site.article_requests() == []  # given up after three failures, as for revisits


# --- F: read-only archives at paths with URI characters -------------------------------------------


def test_read_only_open_of_a_path_with_uri_characters(tmp_path: Path) -> None:
    path = tmp_path / "news #1 ?%41" / "archive.db"
    archive = Archive.open(path)
    archive.upsert_outlets([{"slug": "t", "name": "t", "home": "https://example.com/"}])
    archive.close()
    read_only = Archive.open(path, read_only=True)
    try:
        assert read_only.db.execute("SELECT slug FROM outlets").fetchall() == [("t",)]
    finally:
        read_only.close()
