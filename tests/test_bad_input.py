"""Hostile and malformed input reaching each stage on its own: a clear result, never a crash."""

from __future__ import annotations

import json

import pytest

from scraper.dedup import canonical_url
from scraper.discover import extract_links, parse_feed, parse_sitemap
from scraper.errors import ParseError
from scraper.extract import extract_article

BASE = "https://outlet.example/"


def page(jsonld: str, body: str = "<p>Councils set budgets.</p>") -> str:
    return (
        f'<html><head><script type="application/ld+json">{jsonld}</script></head>'
        f"<body><article><h1>Budget row</h1>{body}</article></body></html>"
    )


@pytest.mark.parametrize(
    "jsonld",
    [
        "{not json",
        '{"@type": "NewsArticle", "datePublished": "yesterday", "author": 5}',
        '{"@type": "NewsArticle", "datePublished": "0000-00-00T00:00:00Z", "headline": {"b": 1}}',
        '{"@type": "NewsArticle", "datePublished": "99999-01-01", "author": {"name": {"x": []}}}',
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        json.dumps({"@type": "NewsArticle", "isAccessibleForFree": {"weird": True}, "wordCount": "many"}),
        json.dumps({"@graph": "not a list", "@type": None}),
    ],
)
def test_garbage_jsonld_and_dates_give_an_article_without_them(jsonld: str) -> None:
    article = extract_article(page(jsonld), BASE + "budget-row-deepens")
    assert article.title == "Budget row"
    assert "Councils set budgets." in article.text
    assert article.published is None or (article.published[:4].isdigit() and "0000" not in article.published[:4])


def test_nul_bytes_and_invalid_text_never_reach_the_text() -> None:
    html = page("{}", "<p>Chief\x00 executives met.</p><p>\udcff Broken surrogate.</p>")
    article = extract_article(html, BASE + "chief-executives-meet")
    assert "\x00" not in article.text
    assert "executives met" in article.text


def test_absurd_urls_are_not_followed() -> None:
    long = "a" * 10_000
    html = (
        '<a href="javascript:alert(1)">x</a><a href="data:text/html,hi">y</a><a href="mailto:a@b.c">z</a>'
        f'<a href="ftp://outlet.example/file">f</a><a href="/{long}">long</a><a href="http://[::1">bad</a>'
        '<a href="/councils-agree-pay-deal">ok</a>'
    )
    links = extract_links(html, BASE)
    assert links == [BASE + "councils-agree-pay-deal"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<urlset><url><loc>https://outlet.example/a</loc>",  # truncated
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><urlset>&b;</urlset>',
        b"\x1f\x8b\x08\x00garbage-gzip",
        b"\xff\xfe\x00\x00",
    ],
)
def test_malformed_sitemaps_raise_only_parse_error(data: bytes) -> None:
    try:
        result = parse_sitemap(data, BASE + "sitemap.xml")
    except ParseError as exc:
        assert str(exc)  # a message a person can act on
    else:
        assert all(url.startswith("http") for url, _ in result.urls)


@pytest.mark.parametrize(
    "data",
    [b"", b"<rss><channel><item><link>", b'<!DOCTYPE r [<!ENTITY a "x">]><rss>&a;</rss>', b"\x00\x01\x02"],
)
def test_malformed_feeds_raise_only_parse_error(data: bytes) -> None:
    try:
        entries = parse_feed(data, BASE + "feed")
    except ParseError as exc:
        assert str(exc)
    else:
        assert isinstance(entries, list)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:,x", "", "http://", "::::", "http://[::1", "a" * 10_000])
def test_canonical_url_never_raises(url: str) -> None:
    assert isinstance(canonical_url(url), str)
