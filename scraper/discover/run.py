"""One outlet's discovery run: sources in order of preference, conditional GETs, candidates.

Sources (an explicit config value replaces the guess for its kind):

1. sitemaps: `outlet.sitemaps`, else the Sitemap: lines of robots.txt, else /sitemap.xml; indexes
   are followed (newest child first, at most MAX_SITEMAPS_PER_RUN files, MAX_SITEMAP_DEPTH deep),
   to children on the index's own site only (others are reported as an error, not fetched);
   gzipped and Google News sitemaps are read, the news ones with their publication dates;
2. feeds: `outlet.feeds`, else the RSS/Atom <link rel="alternate"> of the home page, else the first
   of COMMON_FEED_PATHS that answers with a feed;
3. links on the home page and listing pages: `outlet.sections`, else the listing pages linked from
   home, followed `outlet.section_depth` levels deep, at most `outlet.max_section_pages` pages.
   Listing pages are crawled when sections are configured, or when no sitemap or feed was found
   (sitemaps and feeds are the publisher's own lists; crawling listings costs requests and
   guesses). The home page's article links are always taken when the home page was fetched (it
   is, for its feed links, unless feeds are configured): they are the freshest, at no cost.

Sitemaps, feeds and listing pages are fetched with the previous run's validators; a 304 gives
nothing (the pipeline keeps its own frontier of URLs not fetched yet). The home page is fetched in
full when feed or link discovery needs it, since a 304 would hide the feed and section links on it;
so are sitemap indexes and listing pages whose listing links are followed (no validators are kept
for them), since a 304 would hide the children, which change while their parent does not.
URLs from sitemaps and feeds are kept unless clearly not articles; scraped links must look like
articles (see .links). Candidates robots.txt forbids are left out; those whose host's robots.txt
could not be read this run are kept (the fetch checks robots.txt again).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from ..config import Outlet
from ..errors import FetchError, ParseError, RobotsDisallowed
from ..models import Candidate, Page
from .links import classify_url, find_feed_links, links_with_context, same_site, url_shape
from .parsers import parse_feed, parse_robots_sitemaps, parse_sitemap, sort_key

log = logging.getLogger(__name__)

Validators = MutableMapping[str, tuple[str | None, str | None]]  # url -> (etag, last_modified)
T = TypeVar("T")

MAX_SITEMAPS_PER_RUN = 50  # sitemap files (indexes + children) fetched per outlet per run
MAX_SITEMAP_DEPTH = 3  # index -> index -> sitemap is as deep as real sites go
COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")
_PREFERENCE = ("news-sitemap", "sitemap", "feed", "links")  # found_via, best first
# Documents larger than this are parsed in a worker thread: a 50 MB sitemap takes seconds, and the
# event loop must keep starting every other host's requests on time meanwhile. Smaller ones parse
# in a few milliseconds, less than a thread's hand-over of the GIL would cost the loop.
_THREAD_PARSE_BYTES = 256 * 1024


async def _parse(parser: Callable[[bytes, str], T], data: bytes, url: str) -> T:
    inflated = len(data) * (20 if data[:2] == b"\x1f\x8b" else 1)  # gzip: judge by a typical inflated size
    if inflated > _THREAD_PARSE_BYTES:
        return await asyncio.to_thread(parser, data, url)
    return parser(data, url)


class FetcherLike(Protocol):
    """What discovery needs of scraper.fetch.Fetcher, typed by shape so that this stage does not
    import the fetch stage (only the pipeline wires stages together)."""

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, html_only: bool = True
    ) -> Page: ...

    async def allowed(self, url: str) -> bool: ...

    async def robots_unavailable(self, url: str) -> bool: ...

    async def robots_txt(self, url: str) -> str | None: ...


@dataclass
class DiscoveryResult:
    """Candidates (deduplicated, newest first when dated), per-source errors and counts.

    `sources` keys: "sitemap", "news-sitemap", "feed", "links" (candidates first found there),
    "fetched", "not-modified" (304 answers), "disallowed" (candidates robots.txt forbids),
    "robots-unavailable" (candidates kept although their host's robots.txt could not be read),
    "rejected" (URLs judged not to be articles)."""

    candidates: list[Candidate]
    errors: list[tuple[str, str]] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _Discovery:
    """One outlet's discovery run; collects candidates, errors and counts."""

    def __init__(self, outlet: Outlet, fetcher: FetcherLike, validators: Validators) -> None:
        self.outlet = outlet
        self.fetcher = fetcher
        self.validators = validators
        self.found: dict[str, Candidate] = {}
        self.errors: list[tuple[str, str]] = []
        self.sources: Counter[str] = Counter()
        self.structured_sources = 0  # sitemaps/feeds that answered with entries or 304
        self._home: Page | None = None
        self._home_error: str | None = None
        self._home_tried = False
        self._batches: list[tuple[int, list[tuple[str, str | None]], str, bool]] = []

    def collect(self, entries: list[tuple[str, str | None]], found_via: str, *, strict: bool) -> None:
        self._batches.append((_PREFERENCE.index(found_via), entries, found_via, strict))

    async def run(self) -> DiscoveryResult:
        # Sitemaps and feeds are read side by side: the host gate still spaces the requests, and
        # the host's queue never runs dry while one source waits for an answer or a parse.
        await asyncio.gather(self.sitemaps(), self.feeds())
        if self.outlet.sections is not None or self.structured_sources == 0:
            await self.links()
        elif self._home is not None and self._home.text:
            self._harvest(self._home)  # fetched for its feed links anyway: its article links are free
        # Merged in order of preference, so a URL keeps the best source's name and date.
        for _rank, entries, found_via, strict in sorted(self._batches, key=lambda batch: batch[0]):
            await self.add(entries, found_via, strict=strict)
        if not self.found and self._home_error is not None:
            reason = f"nothing discovered: the home page could not be fetched ({self._home_error})"
            self.errors.append((self.outlet.home, reason))
        ordered = sorted(self.found.values(), key=lambda c: sort_key(c.lastmod), reverse=True)
        return DiscoveryResult(candidates=ordered, errors=self.errors, sources=dict(self.sources))

    # -- fetching with validators --

    async def _fetch(self, url: str, *, html_only: bool, guessed: bool) -> Page | None:
        """The page, a not_modified page (304), or None after recording why not."""
        etag, last_modified = self.validators.get(url, (None, None))
        try:
            page = await self.fetcher.get(url, etag=etag, last_modified=last_modified, html_only=html_only)
        except FetchError as exc:
            if exc.status in (404, 410):
                self.validators.pop(url, None)
            if guessed and (exc.status in (404, 410) or isinstance(exc, RobotsDisallowed)):
                log.debug("%s: guessed source not there (%s)", url, exc)
            else:
                self.errors.append((url, str(exc)))
            return None
        self.sources["fetched"] += 1
        if page.not_modified:
            self.sources["not-modified"] += 1
            return page
        if page.etag or page.last_modified:
            self.validators[url] = (page.etag, page.last_modified)
        else:
            self.validators.pop(url, None)
        return page

    async def home(self) -> Page | None:
        if not self._home_tried:
            self._home_tried = True
            try:
                self._home = await self.fetcher.get(self.outlet.home, html_only=True)
            except FetchError as exc:
                self._home_error = str(exc)
                self.errors.append((self.outlet.home, f"home page unreachable: {exc}"))
            else:
                self.sources["fetched"] += 1
        return self._home

    # -- candidates --

    def _keep(self, url: str, *, strict: bool) -> bool:
        outlet = self.outlet
        if outlet.exclude_pattern and re.search(outlet.exclude_pattern, url):
            return False
        if outlet.article_pattern:
            return classify_url(url, outlet.home, article_pattern=outlet.article_pattern) == "article"
        kind, strong = url_shape(url, outlet.home)
        return kind == "article" or (not strict and not strong)

    async def add(self, entries: Iterable[tuple[str, str | None]], found_via: str, *, strict: bool) -> None:
        """Add article URLs; `strict` (scraped links) keeps only article shapes, otherwise
        (sitemaps, feeds) only the clear non-articles are dropped."""
        for url, lastmod in entries:
            if not self._keep(url, strict=strict):
                self.sources["rejected"] += 1
                continue
            known = self.found.get(url)
            if known is not None:
                if known.lastmod is None and lastmod is not None:
                    self.found[url] = Candidate(url, self.outlet.slug, known.found_via, lastmod)
                continue
            if not await self.fetcher.allowed(url):
                # A host whose robots.txt could not be read this run (5xx, DNS) refused nothing: its
                # URLs are kept, or they would never be offered again once the source answers 304.
                # The fetch asks robots.txt again and leaves them pending while it stays unreadable.
                if not await self.fetcher.robots_unavailable(url):
                    self.sources["disallowed"] += 1
                    continue
                self.sources["robots-unavailable"] += 1
            self.found[url] = Candidate(url, self.outlet.slug, found_via, lastmod)
            self.sources[found_via] += 1

    # -- the three sources --

    async def sitemaps(self) -> None:
        guessed = False
        if self.outlet.sitemaps is not None:
            roots = list(self.outlet.sitemaps)
        else:
            robots = await self.fetcher.robots_txt(self.outlet.home)
            roots = parse_robots_sitemaps(robots) if robots else []
            if not roots:
                roots, guessed = [f"{_origin(self.outlet.home)}/sitemap.xml"], True
        seen: set[str] = set(roots)
        level = roots
        budget = MAX_SITEMAPS_PER_RUN
        for _depth in range(MAX_SITEMAP_DEPTH + 1):
            level = level[:budget]
            budget -= len(level)
            if not level:
                break
            children_lists = await asyncio.gather(*(self._sitemap(url, guessed) for url in level))
            guessed = False
            level = []
            for children in children_lists:
                for child in children:
                    if child not in seen:
                        seen.add(child)
                        level.append(child)

    async def _sitemap(self, url: str, guessed: bool) -> list[str]:
        page = await self._fetch(url, html_only=False, guessed=guessed)
        if page is None:
            return []
        if page.not_modified:
            self.structured_sources += 1
            return []
        try:
            result = await _parse(parse_sitemap, page.body, page.final_url)
        except ParseError as exc:
            if not guessed:
                self.errors.append((url, str(exc)))
            return []
        if page.truncated:
            read = len(result.urls)
            self.errors.append((url, f"sitemap cut at max_bytes; only the first {read} URLs were read"))
        if result.urls or result.children:
            self.structured_sources += 1
        self.collect(result.urls, "news-sitemap" if result.is_news else "sitemap", strict=False)
        if not result.children:
            return []
        # An index answering 304 would hide its children, and a child changes (new stories) while
        # the index naming it does not: an index is always fetched in full, its children each keep
        # their own validators.
        self.validators.pop(url, None)
        # The sitemaps protocol lets an index name sitemaps on its own site only (other hosts come
        # from robots.txt Sitemap: lines); following others would send requests to any server a
        # sitemap names. The final URL counts too: a sitemap moved to a CDN names files there.
        own = [child for child in result.children if same_site(child, url) or same_site(child, page.final_url)]
        if len(own) < len(result.children):
            foreign = [child for child in result.children if child not in own]
            message = f"{len(foreign)} child sitemap(s) on another site not followed (first: {foreign[0]})"
            self.errors.append((url, message))
        return own

    async def feeds(self) -> None:
        if self.outlet.feeds is not None:
            await asyncio.gather(*(self._feed(url, guessed=False) for url in self.outlet.feeds))
            return
        home = await self.home()
        announced = find_feed_links(home.text, home.final_url) if home is not None else []
        await asyncio.gather(*(self._feed(url, guessed=False) for url in announced))
        if announced or home is None:
            return
        for path in COMMON_FEED_PATHS:
            if await self._feed(f"{_origin(self.outlet.home)}{path}", guessed=True):
                break

    async def _feed(self, url: str, *, guessed: bool) -> bool:
        """True when `url` is a feed (parsed now, or unchanged since the last run)."""
        page = await self._fetch(url, html_only=False, guessed=guessed)
        if page is None:
            return False
        if page.not_modified:
            self.structured_sources += 1
            return True
        try:
            entries = await _parse(parse_feed, page.body, page.final_url)
        except ParseError as exc:
            if not guessed:
                self.errors.append((url, str(exc)))
            else:
                self.validators.pop(url, None)
            return False
        self.structured_sources += 1
        self.collect(entries, "feed", strict=False)
        return True

    async def links(self) -> None:
        outlet = self.outlet
        home = await self.home()
        frontier: list[str] = []
        if home is not None and home.text:
            frontier = self._harvest(home)
        if outlet.sections is not None:
            frontier = list(outlet.sections)
        visited = {outlet.home}
        budget = outlet.max_section_pages
        for depth in range(outlet.section_depth):
            level = [url for url in dict.fromkeys(frontier) if url not in visited][:budget]
            if not level:
                break
            budget -= len(level)
            visited.update(level)
            pages = await asyncio.gather(*(self._fetch(url, html_only=True, guessed=False) for url in level))
            frontier = []
            for url, page in zip(level, pages, strict=True):
                if page is not None and not page.not_modified and page.text:
                    listings = self._harvest(page)
                    frontier.extend(listings)
                    if listings and depth + 1 < outlet.section_depth:
                        # Its listing links are followed next: a 304 next run would hide them, and
                        # the pages they lead to change while this one does not (as sitemap indexes).
                        self.validators.pop(url, None)

    def _harvest(self, page: Page) -> list[str]:
        """Add the page's article links; return its listing links (the next level)."""
        outlet = self.outlet
        articles: list[tuple[str, str | None]] = []
        listings: list[str] = []
        for url, prominent in links_with_context(page.text, page.final_url):
            kind = classify_url(
                url, outlet.home,
                article_pattern=outlet.article_pattern, exclude_pattern=outlet.exclude_pattern,
            )  # fmt: skip
            if kind == "article":
                articles.append((url, None))
            elif kind == "listing":
                listings.append(url)
            elif prominent and not outlet.article_pattern and not url_shape(url, outlet.home)[1]:
                # An ambiguous URL shape, but the page presents it as a headline or an article.
                articles.append((url, None))
        # Judged link by link above, with the page structure; add() drops only clear non-articles.
        self.collect(articles, "links", strict=False)
        log.debug("%s: %d article links, %d listing links", page.final_url, len(articles), len(listings))
        return listings


async def discover(outlet: Outlet, fetcher: FetcherLike, validators: Validators) -> DiscoveryResult:
    """Find the outlet's article URLs (module docstring has the order and the rules).
    Never raises for a failing source: each failure is one (url, message) in `errors`."""
    return await _Discovery(outlet, fetcher, validators).run()
