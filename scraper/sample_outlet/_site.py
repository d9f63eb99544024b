"""The sample outlet's state: its articles (the ground truth), sessions, meters, fault counters, request log.

A `Site` knows nothing about HTTP; `_server` renders it. Every mutating method takes the site's lock, so
tests may call `publish()`, `update()`, `delete()` or `expire_sessions()` while the server is answering.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from . import _words as w
from ._faults import ARTICLE_FAULT_PATHS, fault_body_extras, latin1_safe
from ._model import (
    TEST_PASSWORD,
    TEST_USERNAME,
    AccessKind,
    Author,
    Block,
    RequestRecord,
    SampleArticle,
    SiteOptions,
    TeaserStyle,
)
from ._prose import Story, Writer, edit_lightly, new_story, slugify

RESERVED_ROOTS = frozenset(
    {
        "news",
        "tag",
        "author",
        "feed",
        "login",
        "logout",
        "search",
        "admin",
        "about",
        "contact",
        "privacy",
        "cookie-policy",
        "subscribe",
        "images",
        "downloads",
        "static",
        "faults",
        "sitemaps",
        "newsletter",
        "robots.txt",
        "sitemap.xml",
        "sitemap-news.xml",
        *w.TOPICS,
    }
)
UPDATE_SUFFIXES = ("council responds", "leaders react", "minister intervenes")
_TEASER_STYLES: tuple[TeaserStyle, ...] = ("paragraphs", "lead-in", "list-dropped")


class PressRelease:
    """One syndicated press release: the text shared by every outlet of a syndication pool."""

    def __init__(self, key: str, story: Story, title: str, standfirst: str, blocks: tuple[Block, ...]) -> None:
        self.key = key
        self.story = story
        self.title = title
        self.standfirst = standfirst
        self.blocks = blocks


def _rng(*parts: object) -> random.Random:
    # Random(str) hashes the string with SHA-512, so streams are stable across runs and processes.
    return random.Random(":".join(str(part) for part in parts))


def _make_authors(seed: int, staff_byline: str) -> tuple[Author, ...]:
    rng = _rng(seed, "authors")
    names: list[str] = []
    while len(names) < 24:
        name = f"{rng.choice(w.FIRST_NAMES)} {rng.choice(w.SURNAMES)}"
        if name not in names:
            names.append(name)
    names.append(staff_byline)
    return tuple(Author(name, str(uuid.UUID(int=rng.getrandbits(128), version=4)), slugify(name)) for name in names)


class Site:
    """A deterministic sample outlet. Build it with `build_site()`; serve it with `SampleServer`."""

    def __init__(
        self,
        seed: int,
        articles: int,
        name: str,
        options: SiteOptions,
        syndicate_with: Site | None = None,
    ) -> None:
        if articles < 1:
            raise ValueError("a sample outlet needs at least one article")
        self.seed = seed
        self.name = name
        self.options = options
        self.username = TEST_USERNAME
        self.password = TEST_PASSWORD
        self._lock = threading.RLock()
        self._by_slug: dict[str, SampleArticle] = {}
        self._order: list[SampleArticle] = []  # every article ever published, newest first
        self._sessions: dict[str, float | None] = {}  # token -> monotonic expiry (None: no expiry)
        self._csrf: set[str] = set()
        self._meters: dict[str, list[str]] = {}
        self._hits: Counter[str] = Counter()
        self._requests: list[RequestRecord] = []
        self.authors = _make_authors(seed, options.staff_byline)
        self.sections = tuple(w.SECTIONS)
        self.topics = w.TOPICS
        if syndicate_with is not None:
            self.syndication_pool: tuple[PressRelease, ...] = syndicate_with.syndication_pool
            self.syndicated_with: Site | None = syndicate_with
        else:
            self.syndication_pool = self._make_pool(max(0, min(options.press_releases, articles // 10)))
            self.syndicated_with = None
        self._next_id = 0
        self._build(articles)
        self._clock = max(options.now, self._order[0].published)
        self.last_change = self._clock
        self.fault_articles = self._make_fault_articles()

    # --- ground truth ----------------------------------------------------------------------------
    @property
    def articles(self) -> tuple[SampleArticle, ...]:
        """The live (not deleted) articles, newest first."""
        with self._lock:
            return tuple(article for article in self._order if not article.deleted)

    @property
    def all_articles(self) -> tuple[SampleArticle, ...]:
        """Every article ever published, deleted ones included, newest first."""
        with self._lock:
            return tuple(self._order)

    def article(self, slug: str) -> SampleArticle:
        """The article at `/slug` (deleted ones included); KeyError if there is none."""
        return self._by_slug[slug.strip("/")]

    def by_access(self, kind: AccessKind) -> tuple[SampleArticle, ...]:
        return tuple(article for article in self.articles if article.access == kind)

    @property
    def allowed_articles(self) -> tuple[SampleArticle, ...]:
        """The live articles robots.txt lets a crawler fetch (all but the private one)."""
        return tuple(article for article in self.articles if not article.disallowed)

    @property
    def private_article(self) -> SampleArticle | None:
        """The article that is linked from the site but disallowed by robots.txt."""
        return next((article for article in self._order if article.disallowed), None)

    @property
    def disallowed_paths(self) -> tuple[str, ...]:
        private = self.private_article
        return ("/admin/", "/search", *((private.path,) if private else ()))

    def section_articles(self, section: str) -> tuple[SampleArticle, ...]:
        return tuple(article for article in self.articles if article.section == section)

    def tag_articles(self, tag_slug: str) -> tuple[SampleArticle, ...]:
        return tuple(a for a in self.articles if any(slugify(tag) == tag_slug for tag in a.tags))

    def author_articles(self, author_uuid: str) -> tuple[SampleArticle, ...]:
        return tuple(a for a in self.articles if any(author.uuid == author_uuid for author in a.bylines))

    def author(self, author_uuid: str) -> Author | None:
        return next((author for author in self.authors if author.uuid == author_uuid), None)

    @property
    def tags(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for section in w.SECTIONS.values():
            tags = section["tags"]
            assert isinstance(tags, tuple)
            seen.update(dict.fromkeys(tags))
        return tuple(seen)

    # --- building --------------------------------------------------------------------------------
    def _make_pool(self, count: int) -> tuple[PressRelease, ...]:
        pool = []
        for i in range(count):
            rng = _rng(self.seed, "press", i)
            section = rng.choice(self.sections)
            story = new_story(rng, section, self.options.now.year, self.name, 1_000_000 + self.seed * 7919 + i)
            story.org = w.PRESS_RELEASE_ORGS[i % len(w.PRESS_RELEASE_ORGS)]
            writer = Writer(story, rng)
            title = writer.fill("{OrgShort} responds to {policy} announcement")
            standfirst = writer.fill(
                "{OrgFull} has responded to the Government's announcement on {policy}, warning over {issue}."
            )
            pool.append(PressRelease(f"{self.seed}-press-{i}", story, title, standfirst, writer.body(None, False)))
        return tuple(pool)

    def _build(self, count: int) -> None:
        options = self.options
        rng = _rng(self.seed, "dates")
        times: list[datetime] = []
        current = options.now
        for _ in range(count):
            times.append(current)
            current -= timedelta(minutes=rng.randint(90, 840))
        specials = self._special_positions(count)
        built: list[SampleArticle] = []
        for position, published in enumerate(times):
            if position not in specials:  # press releases and republished copies are added below
                built.append(self._new_article(published))
        # Syndicated press releases: the pool's origin serves the text as written; other outlets edit it
        # lightly and publish two hours later, so the origin is always the earliest copy.
        press_positions = sorted(p for p, k in specials.items() if k == "press")
        for release, position in zip(self.syndication_pool, press_positions, strict=False):
            published = times[position]
            if self.syndicated_with is not None:
                origin = next((a for a in self.syndicated_with._order if a.syndication_key == release.key), None)
                if origin is not None:
                    published = origin.published + timedelta(hours=2)
            built.append(self._press_article(release, published))
        for position in sorted(p for p, k in specials.items() if k == "republished"):
            candidates = [a for a in built if a.published < times[position] and a.syndication_key is None]
            if candidates:
                built.append(self._republish(candidates[0], times[position]))
            else:
                built.append(self._new_article(times[position]))
        built.sort(key=lambda a: (a.published, a.id), reverse=True)
        self._order = built
        if options.private and count >= 5:  # a tiny site keeps every article fetchable
            self._choose_private()

    def _special_positions(self, count: int) -> dict[int, str]:
        specials: dict[int, str] = {}
        if count < 4:
            return specials
        for i in range(len(self.syndication_pool)):
            position = 5 + 10 * i
            if position < count:
                specials[position] = "press"
        for i in range(self.options.republished):
            position = 2 + 10 * i
            if position < count and position not in specials:
                specials[position] = "republished"
        return specials

    def _choose_private(self) -> None:
        slugs = [a.slug for a in self._order]
        for article in self._order[2:] + self._order[:2]:
            if article.duplicate_of or article.syndication_key:
                continue
            if any(other != article.slug and other.startswith(article.slug) for other in slugs):
                continue  # a robots.txt Disallow is a prefix: it must not cover another article
            article.disallowed = True
            article.access = "free"
            article.paywall_declared = False
            article.teaser_style = None
            return

    def _unique_slug(self, title: str) -> str:
        base = slugify(title)
        slug, n = base, 1
        while slug in self._by_slug or slug in RESERVED_ROOTS:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _access(self, rng: random.Random) -> tuple[AccessKind, bool | None, TeaserStyle | None]:
        options = self.options
        roll = rng.random()
        if roll < options.free_share:
            return "free", (False if rng.random() < 0.7 else None), None
        if roll < options.free_share + options.declared_free_text_share:
            return "declared-free-text", True, None
        style: TeaserStyle = "sentence" if rng.random() < options.sentence_teaser_share else rng.choice(_TEASER_STYLES)
        return ("metered" if options.meter is not None else "paywalled"), True, style

    def _new_article(self, published: datetime, rng: random.Random | None = None) -> SampleArticle:
        article_id = self._next_id
        self._next_id += 1
        rng = rng or _rng(self.seed, "article", article_id)
        section = rng.choice(self.sections)
        story = new_story(rng, section, published.year, self.name, self.seed * 7919 + article_id)
        writer = Writer(story, rng)
        title = writer.title()
        standfirst = writer.standfirst()
        staff = self.authors[-1]
        if rng.random() < 0.12:
            bylines: tuple[Author, ...] = (staff,)
        elif rng.random() < 0.15:
            bylines = tuple(rng.sample(self.authors[:-1], 2))
        else:
            bylines = (rng.choice(self.authors[:-1]),)
        section_tags = w.SECTIONS[section]["tags"]
        assert isinstance(section_tags, tuple)
        tags = tuple(rng.sample(section_tags, rng.randint(2, 3)))
        access, declared, style = self._access(rng)
        modified = published + timedelta(minutes=rng.choice((0, 0, 12, 45, 180)))
        links_back = rng.random() < 0.4
        stock = rng.random() < 0.3
        body_seed = (self.seed, "body", article_id)

        def write() -> tuple[Block, ...]:
            body_rng = _rng(*body_seed)
            return Writer(story, body_rng).body(self._older_path(published, body_rng) if links_back else None, stock)

        article = SampleArticle(
            id=article_id,
            slug=self._unique_slug(title),
            title=title,
            standfirst=standfirst,
            section=section,
            section_label=str(w.SECTIONS[section]["label"]),
            bylines=bylines,
            published=published,
            modified=modified,
            tags=tags,
            access=access,
            paywall_declared=declared,
            teaser_style=style,
            teaser_paragraphs=rng.choice((2, 3)),
            phrase=story.phrase,
            subscriber_phrase=story.subscriber_phrase,
            image=rng.random() < 0.6,
            write_body=write,
        )
        self._by_slug[article.slug] = article
        return article

    def _older_path(self, published: datetime, rng: random.Random) -> str | None:
        """An older article for "as previously reported" links. Only newer articles are ever added,
        so the choice is the same whenever the body is first written."""
        with self._lock:
            # _order is newest first: the older articles are the suffix after `published`.
            start = bisect.bisect_right(self._order, -published.timestamp(), key=lambda a: -a.published.timestamp())
            if start >= len(self._order):
                return None
            return self._order[rng.randrange(start, len(self._order))].path

    def _press_article(self, release: PressRelease, published: datetime) -> SampleArticle:
        article_id = self._next_id
        self._next_id += 1
        origin = self.syndicated_with is None
        rng = _rng(self.seed, "press-copy", article_id)

        def write() -> tuple[Block, ...]:
            if origin:
                return release.blocks
            edit_rng = _rng(self.seed, "press-edit", article_id)
            return edit_lightly(release.blocks, edit_rng, Writer(release.story, edit_rng), share=0.1)

        slug = slugify(release.title)
        if slug in self._by_slug:
            slug = self._unique_slug(release.title)
        article = SampleArticle(
            id=article_id,
            slug=slug,
            title=release.title,
            standfirst=release.standfirst,
            section=release.story.section,
            section_label=str(w.SECTIONS[release.story.section]["label"]),
            bylines=(self.authors[-1],),
            published=published,
            modified=published,
            tags=("Press release",),
            access="free",
            paywall_declared=None,
            teaser_style=None,
            teaser_paragraphs=2,
            phrase=release.story.phrase,
            subscriber_phrase=release.story.subscriber_phrase,
            image=rng.random() < 0.5,
            write_body=write,
            syndication_key=release.key,
        )
        self._by_slug[article.slug] = article
        return article

    def _republish(self, original: SampleArticle, published: datetime) -> SampleArticle:
        """The same article at a second slug (a CMS duplicate): same text, its own canonical URL."""
        article_id = self._next_id
        self._next_id += 1
        slug, n = f"{original.slug}-1", 1
        while slug in self._by_slug:
            n += 1
            slug = f"{original.slug}-{n}"
        article = SampleArticle(
            id=article_id,
            slug=slug,
            title=original.title,
            standfirst=original.standfirst,
            section=original.section,
            section_label=original.section_label,
            bylines=original.bylines,
            published=published,
            modified=published,
            tags=original.tags,
            access=original.access,
            paywall_declared=original.paywall_declared,
            teaser_style=original.teaser_style,
            teaser_paragraphs=original.teaser_paragraphs,
            phrase=original.phrase,
            subscriber_phrase=original.subscriber_phrase,
            image=original.image,
            write_body=original.write_body,  # the original as first published, even if updated later
            duplicate_of=original.slug,
        )
        self._by_slug[slug] = article
        return article

    def _make_fault_articles(self) -> dict[str, SampleArticle]:
        """One free article per article-serving fault path, generated whether or not the fault is on."""
        made: dict[str, SampleArticle] = {}
        for i, (request_path, final_path, fault) in enumerate(ARTICLE_FAULT_PATHS):
            rng = _rng(self.seed, "fault", request_path)
            article = self._new_article(self.options.now - timedelta(hours=i + 1), rng)
            del self._by_slug[article.slug]
            article.path_override = final_path
            article.access, article.paywall_declared, article.teaser_style = "free", False, None
            extras = fault_body_extras(fault)
            if extras is not None:
                write_plain = article.write_body
                article.write_body = lambda plain=write_plain, extras=extras: extras(plain())  # type: ignore[misc]
                if fault == "latin1-meta":
                    article.title, article.standfirst = (
                        latin1_safe(article.title),
                        latin1_safe(article.standfirst),
                    )
            made[request_path] = article
        return made

    # --- change over time --------------------------------------------------------------------
    def _tick(self, minutes: int) -> datetime:
        self._clock += timedelta(minutes=minutes)
        self.last_change = self._clock
        return self._clock

    def publish(self, n: int = 1) -> tuple[SampleArticle, ...]:
        """Publish `n` new articles (first in listings, feeds and sitemaps); returns them, newest first."""
        with self._lock:
            new = []
            for _ in range(n):
                rng = _rng(self.seed, "publish", self._next_id)
                published = self._tick(rng.randint(20, 120))
                article = self._new_article(published)
                article.modified = published
                self._order.insert(0, article)
                new.append(article)
            return tuple(reversed(new))

    def update(self, slug: str, *, title: str | None = None) -> SampleArticle:
        """Change an article's headline and text: one paragraph rewritten and an update line added.
        Its dateModified, Last-Modified and ETag change with it."""
        with self._lock:
            article = self.article(slug)
            old_blocks = article.blocks
            article.version += 1
            rng = _rng(self.seed, "update", article.id, article.version)
            story = new_story(
                _rng(self.seed, "update-story", article.id, article.version),
                article.section,
                article.published.year,
                self.name,
                self.seed * 7919 + article.id,
            )
            writer = Writer(story, rng)
            blocks = list(old_blocks)
            paragraph_positions = [i for i, block in enumerate(blocks) if block.kind == "p" and block.link is None]
            target = paragraph_positions[min(3, len(paragraph_positions) - 1)]
            blocks[target] = Block("p", " ".join(writer.sentences(2)))
            modified = self._tick(rng.randint(5, 30))
            stamp = f"{modified.day} {modified:%B %Y}"
            blocks.append(Block("p", f"Update, {stamp}: {writer.fill(rng.choice(w.SENTENCE_TEMPLATES))}"))
            article.set_blocks(tuple(blocks))
            if article.first_title is None:
                article.first_title = article.title
            n = article.version - 2
            suffix = UPDATE_SUFFIXES[n] if n < len(UPDATE_SUFFIXES) else f"update {n + 1}"
            article.title = title if title is not None else f"{article.first_title}: {suffix}"
            article.modified = modified
            return article

    def delete(self, slug: str, *, gone: bool = False) -> SampleArticle:
        """Take an article down: it answers 410 Gone when `gone`, else 404, and leaves every listing."""
        with self._lock:
            article = self.article(slug)
            article.status = 410 if gone else 404
            self._tick(1)
            return article

    # --- subscriptions -----------------------------------------------------------------------
    def check_credentials(self, username: str, password: str) -> bool:
        return secrets.compare_digest(username.encode(), self.username.encode()) and secrets.compare_digest(
            password.encode(), self.password.encode()
        )

    def make_session(self, lifetime: float | None = None) -> str:
        """A new logged-in session; returns the value of the session cookie (SESSION_COOKIE)."""
        lifetime = self.options.session_lifetime if lifetime is None else lifetime
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[token] = None if lifetime is None else time.monotonic() + lifetime
        return token

    def session_valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            if token not in self._sessions:
                return False
            expiry = self._sessions[token]
            if expiry is not None and time.monotonic() >= expiry:
                del self._sessions[token]
                return False
            return True

    def end_session(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def expire_sessions(self) -> None:
        """Forget every login: readers holding an old session cookie get teasers again."""
        with self._lock:
            self._sessions.clear()

    def new_csrf(self) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._csrf.add(token)
        return token

    def take_csrf(self, token: str) -> bool:
        """True once for each token the login form issued."""
        with self._lock:
            if token in self._csrf:
                self._csrf.discard(token)
                return True
            return False

    # --- meter -------------------------------------------------------------------------------
    def meter_view(self, client: str, slug: str) -> tuple[bool, int]:
        """Count a view of a metered article: (full text allowed, free views left after this one).
        Viewing the same article again costs nothing."""
        limit = self.options.meter or 0
        with self._lock:
            viewed = self._meters.setdefault(client, [])
            if slug in viewed:
                return True, max(0, limit - len(viewed))
            if len(viewed) >= limit:
                return False, 0
            viewed.append(slug)
            return True, limit - len(viewed)

    def reset_meters(self) -> None:
        with self._lock:
            self._meters.clear()

    # --- faults ------------------------------------------------------------------------------
    def hit(self, key: str) -> int:
        """Count one request to `key` (a path); returns how many there have been, this one included."""
        with self._lock:
            self._hits[key] += 1
            return self._hits[key]

    def reset_faults(self) -> None:
        """Start every burst (503, 429, resets, flaky paths) again from its first failing request."""
        with self._lock:
            self._hits.clear()

    def flaky_kind(self, path: str) -> str | None:
        """The fault a flaky article path fails with (its first `fault_burst` requests), or None."""
        options = self.options
        if options.flaky <= 0 or not options.flaky_kinds:
            return None
        digest = hashlib.blake2b(f"{self.seed}:{path}".encode(), digest_size=8).digest()
        roll = int.from_bytes(digest[:4], "big") / 2**32
        if roll >= options.flaky:
            return None
        return options.flaky_kinds[int.from_bytes(digest[4:], "big") % len(options.flaky_kinds)]

    def enabled(self, fault: str) -> bool:
        return fault in self.options.faults

    # --- request log -------------------------------------------------------------------------
    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def requested_paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def __repr__(self) -> str:
        return f"<Site {self.name!r} seed={self.seed} articles={len(self._order)}>"


def build_site(
    seed: int = 1,
    articles: int = 60,
    name: str = "The Sample MJ",
    *,
    syndicate_with: Site | None = None,
    faults: Iterable[str] = (),
    **options: Any,
) -> Site:
    """A deterministic sample outlet: the same arguments always give the same pages.

    `options` are the fields of `SiteOptions` (meter, crawl_delay, session_lifetime, page_size, ...).
    `syndicate_with`: share that outlet's press releases, lightly edited, as syndicated copies.
    `faults`: names from `FAULTS` to switch on (all off by default)."""
    return Site(seed, articles, name, SiteOptions(faults=frozenset(faults), **options), syndicate_with)
