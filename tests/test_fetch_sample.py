"""Fetcher against the sample outlet's fault paths (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from scraper.config import FetchSettings
from scraper.discover import extract_links
from scraper.errors import FetchError, HostBackedOff, NotHTML, RobotsDisallowed, TooManyRedirects
from scraper.fetch import Fetcher
from scraper.models import Page
from scraper.sample_outlet import FAULTS, SampleServer, Site, build_site

FETCH = FetchSettings(retries=2, backoff=0.0, connect_timeout=1.0, read_timeout=0.5, max_bytes=300_000, host_failures=5)


def fetch(server: SampleServer, path: str, settings: FetchSettings = FETCH, **kwargs: Any) -> Page:
    async def main() -> Page:
        async with Fetcher(settings) as fetcher:
            fetcher.configure_host(server.url, delay=0.0, concurrency=2)
            return await fetcher.get(server.url.rstrip("/") + path, **kwargs)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def faulty() -> Iterator[SampleServer]:
    names = set(FAULTS) - {"robots-503", "robots-403", "outage"}
    site = build_site(
        seed=5, articles=20, faults=names, fault_burst=1, retry_after=1, slow_seconds=1.5,
        huge_bytes=2_000_000, bomb_bytes=64 << 20,
    )  # fmt: skip
    with SampleServer(site) as server:
        yield server


def statuses(site: Site, path: str) -> list[int | None]:
    return [record.status for record in site.requests if record.path == path]


TRANSIENT = ["/faults/rate-limit", "/faults/rate-limit-date", "/faults/unavailable", "/faults/reset"]


@pytest.mark.parametrize("path", TRANSIENT)
def test_transient_faults_are_retried_to_the_article(faulty: SampleServer, path: str) -> None:
    page = fetch(faulty, path)
    truth = faulty.site.fault_articles[path]
    assert page.status == 200 and truth.title in page.text
    assert len(statuses(faulty.site, path)) >= 2  # the failed try, then the article


def test_redirect_chain_and_loop(faulty: SampleServer) -> None:
    page = fetch(faulty, "/faults/redirect-chain")
    assert page.final_url.endswith("/faults/redirect-target") and page.status == 200
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch(faulty, "/faults/redirect-loop")


@pytest.mark.parametrize("path", ["/faults/cp1252", "/faults/latin1"])
def test_single_byte_charsets_come_out_right(faulty: SampleServer, path: str) -> None:
    page = fetch(faulty, path)
    truth = faulty.site.fault_articles[path]
    assert page.encoding == "cp1252"
    assert truth.title in page.text
    assert truth.blocks[0].text[:80] in page.text


@pytest.mark.parametrize("path", ["/faults/huge", "/faults/endless", "/faults/gzip-bomb"])
def test_oversized_answers_are_cut_at_max_bytes(faulty: SampleServer, path: str) -> None:
    page = fetch(faulty, path)
    assert page.truncated and len(page.body) == FETCH.max_bytes


def test_slow_page_times_out(faulty: SampleServer) -> None:
    with pytest.raises(FetchError, match="timed out"):
        fetch(faulty, "/faults/slow", FETCH.model_copy(update={"retries": 0}))


def test_pdf_link_is_skipped_as_not_html(faulty: SampleServer) -> None:
    pdfs = []
    private = faulty.site.disallowed_paths
    for article in [a for a in faulty.site.articles if a.path not in private][:8]:  # every 4th links a report
        page = fetch(faulty, article.path)
        pdfs += [url for url in extract_links(page.text, page.final_url) if url.endswith(".pdf")]
    assert pdfs
    with pytest.raises(NotHTML):
        fetch(faulty, pdfs[0].removeprefix(faulty.url.rstrip("/")))


@pytest.mark.parametrize(
    ("fault", "error"), [("robots-403", RobotsDisallowed), ("robots-503", HostBackedOff), ("outage", HostBackedOff)]
)
def test_robots_and_outage_faults_keep_the_host_untouched(fault: str, error: type[FetchError]) -> None:
    site = build_site(seed=5, articles=5, faults=(fault,))
    with SampleServer(site) as server:
        # The outlet asks for Retry-After 60-120 s: more than this run allows, so the host is dropped.
        settings = FETCH.model_copy(update={"retries": 1, "host_failures": 2, "max_retry_after": 5})
        with pytest.raises(error):
            fetch(server, site.articles[0].path, settings)
    # Nothing but robots.txt was asked for.
    assert {record.path for record in site.requests} == {"/robots.txt"}
