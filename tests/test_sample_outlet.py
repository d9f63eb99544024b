"""The sample outlet over real HTTP on 127.0.0.1: content, access, discovery surfaces, change, faults."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeET
import feedparser
import httpx
import pytest
from defusedxml import EntitiesForbidden
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.sample_outlet import (
    FAULT_PATHS,
    FAULTS,
    METER_LIMIT_MESSAGE,
    PROMPT_LINES,
    SESSION_COOKIE,
    TEST_PASSWORD,
    TEST_USERNAME,
    SampleArticle,
    SampleServer,
    Site,
    build_site,
    make_outlets,
    meter_message,
)
from scraper.sample_outlet._faults import CP1252_PARAGRAPH, LATIN1_PARAGRAPH

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(seed=1, articles=60)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[SampleServer]:
    with SampleServer(site) as running:
        yield running


@pytest.fixture
def client(server: SampleServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=10) as http:
        yield http


def serve(site: Site) -> SampleServer:
    return SampleServer(site).start()


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def json_ld_article(html: str) -> dict[str, object]:
    tree = parse(html)
    for node in tree.css('script[type="application/ld+json"]'):
        data = json.loads(node.text())
        for item in data.get("@graph", [data]):
            if item.get("@type") == "NewsArticle":
                return dict(item)
    raise AssertionError("no NewsArticle JSON-LD on the page")


def body_text(html: str) -> str:
    node = parse(html).css_first(".article-body")
    assert node is not None
    return node.text(separator=" ")


def first(site: Site, access: str, **where: object) -> SampleArticle:
    for article in site.articles:
        if (
            article.access == access
            and not article.disallowed
            and article.duplicate_of is None
            and all(getattr(article, key) == value for key, value in where.items())
        ):
            return article
    raise AssertionError(f"no {access} article with {where}")


# --- content and determinism ----------------------------------------------------------------------
def test_same_seed_gives_same_content_and_other_seeds_differ() -> None:
    one, two, other = (
        build_site(seed=7, articles=40),
        build_site(seed=7, articles=40),
        build_site(seed=8, articles=40),
    )
    assert [(a.slug, a.title, a.published_iso, a.access, a.authors) for a in one.articles] == [
        (a.slug, a.title, a.published_iso, a.access, a.authors) for a in two.articles
    ]
    assert [a.text for a in one.articles] == [a.text for a in two.articles]
    assert [a.title for a in one.articles] != [a.title for a in other.articles]


def test_same_seed_serves_the_same_pages() -> None:
    paths = ["/", "/news", "/feed", "/sitemap.xml", "/robots.txt"]
    bodies: list[list[str]] = []
    for _ in range(2):
        site = build_site(seed=5, articles=30)
        paths_for_site = [*paths, site.articles[4].path]
        with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as http:
            encoded = quote(srv.base, safe="")  # share links carry the URL percent-encoded
            bodies.append(
                [http.get(path).text.replace(srv.base, "BASE").replace(encoded, "BASE") for path in paths_for_site]
            )
    assert bodies[0] == bodies[1]


def test_large_sites_build_without_writing_bodies() -> None:
    big = build_site(seed=2, articles=5000)
    assert len(big.articles) == 5000
    assert all(article._blocks is None for article in big.articles)  # written on first use only
    assert len({article.slug for article in big.articles}) == 5000
    assert big.articles[2500].word_count > 250


def test_ground_truth_has_varied_structured_prose(site: Site) -> None:
    kinds = {article.access for article in site.articles}
    assert kinds == {"free", "paywalled", "declared-free-text"}
    styles = {a.teaser_style for a in site.articles if a.access == "paywalled"}
    assert {"paragraphs", "sentence"} <= styles
    texts = [a.text for a in site.articles]
    for article in site.articles:
        assert article.list_items and article.subheadings and len(article.paragraphs) >= 6
        for item in article.list_items:
            assert item in article.text.splitlines()
        holders = [t for t in texts if article.phrase in t]
        copies = [a for a in site.articles if a.phrase == article.phrase]
        assert len(holders) == len(copies)  # unique apart from republished copies
    labels = {(a.access, a.expected_label(), a.expected_label(subscriber=True)) for a in site.articles}
    assert labels == {
        ("free", "free", "free"),
        ("declared-free-text", "free", "free"),
        ("paywalled", "teaser", "subscriber"),
    }
    assert len(site.allowed_articles) == len(site.articles) - 1
    distinct = [a for a in site.articles if a.duplicate_of is None]
    assert len({a.text for a in distinct}) == len(distinct)


def test_article_page_shape(site: Site, client: httpx.Client) -> None:
    article = first(site, "free")
    html = client.get(article.path).text
    tree = parse(html)
    container = tree.css_first("article")
    assert container is not None
    label = container.css_first(".article-section")
    h1 = container.css_first("h1")
    assert label is not None and h1 is not None
    assert label.text() == article.section_label.upper()
    assert h1.text() == article.title
    byline = container.css_first(".byline")
    assert byline is not None
    assert re.fullmatch(r"By .+ \| \d{2} [A-Z][a-z]+ \d{4}", byline.text())
    time_node = container.css_first("time")
    assert time_node is not None and time_node.attributes["datetime"] == article.published_iso
    body = container.css_first(".article-body")
    assert body is not None
    assert [li.text() for li in body.css("ul li")] == list(article.list_items)
    assert [p.text() for p in body.css("p")] == list(article.paragraphs)
    canonical = tree.css_first('link[rel="canonical"]')
    assert canonical is not None and canonical.attributes["href"] == str(client.base_url).rstrip("/") + article.path
    og = {n.attributes["property"]: n.attributes["content"] for n in tree.css("meta[property]")}
    assert og["og:title"] == article.title and og["article:published_time"] == article.published_iso
    data = json_ld_article(html)
    assert data["headline"] == article.title and data["datePublished"] == article.published_iso
    assert re.search(r"[+-]\d{2}:\d{2}$", str(data["datePublished"]))
    assert data["wordCount"] == article.word_count and data["articleSection"] == article.section_label
    for boilerplate in (
        ".cookie-banner",
        "nav",
        "footer",
        ".newsletter-signup",
        ".related-articles",
        ".share-bar",
    ):
        assert tree.css_first(boilerplate) is not None, boilerplate
    footer = tree.css_first("footer")
    assert footer is not None and site.options.publisher in footer.text()


def test_home_and_listing_pages(site: Site, client: httpx.Client) -> None:
    home = client.get("/").text
    assert "Read More News..." in home and "Apply for this job" in home
    assert 'href="/news"' in home and "Log out" not in home
    linked = set(re.findall(r'href="(/[a-z0-9-]+)(?:\?[^"]*)?"', home))
    assert site.articles[0].path in linked
    assert site.private_article is not None and site.private_article.path in linked
    # /news pagination reaches every live article.
    found: set[str] = set()
    page, pages = 1, 1
    while page <= pages:
        html = client.get("/news", params={"page": page}).text
        found |= set(re.findall(r'<h3><a href="(/[^"?]+)"', html))
        pages = int(re.search(r"Page \d+ of (\d+)", html).group(1))  # type: ignore[union-attr]
        page += 1
    assert found == {a.path for a in site.articles}
    assert client.get("/news", params={"page": pages + 1}).status_code == 404
    tag_page = client.get("/tag/finance").text
    assert "utm_source=" in tag_page
    author = site.articles[0].bylines[0]
    listing = client.get(author.path).text
    assert f"By {author.name}" in listing or f"and {author.name}" in listing
    topic = client.get("/Communications")
    assert topic.status_code == 200 and "Communications" in topic.text
    assert client.get("/downloads/report.pdf").headers["content-type"] == "application/pdf"
    assert client.get("/images/article-1.png").headers["content-type"] == "image/png"


# --- access -------------------------------------------------------------------------------------------
def prompt_block(html: str) -> list[str]:
    node = parse(html).css_first("article .subscribe-prompt")
    assert node is not None, "the prompt sits inside the article container"
    return [line.strip() for line in node.text(separator="\n").splitlines() if line.strip()]


def test_anonymous_reader_gets_teaser_and_prompt(site: Site, client: httpx.Client) -> None:
    article = first(site, "paywalled", teaser_style="paragraphs")
    html = client.get(article.path).text
    assert prompt_block(html) == list(PROMPT_LINES)
    assert article.teaser_text != article.text
    for paragraph in article.teaser_text.split("\n\n"):
        assert paragraph in body_text(html)
    assert article.subscriber_phrase not in html
    assert article.phrase in html  # the public part keeps its distinctive phrase
    assert json_ld_article(html)["isAccessibleForFree"] in (False, "False")

    one_line = first(site, "paywalled", teaser_style="sentence")
    html = client.get(one_line.path).text
    assert one_line.teaser_text.endswith("...") and "\n" not in one_line.teaser_text
    assert body_text(html).strip() == one_line.teaser_text
    assert prompt_block(html) == list(PROMPT_LINES)


def test_free_and_declared_free_text_pages_serve_everything(site: Site, client: httpx.Client) -> None:
    for access in ("free", "declared-free-text"):
        article = first(site, access)
        html = client.get(article.path).text
        assert "SUBSCRIBE TO CONTINUE READING" not in html
        assert article.subscriber_phrase in html
        assert article.teaser_text == article.text
    declared = json_ld_article(client.get(first(site, "declared-free-text").path).text)
    assert declared["isAccessibleForFree"] in (False, "False")


def login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    form = parse(http.get("/login").text)
    csrf = form.css_first('input[name="csrf_token"]')
    assert csrf is not None
    assert form.css_first('input[name="username"]') and form.css_first('input[name="password"]')
    data = {"username": username, "password": password, "csrf_token": csrf.attributes["value"] or ""}
    return http.post("/login", data=data)


def test_login_flow_gives_full_text_until_sessions_expire() -> None:
    site = build_site(seed=11, articles=20)
    article = first(site, "paywalled")
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as http:
        bad = login(http, TEST_USERNAME, "wrong")
        assert bad.status_code == 200 and "Incorrect email address or password" in bad.text
        assert SESSION_COOKIE not in http.cookies
        no_csrf = http.post("/login", data={"username": TEST_USERNAME, "password": TEST_PASSWORD})
        assert no_csrf.status_code == 403 and SESSION_COOKIE not in http.cookies
        good = login(http, TEST_USERNAME, TEST_PASSWORD)
        assert good.status_code == 303 and SESSION_COOKIE in http.cookies
        page = http.get(article.path).text
        assert "Log out" in page and "SUBSCRIBE TO CONTINUE READING" not in page
        assert article.subscriber_phrase in page
        site.expire_sessions()
        expired = http.get(article.path).text
        assert "Log out" not in expired and "SUBSCRIBE TO CONTINUE READING" in expired
        assert article.subscriber_phrase not in expired


def test_session_lifetime_and_cookie_file(tmp_path: Path) -> None:
    site = build_site(seed=12, articles=20)
    article = first(site, "paywalled")
    with SampleServer(site) as srv:
        cookie_file = srv.cookies_txt(tmp_path / "cookies.txt")
        jar = MozillaCookieJar(str(cookie_file))
        jar.load()
        with httpx.Client(base_url=srv.base, cookies=jar) as http:
            assert article.subscriber_phrase in http.get(article.path).text
        stale = site.make_session(lifetime=0)
        with httpx.Client(base_url=srv.base, cookies={SESSION_COOKIE: stale}) as http:
            assert "SUBSCRIBE TO CONTINUE READING" in http.get(article.path).text


def test_metered_outlet_counts_articles_per_reader() -> None:
    site = build_site(seed=13, articles=30, meter=2)
    metered = [a for a in site.articles if a.access == "metered"][:3]
    assert len(metered) == 3 and not site.by_access("paywalled")
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as http:
        one = http.get(metered[0].path).text
        assert meter_message(1) in one and metered[0].subscriber_phrase in one
        two = http.get(metered[1].path).text
        assert meter_message(0) in two and metered[1].subscriber_phrase in two
        three = http.get(metered[2].path).text
        assert METER_LIMIT_MESSAGE in three and prompt_block(three) == list(PROMPT_LINES)
        assert metered[2].subscriber_phrase not in three
        assert metered[0].subscriber_phrase in http.get(metered[0].path).text  # a re-read costs nothing
        free = first(site, "free")
        assert "free article" not in http.get(free.path).text
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as fresh:
        assert meter_message(1) in fresh.get(metered[2].path).text  # a new reader starts a new meter


# --- discovery surfaces -------------------------------------------------------------------------------
def test_robots_txt(site: Site, client: httpx.Client) -> None:
    text = client.get("/robots.txt").text
    robots = Protego.parse(text)
    base = str(client.base_url).rstrip("/")
    private = site.private_article
    assert private is not None
    assert not robots.can_fetch(base + private.path, "scraper")
    assert not robots.can_fetch(base + "/admin/", "scraper") and not robots.can_fetch(base + "/search?q=x", "scraper")
    assert all(robots.can_fetch(base + a.path, "scraper") for a in site.articles if a is not private)
    assert list(robots.sitemaps) == [base + "/sitemap.xml", base + "/sitemap-news.xml"]
    assert robots.crawl_delay("scraper") is None
    delayed = build_site(seed=1, articles=10, crawl_delay=2)
    with SampleServer(delayed) as srv:
        assert Protego.parse(httpx.get(srv.url_for("/robots.txt")).text).crawl_delay("scraper") == 2


def test_sitemaps(site: Site, client: httpx.Client) -> None:
    index = SafeET.fromstring(client.get("/sitemap.xml").content)
    children = [loc.text or "" for loc in index.iter(f"{SM}loc")]
    assert any(child.endswith(".xml.gz") for child in children)
    urls: set[str] = set()
    for child in children:
        response = client.get(child)
        data = gzip.decompress(response.content) if child.endswith(".gz") else response.content
        urls |= {loc.text or "" for loc in SafeET.fromstring(data).iter(f"{SM}loc")}
    base = str(client.base_url).rstrip("/")
    assert {base + a.path for a in site.articles} <= urls
    assert base + "/news/finance" in urls  # listing pages are named too
    news = SafeET.fromstring(client.get("/sitemap-news.xml").content)
    entries = news.findall(f"{SM}url")
    assert len(entries) == site.options.news_sitemap_size
    newest = site.articles[0]
    assert entries[0].findtext(f"{SM}loc") == base + newest.path
    assert entries[0].findtext(f"{NEWS}news/{NEWS}publication_date") == newest.published.isoformat(timespec="seconds")


def test_feeds(site: Site, client: httpx.Client) -> None:
    home = parse(client.get("/").text)
    alternates = {n.attributes["type"]: n.attributes["href"] for n in home.css('link[rel="alternate"]')}
    assert set(alternates) == {"application/rss+xml", "application/atom+xml"}
    for kind, href in alternates.items():
        feed = feedparser.parse(client.get(href or "").content)
        assert not feed.bozo, kind
        assert len(feed.entries) == site.options.feed_size
        assert feed.entries[0].title == site.articles[0].title
        assert feed.entries[0].link.endswith(site.articles[0].path)
        assert feed.entries[0].published_parsed is not None
    without = build_site(seed=1, articles=10, feeds=False)
    with SampleServer(without) as srv, httpx.Client(base_url=srv.base) as http:
        assert http.get("/feed").status_code == 404
        assert 'rel="alternate"' not in http.get("/").text


def test_conditional_requests(site: Site, client: httpx.Client) -> None:
    for path in (
        "/",
        "/news",
        "/feed",
        "/feed/atom",
        "/sitemap.xml",
        "/sitemaps/articles-1.xml.gz",
        "/sitemap-news.xml",
        "/robots.txt",
        site.articles[3].path,
    ):
        response = client.get(path)
        etag, modified = response.headers["etag"], response.headers["last-modified"]
        by_tag = client.get(path, headers={"If-None-Match": etag})
        assert by_tag.status_code == 304 and by_tag.content == b"", path
        by_date = client.get(path, headers={"If-Modified-Since": modified})
        assert by_date.status_code == 304, path
        changed = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
        assert changed.status_code == 200 and changed.content == response.content
    head = client.head(site.articles[3].path)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]


def test_publish_update_delete_change_what_is_served() -> None:
    site = build_site(seed=21, articles=20)
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as http:
        home = http.get("/")
        target, gone, missing = site.articles[5], site.articles[10], site.articles[11]
        page = http.get(target.path)
        new = site.publish(2)
        assert site.articles[:2] == new and new[0].published > new[1].published > target.published
        fresh_home = http.get("/", headers={"If-None-Match": home.headers["etag"]})
        assert fresh_home.status_code == 200 and new[0].title in fresh_home.text
        feed = feedparser.parse(http.get("/feed").content)
        assert [e.title for e in feed.entries[:2]] == [new[0].title, new[1].title]
        unchanged = http.get(target.path, headers={"If-None-Match": page.headers["etag"]})
        assert unchanged.status_code == 304  # new articles elsewhere leave this one's revision alone

        old_text, old_title = target.text, target.title
        site.update(target.slug)
        assert target.text != old_text and target.title != old_title and target.version == 2
        updated = http.get(target.path, headers={"If-None-Match": page.headers["etag"]})
        assert updated.status_code == 200 and target.title in updated.text
        assert http.get(target.path, headers={"If-Modified-Since": page.headers["last-modified"]}).status_code == 200
        assert parsedate_to_datetime(updated.headers["last-modified"]) > parsedate_to_datetime(
            page.headers["last-modified"]
        )
        assert json_ld_article(updated.text)["dateModified"] == target.modified_iso

        site.delete(gone.slug, gone=True)
        site.delete(missing.slug)
        assert http.get(gone.path).status_code == 410 and http.get(missing.path).status_code == 404
        assert gone not in site.articles and gone in site.all_articles
        sitemap = gzip.decompress(http.get("/sitemaps/articles-1.xml.gz").content).decode()
        assert f"{gone.path}</loc>" not in sitemap and f"{target.path}</loc>" in sitemap


def test_duplicates_republished_and_syndicated() -> None:
    first_site = build_site(seed=31, articles=30)
    second_site = build_site(seed=32, articles=30, name="Sample Council Chronicle", syndicate_with=first_site)
    copy = next(a for a in first_site.articles if a.duplicate_of)
    original = first_site.article(copy.duplicate_of or "")
    assert copy.slug != original.slug and copy.text == original.text and copy.title == original.title
    keys = {a.syndication_key for a in first_site.articles if a.syndication_key}
    assert keys and keys == {a.syndication_key for a in second_site.articles if a.syndication_key}
    for key in keys:
        ours = next(a for a in first_site.articles if a.syndication_key == key)
        theirs = next(a for a in second_site.articles if a.syndication_key == key)
        assert ours.text != theirs.text and theirs.published > ours.published
        shared = set(ours.text.split("\n\n")) & set(theirs.text.split("\n\n"))
        assert len(shared) >= len(ours.text.split("\n\n")) // 2  # lightly edited, not rewritten
    with make_outlets(2, articles_each=30, seed=31, syndicate=True) as outlets:
        assert len({server.port for server in outlets}) == 2
        a, b = outlets.sites
        key = next(x.syndication_key for x in a.articles if x.syndication_key)
        copy_b = next(x for x in b.articles if x.syndication_key == key)
        page = httpx.get(outlets.servers[1].url_for(copy_b))
        assert page.status_code == 200 and copy_b.title in page.text


# --- faults --------------------------------------------------------------------------------------------
def test_faults_are_off_by_default(client: httpx.Client) -> None:
    for paths in FAULT_PATHS.values():
        for path in paths:
            if path.startswith("/faults/"):
                assert client.get(path).status_code == 404, path
    with pytest.raises(ValueError, match="unknown fault"):
        build_site(faults={"no-such-fault"})


@pytest.fixture(scope="module")
def faulty() -> Iterator[SampleServer]:
    site = build_site(
        seed=41,
        articles=20,
        faults=set(FAULTS) - {"outage", "robots-503", "robots-403"},
        slow_seconds=0.3,
        huge_bytes=3_000_000,
        bomb_bytes=64 << 20,
    )
    with SampleServer(site) as srv:
        yield srv


@pytest.fixture(scope="module")
def fclient(faulty: SampleServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=faulty.base, timeout=10) as http:
        yield http


def test_rate_limit_and_unavailable_bursts_then_recover(faulty: SampleServer) -> None:
    site = faulty.site
    site.reset_faults()
    with httpx.Client(base_url=faulty.base) as http:
        for _ in range(site.options.fault_burst):
            limited = http.get("/faults/rate-limit")
            assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
            dated = http.get("/faults/rate-limit-date")
            assert dated.status_code == 429
            assert parsedate_to_datetime(dated.headers["retry-after"]).timestamp() > time.time()
            assert http.get("/faults/unavailable").status_code == 503
        for path in ("/faults/rate-limit", "/faults/rate-limit-date", "/faults/unavailable"):
            ok = http.get(path)
            assert ok.status_code == 200 and site.fault_articles[path].title in ok.text


def test_reset_mid_body_then_recovery(faulty: SampleServer, fclient: httpx.Client) -> None:
    faulty.site.reset_faults()
    for _ in range(faulty.site.options.fault_burst):
        with httpx.Client(base_url=faulty.base) as http, pytest.raises(httpx.TransportError):
            http.get("/faults/reset")
    assert fclient.get("/faults/reset").status_code == 200


def test_redirect_chain_and_loop(faulty: SampleServer) -> None:
    with httpx.Client(base_url=faulty.base, follow_redirects=True, max_redirects=5) as http:
        final = http.get("/faults/redirect-chain")
        assert [r.status_code for r in final.history] == [301, 302, 307]
        assert final.url.path == "/faults/redirect-target"
        assert faulty.site.fault_articles["/faults/redirect-chain"].title in final.text
        with pytest.raises(httpx.TooManyRedirects):
            http.get("/faults/redirect-loop")


def test_legacy_charsets(faulty: SampleServer, fclient: httpx.Client) -> None:
    cp1252 = fclient.get("/faults/cp1252")
    assert cp1252.headers["content-type"] == "text/html; charset=windows-1252"
    assert b"<meta charset" not in cp1252.content
    assert CP1252_PARAGRAPH in cp1252.content.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        cp1252.content.decode("utf-8")
    latin1 = fclient.get("/faults/latin1")
    assert latin1.headers["content-type"] == "text/html"
    assert b'<meta charset="iso-8859-1">' in latin1.content
    assert LATIN1_PARAGRAPH in latin1.content.decode("latin-1")
    article = faulty.site.fault_articles["/faults/latin1"]
    assert LATIN1_PARAGRAPH in article.text and article.title in latin1.content.decode("latin-1")


def test_huge_endless_and_gzip_bomb_are_streamed(faulty: SampleServer) -> None:
    with httpx.Client(base_url=faulty.base) as http:
        with http.stream("GET", "/faults/huge") as response:
            assert int(response.headers["content-length"]) == 3_000_000
            received = sum(len(chunk) for chunk in response.iter_bytes())
        assert received == 3_000_000
        with http.stream("GET", "/faults/endless") as response:
            assert response.headers["transfer-encoding"] == "chunked" and "content-length" not in response.headers
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 2_000_000:
                    break
        assert received > 2_000_000
        with http.stream("GET", "/faults/gzip-bomb") as response:
            assert response.headers["content-encoding"] == "gzip"
            compressed = b"".join(response.iter_raw())
    inflated = zlib.decompressobj(31).decompress(compressed, 1 << 20)  # stop after 1 MiB
    assert len(compressed) < 200_000 and len(inflated) == 1 << 20
    assert (64 << 20) // len(compressed) > 500


def test_xml_bombs_and_malformed_xml(faulty: SampleServer, fclient: httpx.Client) -> None:
    robots = Protego.parse(fclient.get("/robots.txt").text)
    assert faulty.url_for("/faults/sitemap-bomb.xml") in list(robots.sitemaps)
    home = fclient.get("/").text
    assert "/faults/feed-bomb.xml" in home and "/faults/feed-malformed.xml" in home
    for path in ("/faults/sitemap-bomb.xml", "/faults/feed-bomb.xml"):
        with pytest.raises(EntitiesForbidden):
            SafeET.fromstring(fclient.get(path).content)
    for path in ("/faults/sitemap-malformed.xml", "/faults/feed-malformed.xml"):
        with pytest.raises(ElementTree.ParseError):
            SafeET.fromstring(fclient.get(path).content)
    assert feedparser.parse(fclient.get("/faults/feed-malformed.xml").content).bozo


def test_broken_bytes_and_markup_keep_the_article(faulty: SampleServer, fclient: httpx.Client) -> None:
    site = faulty.site
    nul = fclient.get("/faults/nul-bytes").content
    assert b"\x00" in nul
    assert site.fault_articles["/faults/nul-bytes"].list_items[0].encode() in nul
    invalid = fclient.get("/faults/invalid-utf8").content
    with pytest.raises(UnicodeDecodeError):
        invalid.decode("utf-8")
    assert site.fault_articles["/faults/invalid-utf8"].paragraphs[-1].encode() in invalid
    broken = fclient.get("/faults/broken-html").text
    assert "</p>" not in broken and "</article>" not in broken
    article = site.fault_articles["/faults/broken-html"]
    text = parse(broken).body.text()  # type: ignore[union-attr]
    assert all(paragraph in text for paragraph in article.paragraphs)


def test_slow_page_and_fault_links(faulty: SampleServer, fclient: httpx.Client) -> None:
    started = time.monotonic()
    assert fclient.get("/faults/slow").status_code == 200
    assert time.monotonic() - started >= 0.3
    home = fclient.get("/").text
    for path in ("/faults/slow", "/faults/cp1252", "/faults/redirect-chain", "/faults/redirect-loop"):
        assert f'href="{path}"' in home


def test_host_wide_faults() -> None:
    for fault, status in (("robots-503", 503), ("robots-403", 403)):
        with SampleServer(build_site(seed=1, articles=10, faults={fault})) as srv:
            assert httpx.get(srv.url_for("/robots.txt")).status_code == status
            assert httpx.get(srv.url).status_code == 200
    with SampleServer(build_site(seed=1, articles=10, faults={"outage"})) as srv:
        assert {httpx.get(srv.url_for(p)).status_code for p in ("/", "/robots.txt", "/feed")} == {503}


def test_flaky_articles_fail_their_first_requests() -> None:
    site = build_site(seed=51, articles=10, flaky=1.0, flaky_kinds=("503",), fault_burst=2)
    article = site.articles[0]
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base) as http:
        assert [http.get(article.path).status_code for _ in range(3)] == [503, 503, 200]
        assert http.get("/").status_code == 200  # only article pages are flaky


# --- observation and running -----------------------------------------------------------------------------
def test_requests_are_recorded() -> None:
    site = build_site(seed=61, articles=10)
    with (
        SampleServer(site) as srv,
        httpx.Client(base_url=srv.base, headers={"User-Agent": "probe/1.0"}) as http,
    ):
        http.get("/robots.txt")
        http.get("/news?page=1", headers={"If-None-Match": '"x"'})
        http.post("/newsletter", data={"email": "a@example.org"})
    records = site.requests
    assert [(r.method, r.path, r.query, r.status) for r in records] == [
        ("GET", "/robots.txt", "", 200),
        ("GET", "/news", "page=1", 200),
        ("POST", "/newsletter", "", 303),
    ]
    assert all(r.header("user-agent") == "probe/1.0" for r in records)
    assert records[1].header("If-None-Match") == '"x"'
    assert records[0].time <= records[1].time <= records[2].time
    site.clear_requests()
    assert site.requests == []


def test_gzip_only_when_accepted(site: Site, server: SampleServer) -> None:
    article = site.articles[1]
    with httpx.Client(base_url=server.base, headers={"Accept-Encoding": "identity"}) as plain:
        raw = plain.get(article.path)
        assert "content-encoding" not in raw.headers
    with httpx.Client(base_url=server.base) as http:
        zipped = http.get(article.path)
        assert zipped.headers["content-encoding"] == "gzip" and zipped.content == raw.content


def test_standalone_server_prints_its_url_first() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scraper.sample_outlet", "--port", "0", "--articles", "12", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        home = httpx.get(url, timeout=5)
        assert home.status_code == 200 and build_site(seed=3, articles=12).articles[0].title in home.text
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert process.returncode == 0


def test_published_dates_carry_london_offsets(site: Site) -> None:
    offsets = {a.published.utcoffset() for a in build_site(seed=1, articles=800).articles}
    assert len(offsets) == 2  # BST and GMT both occur over a long archive
    assert all(isinstance(a.published, datetime) and a.published.tzinfo for a in site.articles)


def test_concurrent_readers_and_changes_do_not_block_each_other() -> None:
    site = build_site(seed=71, articles=40)
    paths = [a.path for a in site.articles]
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with httpx.Client(base_url=srv.base, timeout=5) as http:
                for path in paths:
                    assert http.get(path).status_code == 200
        except BaseException as exc:  # collected for the main thread to report
            errors.append(exc)

    with SampleServer(site) as srv:
        readers = [threading.Thread(target=read) for _ in range(4)]
        for reader in readers:
            reader.start()
        for article in site.articles[:10]:
            site.update(article.slug)  # takes the site lock while bodies are being written
        site.publish(3)
        for reader in readers:
            reader.join(timeout=20)
        assert not any(reader.is_alive() for reader in readers)
    assert errors == []


def test_every_internal_link_resolves() -> None:
    site = build_site(seed=81, articles=25, page_size=5, meter=3)
    with SampleServer(site) as srv, httpx.Client(base_url=srv.base, timeout=5) as http:
        seen: set[str] = set()
        queue = ["/"]
        statuses: dict[str, int] = {}
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            response = http.get(path)
            statuses[path] = response.status_code
            if "html" in response.headers.get("content-type", ""):
                for href in re.findall(r'href="([^"]+)"', response.text):
                    href = href.replace(srv.base, "")
                    if href.startswith("/") and not href.startswith("//"):
                        queue.append(href.split("?utm_")[0])  # tracking variants are the same page
    assert {a.path for a in site.articles} <= set(statuses)
    failures = {p: s for p, s in statuses.items() if s >= 400 and p != "/admin/"}
    assert failures == {}
    assert statuses["/admin/"] == 403
