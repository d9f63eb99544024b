"""Work on pages already captured, without touching the network: re-extraction from our own WARC
records with the current rules, and import of WARC files made by other crawlers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import dedup
from .access import classify
from .archive import Archive, ArchiveLock
from .config import Outlet, Settings
from .discover import classify_page, classify_url
from .errors import ConfigError, ScraperError
from .extract import extract_article
from .pipeline import ArticleWriter, open_warc
from .warc import WarcReader, WarcRef, iter_page_refs, looks_like_warc

log = logging.getLogger(__name__)


@dataclass
class ReprocessReport:
    run_id: int
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def _outlet_for(url: str, outlets: Iterable[Outlet]) -> Outlet | None:
    return next((o for o in outlets if dedup.same_site(url, o.home)), None)


def _is_article(url: str, html: str, outlet: Outlet) -> bool:
    """A captured page is an article when its markup says so, else when its URL looks like one
    (the same rules discovery uses; the outlet's article_pattern wins when set)."""
    if outlet.article_pattern is None:
        declared = classify_page(html)
        if declared is not None:
            return declared == "article"
    kind = classify_url(
        url, outlet.home, article_pattern=outlet.article_pattern, exclude_pattern=outlet.exclude_pattern
    )
    return kind == "article"


class _Session:
    """The lock, the archive and a run row around one re-extraction or import."""

    def __init__(self, settings: Settings, message: str, wait: bool) -> None:
        self.settings = settings
        self.lock = ArchiveLock(settings.database_path)
        self.lock.acquire(wait=wait)
        try:
            self.archive = Archive.open(settings.database_path)
            self.archive.upsert_outlets(
                {"slug": o.slug, "name": o.name, "home": o.home} for o in settings.outlets.values()
            )
            self.run_id = self.archive.start_run([message])
        except BaseException:
            self.lock.release()
            raise
        self.message = message
        self.writers: dict[str, ArticleWriter] = {}
        self.report = ReprocessReport(self.run_id)

    def writer(self, outlet: str) -> ArticleWriter:
        if outlet not in self.writers:
            # No fetching happens here: the outlets' `every` schedules are not moved.
            self.archive.start_outlet(self.run_id, outlet, scheduled=False)
            self.writers[outlet] = ArticleWriter(self.settings, self.archive, outlet, self.run_id)
        return self.writers[outlet]

    def error(self, outlet: str, url: str, stage: str, exc: BaseException) -> None:
        self.report.errors.append(f"{url}: {exc}")
        with self.archive.transaction():
            self.archive.record_error(self.run_id, outlet, url, stage, type(exc).__name__, str(exc))
            if outlet in self.writers:
                self.archive.bump(self.run_id, outlet, errors=1)

    def close(self, interrupted: bool = False) -> None:
        try:
            for outlet in self.writers:
                self.archive.finish_outlet(
                    self.run_id, outlet, "partial" if self.report.errors else "ok", scheduled=False
                )
            status = "interrupted" if interrupted else "partial" if self.report.errors else "ok"
            self.archive.finish_run(self.run_id, status, self.message)
        finally:
            self.archive.close()
            self.lock.release()


def reextract(
    settings: Settings, *, outlets: Sequence[str] = (), since: str | None = None, wait: bool = False
) -> ReprocessReport:
    """Run extraction and access classification again over every archived article's WARC record,
    with the current rules; changed text or labels become new versions. No network."""
    session = _Session(settings, "reextract", wait)
    archive = session.archive
    interrupted = True
    try:
        reader = WarcReader(settings.warc_path, lookup=archive.payload_location)
        sql = (
            "SELECT id, outlet, canonical_url, warc_file, warc_offset, access FROM articles WHERE warc_file IS NOT NULL"
        )
        params: list[object] = []
        if outlets:
            sql += f" AND outlet IN ({', '.join('?' for _ in outlets)})"
            params += list(outlets)
        if since:
            # julianday() reads the UTC offsets, which a text comparison would not.
            sql += " AND julianday(COALESCE(published, fetched_at)) >= julianday(?)"
            params.append(since)
        rows = archive.db.execute(sql + " ORDER BY id", params).fetchall()
        for article_id, outlet, canonical, warc_file, warc_offset, access in rows:
            configured = settings.outlets.get(outlet)
            try:
                page = reader.read_page((warc_file, warc_offset))
            except ScraperError as exc:
                session.error(outlet, canonical, "reextract", exc)
                continue
            article = extract_article(
                page.text,
                page.final_url,
                configured.extract if configured else None,
                configured.paywall if configured else None,
            )
            # A page fetched through the reader's subscription stays a subscriber fetch.
            decision = classify(article, subscriber_session=access == "subscriber")
            writer = session.writer(outlet)
            with archive.transaction():
                outcome = writer.store(
                    canonical, page, article, decision, article_id, WarcRef(warc_file, warc_offset, "")
                )
                archive.bump(session.run_id, outlet, **{outcome: 1})
            session.report.add(outcome)
        interrupted = False
    finally:
        session.close(interrupted)
    return session.report


def import_warc(
    settings: Settings, paths: Sequence[Path], *, outlet: str | None = None, wait: bool = False
) -> ReprocessReport:
    """Put the HTML pages of WARC files made by any crawler through extraction, classification and
    deduplication, as if they had been fetched. Each page is copied into our own WARC archive."""
    if outlet is not None and outlet not in settings.outlets:
        raise ConfigError(f"{settings.path}: no outlet {outlet!r}; configured: {', '.join(settings.outlets)}")
    for path in paths:
        if not path.is_file():
            raise ScraperError(f"{path}: no such WARC file")
        if not looks_like_warc(path):
            raise ScraperError(f"{path}: not a WARC or ARC file (plain or gzip'ed)")
    session = _Session(settings, "import-warc", wait)
    archive = session.archive
    interrupted = True

    warc = open_warc(settings, archive, prefix="import")
    try:
        for path in paths:
            for _, page in iter_page_refs(path):
                target = settings.outlets[outlet] if outlet else _outlet_for(page.final_url, settings.outlets.values())
                if target is None:
                    session.report.add("other-site")
                    continue
                if not _is_article(page.final_url, page.text, target):
                    session.report.add("not-article")
                    continue
                writer = session.writer(target.slug)
                canonical = writer.canonical(page.final_url)
                ref = warc.write(page)
                article = extract_article(page.text, page.final_url, target.extract, target.paywall)
                decision = classify(article, subscriber_session=False)
                with archive.transaction():
                    outcome = writer.store(canonical, page, article, decision, archive.known(canonical), ref)
                    archive.enqueue_done(canonical, page.final_url, target.slug, "import")
                    counts = {"fetched": 1, outcome: 1}
                    if decision.label == "teaser" and outcome in ("new", "updated"):
                        counts["teasers"] = 1
                    archive.bump(session.run_id, target.slug, **counts)
                session.report.add(outcome)
        interrupted = False
    finally:
        warc.close()
        session.close(interrupted)
    return session.report
