"""Fetcher: the one HTTP client of a run.

Each request goes through the same visible steps, in this order:

1. robots.txt (fetched once per host per run; each redirect hop is checked too);
2. the host's gate (at most `concurrency` in flight, starts at least `delay` apart, Retry-After pauses);
3. the request itself, with the caller's validators (conditional GET) and cookie jar;
4. the response read by streaming, cut at `max_bytes` of *decoded* body (so a gzip bomb stops too);
   a 3xx that is not followed is a BadStatus, never a page;
5. retries with tenacity on connection errors, timeouts, compressed bodies cut short, 429 and 5xx,
   with exponential backoff and jitter; a host that keeps failing, or asks for a Retry-After or
   Crawl-delay longer than `max_retry_after`, is backed off for the rest of the run.

Every HTTP request actually sent (retries, redirect hops, robots.txt) is reported to `on_request`.

Page.body is the body after Content-Encoding is undone (gzip/deflate are decoded here, under the
size cap), so Page.headers leave out Content-Encoding and Content-Length when they would no longer
describe it; Set-Cookie is never copied into a Page.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from ..config import FetchSettings
from ..errors import BadStatus, FetchError, HostBackedOff, NotHTML, RobotsDisallowed, TooManyRedirects
from ..models import Page
from .charset import decode
from .limits import HostGate, HostLimits, host_key, parse_retry_after
from .robots import ROBOTS_MAX_BYTES, HostRobots, RobotsAnswer, RobotsCache

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# A response that trickles bytes never trips the per-read timeout; this bounds the whole exchange.
_DEADLINE_READS = 3
# Headers never copied into a Page: they carry session secrets and Pages end up in the archive.
_SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# Page.body is the decoded body, so headers describing the encoded transfer would contradict it.
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Magic numbers of formats that are never pages, for responses without a Content-Type.
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])  # ESC kept: ISO-2022-JP
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"ID3")


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as sent, for the run's requests table."""

    url: str
    method: str
    status: int | None  # None when no response came back
    bytes: int  # decoded body bytes read
    elapsed_ms: float
    error: str | None
    started_at: str  # ISO 8601 UTC
    not_modified: bool = False


@dataclass
class _Response:
    """One response with its (capped) body, before it becomes a Page."""

    url: str
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    truncated: bool
    elapsed_ms: float
    location: str | None


