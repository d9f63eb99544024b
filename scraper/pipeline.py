"""One run: discover -> fetch -> extract -> classify -> deduplicate -> archive, for every due outlet.

Only this module knows the order of the stages. Outlets run concurrently (each host is
rate-limited by the fetcher on its own), so a run is bounded by its slowest outlet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from . import dedup, subscription
from .access import classify, is_paywalled
from .archive import Archive, ArchiveLock
from .config import Outlet, Settings
from .discover import classify_page, discover
from .errors import BadStatus, FetchError, HostBackedOff, LoginError, NotHTML, RobotsDisallowed, TooManyRedirects
from .extract import extract_article
from .fetch import Fetcher, RequestRecord
from .models import Access, Article, Page
from .warc import StoredPayload, WarcRef, WarcWriter

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int | None], None]  # (outlet, advance, new total or None)


@dataclass
class OutletResult:
    slug: str
    status: str = "ok"  # ok | partial | failed | skipped (not due) | interrupted
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    run_id: int | None
    status: str
    outlets: list[OutletResult]
    totals: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "totals": self.totals,
            "outlets": [
                {"outlet": o.slug, "status": o.status, **o.counts, "messages": o.messages} for o in self.outlets
            ],
        }


@dataclass
class RunOptions:
    outlets: Sequence[str] = ()  # slugs; empty = all configured
    max_articles: int | None = None  # per outlet
    force: bool = False  # ignore schedules
    refetch_teasers: bool = False
    wait_for_lock: bool = False


def due(outlet: Outlet, last_finished: datetime | None, now: datetime) -> bool:
    """Whether an outlet's schedule (`every`) makes it due now."""
    if outlet.every_seconds is None or last_finished is None:
        return True
    # A little slack so that a cron line every 15 minutes serves `every = "15m"` despite run-time jitter.
    return (now - last_finished).total_seconds() >= outlet.every_seconds * 0.95


def article_row(article: Article, access: Access, page: Page, canonical: str, content_hash: str) -> dict[str, Any]:
    """The `articles` columns that come from one fetch of one page."""
    return {
        "url": page.final_url,
        "canonical_url": canonical,
        "title": article.title,
        "description": article.description,
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "published": article.published,
        "modified": article.modified,
        "section": article.section,
        "tags": json.dumps(list(article.tags), ensure_ascii=False),
        "language": article.language,
        "text": article.text,
        "word_count": len(article.text.split()),
        "access": access.label,
        "paywall_declared": None if access.declared is None else int(access.declared),
        "paywall_signals": json.dumps([s.as_dict() for s in article.paywall_signals], ensure_ascii=False),
        "content_hash": content_hash,
        "fetched_at": page.fetched_at,
        "last_checked": page.fetched_at,
        "etag": page.etag,
        "last_modified": page.last_modified,
    }


class ArchivingFetcher:
    """The fetcher, with every response it returns also written to the raw WARC archive. The login
    goes through the plain fetcher: its answers are about the reader's account, not the outlet."""

    def __init__(self, fetcher: Fetcher, warc: WarcWriter, user_agent: str) -> None:
        self.fetcher = fetcher
        self.warc = warc
        self.user_agent = user_agent

    def configure_host(self, url: str, *, delay: float, concurrency: int) -> None:
        self.fetcher.configure_host(url, delay=delay, concurrency=concurrency)

    async def allowed(self, url: str) -> bool:
        return await self.fetcher.allowed(url)

    async def robots_txt(self, url: str) -> str | None:
        return await self.fetcher.robots_txt(url)

    async def robots_unavailable(self, url: str) -> bool:
        return await self.fetcher.robots_unavailable(url)

    async def get_with_ref(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        cookies: httpx.Cookies | None = None,
        html_only: bool = True,
    ) -> tuple[Page, WarcRef]:
        page = await self.fetcher.get(url, etag=etag, last_modified=last_modified, cookies=cookies, html_only=html_only)
        headers = {"User-Agent": self.user_agent}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if cookies:
            headers["Cookie"] = "REDACTED"  # the writer redacts it too; never let a session reach the WARC
        return page, self.warc.write(page, request_headers=headers)

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        cookies: httpx.Cookies | None = None,
        html_only: bool = True,
    ) -> Page:
        page, _ = await self.get_with_ref(
            url, etag=etag, last_modified=last_modified, cookies=cookies, html_only=html_only
        )
        return page


