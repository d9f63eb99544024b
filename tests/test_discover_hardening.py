"""Discovery defects found in review: scheme/IDN site comparison, 304s on sitemap indexes and
parent listing pages, cross-host index children, feed xml:base / Atom id / rel case, and the
comment-feed filter. Behaviour that crosses HTTP runs against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from scraper.config import FetchSettings, Outlet
from scraper.discover import DiscoveryResult, classify_url, discover, find_feed_links, parse_feed, same_site
from scraper.fetch import Fetcher
from tests.test_fetch_server import Hit, LocalServer, Reply

FETCH = FetchSettings(retries=0, backoff=0.0, connect_timeout=2.0, read_timeout=5.0)
Validators = dict[str, tuple[str | None, str | None]]
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
XML = {"Content-Type": "application/xml"}


def run_discovery(home: str, validators: Validators, *, hosts: tuple[str, ...] = (), **outlet: Any) -> DiscoveryResult:
    """One discovery run with a fresh Fetcher (as each cron run has), no delay on any test host."""
    config = Outlet(slug="t", name="T", home=home, delay=0.0, concurrency=4, **outlet)

    async def main() -> DiscoveryResult:
        async with Fetcher(FETCH) as fetcher:
            for host in (home, *hosts):
                fetcher.configure_host(host, delay=0.0, concurrency=4)
            return await discover(config, fetcher, validators)

    return asyncio.run(main())


def conditional(body: Callable[[], bytes], etag: Callable[[], str], headers: dict[str, str]) -> Any:
    """A route answering 304 when the request's If-None-Match is the current ETag."""

    def route(hit: Hit, _handler: object) -> Reply:
        current = etag()
        if hit.headers.get("if-none-match") == current:
            return Reply(304, b"", {"ETag": current})
        return Reply(200, body(), {**headers, "ETag": current})

    return route


def urlset(base: str, paths: list[str]) -> bytes:
    return f"<urlset {NS}>{''.join(f'<url><loc>{base}{p}</loc></url>' for p in paths)}</urlset>".encode()


# -- 1: one site over http and https, and in Unicode or punycode spelling ------------------------------


def test_http_and_https_are_one_site_and_only_an_explicit_port_differs() -> None:
    story = "https://www.example.com/news/council-approves-new-budget-plan"
    assert same_site(story, "http://example.com/")
    assert classify_url(story, "http://example.com/") == "article"
    assert classify_url("http://example.com/news/council-approves-new-budget-plan", "https://example.com/") == "article"
    assert same_site("http://example.com:80/a", "https://example.com/")
    assert not same_site("http://example.com:8080/a", "http://example.com/")
    assert not same_site("https://example.org/a", "https://example.com/")


def test_unicode_home_matches_punycode_urls() -> None:
    story = "https://xn--mnchen-3ya.example/news/council-approves-new-budget-plan"
    assert same_site(story, "https://münchen.example/")
    assert same_site("https://MÜNCHEN.example/a", "https://xn--mnchen-3ya.example/")
    assert classify_url(story, "https://münchen.example/") == "article"
    assert not same_site("https://xn--mnchen-3ya.example/a", "https://munchen.example/")


# -- 2: a 304 must not hide what a sitemap index or a parent listing page leads to ------------------


def test_unchanged_sitemap_index_still_leads_to_new_stories_in_its_child() -> None:
    stories = ["/news/story-number-0-here", "/news/story-number-1-here"]
    with LocalServer() as server:
        base = server.url
        server.route("/robots.txt", Reply(200, f"Sitemap: {base}/sitemap-index.xml\n".encode(), {}))
        server.route("/", "<html><body>home</body></html>")
        index = f"<sitemapindex {NS}><sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
        server.route("/sitemap-index.xml", conditional(lambda: index.encode(), lambda: '"idx1"', XML))
        child = conditional(lambda: urlset(base, stories), lambda: f'"news{len(stories)}"', XML)
        server.route("/sitemap-news.xml", child)
        validators: Validators = {}
        first = run_discovery(base + "/", validators, feeds=())
        assert {c.url for c in first.candidates} == {base + p for p in stories}
        stories.append("/news/story-number-2-here")  # the child changes; the index naming it does not
        second = run_discovery(base + "/", validators, feeds=())
        index_hits = server.hits_for("/sitemap-index.xml")
    assert base + "/news/story-number-2-here" in {c.url for c in second.candidates}
    assert second.errors == []
    assert not index_hits[1].headers.get("if-none-match")  # no validators were kept for the index
    assert validators.get(base + "/sitemap-news.xml") == ('"news3"', None)  # the child keeps its own


def test_unchanged_parent_listing_page_still_leads_to_its_subsections() -> None:
    world = ["/news/world/first-world-story-here"]

    def world_page() -> bytes:
        return "".join(f'<a href="{p}">story</a>' for p in world).encode()

    html = {"Content-Type": "text/html; charset=utf-8"}
    with LocalServer() as server:
        base = server.url
        server.route("/", '<html><body><a href="/news">News</a></body></html>')
        server.route("/news", conditional(lambda: b'<a href="/news/world">World</a>', lambda: '"n1"', html))
        server.route("/news/world", conditional(world_page, lambda: f'"w{len(world)}"', html))
        validators: Validators = {}
        first = run_discovery(base + "/", validators, sitemaps=(), feeds=(), section_depth=2)
        assert {c.url for c in first.candidates} == {base + world[0]}
        world.append("/news/world/second-world-story-here")
        second = run_discovery(base + "/", validators, sitemaps=(), feeds=(), section_depth=2)
    assert base + "/news/world/second-world-story-here" in {c.url for c in second.candidates}
    assert base + "/news/world" in validators and base + "/news" not in validators