class _RetryableStatus(Exception):
    """A 429 or 5xx answer: worth another try after the backoff."""

    def __init__(self, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status
        self.retry_after = retry_after


class _Deadline(Exception):
    """The whole exchange took longer than the deadline (a trickling response)."""


class _CutShort(Exception):
    """The connection ended cleanly but the compressed body had not: a truncation in transit,
    retried like a connection reset mid-body."""


class _NoCookies(http.cookiejar.CookieJar):
    """The shared client keeps no cookies of its own: each outlet's jar is passed in by its owner.
    Overriding the two entry points (not just refusing via a policy) also skips parsing every
    Set-Cookie header for nothing."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class _BodyReader:
    """Decodes Content-Encoding itself, with zlib's max_length, so at most `limit` decoded
    bytes ever exist in memory, however well the body compresses."""

    def __init__(self, content_encoding: str, limit: int, url: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(
                f"{url}: unsupported Content-Encoding {content_encoding!r} (only gzip and deflate are accepted)",
                url=url,
            )
        self._coding = codings[0] if codings else None
        self._inflater: Any = None
        if self._coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            self._inflater = zlib.decompressobj()
        self._limit = limit
        self._url = url
        self._parts: list[bytes] = []
        self._size = 0
        self._received = 0  # raw (still encoded) bytes
        self._started = False
        self.truncated = False

    @property
    def full(self) -> bool:
        return self._size >= self._limit

    def feed(self, raw: bytes) -> bool:
        """Take one raw chunk; False once the limit is reached and more data was on its way."""
        self._received += len(raw)
        if self.full:
            self.truncated = bool(self._inflate(raw, 1)) if self._inflater is not None else bool(raw)
            return not self.truncated
        data = raw
        while data:
            room = self._limit - self._size
            if room <= 0:
                self.truncated = bool(self._inflate(data, 1)) if self._inflater is not None else True
                return not self.truncated
            if self._inflater is None:
                out, data = data[:room], data[room:]
            else:
                out = self._inflate(data, room)
                data = self._inflater.unconsumed_tail
            self._parts.append(out)
            self._size += len(out)
            if self._inflater is not None and not out and not data:
                break
        return True

    def _inflate(self, data: bytes, max_length: int) -> bytes:
        try:
            out: bytes = self._inflater.decompress(data, max_length)
        except zlib.error as exc:
            if self._coding == "deflate" and not self._started:
                # Some servers send raw deflate without the zlib wrapper; browsers accept both.
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self._inflate(data, max_length)
            raise FetchError(f"{self._url}: corrupt {self._coding} body ({exc})", url=self._url) from None
        self._started = True
        return out

    def finish(self) -> None:
        """The raw stream ended: check the compressed body ended too. A server (or a proxy) that
        cuts a gzip body and sends a matching Content-Length gives no transport error, and the
        decoded part would otherwise pass for the whole page."""
        if self._inflater is None or self.truncated or self._inflater.eof:
            return
        if not self._received:
            return  # an empty body labelled gzip is a common misconfiguration: an empty page, as in browsers
        if self.full:
            self.truncated = True  # max_bytes were decoded anyway: a capped page, as if the rest had come
            return
        raise _CutShort(
            f"{self._coding} body cut short: it ended after {self._received} bytes on the wire, "
            f"before the end of the compressed stream ({self._size} bytes decoded)"
        )

    def body(self) -> bytes:
        return b"".join(self._parts)


class _PerHostTransport(httpx.AsyncBaseTransport):
    """One connection pool per host behind the one client. httpcore's pool matches every queued
    request against every connection each time one starts or ends, so a single pool shared by
    many busy hosts costs CPU that grows with hosts x queue; per-host pools keep it constant."""

    def __init__(self, http2: bool) -> None:
        self._http2 = http2
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}
        # Loading the CA bundle takes tens of milliseconds: once per run, not once per host.
        self._ssl = httpx.create_ssl_context()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = host_key(request.url)
        pool = self._pools.get(key)
        if pool is None:
            # The host gates bound concurrency; a pool must not add a cap of its own.
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=16, keepalive_expiry=30)
            pool = self._pools[key] = httpx.AsyncHTTPTransport(verify=self._ssl, http2=self._http2, limits=limits)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


_HEADERS_SENT = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})


def _sent_tracer(gate: HostGate) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore trace hook telling the gate when the request really goes out."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _HEADERS_SENT:
            gate.mark_sent()

    return trace


def _check_url(url: str, requested: str) -> None:
    """Refuse what is not an http(s) URL before any step uses it (a redirect may point anywhere)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise FetchError(f"{url!r} is not a valid URL ({exc})", url=requested) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url!r} is not an http(s) URL", url=requested)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _is_textual(content_type: str) -> bool:
    return (
        not content_type
        or content_type.startswith("text/")
        or content_type in HTML_TYPES
        or content_type.endswith("/xml")
        or content_type.endswith("+xml")
        or content_type.endswith("json")
    )


