"""The pure discovery parsers and the URL/page classifiers: plain data in, plain data out."""

from __future__ import annotations

import contextlib
import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.discover import (
    classify_page,
    classify_url,
    extract_links,
    find_feed_links,
    parse_feed,
    parse_robots_sitemaps,
    parse_sitemap,
)
from scraper.discover.parsers import MAX_SITEMAP_BYTES
from scraper.errors import ParseError

BASE = "https://news.example.org"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
IMAGE_NS = 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'

URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS} {IMAGE_NS}>
  <url><loc>{BASE}/council-tax-rise-approved-by-cabinet</loc><lastmod>2025-10-01T09:00:00+01:00</lastmod>
    <image:image><image:loc>{BASE}/images/a.jpg</image:loc></image:image></url>
  <url><loc> {BASE}/budget-gap-widens-again </loc></url>
  <url><loc>/relative-path-is-resolved-here</loc><lastmod>2025-09-30</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>""".encode()

INDEX = f"""<?xml version="1.0"?>
<sitemapindex {NS}>
  <sitemap><loc>{BASE}/sitemaps/2025-08.xml.gz</loc><lastmod>2025-08-31</lastmod></sitemap>
  <sitemap><loc>{BASE}/sitemaps/2025-10.xml.gz</loc><lastmod>2025-10-02T08:00:00Z</lastmod></sitemap>
  <sitemap><loc>{BASE}/sitemaps/pages.xml</loc></sitemap>
  <sitemap><loc>{BASE}/sitemaps/2025-09.xml.gz</loc><lastmod>2025-09-30</lastmod></sitemap>
</sitemapindex>""".encode()

NEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS} {NEWS_NS}>
  <url><loc>{BASE}/mayor-unveils-housing-plan</loc>
    <news:news><news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2025-10-02T07:15:00+01:00</news:publication_date>
      <news:title>Mayor unveils housing plan</news:title></news:news></url>
</urlset>""".encode()

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example</title><link>{BASE}/</link><description>d</description>
  <item><title>One</title><link>{BASE}/first-story-of-the-day</link>
    <pubDate>Thu, 02 Oct 2025 08:30:00 +0100</pubDate></item>
  <item><title>Two</title><link>/second-story-relative-link</link></item>
  <item><title>Three</title><guid isPermaLink="true">{BASE}/third-story-by-guid</guid></item>
  <item><title>No link</title><description>nothing to follow</description></item>
