"""Extraction: one HTML page in, one Article (clean body text plus metadata) out.

`extract_article` is pure (no network, no config reads) and never raises: a page it cannot
read gives an Article with what could be found, at worst only the URL. The page is parsed once
with selectolax's Lexbor parser. Metadata sources and their order of trust are described in
`scraper.extract.metadata`; body extraction in `scraper.extract.body`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from ..config import ExtractRules, PaywallRules
from ..models import Article
from . import paywall
from .authors import clean_authors
from .body import PRE_DROP, extract_body, is_pre_drop
from .jsonld import load_jsonld
from .metadata import read_metadata
from .scan import page_and_body_nodes

__all__ = ["article_to_dict", "extract_article"]

log = logging.getLogger(__name__)

# Lexbor copes with any size, but a page this large is not an article and would only cost time.
_MAX_HTML_CHARS = 20_000_000


# Lexbor's tree building slows down with the square of the depth of open elements: 10 MB of
# nested <div>s or <ul>s would take hours. Real pages open at most a few thousand elements more
# than they close (void and implicitly closed elements); far more marks a degenerate page, of
# which only the start is read. Counting over the whole page costs as much as parsing it, so
# a few evenly spaced windows are probed first (a run of unclosed tags fills any window it
# covers); only a suspicious window leads to the full count.
_MAX_UNCLOSED = 20_000
_DEGENERATE_PREFIX_CHARS = 20_000
_PROBE_WINDOWS = 8
_PROBE_CHARS = 2048
_PROBE_MAX_UNCLOSED = 200


def _unclosed(html: str, start: int = 0, end: int | None = None) -> int:
    closes = html.count("</", start, end)
    return html.count("<", start, end) - 2 * closes


def _suspicious_window(html: str, pos: int) -> bool:
    end = pos + _PROBE_CHARS
    # A window can leave no more elements unclosed than it opens tags: counting "<" alone is
    # several times cheaper than counting "</" too, and ordinary markup has too few to matter.
    return html.count("<", pos, end) > _PROBE_MAX_UNCLOSED and _unclosed(html, pos, end) > _PROBE_MAX_UNCLOSED


def _tame(html: str) -> str:
    size = len(html)
    step = max(size // _PROBE_WINDOWS, _PROBE_CHARS)
    if not any(_suspicious_window(html, pos) for pos in range(0, size, step)):
        return html
    unclosed = _unclosed(html) - html.count("<!")
    if unclosed > _MAX_UNCLOSED:
        log.debug("page leaves %d elements unclosed: reading its start only", unclosed)
        return html[:_DEGENERATE_PREFIX_CHARS]
    return html


def _as_text(html: object) -> str:
    if isinstance(html, bytes | bytearray):
        return bytes(html).decode("utf-8", errors="replace")
    if not isinstance(html, str):
        return ""
    return html[:_MAX_HTML_CHARS]


def _parse(html: str) -> LexborHTMLParser:
    try:
        return LexborHTMLParser(html)
    except UnicodeEncodeError:
        # Lone surrogates (from a wrong decode) cannot be handed to the C parser.
        return LexborHTMLParser(html.encode("utf-8", errors="replace").decode("utf-8"))


def extract_article(
    html: str,
    url: str,
    rules: ExtractRules | None = None,
    paywall_rules: PaywallRules | None = None,
) -> Article:
    """Read the article in `html` (served at `url`); `rules` are the outlet's selector overrides."""
    url = url if isinstance(url, str) else ""
    try:
        return _extract(_as_text(html), url, rules, paywall_rules)
    except Exception:  # the contract: a broken page yields an empty Article, never an exception
        log.debug("extraction failed for %s", url, exc_info=True)
        return Article(url=url)


def _extract(html: str, url: str, rules: ExtractRules | None, paywall_rules: PaywallRules | None) -> Article:
    if not html or html.isspace():
        return Article(url=url)
    tree = _parse(_tame(html))
    # One walk of the tree for what the JSON-LD, paywall and metadata readers and the body's
    # pre-cleaning need (each page-wide query costs a walk).
    nodes, in_body = page_and_body_nodes(tree, PRE_DROP)
    jsonld = load_jsonld(tree, nodes)
    # The paywall reader must see the page as served, before any element is removed.
    markup = paywall.markup_signals(tree, jsonld, paywall_rules, nodes)
    meta = read_metadata(tree, url, jsonld, rules, nodes)
    drop_lines = [text for text in (meta.title, *meta.byline_texts) if text]
    byline: list[str] | None = [] if meta.authors_weak else None
    pre_drop = [n.node for n in in_body if is_pre_drop(n.attrs)] if in_body is not None else None
    text = extract_body(tree, rules, drop_lines, meta.descriptions, byline, pre_drop)
    authors = clean_authors(byline) if byline else meta.authors
    report = paywall.finish(text, markup, paywall_rules)
    word_count = meta.word_count if meta.word_count is not None else markup.word_count
    return Article(
        url=url,
        title=meta.title,
        authors=authors,
        published=meta.published,
        modified=meta.modified,
        section=meta.section,
        tags=meta.tags,
        language=meta.language,
        canonical_url=meta.canonical_url,
        description=meta.description,
        text=report.text,
        image=meta.image,
        word_count=word_count,
        paywall_declared=report.declared,
        paywall_cut=report.cut,
        paywall_signals=report.signals,
    )


def article_to_dict(article: Article) -> dict[str, Any]:
    """The Article as JSON-ready data: tuples become lists, signals become dicts."""
    data = asdict(article)
    data["authors"] = list(article.authors)
    data["tags"] = list(article.tags)
    data["paywall_signals"] = [signal.as_dict() for signal in article.paywall_signals]
    return data