# A paywalled page with less than this share of the words held is taken for a teaser, not an edit.
_SHORTER_TEXT_SHARE = 0.4


class ArticleWriter:
    """Writes fetched articles of one outlet into the archive: canonical URL, exact and near duplicates,
    versions. Shared by `scraper run`, `scraper reextract` and `scraper import-warc`."""

    def __init__(self, settings: Settings, archive: Archive, outlet: str, run_id: int) -> None:
        self.settings = settings
        self.archive = archive
        self.outlet = outlet
        self.run_id = run_id
        self.index = dedup.NearDuplicateIndex(
            archive.db.conn, threshold=settings.dedup.near_threshold, min_words=settings.dedup.min_words
        )

    def canonical(self, url: str) -> str:
        return dedup.canonical_url(url, extra_tracking_params=self.settings.dedup.tracking_params)

    def declares_its_own_story(self, claimed: int, article: Article) -> bool:
        """Whether a page that declares the URL of archived article `claimed` as its canonical URL
        carries that article's story (`dedup.same_story`). A page without text cannot be told
        apart; it is taken at its word, and the writer never lets it replace archived text."""
        if not article.text.strip():
            return True
        stored = self.archive.stored(claimed)
        return dedup.same_story(article.text, article.title, stored.text, stored.title)

    def store(
        self,
        canonical: str,
        page: Page,
        article: Article,
        access: Access,
        article_id: int | None,
        ref: WarcRef,
    ) -> str:
        """Write one fetched article; returns the counter it adds to. Runs inside the article's transaction."""
        archive = self.archive
        own = self.canonical(page.final_url)
        declared = self.canonical(dedup.prefer_canonical(page.final_url, article.canonical_url))
        if article_id is None:
            # The page's own URLs first: a declaration must not outrank where the page was served.
            article_id = next((i for i in map(archive.known, (canonical, own)) if i is not None), None)
        claimed = archive.known(declared) if declared not in (canonical, own) else None
        if claimed is not None and claimed != article_id:
            if article_id is None and self.declares_its_own_story(claimed, article):
                article_id = claimed  # an AMP, print or republished variant of the archived page
            elif article_id is None:
                # A CMS template bug (every page of a section declaring one story's URL) must not
                # turn an unrelated story into a version of that one, nor alias its URL away so
                # that it is never fetched again: the page is its own article, under its own URL.
                log.info("%s declares %s as its canonical URL, but is another story", page.final_url, declared)
                declared = own
            else:
                # Already archived under its own row: the declared URL stays with the article it names.
                declared = archive.stored(article_id).canonical_url
        aliases = {canonical, own, declared}
        content_hash = dedup.content_hash(article.text)
        row = article_row(article, access, page, declared, content_hash)
        row.update(run_id=self.run_id, warc_file=ref.file, warc_offset=ref.offset)

        if article_id is not None:
            old = archive.stored(article_id)
            changed = dedup.what_changed(
                {"text": old.text, "title": old.title, "access": old.access},
                {"text": article.text, "title": article.title, "access": access.label},
            )
            # A teaser never replaces full text we already hold (e.g. after a subscription lapsed),
            # nor does a page with no text at all (an empty 200 from a CDN, an error page), nor a
            # paywalled page much shorter than the full text held: a teaser that was not recognised
            # as cut (a prompt in an iframe, a session expired without a telling sign).
            downgrade = (
                (access.label == "teaser" and old.access != "teaser")
                or (not article.text.strip() and bool(old.text.strip()))
                or (
                    old.access in ("subscriber", "free")
                    and is_paywalled(article)
                    and len(article.text.split()) < _SHORTER_TEXT_SHARE * len(old.text.split())
                )
            )
            for url in aliases:
                archive.add_alias(url, article_id)
            if changed and downgrade:
                log.info("%s: archived text kept; the new fetch (%s) reads as a teaser", page.final_url, access.label)
            if not changed or downgrade:
                archive.update_article(
                    article_id,
                    {"last_checked": page.fetched_at, "etag": page.etag, "last_modified": page.last_modified},
                )
                return "unchanged"
            row.pop("canonical_url")
            archive.new_version(old, changed, row)
            if "text" in changed:
                # Links measured against the old text would otherwise outlive it: a copy would go on
                # hiding a story that its rewritten original no longer tells (and the index would
                # find the old text).
                dedup.relink_after_change(archive.db.conn, article_id, self.index)
            return "updated"

        duplicate_of: int | None = archive.first_with_hash(content_hash) if article.text else None
        rule, similarity = ("exact", 1.0) if duplicate_of else (None, None)
        sketch = self.index.sketch(article.text)
        if duplicate_of is None and sketch is not None:
            near = self.index.find(sketch)
            if near is not None:
                duplicate_of, similarity = near
                rule = "near"
        row.update(
            outlet=self.outlet,
            version=1,
            first_seen=page.fetched_at,
            duplicate_of=duplicate_of,
            duplicate_rule=rule,
            similarity=similarity,
        )
        new_id = archive.insert_article(row)
        for url in aliases:
            archive.add_alias(url, new_id)
        if duplicate_of is None and sketch is not None:
            self.index.add(new_id, sketch)
        elif duplicate_of is not None:  # an earlier-published copy fetched later becomes the story
            former = dedup.keep_earliest_original(archive.db.conn, new_id, self.index)
            if former is not None and former.run_id == self.run_id and former.version == 1:
                archive.bump(self.run_id, former.outlet, new=-1, duplicates=1)  # it was counted new in this run
                return "new"
        return "duplicates" if duplicate_of else "new"


