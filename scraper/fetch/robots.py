"""robots.txt: fetched once per host per run, parsed with protego, read as RFC 9309 says."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from protego import Protego

from .limits import host_key

log = logging.getLogger(__name__)

# RFC 9309 section 2.5: crawlers must read at least 500 KiB; anything after may be ignored.
ROBOTS_MAX_BYTES = 500 * 1024

RobotsVerdict = Literal["rules", "allow-all", "disallow-all", "unavailable"]


@dataclass(frozen=True)
class RobotsAnswer:
    """What fetching /robots.txt gave: a status and text, or an error message."""

    status: int | None
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class HostRobots:
    """How a host's robots.txt was read, and the parsed rules when there are any."""

    host: str
    verdict: RobotsVerdict
    reason: str
    parser: Protego | None = None
    text: str = ""

    def allows(self, url: str, user_agent: str) -> bool:
        if self.verdict == "allow-all":
            return True
        if self.verdict == "rules" and self.parser is not None:
            return bool(self.parser.can_fetch(url, user_agent))
        return False

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def interpret(host: str, answer: RobotsAnswer) -> HostRobots:
    """Map the robots.txt response to a verdict (RFC 9309 section 2.3.1)."""
    if answer.status is None:
        return HostRobots(
            host,
            "unavailable",
            f"robots.txt of {host} could not be fetched ({answer.error}); "
            "the host is treated as unavailable for this run, try again later",
        )
    if 200 <= answer.status < 300:
        try:
            parser = Protego.parse(answer.text)
        except Exception as exc:  # protego is lenient; this guards a bug in it, not bad input
            return HostRobots(host, "allow-all", f"robots.txt of {host} could not be parsed ({exc})")
        return HostRobots(host, "rules", f"robots.txt of {host}", parser=parser, text=answer.text)
    if answer.status in (401, 403):
        return HostRobots(
            host, "disallow-all", f"robots.txt of {host} answered {answer.status}, which means disallow all"
        )
    if 400 <= answer.status < 500:
        return HostRobots(host, "allow-all", f"robots.txt of {host} answered {answer.status} (no rules)")
    return HostRobots(
        host,
        "unavailable",
        f"robots.txt of {host} answered {answer.status}; "
        "the host is treated as unavailable for this run, try again later",
    )


class RobotsCache:
    """One HostRobots per host per run. Concurrent first requests to a host share one fetch,
    run as its own task so that a caller being cancelled does not cancel it for the others."""

    def __init__(self, fetch: Callable[[str], Awaitable[RobotsAnswer]]) -> None:
        self._fetch = fetch
        self._hosts: dict[str, asyncio.Task[HostRobots]] = {}

    async def for_url(self, url: str) -> HostRobots:
        host = host_key(url)
        task = self._hosts.get(host)
        if task is None:
            task = self._hosts[host] = asyncio.create_task(self._load(host, url))
        elif task.done():
            return task.result()  # the usual case, asked once per request: no await needed
        return await asyncio.shield(task)

    async def _load(self, host: str, url: str) -> HostRobots:
        answer = await self._fetch(f"{host_origin(url)}/robots.txt")
        robots = interpret(host, answer)
        log.debug("%s", robots.reason)
        return robots

    def close(self) -> None:
        for task in self._hosts.values():
            task.cancel()
        self._hosts.clear()


def host_origin(url: str) -> str:
    """scheme://host[:port] as written in the URL, for building /robots.txt."""
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    authority = authority.rsplit("@", 1)[-1]  # never send userinfo to robots.txt
    return f"{scheme.lower()}://{authority}"
