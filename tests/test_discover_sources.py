"""discover() against real servers on 127.0.0.1: the sample outlet, and small servers for odd cases."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from scraper.config import FetchSettings, Outlet
from scraper.discover import COMMON_FEED_PATHS, DiscoveryResult, discover
from scraper.fetch import Fetcher
from scraper.sample_outlet import SampleServer, Site, build_site
from tests.test_fetch_server import LocalServer, Reply

FETCH = FetchSettings(retries=1, backoff=0.0, connect_timeout=2.0, read_timeout=5.0)
Validators = dict[str, tuple[str | None, str | None]]


def run_discovery(home: str, validators: Validators | None = None, **outlet: Any) -> DiscoveryResult:
    """One discovery run with a fresh Fetcher, as a new cron run would have."""
    config = Outlet(slug="sample", name="Sample", home=home, delay=0.0, concurrency=4, **outlet)

    async def main() -> DiscoveryResult:
        async with Fetcher(FETCH) as fetcher:
            fetcher.configure_host(home, delay=0.0, concurrency=4)
            return await discover(config, fetcher, validators if validators is not None else {})

    return asyncio.run(main())


@pytest.fixture
def site() -> Site:
    return build_site(seed=3, articles=40)


@pytest.fixture
def server(site: Site) -> Iterator[SampleServer]:
    with SampleServer(site) as running:
        yield running


def article_urls(server: SampleServer, site: Site) -> set[str]:
    base = server.url.rstrip("/")
    return {base + article.path for article in site.articles}


def test_sitemaps_named_in_robots_give_every_allowed_article(server: SampleServer, site: Site) -> None:
    result = run_discovery(server.url)
    found = {c.url for c in result.candidates}
    private = server.url.rstrip("/") + site.private_article.path  # type: ignore[union-attr]
    assert found >= article_urls(server, site) - {private}
    assert private not in found and result.sources["disallowed"] >= 1
    assert result.errors == []
    paths = site.requested_paths()
    assert paths.count("/robots.txt") == 1
    assert {"/sitemap.xml", "/sitemap-news.xml", "/sitemaps/articles-1.xml.gz"} <= set(paths)
    # Sitemaps and feeds were found, so no listing page was crawled for links.
    assert not any(p.startswith(("/news", "/tag/", "/author/")) for p in paths)


def test_news_sitemap_dates_and_newest_first(server: SampleServer, site: Site) -> None:
    result = run_discovery(server.url)
    news = [c for c in result.candidates if c.found_via == "news-sitemap"]
    assert news and all(c.lastmod for c in news)
    dated = [c.lastmod for c in result.candidates if c.lastmod]
    assert dated == sorted(dated, reverse=True)  # same offset throughout, so string order is time order
    assert result.candidates[0].url.endswith(site.articles[0].path)  # the newest article first


def test_no_disallowed_url_is_ever_requested(server: SampleServer, site: Site) -> None:
    async def main() -> None:
        outlet = Outlet(slug="sample", name="Sample", home=server.url, delay=0.0, concurrency=4)
        async with Fetcher(FETCH) as fetcher:
            fetcher.configure_host(server.url, delay=0.0, concurrency=4)
            result = await discover(outlet, fetcher, {})
            await asyncio.gather(*(fetcher.get(c.url) for c in result.candidates))

    asyncio.run(main())
    requested = site.requested_paths()
    assert len(requested) > 40
    for path in site.disallowed_paths:
        assert not any(p.startswith(path) for p in requested), path


def test_second_run_on_unchanged_site_gets_304s_and_nothing_new(server: SampleServer, site: Site) -> None:
    validators: Validators = {}
    first = run_discovery(server.url, validators)
    assert first.candidates and validators
    site.clear_requests()
    second = run_discovery(server.url, validators)
    assert second.errors == []
    # Sitemaps and feeds answered 304, so only the home page's links remain: all known already.
    assert {c.found_via for c in second.candidates} <= {"links"}
    assert {c.url for c in second.candidates} <= {c.url for c in first.candidates}
    statuses = {record.path: record.status for record in site.requests}
    # The sitemap index is fetched in full every run (a 304 would hide its children); they answer 304.
    assert statuses.pop("/sitemap.xml") == 200
    sources = {path: status for path, status in statuses.items() if path not in ("/robots.txt", "/")}
    assert sources and set(sources.values()) == {304}, statuses
    assert second.sources["not-modified"] == len(sources)
    # Only robots.txt, the home page (for its feed links), the index and the sources themselves.
    assert set(statuses) == {"/robots.txt", "/", *sources}


def test_new_article_after_a_run_is_the_only_candidate(server: SampleServer, site: Site) -> None:
    validators: Validators = {}
    run_discovery(server.url, validators)
    (fresh,) = site.publish(1)
    site.clear_requests()
    second = run_discovery(server.url, validators)
    # The changed sitemaps and feeds list everything again (the archive knows what it has); the new
    # article comes first, by its date.
    assert second.candidates[0].url == server.url.rstrip("/") + fresh.path
    assert {r.path: r.status for r in site.requests}["/sitemap-news.xml"] == 200


def test_feeds_from_link_alternate_when_sitemaps_are_off(server: SampleServer, site: Site) -> None:
    result = run_discovery(server.url, sitemaps=())
    from_feeds = [c for c in result.candidates if c.found_via == "feed"]
    assert len(from_feeds) >= 25 and all(c.lastmod for c in from_feeds)
    assert {c.found_via for c in result.candidates} == {"feed", "links"}  # plus the home page's links
    paths = site.requested_paths()
    assert "/feed" in paths and "/feed/atom" in paths
    assert not any(p.startswith("/sitemap") for p in paths)  # the explicit (empty) list replaced the guess


def test_explicit_sitemaps_and_feeds_replace_the_guesses(server: SampleServer, site: Site) -> None:
    base = server.url.rstrip("/")
    result = run_discovery(server.url, sitemaps=(f"{base}/sitemap-news.xml",), feeds=(f"{base}/feed/atom",))
    assert result.candidates and result.errors == []
    assert sorted(p for p in site.requested_paths() if p != "/robots.txt") == ["/feed/atom", "/sitemap-news.xml"]


def test_links_are_bounded_by_depth_and_page_count(site: Site) -> None:
    no_feeds = build_site(seed=3, articles=40, feeds=False)
    with SampleServer(no_feeds) as server:
        result = run_discovery(server.url, sitemaps=(), section_depth=2, max_section_pages=4)
        truth = article_urls(server, no_feeds)
        base = server.url.rstrip("/")
    not_listings = {"/", "/robots.txt", *COMMON_FEED_PATHS}
    listing_pages = [p for p in no_feeds.requested_paths() if p not in not_listings]
    assert 1 <= len(listing_pages) <= 4
    found = {c.url for c in result.candidates}
    assert found and {c.found_via for c in result.candidates} == {"links"}
    assert found <= truth | {base + p for p in no_feeds.fault_articles}, found - truth
    # Every common feed path was guessed once; their 404s are not errors.
    assert [p for p in no_feeds.requested_paths() if p in COMMON_FEED_PATHS] == list(COMMON_FEED_PATHS)
    assert result.errors == []


def test_depth_zero_reads_only_the_home_page(site: Site) -> None:
    no_feeds = build_site(seed=3, articles=40, feeds=False)
    with SampleServer(no_feeds) as server:
        result = run_discovery(server.url, sitemaps=(), feeds=(), section_depth=0)
    assert result.candidates
    assert [p for p in no_feeds.requested_paths() if p != "/robots.txt"] == ["/"]


def test_explicit_sections_replace_the_listing_guess(server: SampleServer, site: Site) -> None:
    section = server.url.rstrip("/") + "/news/housing"
    result = run_discovery(server.url, sitemaps=(), feeds=(), sections=(section,), section_depth=1)
    assert [p for p in site.requested_paths() if p != "/robots.txt"] == ["/", "/news/housing"]
    housing = {server.url.rstrip("/") + a.path for a in site.section_articles("housing")}
    assert housing & {c.url for c in result.candidates}


def test_article_pattern_decides(server: SampleServer, site: Site) -> None:
    result = run_discovery(server.url, article_pattern=r"/[a-z0-9-]*council[a-z0-9-]*$")
    assert result.candidates and all("council" in c.url for c in result.candidates)
    assert result.sources["rejected"] > 0


def test_xml_bombs_and_malformed_sources_are_recorded_not_raised() -> None:
    faulty = build_site(seed=3, articles=40, faults=("xml-bomb", "malformed-xml"))
    with SampleServer(faulty) as server:
        result = run_discovery(server.url)
        truth = article_urls(server, faulty)
        base = server.url.rstrip("/")
    errors = dict(result.errors)
    assert "refused" in errors[f"{base}/faults/sitemap-bomb.xml"]
    assert "entity" in errors[f"{base}/faults/feed-bomb.xml"]
    assert len({c.url for c in result.candidates} & truth) >= 39  # the good sources still count


def test_unreachable_home_says_so() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        home = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        result = run_discovery(home)
    assert result.candidates == []
    messages = [message for _, message in result.errors]
    assert any("nothing discovered: the home page could not be fetched" in message for message in messages)


def test_guessed_feed_path_is_found_and_probing_stops() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><link>/a-guessed-feed-story</link><pubDate>Thu, 02 Oct 2025 08:30:00 GMT</pubDate></item>
      </channel></rss>"""
    with LocalServer() as server:
        server.route("/", "<html><body><a href='/news'>News</a></body></html>")
        server.route("/rss.xml", Reply(200, rss, {"Content-Type": "application/rss+xml", "ETag": '"r1"'}))
        validators: Validators = {}
        result = run_discovery(server.url + "/", validators)
        found = [(c.url, c.found_via) for c in result.candidates]
        assert found == [(server.url + "/a-guessed-feed-story", "feed")]
        assert result.errors == []  # the guesses that 404 are not failures
        assert validators == {server.url + "/rss.xml": ('"r1"', None)}
        paths = server.paths()
    assert paths.index("/rss.xml") == len(paths) - 1  # /feed.xml, /atom.xml ... were not tried after it
    assert "/news" not in paths  # a feed was found: no link crawling


def test_sitemap_failure_is_recorded_and_feeds_still_used(server: SampleServer, site: Site) -> None:
    base = server.url.rstrip("/")
    result = run_discovery(server.url, sitemaps=(f"{base}/no-such-sitemap.xml",))
    assert any(url == f"{base}/no-such-sitemap.xml" and "404" in message for url, message in result.errors)
    assert result.candidates and "feed" in {c.found_via for c in result.candidates}


def test_large_gzipped_sitemap_is_read_whole() -> None:
    with LocalServer() as server:
        locs = "".join(f"<url><loc>{server.url}/story-number-{n}-of-many</loc></url>" for n in range(6000))
        body = gzip.compress(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode())
        server.route("/robots.txt", Reply(200, f"Sitemap: {server.url}/big.xml.gz\n".encode(), {}))
        server.route("/big.xml.gz", Reply(200, body, {"Content-Type": "application/x-gzip"}))
        server.route("/", "<html></html>")
        result = run_discovery(server.url + "/", feeds=())
    assert len(result.candidates) == 6000 and result.errors == []
    assert {c.found_via for c in result.candidates} == {"sitemap"}
