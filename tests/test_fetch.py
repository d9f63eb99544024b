"""Fetcher against real HTTP servers on 127.0.0.1: robots.txt, politeness, retries, limits, charsets."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar

import httpx
import pytest

from scraper.config import FetchSettings
from scraper.errors import (
    BadStatus,
    FetchError,
    HostBackedOff,
    NotHTML,
    RobotsDisallowed,
    TooManyRedirects,
)
from scraper.fetch import Fetcher, RequestRecord
from tests.test_fetch_server import Hit, LocalServer, Reply, robots, sequence

T = TypeVar("T")
HTML = {"Content-Type": "text/html; charset=utf-8"}
# The client spaces request STARTS exactly (checked on its own records, to the millisecond they are
# stamped with). The server thread shares the GIL with the client, so its arrival stamps wobble by a
# few milliseconds, and by tens when the machine is busy; server-side gaps get this much slack.
SERVER_JITTER = 0.05


def settings(**overrides: Any) -> FetchSettings:
    base: dict[str, Any] = {"retries": 2, "backoff": 0.0, "connect_timeout": 2.0, "read_timeout": 2.0}
    base.update(overrides)
    return FetchSettings(**base)


def run(
    make: Callable[[Fetcher], Awaitable[T]],
    fetch_settings: FetchSettings | None = None,
    records: list[RequestRecord] | None = None,
    *,
    hosts: tuple[tuple[str, float, int], ...] = (),
    within: float | None = None,
) -> T:
    """Open a Fetcher, configure hosts (url, delay, concurrency), run `make(fetcher)`. With `within`,
    the scenario is bounded to that many seconds, so a fetcher that would sleep for years fails."""

    async def main() -> T:
        on_request = records.append if records is not None else None
        async with Fetcher(fetch_settings or settings(), on_request=on_request) as fetcher:
            for url, delay, concurrency in hosts:
                fetcher.configure_host(url, delay=delay, concurrency=concurrency)
            return await asyncio.wait_for(make(fetcher), within)

    return asyncio.run(main())


def fast(server: LocalServer, delay: float = 0.0, concurrency: int = 1) -> tuple[tuple[str, float, int], ...]:
    return ((server.url, delay, concurrency),)


def starts(server: LocalServer, prefix: str = "") -> list[float]:
    return [hit.at for hit in server.hits if hit.path.startswith(prefix)]


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def record_starts(records: list[RequestRecord], marker: str = "") -> list[float]:
    return [datetime.fromisoformat(r.started_at).timestamp() for r in records if marker in r.url]


# -- robots.txt ------------------------------------------------------------------------------------


def test_disallowed_url_is_never_requested_even_through_a_redirect() -> None:
    with LocalServer() as server:
        server.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
        server.route("/private/a", "secret")
        server.route("/open", Reply(302, b"", {"Location": "/private/b"}))
        server.route("/fine", "<p>ok</p>")

        async def scenario(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for path in ("/private/a", "/open", "/fine"):
                try:
                    await fetcher.get(server.url + path)
                    outcomes.append("ok")
                except RobotsDisallowed as exc:
                    outcomes.append(f"disallowed {exc.url}")
            return outcomes

        outcomes = run(scenario, hosts=fast(server))
    assert outcomes == [f"disallowed {server.url}/private/a", f"disallowed {server.url}/open", "ok"]
    assert not any(path.startswith("/private/") for path in server.paths())
    assert server.paths().count("/robots.txt") == 1  # cached for the run


@pytest.mark.parametrize(
    ("robots_reply", "expect"),
    [
        (Reply(401, b"", {}), "disallowed"),
        (Reply(403, b"", {}), "disallowed"),
        (Reply(404, b"", {}), "fetched"),
        (Reply(410, b"", {}), "fetched"),
        (Reply(503, b"", {}), "unavailable"),
    ],
)
def test_robots_status_decides_access(robots_reply: Reply, expect: str) -> None:
    with LocalServer() as server:
        server.route("/robots.txt", robots_reply)
        server.route("/page", "<p>page</p>")

        async def scenario(fetcher: Fetcher) -> str:
            try:
                await fetcher.get(server.url + "/page")
            except RobotsDisallowed:
                return "disallowed"
            except HostBackedOff as exc:
                assert "try again later" in str(exc)
                return "unavailable"
            return "fetched"

        assert run(scenario, hosts=fast(server)) == expect
        assert ("/page" in server.paths()) == (expect == "fetched")
    if expect == "unavailable":  # a 5xx robots.txt is retried before giving up on the host
        assert server.paths().count("/robots.txt") == 3


def test_robots_unreachable_host_is_not_allow_all() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{port}/page"

        async def scenario(fetcher: Fetcher) -> bool:
            return await fetcher.allowed(url)

        assert run(scenario, settings(retries=0)) is False


def test_user_agent_is_sent_and_matched_against_robots_groups() -> None:
    with LocalServer() as server:
        server.route("/robots.txt", robots("User-agent: *\nDisallow:\n\nUser-agent: scraper\nDisallow: /x\n"))
        server.route("/x", "<p>x</p>")

        async def scenario(fetcher: Fetcher) -> bool:
            return await fetcher.allowed(server.url + "/x")

        assert run(scenario, settings(user_agent="scraper/9 (+https://example.org/contact)")) is False
        assert server.hits[0].headers["user-agent"] == "scraper/9 (+https://example.org/contact)"


# -- politeness --------------------------------------------------------------------------------------


def test_requests_to_one_host_start_at_least_delay_apart() -> None:
    delay = 0.15
    with LocalServer() as server:
        for n in range(6):
            server.route(f"/p{n}", "<p>x</p>")
        records: list[RequestRecord] = []

        async def scenario(fetcher: Fetcher) -> None:
            await asyncio.gather(*(fetcher.get(f"{server.url}/p{n}") for n in range(6)))

        run(scenario, records=records, hosts=fast(server, delay))
    assert len(server.hits) == len(records) == 7  # robots.txt counts too
    assert min(gaps(record_starts(records))) >= delay - 0.001
    assert min(gaps(starts(server))) >= delay - SERVER_JITTER


def test_concurrency_caps_requests_in_flight() -> None:
    def slow(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        time.sleep(0.15)
        return Reply(200, b"<p>slow</p>", HTML)

    with LocalServer() as server:
        for n in range(6):
            server.route(f"/p{n}", slow)

        async def scenario(fetcher: Fetcher) -> None:
            await asyncio.gather(*(fetcher.get(f"{server.url}/p{n}") for n in range(6)))

        run(scenario, hosts=fast(server, 0.01, concurrency=2))
    assert server.peak_in_flight == 2  # parallel, but never more than two at once


def test_crawl_delay_larger_than_configured_is_honoured() -> None:
    with LocalServer() as server:
        server.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 0.3\n"))
        for n in range(3):
            server.route(f"/p{n}", "<p>x</p>")

        async def scenario(fetcher: Fetcher) -> None:
            await asyncio.gather(*(fetcher.get(f"{server.url}/p{n}") for n in range(3)))

        records: list[RequestRecord] = []
        run(scenario, records=records, hosts=fast(server, 0.02))
    assert min(gaps(record_starts(records, "/p"))) >= 0.3 - 0.001
    assert min(gaps(starts(server, "/p"))) >= 0.3 - SERVER_JITTER


def test_hosts_are_fetched_concurrently_each_at_its_own_pace() -> None:
    with LocalServer() as one, LocalServer() as two:
        for server in (one, two):
            for n in range(4):
                server.route(f"/p{n}", "<p>x</p>")

        async def scenario(fetcher: Fetcher) -> None:
            await asyncio.gather(*(fetcher.get(f"{s.url}/p{n}") for s in (one, two) for n in range(4)))

        run(scenario, hosts=(*fast(one, 0.1), *fast(two, 0.1)))
    # Host two's first page does not wait for host one's last: the schedules overlap.
    assert starts(two, "/p")[0] < starts(one, "/p")[-1]
    assert starts(one, "/p")[0] < starts(two, "/p")[-1]


# -- retries and back-off ---------------------------------------------------------------------------


def test_503_burst_is_retried_then_succeeds() -> None:
    with LocalServer() as server:
        server.route("/a", sequence(Reply(503), Reply(503), Reply(200, b"<p>finally</p>", HTML)))
        page = run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    assert page.status == 200 and page.text == "<p>finally</p>"
    assert server.paths().count("/a") == 3


def test_5xx_exhausting_retries_raises_bad_status() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(500))
        with pytest.raises(BadStatus) as raised:
            run(lambda f: f.get(server.url + "/a"), settings(retries=2), hosts=fast(server))
    assert raised.value.status == 500 and "3 attempt" in str(raised.value)
    assert server.paths().count("/a") == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_is_not_retried(status: int) -> None:
    with LocalServer() as server:
        server.route("/a", Reply(status))
        with pytest.raises(BadStatus) as raised:
            run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    assert raised.value.status == status and raised.value.url == server.url + "/a"
    assert server.paths().count("/a") == 1


def test_429_retry_after_seconds_is_obeyed() -> None:
    with LocalServer() as server:
        server.route("/a", sequence(Reply(429, b"", {"Retry-After": "1"}), Reply(200, b"<p>ok</p>", HTML)))
        page = run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    first, second = server.hits_for("/a")
    assert page.status == 200
    assert second.at - first.at >= 1.0 - SERVER_JITTER


def test_503_retry_after_http_date_is_obeyed_for_the_whole_host() -> None:
    def rate_limited(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        if len(server.hits_for("/a")) == 1:
            when = datetime.now(UTC) + timedelta(seconds=2)
            return Reply(503, b"", {"Retry-After": format_datetime(when, usegmt=True)})
        return Reply(200, b"<p>ok</p>", HTML)

    with LocalServer() as server:
        server.route("/a", rate_limited)
        server.route("/b", "<p>b</p>")

        async def scenario(fetcher: Fetcher) -> None:
            await fetcher.get(server.url + "/a")
            await fetcher.get(server.url + "/b")

        # /b is fetched after /a succeeded, so after the pause; and /a's retry itself waited.
        run(scenario, hosts=fast(server))
        first, second = server.hits_for("/a")
    # HTTP dates have one-second resolution: the wait is between one and two seconds.
    assert second.at - first.at >= 1.0 - SERVER_JITTER


def test_retry_after_beyond_the_limit_backs_the_host_off() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(429, b"", {"Retry-After": "3600"}))
        server.route("/b", "<p>b</p>")

        async def scenario(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for path in ("/a", "/b"):
                try:
                    await fetcher.get(server.url + path)
                except HostBackedOff as exc:
                    outcomes.append(str(exc))
            return outcomes

        outcomes = run(scenario, settings(max_retry_after=60), hosts=fast(server))
    assert len(outcomes) == 2 and "Retry-After" in outcomes[0]
    assert server.paths().count("/a") == 1 and "/b" not in server.paths()


def test_failing_host_is_backed_off_without_blocking_another_host() -> None:
    with LocalServer() as bad, LocalServer() as good:
        bad.route("/robots.txt", Reply(404))
        for n in range(5):
            bad.route(f"/p{n}", Reply(503))
            good.route(f"/p{n}", "<p>ok</p>")

        async def bad_run(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for n in range(5):
                try:
                    await fetcher.get(f"{bad.url}/p{n}")
                except HostBackedOff:
                    outcomes.append("backed-off")
                except BadStatus:
                    outcomes.append("bad-status")
            return outcomes

        async def scenario(fetcher: Fetcher) -> tuple[list[str], list[int]]:
            good_pages = asyncio.gather(*(fetcher.get(f"{good.url}/p{n}") for n in range(5)))
            outcomes, pages = await asyncio.gather(bad_run(fetcher), good_pages)
            return outcomes, [page.status for page in pages]

        fetch_settings = settings(retries=1, backoff=0.05, host_failures=3)
        outcomes, statuses = run(scenario, fetch_settings, hosts=(*fast(bad, 0.05), *fast(good, 0.05)))
    # p0 and p1: two failed attempts each; p2, a third URL failing, trips the back-off; p3-p4: no request.
    assert outcomes == ["bad-status", "bad-status", "backed-off", "backed-off", "backed-off"]
    assert [p for p in bad.paths() if p != "/robots.txt"] == ["/p0", "/p0", "/p1", "/p1", "/p2"]
    assert statuses == [200] * 5
    good_starts = starts(good)
    # The good host kept its own pace: no wait for the bad host's back-off.
    assert good_starts[-1] - good_starts[0] < 5 * 0.05 + 0.15


def test_one_broken_url_retried_does_not_back_off_a_working_host() -> None:
    # Two dead pages, each tried four times (retries=3): eight failed requests, but two URLs,
    # fewer than host_failures=3, so the pages after them are still fetched.
    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route("/dead1", Reply(500))
        server.route("/dead2", Reply(503))
        server.route("/live", "<p>ok</p>")

        async def scenario(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for path in ("/dead1", "/dead2", "/live"):
                try:
                    outcomes.append(str((await fetcher.get(server.url + path)).status))
                except BadStatus as exc:
                    outcomes.append(f"bad-status {exc.status}")
            return outcomes

        outcomes = run(scenario, settings(retries=3, host_failures=3), hosts=fast(server))
    assert outcomes == ["bad-status 500", "bad-status 503", "200"]
    assert [p for p in server.paths() if p != "/robots.txt"] == ["/dead1"] * 4 + ["/dead2"] * 4 + ["/live"]


def _reset_once(state: dict[str, int]) -> Callable[[Hit, BaseHTTPRequestHandler], Reply | None]:
    def route(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply | None:
        state["n"] = state.get("n", 0) + 1
        if state["n"] > state["resets"]:
            return Reply(200, b"<p>whole</p>", HTML)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "10000")
        handler.end_headers()
        handler.wfile.write(b"<p>partial")
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        return None

    return route


def test_reset_mid_body_is_retried() -> None:
    with LocalServer() as server:
        server.route("/a", _reset_once({"resets": 1}))
        page = run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    assert page.text == "<p>whole</p>"
    assert server.paths().count("/a") == 2


def test_reset_every_time_fails_cleanly_after_retries() -> None:
    with LocalServer() as server:
        server.route("/a", _reset_once({"resets": 99}))
        with pytest.raises(FetchError) as raised:
            run(lambda f: f.get(server.url + "/a"), settings(retries=1), hosts=fast(server))
    assert type(raised.value) is FetchError and "2 attempt" in str(raised.value)
    assert server.paths().count("/a") == 2


def test_read_timeout_is_retried_then_reported() -> None:
    def slow(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        time.sleep(0.6)
        return Reply(200, b"<p>late</p>", HTML)

    with LocalServer() as server:
        server.route("/a", slow)
        with pytest.raises(FetchError, match="timed out") as raised:
            run(lambda f: f.get(server.url + "/a"), settings(retries=1, read_timeout=0.2), hosts=fast(server))
    assert raised.value.url == server.url + "/a"
    assert server.paths().count("/a") == 2


def test_trickling_body_hits_the_whole_answer_deadline() -> None:
    def trickle(hit: Hit, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100):  # one byte every 0.05 s: never a read timeout, never done
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    with LocalServer() as server:
        server.route("/a", trickle)
        began = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            run(
                lambda f: f.get(server.url + "/a"),
                settings(retries=0, connect_timeout=0.1, read_timeout=0.2),
                hosts=fast(server),
            )
        assert time.monotonic() - began < 2.0  # deadline 0.1 + 3 * 0.2 s, not the 5 s of trickle


# -- redirects ---------------------------------------------------------------------------------------


def test_redirect_chain_is_followed_to_the_final_url() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(301, b"", {"Location": "/b"}))
        server.route("/b", Reply(302, b"", {"Location": server.url + "/c"}))
        server.route("/c", Reply(307, b"", {"Location": "d"}))
        server.route("/d", "<p>end</p>")
        page = run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    assert (page.requested_url, page.final_url) == (server.url + "/a", server.url + "/d")
    assert page.text == "<p>end</p>"


def test_redirect_loop_is_detected() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(302, b"", {"Location": "/b"}))
        server.route("/b", Reply(302, b"", {"Location": "/a"}))
        with pytest.raises(TooManyRedirects, match="loop"):
            run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
    assert server.paths().count("/a") == 1 and server.paths().count("/b") == 1


def test_too_many_redirects() -> None:
    with LocalServer() as server:
        for n in range(5):
            server.route(f"/r{n}", Reply(302, b"", {"Location": f"/r{n + 1}"}))
        with pytest.raises(TooManyRedirects, match="more than 2"):
            run(lambda f: f.get(server.url + "/r0"), settings(max_redirects=2), hosts=fast(server))
    assert [p for p in server.paths() if p != "/robots.txt"] == ["/r0", "/r1", "/r2"]


# -- limits and content ------------------------------------------------------------------------------


def test_huge_page_is_cut_at_max_bytes() -> None:
    with LocalServer() as server:
        server.route("/big", Reply(200, b"<p>" + b"a" * 3_000_000 + b"</p>", HTML))
        records: list[RequestRecord] = []
        page = run(lambda f: f.get(server.url + "/big"), settings(max_bytes=100_000), records, hosts=fast(server))
    assert page.truncated and len(page.body) == 100_000
    assert records[-1].bytes == 100_000


def test_endless_chunked_answer_is_cut_at_max_bytes() -> None:
    def endless(hit: Hit, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"<p>" + b"z" * 8000 + b"</p>"
        while True:
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")

    with LocalServer() as server:
        server.route("/endless", endless)
        page = run(lambda f: f.get(server.url + "/endless"), settings(max_bytes=50_000), hosts=fast(server))
    assert page.truncated and len(page.body) == 50_000


def test_gzip_bomb_is_cut_at_max_bytes_of_decoded_body() -> None:
    bomb = gzip.compress(b"<p>" + b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire
    with LocalServer() as server:
        server.route("/bomb", Reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
        page = run(lambda f: f.get(server.url + "/bomb"), settings(max_bytes=200_000), hosts=fast(server))
    assert page.truncated and len(page.body) == 200_000
    assert page.header("content-encoding") is None  # the body is stored decoded


def test_gzip_answer_is_decoded_when_small() -> None:
    body = "<p>Café £5 “quoted”</p>".encode()
    with LocalServer() as server:
        server.route("/gz", Reply(200, gzip.compress(body), {**HTML, "Content-Encoding": "gzip"}))
        page = run(lambda f: f.get(server.url + "/gz"), hosts=fast(server))
        assert server.hits_for("/gz")[0].headers["accept-encoding"] == "gzip, deflate"
    assert page.body == body and not page.truncated and page.text == "<p>Café £5 “quoted”</p>"


def test_non_html_is_skipped_unless_asked_for() -> None:
    pdf = b"%PDF-1.4\n%%EOF\n"
    with LocalServer() as server:
        server.route("/doc.pdf", Reply(200, pdf, {"Content-Type": "application/pdf"}))
        server.route("/blob", Reply(200, b"\x89PNG\r\n\x1a\n\0\0", {}))

        async def scenario(fetcher: Fetcher) -> list[str]:
            outcomes = []
            for path in ("/doc.pdf", "/blob"):
                try:
                    await fetcher.get(server.url + path)
                    outcomes.append("page")
                except NotHTML as exc:
                    outcomes.append(f"not html {exc.status}")
            raw = await fetcher.get(server.url + "/doc.pdf", html_only=False)
            outcomes.append(f"{raw.content_type} {raw.body == pdf}")
            return outcomes

        assert run(scenario, hosts=fast(server)) == ["not html 200", "not html 200", "application/pdf True"]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        # cp1252 curly quotes, pound and e-acute, declared in the header
        (b"<p>\x93Caf\xe9\x94 \xa3 \x80</p>", "text/html; charset=windows-1252", "<p>“Café” £ €</p>"),
        # ISO-8859-1 declared in a meta http-equiv: read as cp1252, as browsers do
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">\x93Caf\xe9\x94 \xa3',
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">“Café” £',
        ),
        # nothing declared, not utf-8: cp1252
        (b"<p>\x91na\xefve\x92</p>", "text/html", "<p>‘naïve’</p>"),
        # nothing declared, valid utf-8
        ("<p>Zoë — £</p>".encode(), "text/html", "<p>Zoë — £</p>"),
        # a BOM outranks a wrong header
        (b"\xef\xbb\xbf<p>\xc3\xa9</p>", "text/html; charset=iso-8859-1", "<p>é</p>"),
    ],
)
def test_charsets_decode_right(body: bytes, content_type: str, expected: str) -> None:
    with LocalServer() as server:
        server.route("/p", Reply(200, body, {"Content-Type": content_type}))
        page = run(lambda f: f.get(server.url + "/p"), hosts=fast(server))
    assert page.text == expected
    assert page.body == body  # kept exactly as received


# -- conditional requests, cookies, records -----------------------------------------------------------


def test_conditional_get_sends_validators_and_gets_304() -> None:
    etag, modified = '"v1"', "Wed, 01 Oct 2025 08:00:00 GMT"

    def validated(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        if hit.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        headers = {"Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": modified}
        return Reply(200, b"<rss/>", headers)

    with LocalServer() as server:
        server.route("/feed", validated)
        records: list[RequestRecord] = []

        async def scenario(fetcher: Fetcher) -> tuple[Any, Any]:
            first = await fetcher.get(server.url + "/feed", html_only=False)
            second = await fetcher.get(
                server.url + "/feed", etag=first.etag, last_modified=first.last_modified, html_only=False
            )
            return first, second

        first, second = run(scenario, records=records, hosts=fast(server))
        sent = server.hits_for("/feed")[1].headers
    assert (first.status, first.etag, first.last_modified, first.not_modified) == (200, etag, modified, False)
    assert sent["if-none-match"] == etag and sent["if-modified-since"] == modified
    assert second.not_modified and second.status == 304 and second.body == b"" and second.text == ""
    assert [r.not_modified for r in records if r.url.endswith("/feed")] == [False, True]


def test_cookie_jar_gets_cookies_from_redirect_hops_and_sends_them_back() -> None:
    def login(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        assert hit.body == b"username=reader&password=s3cret"
        return Reply(303, b"", {"Location": "/account", "Set-Cookie": "session=abc; Path=/; HttpOnly"})

    def account(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        ok = "session=abc" in hit.headers.get("cookie", "")
        return Reply(200, b"<p>welcome</p>" if ok else b"<p>who?</p>", HTML)

    with LocalServer() as server:
        server.route("/login", login)
        server.route("/account", account)
        jar = httpx.Cookies()

        async def scenario(fetcher: Fetcher) -> tuple[str, str, str]:
            form = {"username": "reader", "password": "s3cret"}
            landed = await fetcher.post_form(server.url + "/login", form, cookies=jar)
            again = await fetcher.get(server.url + "/account", cookies=jar)
            anonymous = await fetcher.get(server.url + "/account")
            return landed.text, again.text, anonymous.text

        assert run(scenario, hosts=fast(server)) == ("<p>welcome</p>", "<p>welcome</p>", "<p>who?</p>")
    assert jar.get("session") == "abc"
    assert [hit.method for hit in server.hits if hit.path == "/login"] == ["POST"]


def test_every_request_is_recorded_including_retries_hops_and_robots() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(301, b"", {"Location": "/b"}))
        server.route("/b", sequence(Reply(503), Reply(200, b"<p>b</p>", HTML)))
        records: list[RequestRecord] = []
        run(lambda f: f.get(server.url + "/a"), records=records, hosts=fast(server))
    assert [(r.url.removeprefix(server.url), r.status) for r in records] == [
        ("/robots.txt", 404), ("/a", 301), ("/b", 503), ("/b", 200),
    ]  # fmt: skip
    assert records[-1].bytes == len(b"<p>b</p>") and records[-1].error is None
    assert all(r.method == "GET" and r.elapsed_ms >= 0 and r.started_at.endswith("+00:00") for r in records)


def test_connection_error_is_recorded_with_no_status() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/a"
        records: list[RequestRecord] = []
        with pytest.raises(FetchError, match="ConnectError"):
            run(lambda f: f.get(url, check_robots=False), settings(retries=1), records)
    assert [(r.status, "ConnectError" in (r.error or "")) for r in records] == [(None, True), (None, True)]


def test_fetcher_must_be_opened() -> None:
    async def scenario() -> None:
        await Fetcher(settings()).get("http://127.0.0.1:9/", check_robots=False)

    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(scenario())


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http://[::1/x", "not a url"])
def test_bad_urls_raise_fetch_error_without_a_request(url: str) -> None:
    records: list[RequestRecord] = []
    with pytest.raises(FetchError, match="URL"):
        run(lambda f: f.get(url), records=records)
    assert records == []


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/file", "http://[::1/broken", "mailto:someone@example.org"])
def test_redirect_to_something_unfetchable_is_a_fetch_error(location: str) -> None:
    with LocalServer() as server:
        server.route("/a", Reply(302, b"", {"Location": location}))
        with pytest.raises(FetchError, match=r"URL|Location"):
            run(lambda f: f.get(server.url + "/a"), hosts=fast(server))
