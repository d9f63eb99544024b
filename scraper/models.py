"""The plain data that passes between pipeline stages; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AccessLabel = Literal["free", "teaser", "subscriber"]
SignalStrength = Literal["declared", "strong", "weak"]


@dataclass(frozen=True)
class Candidate:
    """A URL that discovery believes is an article of `outlet`."""

    url: str
    outlet: str
    found_via: str  # "sitemap", "news-sitemap", "feed", "links", "revisit"
    lastmod: str | None = None  # ISO 8601 when the source gave one


@dataclass(frozen=True)
class Page:
    """One HTTP response, with the body kept exactly as received."""

    requested_url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    text: str  # body decoded with the declared or sniffed charset ("" for non-text)
    encoding: str | None
    fetched_at: str  # ISO 8601 UTC
    elapsed_ms: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304 answer to a conditional request
    truncated: bool = False  # the body was cut at the size limit

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class PaywallSignal:
    """One piece of evidence about a paywall, kept so an analyst can see why."""

    kind: str  # e.g. "jsonld:isAccessibleForFree", "vendor:piano", "prompt", "gate-element", "truncation"
    detail: str  # what was seen, e.g. "false", "SUBSCRIBE TO CONTINUE READING"
    strength: SignalStrength  # "declared": the publisher's markup says so; "strong"/"weak": inferred

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail, "strength": self.strength}


@dataclass(frozen=True)
class Article:
    """What the extractor reads from one page. `text` is clean body text:
    paragraphs, subheadings and list items each on their own line, blocks
    separated by a blank line; no prompts or site boilerplate."""

    url: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601, with offset when known
    modified: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None  # the standfirst
    text: str = ""
    image: str | None = None
    word_count: int | None = None  # as declared by the publisher (JSON-LD wordCount)
    # What the publisher's markup claims: True (paywalled), False (free), None (silent).
    paywall_declared: bool | None = None
    # Evidence the served text is cut by a paywall (gate, prompt after the text, truncation cues).
    paywall_cut: bool = False
    paywall_signals: tuple[PaywallSignal, ...] = field(default=())


@dataclass(frozen=True)
class Access:
    """The access decision for one fetched article, with the evidence for it."""

    label: AccessLabel
    declared: bool | None
    reason: str
