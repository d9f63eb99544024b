"""Fetcher against hostile answers from real HTTP servers on 127.0.0.1: an endless Crawl-delay, charset
labels naming non-text codecs, 3xx answers that cannot be followed, compressed bodies cut short."""

from __future__ import annotations

import gzip
import logging
import zlib
from typing import TypeVar

import pytest

from scraper.errors import BadStatus, FetchError, HostBackedOff
from scraper.fetch import Fetcher, RequestRecord, charset
from tests.test_fetch import fast, run, settings
from tests.test_fetch_server import LocalServer, Reply, robots, sequence

T = TypeVar("T")
HTML = {"Content-Type": "text/html; charset=utf-8"}
# Long enough to compress to several kilobytes, so cutting the compressed body in half leaves a
# readable start of the page: the case where the cut part could pass for the whole.
ARTICLE = "".join(f"<p>Paragraph {n}: the council met and the river rose — café £{n}.</p>" for n in range(400))


# -- 1. Crawl-delay ------------------------------------------------------------------------------------


def test_crawl_delay_beyond_max_retry_after_backs_the_host_off(caplog: pytest.LogCaptureFixture) -> None:
    with LocalServer() as server:
        server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 100000000\n"))
        server.route("/a", "<p>a</p>")
        server.route("/b", "<p>b</p>")

        async def scenario(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for path in ("/a", "/b"):
                try:
                    await fetcher.get(server.url + path)
                    outcomes.append("fetched")
                except HostBackedOff as exc:
                    outcomes.append(str(exc))
            return outcomes

        with caplog.at_level(logging.WARNING, logger="scraper.fetch.client"):
            # Without the back-off the second request would wait 100000000 s: the bound fails the test.
            outcomes = run(scenario, settings(max_retry_after=60), hosts=fast(server), within=5.0)
        paths = server.paths()
    host = server.url.removeprefix("http://")
    for path, outcome in zip(("/a", "/b"), outcomes, strict=True):
        assert outcome.startswith(f"{server.url}{path}: not fetched: ")
        assert host in outcome and "Crawl-delay of 100000000s" in outcome and "max_retry_after=60s" in outcome
    assert paths == ["/robots.txt"]  # neither page was requested
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and host in warnings[0] and "100000000" in warnings[0]


# -- 2. charset labels naming non-text codecs --------------------------------------------------------

_NOT_TEXT = ["hex", "base64", "rot13", "zlib", "uu", "bz2", "quopri", "idna", "punycode", "undefined"]


@pytest.mark.parametrize("label", _NOT_TEXT)
@pytest.mark.parametrize("where", ["header", "meta"])
def test_charset_naming_a_non_text_codec_is_ignored(label: str, where: str) -> None:
    meta = f'<meta charset="{label}">' if where == "meta" else ""
    body = f"{meta}<p>Café “quoted” £5</p>".encode()
    content_type = f"text/html; charset={label}" if where == "header" else "text/html"
    with LocalServer() as server:
        server.route("/p", Reply(200, body, {"Content-Type": content_type}))
        page = run(lambda f: f.get(server.url + "/p"), hosts=fast(server))
    # Read as if nothing were declared: valid utf-8 here.
    assert (page.text, page.encoding) == (f"{meta}<p>Café “quoted” £5</p>", "utf-8")
    assert page.body == body


def test_non_text_charset_in_the_header_gives_way_to_the_meta_tag() -> None:
    # As in browsers: an unusable label is no label, so the document's own declaration counts.
    body = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")
    with LocalServer() as server:
        server.route("/p", Reply(200, body, {"Content-Type": "text/html; charset=base64"}))
        page = run(lambda f: f.get(server.url + "/p"), hosts=fast(server))
    assert (page.text, page.encoding) == ('<meta charset="koi8-r"><p>Привет</p>', "koi8-r")


def test_decode_never_raises_for_a_codec_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server cannot make normalize_label return a failing codec once it filters them; this
    # stands for a codec the filter does not know yet. decode() promises never to raise.
    monkeypatch.setattr(charset, "header_charset", lambda content_type: "hex")
    assert charset.decode(b"<p>caf\xe9</p>", "text/html; charset=hex") == ("<p>café</p>", "cp1252")


# -- 3. 3xx answers that are not followed ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "why"),
    [
        (302, {}, "without a Location"),
        (301, {"Location": "   "}, "without a Location"),
        (300, {"Location": "/elsewhere"}, "not a redirect"),
        (305, {"Location": "/elsewhere"}, "not a redirect"),
        (399, {}, "not a redirect"),
    ],
)
def test_3xx_that_is_not_followed_is_bad_status(
    status: int, headers: dict[str, str], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    moved = b"<html><title>Found</title><p>The document has moved.</p></html>"
    with LocalServer() as server:
        server.route("/a", Reply(status, moved, {**HTML, **headers}))
        records: list[RequestRecord] = []
        with caplog.at_level(logging.INFO, logger="scraper.fetch.client"), pytest.raises(BadStatus) as raised:
            run(lambda f: f.get(server.url + "/a"), records=records, hosts=fast(server))
        paths = server.paths()
    assert raised.value.status == status and raised.value.url == server.url + "/a"
    assert f"HTTP {status}" in str(raised.value) and why in str(raised.value)
    assert paths == ["/robots.txt", "/a"]  # not retried, nothing followed
    # The request's record and log line say it failed, not just its status.
    assert (records[-1].status, records[-1].error) == (status, str(raised.value))
    assert any(f"/a {status} failed: " in r.getMessage() for r in caplog.records)


# -- 4. compressed bodies cut short -------------------------------------------------------------------


def _encoded(coding: str) -> bytes:
    data = ARTICLE.encode()
    return gzip.compress(data) if coding == "gzip" else zlib.compress(data)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_body_cut_short_is_retried(coding: str) -> None:
    whole = _encoded(coding)
    headers = {**HTML, "Content-Encoding": coding}
    with LocalServer() as server:
        # Content-Length matches the cut body: no transport error tells the two answers apart.
        server.route("/a", sequence(Reply(200, whole[: len(whole) // 2], headers), Reply(200, whole, headers)))
        server.route("/empty", Reply(200, b"", headers))  # labelled but empty: an empty page, not a cut one

        async def scenario(fetcher: Fetcher) -> tuple[str, bytes]:
            page = await fetcher.get(server.url + "/a")
            empty = await fetcher.get(server.url + "/empty")
            return page.text, empty.body

        text, empty = run(scenario, hosts=fast(server))
        paths = server.paths()
    assert text == ARTICLE and empty == b""
    assert paths.count("/a") == 2


def test_compressed_body_always_cut_short_fails_cleanly_after_retries() -> None:
    whole = _encoded("gzip")
    with LocalServer() as server:
        server.route("/a", Reply(200, whole[: len(whole) // 2], {**HTML, "Content-Encoding": "gzip"}))
        records: list[RequestRecord] = []
        with pytest.raises(FetchError) as raised:
            run(lambda f: f.get(server.url + "/a"), settings(retries=1), records, hosts=fast(server))
        paths = server.paths()
    assert type(raised.value) is FetchError and raised.value.url == server.url + "/a"
    message = str(raised.value)
    assert "gzip body cut short" in message and message.endswith("after 2 attempt(s)")
    assert paths.count("/a") == 2
    assert [(r.status, "cut short" in (r.error or "")) for r in records if r.url.endswith("/a")] == [(200, True)] * 2
