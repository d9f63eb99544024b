"""The fetch stage's pure parts: host gates, Retry-After, host keys, charset decoding, robots verdicts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from scraper.fetch import decode, host_key, parse_retry_after
from scraper.fetch.limits import HostGate, HostLimits, site_key
from scraper.fetch.robots import RobotsAnswer, host_origin, interpret


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.org/a?b#c", "http://example.org:80"),
        ("https://example.org", "https://example.org:443"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"),
        ("http://example.org:80/", "http://example.org:80"),
        ("http://[::1]:81/", "http://[::1]:81"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.Example.com/a", "example.com"),
        ("http://example.com:80/b", "example.com"),
        ("http://amp.example.com/c", "example.com"),
        ("https://example.com:8443/d", "example.com:8443"),
        ("https://news.example.com/e", "news.example.com"),
        ("http://www.com/f", "www.com"),  # a host that is only "www." plus a suffix keeps it
        ("http://[::1]:8080/g", "[::1]:8080"),
    ],
)
def test_site_key(url: str, key: str) -> None:
    assert site_key(url) == key


def test_an_outlets_limits_apply_to_every_form_of_its_host() -> None:
    # Links and redirects use www. or not, http or https: one server, one gate with the outlet's settings.
    limits = HostLimits()
    limits.configure("https://example.com/", delay=7.0, concurrency=2)
    gate = limits.gate("http://www.example.com/news/1")
    assert (gate.delay, gate.concurrency) == (7.0, 2)
    assert limits.gate("https://amp.example.com/news/1") is gate
    assert limits.gate("https://other.example.org/") is not gate


def test_outlets_sharing_a_server_keep_the_strictest_limits() -> None:
    # Two outlets on one site (sections, or www. and bare forms): whichever starts last, the server
    # gets the longest delay and the fewest requests in flight of the two.
    limits = HostLimits()
    limits.configure("https://www.example.com/", delay=5.0, concurrency=1)
    limits.configure("http://example.com/sport/", delay=0.1, concurrency=8)
    gate = limits.gate("https://example.com/news/1")
    assert (gate.delay, gate.concurrency) == (5.0, 1)


def test_robots_url_keeps_the_authority_but_not_userinfo() -> None:
    assert host_origin("https://user:pw@Example.org:8443/a/b?c") == "https://Example.org:8443"


def test_retry_after_forms() -> None:
    now = datetime(2025, 10, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (RobotsAnswer(200, "User-agent: *\nDisallow: /x\n"), "rules"),
        (RobotsAnswer(401), "disallow-all"),
        (RobotsAnswer(403), "disallow-all"),
        (RobotsAnswer(404), "allow-all"),
        (RobotsAnswer(429), "allow-all"),
        (RobotsAnswer(500), "unavailable"),
        (RobotsAnswer(None, error="connection refused"), "unavailable"),
    ],
)
def test_robots_verdicts(answer: RobotsAnswer, verdict: str) -> None:
    robots = interpret("http://h:80", answer)
    assert robots.verdict == verdict
    assert robots.allows("http://h/y", "scraper") == (verdict in ("rules", "allow-all"))


def test_charset_unknown_label_falls_back_to_sniffing() -> None:
    assert decode("é".encode(), "text/html; charset=x-no-such-charset") == ("é", "utf-8")
    assert decode(b"\xe9", "text/html; charset=bogus") == ("é", "cp1252")


def test_charset_xml_declaration() -> None:
    body = b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>\x93\xa3</rss>'
    assert decode(body, "application/xml")[0].endswith("<rss>“£</rss>")


def test_gate_slot_is_first_come_first_served_and_survives_cancellation() -> None:
    async def scenario() -> list[str]:
        gate = HostGate(delay=0.0, concurrency=1)
        order: list[str] = []
        release = asyncio.Event()

        async def hold(name: str) -> None:
            async with gate.slot():
                order.append(name)
                await release.wait()

        first = asyncio.create_task(hold("first"))
        await asyncio.sleep(0)
        cancelled = asyncio.create_task(hold("cancelled"))
        later = asyncio.create_task(hold("later"))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.sleep(0)
        release.set()
        await asyncio.wait_for(asyncio.gather(first, later), timeout=2)
        return order

    assert asyncio.run(scenario()) == ["first", "later"]


def test_gate_pause_holds_back_every_request_of_the_host() -> None:
    async def scenario() -> float:
        gate = HostGate(delay=0.0, concurrency=4)
        loop = asyncio.get_running_loop()
        gate.pause(0.2)
        began = loop.time()
        async with gate.slot():
            return loop.time() - began

    assert asyncio.run(scenario()) >= 0.2 - 0.002
