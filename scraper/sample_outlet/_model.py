"""The sample outlet's ground truth and options: what each article says and how it is served."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

AccessKind = Literal["free", "paywalled", "declared-free-text", "metered"]
TeaserStyle = Literal["paragraphs", "lead-in", "list-dropped", "sentence"]
BlockKind = Literal["p", "h2", "li"]

LONDON = ZoneInfo("Europe/London")

# The subscription prompt, line by line, exactly as The MJ shows it to anonymous readers.
PROMPT_LINES: tuple[str, ...] = (
    "SUBSCRIBE TO CONTINUE READING",
    "Get unlimited access to The MJ with a subscription, plus a weekly copy of The MJ magazine sent "
    "directly to you door and inbox.",
    "Subscribe",
    "Full website content includes additional, exclusive commentary and analysis on the issues affecting "
    "local government.",
    "Login",
    "Already a subscriber?",
)
METER_LIMIT_MESSAGE = "You have reached your limit of free articles"

TEST_USERNAME = "reader@example.org"
TEST_PASSWORD = "correct horse battery staple"

# Cookie names the outlet sets.
SESSION_COOKIE = "mj_session"
METER_COOKIE = "mj_meter"
CSRF_FIELD = "csrf_token"


def meter_message(left: int) -> str:
    """The meter line shown on metered articles while free views remain."""
    return f"You have {left} free article{'' if left == 1 else 's'} left this month"


@dataclass(frozen=True)
class Block:
    """One block of body text. `link` is (anchor text, href): the anchor is a substring of `text`."""

    kind: BlockKind
    text: str
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class Author:
    name: str
    uuid: str
    slug: str

    @property
    def path(self) -> str:
        return f"/author/{self.uuid}/{self.slug}"


def blocks_text(blocks: tuple[Block, ...]) -> str:
    """Clean text as the archive should hold it: one block per paragraph separated by a blank line;
    the items of one list each on their own line, with the list as one block."""
    chunks: list[str] = []
    previous: BlockKind | None = None
    for block in blocks:
        if block.kind == "li" and previous == "li":
            chunks[-1] += "\n" + block.text
        else:
            chunks.append(block.text)
        previous = block.kind
    return "\n\n".join(chunks)


@dataclass(eq=False)
class SampleArticle:
    """Ground truth for one article page. The body is written lazily, on first use."""

    id: int
    slug: str
    title: str
    standfirst: str
    section: str  # the section key, e.g. "finance"
    section_label: str  # shown above the headline, upper-cased on the page
    bylines: tuple[Author, ...]
    published: datetime  # aware, Europe/London
    modified: datetime
    tags: tuple[str, ...]
    access: AccessKind
    paywall_declared: bool | None  # what the page's markup claims (JSON-LD isAccessibleForFree)
    teaser_style: TeaserStyle | None  # how the page is cut for anonymous readers (None: never cut)
    teaser_paragraphs: int
    phrase: str  # distinctive phrase in the public part (paragraph 2)
    subscriber_phrase: str  # distinctive phrase in the last paragraph (subscribers only when paywalled)
    image: bool
    write_body: Callable[[], tuple[Block, ...]] = field(repr=False)
    duplicate_of: str | None = None  # slug of the original when this is a republished copy
    syndication_key: str | None = None  # shared by the copies of one syndicated press release
    disallowed: bool = False  # robots.txt forbids this path
    version: int = 1
    status: int = 200  # 404 or 410 once deleted
    path_override: str | None = None  # fault articles live under /faults/
    first_title: str | None = None  # the headline before the first update()
    _blocks: tuple[Block, ...] | None = field(default=None, repr=False)
    _teaser: tuple[Block, ...] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> str:
        return self.path_override or f"/{self.slug}"

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path

    @property
    def authors(self) -> tuple[str, ...]:
        return tuple(author.name for author in self.bylines)

    @property
    def published_iso(self) -> str:
        return self.published.isoformat()

    @property
    def modified_iso(self) -> str:
        return self.modified.isoformat()

    @property
    def deleted(self) -> bool:
        return self.status != 200

    @property
    def blocks(self) -> tuple[Block, ...]:
        if self._blocks is None:
            # Written outside the lock: writing may take the site's lock, and Site.update() holds that
            # lock while it reads `blocks`. Two threads may both write; the text is the same.
            written = self.write_body()
            with self._lock:
                if self._blocks is None:
                    self._blocks = written
        return self._blocks

    def set_blocks(self, blocks: tuple[Block, ...]) -> None:
        with self._lock:
            self._blocks = blocks
            self._teaser = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(block.text for block in self.blocks if block.kind == "p")

    @property
    def list_items(self) -> tuple[str, ...]:
        return tuple(block.text for block in self.blocks if block.kind == "li")

    @property
    def subheadings(self) -> tuple[str, ...]:
        return tuple(block.text for block in self.blocks if block.kind == "h2")

    @property
    def text(self) -> str:
        """The full body text (the standfirst is not part of it)."""
        return blocks_text(self.blocks)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def paywalled(self) -> bool:
        """Anonymous readers may be cut off (always for 'paywalled', after the meter for 'metered')."""
        return self.access in ("paywalled", "metered")

    def expected_label(self, *, subscriber: bool = False, within_meter: bool = False) -> str:
        """The archive's access label for this page as fetched: "free" when the full text was served
        without a subscription (free pages, pages that only declare a paywall, metered pages read
        within the meter), "subscriber" when a login was needed for it, "teaser" otherwise."""
        if not self.paywalled or (self.access == "metered" and within_meter and not subscriber):
            return "free"
        return "subscriber" if subscriber else "teaser"

    @property
    def teaser_blocks(self) -> tuple[Block, ...]:
        """What an anonymous reader without free views gets, before the prompt."""
        if not self.paywalled:
            return self.blocks
        if self._teaser is None:
            self._teaser = _cut(self)
        return self._teaser

    @property
    def teaser_text(self) -> str:
        """The text served to an anonymous reader: the full text unless the article is paywalled."""
        return blocks_text(self.teaser_blocks)


def _cut(article: SampleArticle) -> tuple[Block, ...]:
    import random

    from ._prose import truncate_sentence  # here to keep the model module free of the generator

    blocks = article.blocks
    style = article.teaser_style or "paragraphs"
    if style == "sentence":
        rng = random.Random(f"{article.id}:{article.version}:cut")
        return (Block("p", truncate_sentence(blocks[0].text, rng)),)
    first_li = next(i for i, block in enumerate(blocks) if block.kind == "li")
    if style == "lead-in":
        return blocks[:first_li]  # ends with the lead-in colon: the list is for subscribers
    if style == "list-dropped":
        after = [i for i, block in enumerate(blocks) if i > first_li and block.kind == "p"][:2]
        return tuple(b for i, b in enumerate(blocks) if (i < first_li or i in after) and b.kind != "li")
    return blocks[: article.teaser_paragraphs]


@dataclass
class RequestRecord:
    """One request the server received. `status` is filled in once the answer is chosen."""

    method: str
    target: str  # path and query as sent
    path: str
    query: str
    headers: dict[str, str]  # header names lower-cased
    time: float  # time.monotonic() when the request line was read
    client: str
    status: int | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, kw_only=True)
class SiteOptions:
    """How a sample outlet looks and behaves. Every field has a default that makes a clean demo site.

    Content: `publisher` (named in the footer), `staff_byline`, `page_size` (listing entries per page),
    `free_share` / `declared_free_text_share` (the rest is paywalled), `sentence_teaser_share` (paywalled
    articles cut to one truncated line), `republished` (articles also served at a second slug),
    `press_releases` (syndicated copies; see `build_site(syndicate_with=...)`), `private` (one article
    linked everywhere but disallowed by robots.txt, on sites of 5 articles or more), `tracking_links`
    (utm_* links on tag, topic and home "most read" lists), `now` (the newest article's time; the
    default is fixed so pages are deterministic), `feeds` (False: /feed and /feed/atom are 404 and not
    linked, as the real MJ's feed is reported to be), `feed_size`, `news_sitemap_size`, `sitemap_chunk`
    (URLs per gzipped child sitemap).

    Access: `meter` (N: paywalled articles become metered, N free views per client cookie),
    `session_lifetime` (seconds a login lasts; None: until `expire_sessions()`), `prompt` (lines of the
    subscription prompt).

    Politeness and faults: `crawl_delay` (robots.txt Crawl-delay), `faults` (names from FAULTS; all off by
    default), `fault_burst` (failing requests before /faults/unavailable and /faults/rate-limit* recover),
    `retry_after` (seconds), `slow_seconds`, `huge_bytes`, `bomb_bytes`, `flaky` (share of article paths
    whose first `fault_burst` requests fail with one of `flaky_kinds`), `latency` (seconds added to every
    answer), `gzip` (compress answers for clients that accept it).
    """

    publisher: str = "Sample Media Group Limited"
    staff_byline: str = "MJ reporter"
    page_size: int = 20
    free_share: float = 0.35
    declared_free_text_share: float = 0.1
    sentence_teaser_share: float = 0.2
    republished: int = 1
    press_releases: int = 2
    private: bool = True
    tracking_links: bool = True
    now: datetime = datetime(2025, 10, 2, 9, 30, tzinfo=LONDON)
    feeds: bool = True
    feed_size: int = 30
    news_sitemap_size: int = 30
    sitemap_chunk: int = 1000
    meter: int | None = None
    session_lifetime: float | None = None
    prompt: tuple[str, ...] = PROMPT_LINES
    crawl_delay: float | None = None
    faults: frozenset[str] = frozenset()
    fault_burst: int = 2
    retry_after: int = 1
    slow_seconds: float = 2.0
    huge_bytes: int = 30_000_000
    bomb_bytes: int = 256 << 20
    flaky: float = 0.0
    flaky_kinds: tuple[str, ...] = ("503", "reset")
    latency: float = 0.0
    gzip: bool = True

    def __post_init__(self) -> None:
        from ._faults import FAULTS, FLAKY_KINDS

        object.__setattr__(self, "faults", frozenset(self.faults))
        unknown = sorted(set(self.faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(FAULTS))}")
        bad_kinds = sorted(set(self.flaky_kinds) - set(FLAKY_KINDS))
        if bad_kinds:
            raise ValueError(f"unknown flaky kind(s) {', '.join(bad_kinds)}; known: {', '.join(FLAKY_KINDS)}")
        if self.now.tzinfo is None:
            raise ValueError("SiteOptions.now must be timezone-aware")
        if not 0 <= self.free_share + self.declared_free_text_share <= 1:
            raise ValueError("free_share + declared_free_text_share must be between 0 and 1")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