def looks_binary(body: bytes) -> bool:
    """Whether a body with no Content-Type is a file of another kind (an image, an archive, a program)."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return True
    # Text in any charset holds almost no C0 control bytes besides tab, line breaks and form feed.
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > 0.03 * len(head)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | _Deadline | TimeoutError):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        detail = str(exc) or type(exc).__name__
        return f"{type(exc).__name__}: {detail}"
    return str(exc) or type(exc).__name__


class Fetcher:
    """The run's HTTP client: polite per host, concurrent across hosts. Use as `async with`."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        on_request: Callable[[RequestRecord], None] | None = None,
        on_robots: Callable[[Page], None] | None = None,
    ) -> None:
        """`on_request` hears of every request sent; `on_robots` gets each robots.txt answer that
        came back with a body (for the raw archive), since robots.txt is fetched inside the client."""
        self.settings = settings
        self._on_request = on_request
        self._on_robots = on_robots
        self._client: httpx.AsyncClient | None = None
        self._limits = HostLimits()
        self._robots = RobotsCache(self._fetch_robots)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            http2=s.http2,
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None),
            transport=_PerHostTransport(s.http2),
            follow_redirects=False,
            # A bare CookieJar, not httpx.Cookies(...), which would copy it into a default jar.
            cookies=_NoCookies(),
            headers={"User-Agent": s.user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._robots.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- politeness ---------------------------------------------------------------------------

    def configure_host(self, url: str, *, delay: float, concurrency: int) -> None:
        """Set the least gap between request starts and the in-flight cap for `url`'s server (see site_key)."""
        self._limits.configure(url, delay=delay, concurrency=concurrency)

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url` (False while the host's robots.txt is unreachable)."""
        robots = await self._robots_for(url)
        return robots.allows(url, self.settings.user_agent)

    async def robots_unavailable(self, url: str) -> bool:
        """Whether the host's robots.txt could not be read this run (5xx, DNS, timeout): then `allowed`
        is False without any refusal by the publisher."""
        return (await self._robots_for(url)).verdict == "unavailable"

    async def robots_txt(self, url: str) -> str | None:
        """The text of the robots.txt governing `url`, when the host has one."""
        robots = await self._robots_for(url)
        return robots.text if robots.verdict == "rules" else None

    async def _robots_for(self, url: str) -> HostRobots:
        robots = await self._robots.for_url(url)
        delay = robots.crawl_delay(self.settings.user_agent)
        gate = self._limits.gate(url)
        limit = self.settings.max_retry_after
        if delay is not None and delay > max(limit, gate.delay):
            # Honouring it would put the next request years away and keep the run (and the archive
            # lock) waiting: the host is skipped like one asking for a too long Retry-After. A delay
            # not above the configured one changes nothing, however long, so it stops nothing.
            if not gate.backed_off:
                gate.backed_off = (
                    f"{robots.host} asks for a Crawl-delay of {delay:.12g}s (robots.txt), more than "
                    f"max_retry_after={limit:g}s; skipped for the rest of the run"
                )
                log.warning("%s", gate.backed_off)
            return robots
        if delay is not None and delay > gate.crawl_delay:
            if delay > gate.delay:
                log.info(
                    "%s: robots.txt Crawl-delay %.3gs replaces the configured %.3gs",
                    robots.host, delay, gate.delay,
                )  # fmt: skip
            gate.crawl_delay = delay
        return robots

    async def _check_robots(self, url: str, requested: str) -> None:
        robots = await self._robots_for(url)
        if robots.verdict == "unavailable":
            raise HostBackedOff(f"{url}: not fetched: {robots.reason}", url=requested)
        if not robots.allows(url, self.settings.user_agent):
            raise RobotsDisallowed(f"{url}: disallowed by {robots.reason}", url=requested)

    async def _fetch_robots(self, robots_url: str) -> RobotsAnswer:
        try:
            page = await self._follow(
                "GET", robots_url, headers={}, data=None, cookies=None,
                html_only=False, check_robots=False, max_bytes=ROBOTS_MAX_BYTES,
            )  # fmt: skip
        except BadStatus as exc:
            return RobotsAnswer(exc.status, error=str(exc))
        except FetchError as exc:
            return RobotsAnswer(None, error=str(exc))
        if self._on_robots is not None:
            self._on_robots(page)
        return RobotsAnswer(page.status, decode(page.body, page.header("content-type"))[0])

    # -- requests -----------------------------------------------------------------------------

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        cookies: httpx.Cookies | None = None,
        html_only: bool = True,
        check_robots: bool = True,
    ) -> Page:
        """GET `url`, following redirects. A 304 answer gives a Page with not_modified=True and no body.
        Raises a FetchError subclass (RobotsDisallowed, BadStatus, NotHTML, TooManyRedirects,
        HostBackedOff) or FetchError itself for connection errors and timeouts after the retries."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(
            "GET", url, headers=headers, data=None, cookies=cookies,
            html_only=html_only, check_robots=check_robots, max_bytes=self.settings.max_bytes,
        )  # fmt: skip

    async def post_form(self, url: str, data: Mapping[str, str], *, cookies: httpx.Cookies | None = None) -> Page:
        """POST a form (the reader's own login), following redirects and keeping cookies in `cookies`.
        robots.txt is not consulted: this is the reader's action, not crawling. The POST is retried
        only when the connection failed before anything was sent."""
        return await self._follow(
            "POST", url, headers={}, data=dict(data), cookies=cookies,
            html_only=False, check_robots=False, max_bytes=self.settings.max_bytes,
        )  # fmt: skip

    async def _follow(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        data: dict[str, str] | None,
        cookies: httpx.Cookies | None,
        html_only: bool,
        check_robots: bool,
        max_bytes: int,
    ) -> Page:
        current = url
        seen = {url}
        for _hop in range(self.settings.max_redirects + 1):
            _check_url(current, url)
            if check_robots:
                await self._check_robots(current, url)
            response = await self._with_retries(
                method, current, headers=headers, data=data, cookies=cookies,
                html_only=html_only, max_bytes=max_bytes, requested=url,
            )  # fmt: skip
            if response.location is None:
                return self._page(url, response)
            target = response.location
            if target in seen:
                raise TooManyRedirects(
                    f"{url}: redirect loop ({current} answered {response.status} back to {target})",
                    url=url,
                    status=response.status,
                )
            seen.add(target)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, data = "GET", None
            current = target
        raise TooManyRedirects(f"{url}: more than {self.settings.max_redirects} redirects (last: {current})", url=url)

    async def _with_retries(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        data: dict[str, str] | None,
        cookies: httpx.Cookies | None,
        html_only: bool,
        max_bytes: int,
        requested: str,
    ) -> _Response:
        if method == "GET":
            retryable: tuple[type[BaseException], ...] = (_RetryableStatus, httpx.TransportError, _Deadline, _CutShort)
        else:
            retryable = (httpx.ConnectError, httpx.ConnectTimeout)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(retryable),
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    return await self._attempt(method, url, headers, data, cookies, html_only, max_bytes)
        except _RetryableStatus as exc:
            raise BadStatus(f"{url}: {exc} after {attempts} attempt(s)", url=requested, status=exc.status) from None
        except (httpx.TransportError, _Deadline, _CutShort) as exc:
            raise FetchError(f"{url}: {_describe(exc)} after {attempts} attempt(s)", url=requested) from None
        except FetchError as exc:
            if not exc.url:
                exc.url = requested
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return 0.0  # the host gate is paused for Retry-After, which covers every request to the host
        if self.settings.backoff <= 0:
            return 0.0
        backoff = self.settings.backoff
        return float(wait_exponential_jitter(multiplier=backoff, max=60.0, jitter=backoff)(state))

    async def _attempt(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        data: dict[str, str] | None,
        cookies: httpx.Cookies | None,
        html_only: bool,
        max_bytes: int,
    ) -> _Response:
        if self._client is None:
            raise RuntimeError("Fetcher is not open: use `async with Fetcher(settings) as fetcher:`")
        gate = self._limits.gate(url)
        if gate.backed_off:
            raise HostBackedOff(f"{url}: not fetched: {gate.backed_off}", url=url)
        async with gate.slot():
            if gate.backed_off:  # set while we waited for our turn
                raise HostBackedOff(f"{url}: not fetched: {gate.backed_off}", url=url)
            started_at, t0 = _now_iso(), time.perf_counter()
            status: int | None = None
            size = 0
            error: str | None = None
            try:
                request = self._client.build_request(
                    method, url, headers=headers, data=data, extensions={"trace": _sent_tracer(gate)}
                )
                if cookies is not None:
                    cookies.set_cookie_header(request)
                deadline = self.settings.connect_timeout + _DEADLINE_READS * self.settings.read_timeout
                try:
                    async with asyncio.timeout(deadline):
                        response = await self._client.send(request, stream=True)
                        try:
                            status = response.status_code
                            if cookies is not None:
                                cookies.extract_cookies(response)
                            result = await self._read(response, url, html_only, max_bytes, t0)
                            size = len(result.body)
                        finally:
                            await response.aclose()
                except TimeoutError:
                    raise _Deadline(f"no complete answer within {deadline:.3g}s") from None
            except (httpx.TransportError, _Deadline, _CutShort) as exc:
                error = _describe(exc)
                self._count_failure(gate, url, error)
                raise
            except httpx.InvalidURL as exc:
                # httpx refuses some URLs urlsplit lets through, and reads a redirect's Location
                # while receiving the answer.
                error = f"{url}: answered with an unusable URL ({exc})"
                raise FetchError(error, url=url, status=status) from None
            except FetchError as exc:
                error = str(exc)
                if isinstance(exc, NotHTML | BadStatus):
                    gate.failing.clear()  # the host answered; the page just is not one
                raise
            finally:
                elapsed_ms = (time.perf_counter() - t0) * 1000
                self._record(RequestRecord(url, method, status, size, elapsed_ms, error, started_at, status == 304))
        return self._judge(gate, result)

    async def _read(self, response: httpx.Response, url: str, html_only: bool, max_bytes: int, t0: float) -> _Response:
        status = response.status_code
        location = response.headers.get("location", "").strip()
        if status in _REDIRECTS and location:
            try:
                target = urljoin(url, location).split("#", 1)[0]
            except ValueError:
                raise FetchError(f"{url}: unreadable redirect Location {location!r}", url=url) from None
            return self._response(url, response, b"", False, t0, target)
        if 300 <= status < 400 and status != 304:
            # Any other 3xx (a redirect without Location, 300 Multiple Choices, 305 Use Proxy...)
            # has a body like "The document has moved.", which must not be archived as the page.
            answer = f"HTTP {status} {response.reason_phrase}".rstrip()
            why = (
                "a redirect without a Location header" if status in _REDIRECTS else "not a redirect the fetcher follows"
            )
            raise BadStatus(f"{url}: {answer}, {why}; not a page", url=url, status=status)
        if status == 304 or status >= 400:
            # Error bodies are not worth the bandwidth; 304 has none.
            return self._response(url, response, b"", False, t0, None)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if html_only and content_type and content_type not in HTML_TYPES:
            raise NotHTML(f"{url}: not an HTML page (Content-Type {content_type})", url=url, status=status)
        reader = _BodyReader(response.headers.get("content-encoding", ""), max_bytes, url)
        async for raw in response.aiter_raw(_CHUNK):
            if not reader.feed(raw):
                break
        else:
            reader.finish()
        body = reader.body()
        if html_only and not content_type and looks_binary(body):
            raise NotHTML(f"{url}: not an HTML page (no Content-Type, binary body)", url=url, status=status)
        if reader.truncated:
            log.info("%s: body cut at %d bytes (max_bytes)", url, max_bytes)
        return self._response(url, response, body, reader.truncated, t0, None)

    @staticmethod
    def _response(
        url: str, response: httpx.Response, body: bytes, truncated: bool, t0: float, location: str | None
    ) -> _Response:
        return _Response(
            url=url,
            status=response.status_code,
            reason=response.reason_phrase,
            headers=response.headers,
            body=body,
            truncated=truncated,
            elapsed_ms=(time.perf_counter() - t0) * 1000,
            location=location,
        )

    def _judge(self, gate: HostGate, response: _Response) -> _Response:
        """Turn a status into the retry/back-off decision and keep the host's failure count."""
        status = response.status
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None and retry_after > self.settings.max_retry_after:
                gate.backed_off = (
                    f"{host_key(response.url)} asked to wait {retry_after:.0f}s (Retry-After), more than "
                    f"max_retry_after={self.settings.max_retry_after:.0f}s; skipped for the rest of the run"
                )
                raise HostBackedOff(f"{response.url}: {gate.backed_off}", url=response.url, status=status)
            self._count_failure(gate, response.url, f"HTTP {status}")
            if retry_after is not None:
                gate.pause(retry_after)
            raise _RetryableStatus(status, response.reason, retry_after)
        gate.failing.clear()
        if status >= 400:
            raise BadStatus(
                f"{response.url}: HTTP {status} {response.reason}".rstrip(), url=response.url, status=status
            )
        return response

    def _count_failure(self, gate: HostGate, url: str, what: str) -> None:
        gate.failing.add(url)
        if len(gate.failing) >= self.settings.host_failures and not gate.backed_off:
            gate.backed_off = (
                f"{host_key(url)} failed {len(gate.failing)} URLs in a row (last: {what}); "
                "skipped for the rest of the run"
            )
            log.warning("%s", gate.backed_off)

    def _record(self, record: RequestRecord) -> None:
        # A request can fail after its status came (a 3xx not followed, a body cut short): the
        # line then shows both, or it would read like a success.
        if record.status is None:
            outcome = record.error or "no response"
        elif record.error:
            outcome = f"{record.status} failed: {record.error}"
        else:
            outcome = str(record.status)
        log.info(
            "%s %s %s %.0fms%s",
            record.method,
            record.url,
            outcome,
            record.elapsed_ms,
            " (not modified)" if record.not_modified else "",
        )
        if self._on_request is not None:
            self._on_request(record)

    @staticmethod
    def _page_headers(response: _Response) -> tuple[tuple[str, str], ...]:
        encoded = response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        dropped = _SECRET_HEADERS | _TRANSFER_HEADERS if encoded or response.truncated else _SECRET_HEADERS
        return tuple((k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped)

    def _page(self, requested: str, response: _Response) -> Page:
        content_type = response.headers.get("content-type")
        main_type = (content_type or "").split(";")[0].strip().lower()
        if response.body and _is_textual(main_type):
            text, encoding = decode(response.body, content_type)
        else:
            text, encoding = "", None
        return Page(
            requested_url=requested,
            final_url=response.url,
            status=response.status,
            headers=self._page_headers(response),
            body=response.body,
            text=text,
            encoding=encoding,
            fetched_at=_now_iso(),
            elapsed_ms=response.elapsed_ms,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            not_modified=response.status == 304,
            truncated=response.truncated,
        )