class OutletRun:
    """The work of one run on one outlet."""

    def __init__(
        self,
        settings: Settings,
        outlet: Outlet,
        archive: Archive,
        fetcher: ArchivingFetcher,
        run_id: int,
        options: RunOptions,
        stop: asyncio.Event,
        progress: ProgressCallback | None,
    ) -> None:
        self.settings = settings
        self.outlet = outlet
        self.archive = archive
        self.fetcher = fetcher
        self.run_id = run_id
        self.options = options
        self.stop = stop
        self.progress = progress
        self.result = OutletResult(outlet.slug)
        self.session = subscription.Subscription(outlet, settings, fetcher.fetcher)
        self.writer = ArticleWriter(settings, archive, outlet.slug, run_id)
        self.canonical = self.writer.canonical

    def error(self, url: str, stage: str, exc: BaseException | str) -> None:
        kind = type(exc).__name__ if isinstance(exc, BaseException) else "Error"
        message = str(exc)
        self.result.messages.append(f"{url}: {message}" if url and not message.startswith(url) else message)
        # The summary at the end of the run repeats these messages; the log has them as they happen.
        log.info("%s: %s %s: %s", self.outlet.slug, stage, url, message)
        with self.archive.transaction():
            self.archive.record_error(self.run_id, self.outlet.slug, url, stage, kind, message)
            self.archive.bump(self.run_id, self.outlet.slug, errors=1)

    async def run(self) -> OutletResult:
        slug = self.outlet.slug
        self.archive.start_outlet(self.run_id, slug)
        self.fetcher.configure_host(self.outlet.home, delay=self.outlet.delay, concurrency=self.outlet.concurrency)
        if self.outlet.login is not None:
            try:
                await self.session.open()
            except LoginError as exc:
                self.error(self.outlet.login.url or "", "login", exc)
        subscriber = self.session.active

        validators = self.archive.validators()
        previous = dict(validators)
        found = await discover(self.outlet, self.fetcher, validators)
        for url, message in found.errors:
            self.error(url, "discover", message)

        rows = []
        for candidate in found.candidates:
            canonical = self.canonical(candidate.url)
            if self.archive.known(canonical) is None:
                rows.append(
                    {
                        "url": canonical,
                        "fetch_url": candidate.url,
                        "outlet": slug,
                        "found_via": candidate.found_via,
                        "lastmod": candidate.lastmod,
                    }
                )
        # The sources' validators commit with the URLs they gave, never before: once saved, the next
        # run gets a 304 from each source and would never see URLs lost by a crash in between.
        with self.archive.transaction():
            added = self.archive.enqueue(rows)
            self.archive.save_validators(validators, previous)
            self.archive.bump(self.run_id, slug, discovered=added)
        if self.outlet.revisit_days:
            self.archive.requeue(self.archive.revisit_candidates(slug, self.outlet.revisit_days), "revisit")
        if subscription.newly_configured(self.archive, self.outlet, active=subscriber) or self.options.refetch_teasers:
            self.archive.requeue(self.archive.teaser_urls(slug), "refetch-teaser")

        limit = self.options.max_articles if self.options.max_articles is not None else self.outlet.max_articles
        queue = self.archive.pending(slug, limit)
        if self.progress:
            self.progress(slug, 0, len(queue))
        work: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        for item in queue:
            work.put_nowait(item)

        async def worker() -> None:
            while not self.stop.is_set():
                try:
                    canonical, fetch_url = work.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self.fetch_and_store(canonical, fetch_url)
                if self.progress:
                    self.progress(slug, 1, None)

        await asyncio.gather(*(worker() for _ in range(self.outlet.concurrency)))
        if subscriber and not self.session.active:
            # The session was lost during the run: the teasers stored since are fetched again by the
            # next run that has a working subscription.
            subscription.newly_configured(self.archive, self.outlet, active=False)

        counts = self.archive.outlet_counts(self.run_id).get(slug, {})
        self.result.counts = {k: v for k, v in counts.items() if k != "status"}
        if self.stop.is_set():
            self.result.status = "interrupted"
        elif not found.candidates and found.errors and not counts.get("fetched"):
            self.result.status = "failed"
        elif counts.get("errors"):
            self.result.status = "partial"
        self.archive.finish_outlet(self.run_id, slug, self.result.status)
        return self.result

    def misdirected(self, canonical: str, fetch_url: str, final_url: str, article_id: int | None) -> str | None:
        """Why a redirect's target must not be archived as the URL asked for, or None when it may.

        A deleted story is commonly redirected to the home page, or to some catch-all page. Taken
        at face value, the home page would replace the story archived under this URL, and every
        later story redirected there would be aliased to it and never fetched again."""
        target = self.canonical(final_url)
        asked = {canonical, self.canonical(fetch_url)}
        if target in asked:
            return None
        if target == self.canonical(self.outlet.home) or dedup.is_home_url(target):
            return f"{fetch_url}: redirected to the home page ({final_url}); the story is not there"
        owner = self.archive.known(target)
        if owner is None or owner == article_id:
            return None
        # The target is archived as another row. The same story under a new URL (a slug renamed, the
        # new URL archived as a copy of this one) is followed; otherwise a story we hold must not
        # take another's text, and a new URL may join that article only when the target is a page
        # of its own (in the frontier), not a page that other URLs were merely redirected to.
        if self.archive.same_story_rows(owner, article_id):
            return None
        if article_id is not None or self.archive.only_redirected_to(target):
            return f"{fetch_url}: redirected to {final_url}, which is archived as another article"
        return None

    async def fetch_and_store(self, canonical: str, fetch_url: str) -> None:
        slug = self.outlet.slug
        article_id = self.archive.known(canonical)
        etag, last_modified = self.archive.validators_for(canonical) if article_id else (None, None)
        if article_id and self.session.active and self.archive.stored(article_id).access == "teaser":
            etag = last_modified = None  # the teaser's validators may answer 304 to the subscriber too
        generation = self.session.generation
        try:
            page, ref = await self.fetcher.get_with_ref(
                fetch_url, etag=etag, last_modified=last_modified, cookies=self.session.cookies
            )
        except FetchError as exc:
            with self.archive.transaction():
                if isinstance(exc, HostBackedOff):  # the host's trouble, not this URL's: try next run
                    self.archive.mark(canonical, "pending", str(exc), attempt=False)
                elif (
                    isinstance(exc, BadStatus | NotHTML | RobotsDisallowed | TooManyRedirects)
                    and exc.status != 429
                    and (exc.status is None or exc.status < 500)
                ):
                    self.archive.mark(canonical, "failed", str(exc))
                else:  # 5xx, 429, timeouts, resets: passing trouble
                    self.archive.mark(canonical, "pending", str(exc))
            self.error(fetch_url, "fetch", exc)
            return
        wrong_target = self.misdirected(canonical, fetch_url, page.final_url, article_id)
        if wrong_target is not None:
            # Like a 404: the story is not there (any more). Nothing is stored or aliased, so that
            # neither the archived story nor later stories redirected to the same page take its text.
            with self.archive.transaction():
                self.archive.mark(canonical, "failed", wrong_target)
            self.error(fetch_url, "fetch", wrong_target)
            return
        if page.not_modified and article_id is not None:
            with self.archive.transaction():
                self.archive.update_article(article_id, {"last_checked": page.fetched_at})
                self.archive.mark(canonical, "done")
                self.archive.bump(self.run_id, slug, fetched=1, unchanged=1)
            return
        if self.outlet.article_pattern is None and classify_page(page.text) == "listing":
            # The URL looked like an article but the page's own markup says it lists others.
            with self.archive.transaction():
                self.archive.mark(canonical, "not-article")
            log.info("%s: not an article (the page declares a listing): %s", self.outlet.slug, page.final_url)
            return
        try:
            article = extract_article(page.text, page.final_url, self.outlet.extract, self.outlet.paywall)
        except Exception as exc:  # the extractor promises not to raise; a bug must not stop the run
            log.exception("extractor failed on %s", page.final_url)
            with self.archive.transaction():
                self.archive.mark(canonical, "failed", f"extract: {exc}")
            self.error(page.final_url, "extract", exc)
            return
        checked = await self.session.check(page.text, article.paywall_cut, generation)
        if checked.error is not None and self.outlet.login is not None:
            self.error(self.outlet.login.url or "", "login", checked.error)
        if checked.retry:
            await self.fetch_and_store(canonical, fetch_url)  # once more, with the renewed session
            return
        access = classify(article, subscriber_session=checked.subscriber)
        if not article.text.strip() and access.label != "teaser" and not is_paywalled(article):
            # An empty 200 (a CDN hiccup, an error page served as 200) is no article: nothing is stored
            # and archived text is never replaced by it. Marked failed like a 404, the URL is tried
            # again when discovery lists it again, up to GIVE_UP_AFTER times. A paywalled page without
            # text (a hard paywall shows only the headline) is a teaser and is stored as one.
            message = f"{page.final_url}: the page had no article text"
            with self.archive.transaction():
                self.archive.mark(canonical, "failed", message)
            self.error(fetch_url, "extract", message)
            return
        with self.archive.transaction():
            outcome = self.writer.store(canonical, page, article, access, article_id, ref)
            self.archive.mark(canonical, "done")
            counts = {"fetched": 1, outcome: 1}
            if access.label == "teaser" and outcome in ("new", "updated"):
                counts["teasers"] = 1
            self.archive.bump(self.run_id, slug, **counts)
        log.info("%s: %s %s (%s)", slug, outcome, page.final_url, access.label)


