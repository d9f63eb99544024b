"""Per-host politeness: request-start gaps, in-flight caps, Retry-After pauses and run-long back-off."""

from __future__ import annotations

import asyncio
import functools
import math
import random
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

DEFAULT_DELAY = 1.0
DEFAULT_CONCURRENCY = 1


def host_key(url: str | httpx.URL) -> str:
    """scheme://host:port, the unit that robots.txt and politeness apply to."""
    return _host_key(str(url))


@functools.lru_cache(maxsize=4096)
def _host_key(url: str) -> str:
    # Cached and with urlsplit, not httpx.URL: several steps of each request ask for it.
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def site_key(url: str | httpx.URL) -> str:
    """The server that politeness limits apply to: the host without `www.` / `amp.`, with its port
    when not the scheme's default. example.com and www.example.com, over http or https, take one
    gate: an outlet's URLs come in both forms (links, redirects) and load the same servers."""
    return _site_key(str(url))


@functools.lru_cache(maxsize=4096)
def _site_key(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
            break
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme.lower() == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


@dataclass
class HostGate:
    """One host's limits. Request STARTS are spaced at least `delay` apart and at most
    `concurrency` requests are in flight; both can change while the run goes on
    (a robots.txt Crawl-delay, a Retry-After pause)."""

    delay: float = DEFAULT_DELAY
    concurrency: int = DEFAULT_CONCURRENCY
    crawl_delay: float = 0.0  # from robots.txt; the effective gap is the larger of the two
    # URLs that failed since the host last answered well: a URL's retries count once, so one
    # broken page retried a few times does not get a working host skipped.
    failing: set[str] = field(default_factory=set)
    backed_off: str | None = None  # why the host is skipped for the rest of the run

    def __post_init__(self) -> None:
        self._in_flight = 0
        # Waiters for an in-flight place, first come first served; one is woken per release
        # (a Condition's notify_all would wake every queued request of the host each time).
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._last_start: float | None = None
        self._paused_until = -math.inf

    @property
    def gap(self) -> float:
        return max(self.delay, self.crawl_delay)

    def pause(self, seconds: float) -> None:
        """No request to this host starts for `seconds` (a Retry-After)."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the host's in-flight places, starting no earlier than the gap allows."""
        await self._acquire()
        try:
            await self._wait_for_start()
            yield
        finally:
            self._in_flight -= 1
            self._wake()

    async def _acquire(self) -> None:
        if self._in_flight < self.concurrency and not self._waiters:
            self._in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # _wake() counted us in before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # woken and cancelled at once: hand the place on
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self.concurrency:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)

    async def _wait_for_start(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # The start time is claimed only at the moment of starting (no await in between, so
            # no other task can claim the same moment), and a delay raised or a pause set while
            # we slept still applies to us.
            now = loop.time()
            if self._last_start is None:
                # The first request waits a random part of one gap. Hosts configured together
                # would otherwise fire in lockstep, one burst per gap, and the requests at the
                # back of each burst would start late, every time, for the whole run.
                self._last_start = now - self.gap * random.random()
            start = max(self._last_start + self.gap, self._paused_until)
            if start <= now:
                self._last_start = now
                return
            await asyncio.sleep(start - now)

    def mark_sent(self) -> None:
        """The request that last claimed a start is being written to the socket now. Opening a
        connection first can take a while, so the next start is counted from here, as the
        server will see it, not from the claim."""
        now = asyncio.get_running_loop().time()
        if self._last_start is None or now > self._last_start:
            self._last_start = now

    def reconfigure(self, *, delay: float, concurrency: int) -> None:
        self.delay, self.concurrency = delay, concurrency
        self._wake()  # a larger concurrency lets waiting requests in now


class HostLimits:
    """The gates of every host seen in a run (by site_key), created on first use with the
    configured defaults."""

    def __init__(self) -> None:
        self._gates: dict[str, HostGate] = {}
        self._configured: dict[str, tuple[float, int]] = {}

    def configure(self, url: str, *, delay: float, concurrency: int) -> None:
        """Set the limits of `url`'s server. Outlets that share a server (one site's sections, or
        www. and bare forms) keep the strictest of their settings: the longest delay, the fewest
        requests in flight, whichever outlet starts last."""
        key = site_key(url)
        if key in self._configured:
            earlier_delay, earlier_concurrency = self._configured[key]
            delay, concurrency = max(delay, earlier_delay), min(concurrency, earlier_concurrency)
        self._configured[key] = (delay, concurrency)
        gate = self._gates.get(key)
        if gate is not None:
            gate.reconfigure(delay=delay, concurrency=concurrency)

    def gate(self, url: str | httpx.URL) -> HostGate:
        key = site_key(url)
        gate = self._gates.get(key)
        if gate is None:
            delay, concurrency = self._configured.get(key, (DEFAULT_DELAY, DEFAULT_CONCURRENCY))
            gate = self._gates[key] = HostGate(delay=delay, concurrency=concurrency)
        return gate
