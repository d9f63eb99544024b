"""Per-host politeness: request-start gaps, in-flight caps, Retry-After pauses and run-long back-off."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

DEFAULT_DELAY = 1.0
DEFAULT_CONCURRENCY = 1


def host_key(url: str | httpx.URL) -> str:
    """scheme://host:port, the unit that robots.txt and politeness apply to."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


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
    failures: int = 0  # consecutive failed requests
    backed_off: str | None = None  # why the host is skipped for the rest of the run

    def __post_init__(self) -> None:
        self._in_flight = 0
        self._slots = asyncio.Condition()
        self._start_lock = asyncio.Lock()
        self._last_start = -math.inf
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
        async with self._slots:
            await self._slots.wait_for(lambda: self._in_flight < self.concurrency)
            self._in_flight += 1
        try:
            await self._wait_for_start()
            yield
        finally:
            async with self._slots:
                self._in_flight -= 1
                self._slots.notify_all()

    async def _wait_for_start(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # The start time is claimed only at the moment of starting, so a delay raised or a
            # pause set while we slept still applies to us.
            async with self._start_lock:
                now = loop.time()
                start = max(self._last_start + self.gap, self._paused_until)
                if start <= now:
                    self._last_start = now
                    return
            await asyncio.sleep(start - now)


class HostLimits:
    """The gates of every host seen in a run, created on first use with the configured defaults."""

    def __init__(self) -> None:
        self._gates: dict[str, HostGate] = {}
        self._configured: dict[str, tuple[float, int]] = {}

    def configure(self, url: str, *, delay: float, concurrency: int) -> None:
        key = host_key(url)
        self._configured[key] = (delay, concurrency)
        gate = self._gates.get(key)
        if gate is not None:
            gate.delay, gate.concurrency = delay, concurrency

    def gate(self, url: str | httpx.URL) -> HostGate:
        key = host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            delay, concurrency = self._configured.get(key, (DEFAULT_DELAY, DEFAULT_CONCURRENCY))
            gate = self._gates[key] = HostGate(delay=delay, concurrency=concurrency)
        return gate