# -- 3: an index names sitemaps on its own site only -------------------------------------------------


def test_index_children_on_another_host_are_not_fetched() -> None:
    with LocalServer() as home, LocalServer() as other, LocalServer() as cdn:
        base = home.url
        # A robots.txt Sitemap: line may name another host; an index may not.
        robots = f"Sitemap: {base}/sitemap-index.xml\nSitemap: {cdn.url}/sitemap.xml\n"
        home.route("/robots.txt", Reply(200, robots.encode(), {}))
        home.route("/", "<html><body>home</body></html>")
        children = [f"{other.url}/internal/export.xml", f"{other.url}/private.xml", f"{base}/sitemap-1.xml"]
        index = f"<sitemapindex {NS}>{''.join(f'<sitemap><loc>{c}</loc></sitemap>' for c in children)}</sitemapindex>"
        home.route("/sitemap-index.xml", Reply(200, index.encode(), XML))
        home.route("/sitemap-1.xml", Reply(200, urlset(base, ["/news/own-site-story-here"]), XML))
        other.route("/internal/export.xml", Reply(200, urlset(base, ["/news/foreign-child-story"]), XML))
        cdn.route("/sitemap.xml", Reply(200, urlset(base, ["/news/cdn-root-story-here"]), XML))
        result = run_discovery(base + "/", {}, hosts=(other.url, cdn.url), feeds=())
        other_paths, cdn_paths = other.paths(), cdn.paths()
    assert other_paths == []
    assert "/sitemap.xml" in cdn_paths
    assert {c.url for c in result.candidates} == {
        f"{base}/news/own-site-story-here",
        f"{base}/news/cdn-root-story-here",
    }
    (error,) = result.errors
    assert error[0] == f"{base}/sitemap-index.xml"
    assert "2 child sitemap(s) on another site not followed" in error[1]


# -- 4: the fast feed parser reads what feedparser reads ---------------------------------------------

FEED_URL = "https://news.example.org/feeds/atom.xml"


def atom(entries: str, feed_base: str = "") -> bytes:
    base = f' xml:base="{feed_base}"' if feed_base else ""
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"{base}><title>t</title>{entries}</feed>'.encode()


def test_feed_links_resolve_against_xml_base_of_feed_entry_and_link() -> None:
    entries = (
        '<entry><link href="first-relative-story-here"/><id>tag:x,1</id></entry>'
        '<entry xml:base="/world/"><link href="second-relative-story-here"/><id>tag:x,2</id></entry>'
        '<entry><link xml:base="https://news.example.org/sport/" href="third-story-here"/><id>tag:x,3</id></entry>'
    )
    found = [url for url, _ in parse_feed(atom(entries, "https://news.example.org/news/"), FEED_URL)]
    assert found == [
        "https://news.example.org/news/first-relative-story-here",
        "https://news.example.org/world/second-relative-story-here",
        "https://news.example.org/sport/third-story-here",
    ]


def test_atom_entry_without_link_falls_back_to_an_http_id() -> None:
    entries = (
        "<entry><id>https://news.example.org/news/story-known-only-by-id</id></entry>"
        "<entry><id>tag:news.example.org,2024:5</id></entry>"  # not a URL: no candidate
    )
    assert [url for url, _ in parse_feed(atom(entries), FEED_URL)] == [
        "https://news.example.org/news/story-known-only-by-id"
    ]


def test_atom_link_rel_is_case_insensitive() -> None:
    entries = (
        '<entry><link rel="enclosure" href="https://news.example.org/a.mp3"/>'
        '<link rel="ALTERNATE" href="https://news.example.org/news/uppercase-rel-story"/><id>tag:x,5</id></entry>'
    )
    assert [url for url, _ in parse_feed(atom(entries), FEED_URL)] == [
        "https://news.example.org/news/uppercase-rel-story"
    ]


# -- 5: comment feeds, not a comment section --------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "href", "kept"),
    [
        ("Comment and analysis", "/commentisfree/rss", True),
        ("Comment", "/comment/rss.xml", True),
        ("Commentary", "/commentary/feed", True),
        ("Comments on: Budget story", "/news/budget-story/feed", False),
        ("Example » Comments Feed", "/feed", False),
        ("", "/comments/feed/", False),
        ("", "/?feed=comments-rss2", False),
        ("", "/wp-commentsrss2.php", False),
    ],
)
def test_only_real_comment_feeds_are_left_out(title: str, href: str, kept: bool) -> None:
    html = f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">'
    assert find_feed_links(html, "https://news.example.org/") == ([f"https://news.example.org{href}"] if kept else [])


def test_hostile_pages_are_read_in_bounded_time_by_discovery() -> None:
    # Discovery parses listing pages and articles' own markup through the same guard as the extractor.
    from scraper.discover.links import classify_page, links_with_context

    for html in ("<div>x" * 100_000, "<span>" * 50_000 + "x" + "</span>" * 50_000):
        started = time.process_time()
        classify_page(html)
        links_with_context(html, "https://example.org/")
        assert time.process_time() - started < 5, html[:20]