def open_warc(settings: Settings, archive: Archive, prefix: str = "scraper") -> WarcWriter:
    """The raw archive's writer, with its payload-digest index kept in the archive database
    (committed with the article each payload belongs to)."""

    def on_payload(stored: StoredPayload) -> None:
        archive.payload_buffer[stored.digest] = stored._asdict()

    return WarcWriter(
        settings.warc_path,
        max_bytes=settings.archive.warc_max_bytes,
        seen_digest=archive.seen_payload,
        on_payload=on_payload,
        prefix=prefix,
        fsync=False,  # like the archive's synchronous=NORMAL: safe against kill -9, not power loss
    )


def _run_status(results: list[OutletResult], stopped: bool) -> str:
    ran = [r for r in results if r.status != "skipped"]
    if stopped:
        return "interrupted"
    if ran and all(r.status == "failed" for r in ran):
        return "failed"
    if any(r.status in ("failed", "partial") for r in ran):
        return "partial"
    return "ok"


async def run_async(settings: Settings, options: RunOptions, progress: ProgressCallback | None = None) -> RunReport:
    slugs = list(options.outlets) or list(settings.outlets)
    lock = ArchiveLock(settings.database_path)
    lock.acquire(wait=options.wait_for_lock)
    archive = Archive.open(settings.database_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        archive.upsert_outlets({"slug": o.slug, "name": o.name, "home": o.home} for o in settings.outlets.values())
        now = datetime.now(UTC)
        run_id = archive.start_run(slugs)
        results: list[OutletResult] = []
        todo: list[Outlet] = []
        for slug in slugs:
            outlet = settings.outlets[slug]
            if options.force or due(outlet, archive.last_finished(slug), now):
                todo.append(outlet)
            else:
                results.append(OutletResult(slug, status="skipped", messages=["not due yet (see `every`)"]))

        def on_request(record: RequestRecord) -> None:
            archive.request_buffer.append(
                {
                    "url": record.url,
                    "method": record.method,
                    "status": record.status,
                    "bytes": record.bytes,
                    "elapsed_ms": round(record.elapsed_ms, 1),
                    "error": record.error,
                    "at": record.started_at,
                }
            )

        warc = open_warc(settings, archive)
        try:

            def on_robots(page: Page) -> None:
                warc.write(page, request_headers={"User-Agent": settings.fetch.user_agent})

            async with Fetcher(settings.fetch, on_request=on_request, on_robots=on_robots) as raw_fetcher:
                fetcher = ArchivingFetcher(raw_fetcher, warc, settings.fetch.user_agent)
                runs = [OutletRun(settings, o, archive, fetcher, run_id, options, stop, progress) for o in todo]
                outcomes = await asyncio.gather(*(r.run() for r in runs), return_exceptions=True)
        finally:
            warc.close()
        for outlet_run, outcome in zip(runs, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome
                log.error("%s: run failed: %s", outlet_run.outlet.slug, outcome, exc_info=outcome)
                outlet_run.error("", "run", outcome)
                outlet_run.result.status = "failed"
                archive.finish_outlet(run_id, outlet_run.outlet.slug, "failed")
                outlet_run.result.counts = {
                    k: v
                    for k, v in archive.outlet_counts(run_id).get(outlet_run.outlet.slug, {}).items()
                    if k != "status"
                }
            results.append(outlet_run.result)
        order = {slug: i for i, slug in enumerate(slugs)}
        results.sort(key=lambda r: order[r.slug])
        status = _run_status(results, stop.is_set())
        totals = archive.finish_run(run_id, status)
        return RunReport(run_id, status, results, totals)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        archive.close()
        lock.release()


def run(settings: Settings, options: RunOptions, progress: ProgressCallback | None = None) -> RunReport:
    """Do one full pass over the configured (or chosen) outlets."""
    return asyncio.run(run_async(settings, options, progress))