</channel></rss>""".encode()

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example</title><id>urn:x</id><updated>2025-10-02T08:00:00Z</updated>
  <entry><title>A</title><id>urn:a</id><link rel="alternate" href="{BASE}/atom-entry-one-here"/>
    <published>2025-10-01T12:00:00Z</published><updated>2025-10-02T08:00:00Z</updated></entry>
  <entry><title>B</title><id>urn:b</id><link href="{BASE}/atom-entry-two-here"/>
    <updated>2025-09-29T10:00:00+02:00</updated></entry>
</feed>""".encode()

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
"""


# -- sitemaps ------------------------------------------------------------------------------------------


def test_urlset_gives_absolute_urls_with_iso_dates() -> None:
    result = parse_sitemap(URLSET, f"{BASE}/sitemap.xml")
    assert result.urls == [
        (f"{BASE}/council-tax-rise-approved-by-cabinet", "2025-10-01T09:00:00+01:00"),
        (f"{BASE}/budget-gap-widens-again", None),
        (f"{BASE}/relative-path-is-resolved-here", "2025-09-30T00:00:00"),
    ]
    assert result.children == [] and not result.is_news


def test_index_lists_children_newest_first() -> None:
    result = parse_sitemap(INDEX, f"{BASE}/sitemap.xml")
    assert result.urls == []
    assert result.children == [
        f"{BASE}/sitemaps/2025-10.xml.gz",
        f"{BASE}/sitemaps/2025-09.xml.gz",
        f"{BASE}/sitemaps/2025-08.xml.gz",
        f"{BASE}/sitemaps/pages.xml",
    ]


def test_news_sitemap_gives_publication_dates() -> None:
    result = parse_sitemap(NEWS, f"{BASE}/news.xml")
    assert result.is_news
    assert result.urls == [(f"{BASE}/mayor-unveils-housing-plan", "2025-10-02T07:15:00+01:00")]


def test_gzipped_sitemap_is_inflated() -> None:
    assert parse_sitemap(gzip.compress(URLSET), f"{BASE}/s.xml.gz").urls == parse_sitemap(URLSET, BASE).urls


def test_gzip_bomb_sitemap_is_refused_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_SITEMAP_BYTES + 10), compresslevel=9)
    with pytest.raises(ParseError, match="size bomb"):
        parse_sitemap(bomb, f"{BASE}/bomb.xml.gz")


def test_entity_expansion_is_refused() -> None:
    bomb = LAUGHS + b"<urlset><url><loc>&lol3;</loc></url></urlset>"
    with pytest.raises(ParseError, match="refused"):
        parse_sitemap(bomb, f"{BASE}/bomb.xml")


def test_external_entities_are_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>&x;</loc></url></urlset>"
    )
    with pytest.raises(ParseError, match="refused"):
        parse_sitemap(xxe, f"{BASE}/xxe.xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body>Not found</body></html>", "root element <html>"),
        (b"<urlset><url><loc>unclosed", "malformed"),
        (b"\x1f\x8bnot really gzip", "corrupt gzip"),
        (b"hello world, no urls here", "neither XML nor a list of URLs"),
    ],
)
def test_malformed_sitemaps_raise_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as raised:
        parse_sitemap(data, f"{BASE}/bad.xml")
    assert f"{BASE}/bad.xml" in str(raised.value)


def test_sitemap_cut_off_mid_way_keeps_what_came_before() -> None:
    cut = URLSET[: URLSET.index(b"<url><loc>/relative")]
    assert [url for url, _ in parse_sitemap(cut, BASE).urls] == [
        f"{BASE}/council-tax-rise-approved-by-cabinet",
        f"{BASE}/budget-gap-widens-again",
    ]


def test_text_sitemap_and_feed_as_sitemap() -> None:
    text = f"{BASE}/one-plain-text-entry\n\n{BASE}/two-plain-text-entry\nnot a url\n".encode()
    listed = [url for url, _ in parse_sitemap(text, BASE).urls]
    assert listed == [f"{BASE}/one-plain-text-entry", f"{BASE}/two-plain-text-entry"]
    assert parse_sitemap(RSS, BASE).urls[0] == (f"{BASE}/first-story-of-the-day", "2025-10-02T07:30:00+00:00")


# -- feeds ---------------------------------------------------------------------------------------------


def test_rss_entries_with_links_and_dates() -> None:
    assert parse_feed(RSS, f"{BASE}/feed") == [
        (f"{BASE}/first-story-of-the-day", "2025-10-02T07:30:00+00:00"),
        (f"{BASE}/second-story-relative-link", None),
        (f"{BASE}/third-story-by-guid", None),
    ]


def test_atom_entries_prefer_published_date() -> None:
    assert parse_feed(ATOM, f"{BASE}/atom") == [
        (f"{BASE}/atom-entry-one-here", "2025-10-01T12:00:00+00:00"),
        (f"{BASE}/atom-entry-two-here", "2025-09-29T08:00:00+00:00"),
    ]


def test_feed_entity_bomb_is_refused() -> None:
    bomb = LAUGHS + b'<rss version="2.0"><channel><item><link>&lol3;</link></item></channel></rss>'
    with pytest.raises(ParseError, match="entity expansion"):
        parse_feed(bomb, f"{BASE}/feed")


@pytest.mark.parametrize("data", [b"", b"<html><p>hello</p></html>", b"{}", b"/etc/passwd", b"http://127.0.0.1:9/"])
def test_non_feeds_raise_parse_error(data: bytes) -> None:
    # b"/etc/passwd" and a URL: feedparser would open them if handed bytes; we hand it a stream.
    with pytest.raises(ParseError):
        parse_feed(data, f"{BASE}/feed")


def test_feed_that_is_cut_off_still_gives_its_complete_entries() -> None:
    cut = RSS[: RSS.index(b"<item><title>Two")]
    assert parse_feed(cut, BASE) == [(f"{BASE}/first-story-of-the-day", "2025-10-02T07:30:00+00:00")]


# -- robots, HTML links --------------------------------------------------------------------------------


def test_robots_sitemap_lines() -> None:
    text = (
        "User-agent: *\nDisallow: /admin\n"
        f"Sitemap: {BASE}/sitemap.xml\nsitemap:{BASE}/news.xml # the news one\n"
        f"SITEMAP: {BASE}/sitemap.xml\nSitemap: /relative.xml\nSitemapx: {BASE}/no.xml\n"
    )
    assert parse_robots_sitemaps(text) == [f"{BASE}/sitemap.xml", f"{BASE}/news.xml"]


def test_feed_links_from_link_alternate() -> None:
    html = f"""<html><head><base href="{BASE}/section/">
      <link rel="alternate" type="application/rss+xml" title="News" href="../feed">
      <link rel="Alternate Home" type="application/atom+xml" href="{BASE}/atom.xml">
      <link rel="alternate" type="application/rss+xml" title="Comments feed" href="{BASE}/comments/feed">
      <link rel="alternate" type="text/html" hreflang="fr" href="{BASE}/fr/">
      <link rel="stylesheet" type="application/rss+xml" href="{BASE}/nope">
    </head></html>"""
    assert find_feed_links(html, f"{BASE}/") == [f"{BASE}/feed", f"{BASE}/atom.xml"]


def test_extract_links_absolute_fragment_free_same_site() -> None:
    html = f"""<a href="/one-story#comments">1</a><a href="two-story">2</a>
      <a href="{BASE}/one-story">again</a>
      <a href="https://www.news.example.org/three-story">www: same site</a>
      <a href="https://other.example.com/x">off</a><a href="mailto:a@b.c">mail</a>
      <a href="javascript:void(0)">js</a>
      <a href="http://news.example.org:8080/other-port">port</a><a>no href</a>"""
    assert extract_links(html, f"{BASE}/section/") == [
        f"{BASE}/one-story",
        f"{BASE}/section/two-story",
        "https://www.news.example.org/three-story",
    ]


# -- classification -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/council-tax-rise-approved-by-cabinet", "article"),
        ("/news/2025/10/02/budget-gap", "article"),
        ("/2025/10/02/mayor", "article"),
        ("/politics/article-123456", "article"),
        ("/story/3f2a9c1e-1b2c-4d5e-8f90-123456789abc", "article"),
        ("/world/europe/election-result.html", "article"),
        ("/business/1234567/", "article"),
        ("/", "listing"),
        ("/news", "listing"),
        ("/news/world", "listing"),
        ("/Communications", "listing"),
        ("/tag/housing", "listing"),
        ("/tag/social-care/page/2", "listing"),
        ("/author/3f2a9c1e-1b2c-4d5e-8f90-123456789abc/jane-doe", "listing"),
        ("/topics/local-government-finance", "listing"),
        ("/category/news", "listing"),
        ("/news?page=3", "listing"),
        ("/2025/10/", "listing"),
        ("/downloads/annual-report-2024-final.pdf", "other"),
        ("/images/council-chamber-photo.jpg", "other"),
        ("/login", "other"),
        ("/subscribe/digital-plus-offer", "other"),
        ("/search?q=council+tax", "other"),
        ("/privacy-policy", "other"),
        ("/feed", "other"),
        ("/news/social-care", "listing"),
        ("/budget-cuts", "other"),
        ("/2025/10/budget-cuts", "article"),
    ],
)
def test_classify_url_by_shape(path: str, kind: str) -> None:
    assert classify_url(f"{BASE}{path}", f"{BASE}/") == kind


def test_classify_url_off_site_and_non_http_are_other() -> None:
    home = f"{BASE}/"
    assert classify_url("https://elsewhere.example.com/council-tax-rise-approved", home) == "other"
    assert classify_url("ftp://news.example.org/council-tax-rise-approved", home) == "other"
    assert classify_url("https://www.news.example.org/council-tax-rise-approved", home) == "article"


def test_article_pattern_decides_alone_and_exclude_wins() -> None:
    home = f"{BASE}/"
    pattern, exclude = r"/stories/\d+$", r"/stories/0+$"
    assert classify_url(f"{BASE}/stories/42", home, article_pattern=pattern) == "article"
    slug = f"{BASE}/council-tax-rise-approved-by-cabinet"
    assert classify_url(slug, home, article_pattern=pattern) == "other"
    assert classify_url(f"{BASE}/tag/housing", home, article_pattern=pattern) == "listing"
    zeros = f"{BASE}/stories/000"
    assert classify_url(zeros, home, article_pattern=pattern, exclude_pattern=exclude) == "other"
    assert classify_url(slug, home, exclude_pattern="council") == "other"


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<meta property="og:type" content="article"><p>x</p>', "article"),
        ('<script type="application/ld+json">{"@type": "NewsArticle"}</script>', "article"),
        ('<script type="application/ld+json">{"@graph": [{"@type": "CollectionPage"}]}</script>', "listing"),
        ("<article><h2>a</h2></article><article>b</article><article>c</article>", "listing"),
        ("<article><h1>t</h1><p>1</p><p>2</p><p>3</p></article>", "article"),
        ("<div>nothing to go on</div>", None),
    ],
)
def test_classify_page_from_markup(html: str, kind: str | None) -> None:
    assert classify_page(html) == kind


# -- never anything but ParseError -----------------------------------------------------------------------

_XMLISH = st.lists(
    st.sampled_from(
        [
            b"<",
            b">",
            b"</",
            b"/>",
            b"urlset",
            b"sitemapindex",
            b"url",
            b"loc",
            b"lastmod",
            b"rss",
            b"feed",
            b"item",
            b"link",
            b"entry",
            b"<!DOCTYPE x [",
            b"<!ENTITY a 'b'>",
            b"]>",
            b"&a;",
            b"<?xml version='1.0'?>",
            b"http://",
            b"\x1f\x8b",
            b"\x00",
            b"\xff",
            b" ",
            b"=",
            b'"',
            b"news:news",
            b"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'",
        ]
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=2000), _XMLISH))
def test_parsers_raise_only_parse_error_on_any_bytes(data: bytes) -> None:
    for parse in (parse_sitemap, parse_feed):
        with contextlib.suppress(ParseError):
            parse(data, f"{BASE}/x.xml")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=500), url=st.text(max_size=60))
def test_text_parsers_never_raise(text: str, url: str) -> None:
    parse_robots_sitemaps(text)
    find_feed_links(text, f"{BASE}/")
    extract_links(text, f"{BASE}/")
    classify_page(text)
    assert classify_url(url, f"{BASE}/") in ("article", "listing", "other")
    assert classify_url(f"{BASE}/{url}", f"{BASE}/") in ("article", "listing", "other")
