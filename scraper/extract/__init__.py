"""Extraction: one HTML page in, one Article (clean body text plus metadata) out.

`extract_article` is pure (no network, no config reads) and never raises: a page it cannot
read gives an Article with what could be found, at worst only the URL. The page is parsed once
with selectolax's Lexbor parser, through `scraper.parsing.parse_html` (bounded time on hostile
pages). Metadata sources and their order of trust are described in `scraper.extract.metadata`;
body extraction in `scraper.extract.body`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from ..config import ExtractRules, PaywallRules
from ..models import Article
from ..parsing import MAX_HTML_CHARS, parse_html
from . import paywall
from .authors import clean_authors
from .body import PRE_DROP, extract_body, is_pre_drop
from .jsonld import load_jsonld
from .metadata import read_metadata
from .scan import page_and_body_nodes

__all__ = ["article_to_dict", "extract_article"]

log = logging.getLogger(__name__)


def _as_text(html: object) -> str:
    if isinstance(html, bytes | bytearray):
        # Cut before decoding: a page of bytes gets the same bound as one of text, without
        # first decoding (and holding) all of it.
        return html[:MAX_HTML_CHARS].decode("utf-8", errors="replace")
    if not isinstance(html, str):
        return ""
    return html[:MAX_HTML_CHARS]


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
    tree = parse_html(html)
    # One walk of the tree for what the JSON-LD, paywall and metadata readers and the body's
    # pre-cleaning need (each page-wide query costs a walk).
    nodes, in_body = page_and_body_nodes(tree, PRE_DROP)
    jsonld = load_jsonld(tree, nodes)
    # The paywall reader must see the page as served, before any element is removed.
    markup = paywall.markup_signals(tree, jsonld, paywall_rules, nodes)
    meta = read_metadata(tree, url, jsonld, rules, nodes)
    drop_lines = [text for text in (meta.title, *meta.byline_texts) if text]
    byline: list[str] | None = [] if meta.authors_weak else None
    pre_drop = [n.node for n in in_body if is_pre_drop(n.attrs, n.tag)] if in_body is not None else None
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
