"""A fake UK local-government trade-press site, modelled on The MJ, served over real HTTP on loopback.

It is what `scraper demo`, the tests and the benchmarks scrape. Everything is generated from a seed:
the same arguments always give the same pages (apart from the host:port in absolute URLs), and
pages are written lazily, so thousands of articles cost little until they are requested.

Quick start::

    from scraper.sample_outlet import build_site, SampleServer

    site = build_site(seed=1, articles=60, name="The Sample MJ")
    with SampleServer(site) as server:        # 127.0.0.1, a free port, threaded
        server.url                            # "http://127.0.0.1:PORT/"
        site.articles[0].title                # ground truth: what the archive should hold

or from a shell (the URL is the first line printed)::

    python -m scraper.sample_outlet --port 0 --articles 80 --seed 1

The site
    `/` home (headlines with summaries, "Read More News...", section blocks, "Most read" with utm links,
    job adverts, newsletter box, cookie banner, footer naming the publisher); `/news` and `/news/<section>`
    (?page=N); topic pages `/Communications` ... and tags `/tag/<tag>` (/page/N, utm-tagged links);
    author archives `/author/<uuid>/<slug>` (/page/N); articles at root-level slugs `/<slug>` with section
    label, headline, standfirst, byline "By <Name> | 02 October 2025", <time>, JSON-LD NewsArticle
    (sometimes inside @graph; isAccessibleForFree as a bool or a string), OpenGraph and article:* meta,
    canonical link, body with a bulleted list and a subheading, share bar, tags, related links, comments
    teaser; `/robots.txt` (Disallow /admin/, /search and one linked "private" article; optional
    Crawl-delay; Sitemap lines), `/sitemap.xml` (index) -> `/sitemaps/articles-N.xml.gz` and
    `/sitemaps/pages.xml`,
    `/sitemap-news.xml` (Google News), `/feed` (RSS) and `/feed/atom`, images and PDFs, static pages,
    `/login`, `/logout`, `/account`. Every answer carries ETag and Last-Modified, and answers 304 to
    If-None-Match / If-Modified-Since; text is gzipped for clients that accept it.

Access (`SampleArticle.access`)
    "free": full text for everyone; "paywalled": anonymous readers get the teaser (`teaser_text`:
    2-3 paragraphs, the paragraphs up to a list's lead-in colon, the seed's list-less cut, or one
    sentence cut off with "...") followed by the prompt in PROMPT_LINES, inside the article;
    "declared-free-text": JSON-LD says isAccessibleForFree false but everyone gets the full text;
    "metered" (sites built with meter=N): N distinct articles per reader cookie with a meter line
    (meter_message), then the teaser, METER_LIMIT_MESSAGE and the prompt. Logged-in readers (POST
    /login with TEST_USERNAME / TEST_PASSWORD and the form's csrf_token; or `site.make_session()`,
    `server.cookies_txt(path)`) get full text and a "Log out" link. `site.expire_sessions()` or
    `session_lifetime=` expire logins.

Change over time
    `site.publish(n)`, `site.update(slug)` (new text and title, dateModified, ETag, Last-Modified),
    `site.delete(slug, gone=False)` (404, or 410). Duplicates: utm_* links, one article republished at
    a second slug (`duplicate_of`), and syndicated press releases shared with a second outlet built
    with `build_site(..., syndicate_with=first)` (lightly edited, published two hours later;
    `syndication_key`). `make_outlets(n, articles_each, seed)` starts several outlets on their own ports.

Faults (off unless named in `faults=`; see FAULTS / FAULT_PATHS)
    429 with Retry-After (seconds and HTTP-date), 503 bursts, a slow page, a reset mid-body, a redirect
    chain and loop, cp1252 and ISO-8859-1 pages, a huge page, an endless chunked page, a gzip bomb,
    XML entity bombs and malformed XML (named in robots.txt and linked from home), broken HTML, NUL
    bytes, invalid UTF-8, robots.txt 503/403, a total outage; `flaky=` makes a share of ordinary
    articles fail their first requests. Article-like fault pages are linked from home when enabled;
    their ground truth is `site.fault_articles[path]`.

Ground truth
    `site.articles` (live, newest first; `site.all_articles` includes deleted ones; `site.allowed_articles`
    leaves out the robots-disallowed one): each `SampleArticle` has title, slug, path, authors, published /
    modified (aware datetimes; `published_iso`), section, tags, standfirst, blocks / paragraphs /
    list_items / subheadings, `text` (blocks separated by a blank line, a list's items one per line),
    `teaser_text` (what an anonymous reader gets), `word_count`, access, paywall_declared, phrase and
    subscriber_phrase (distinctive phrases in the public and the subscriber-only part), duplicate_of,
    syndication_key, disallowed, version, status, and `expected_label(subscriber=..., within_meter=...)`
    giving the archive's access label (free / teaser / subscriber).

Observation
    `site.requests`: every request (method, target, path, query, lower-cased headers, monotonic
    time, status), in arrival order; `site.clear_requests()`.
"""

from __future__ import annotations

from ._faults import FAULT_PATHS, FAULTS, Fault
from ._model import (
    METER_COOKIE,
    METER_LIMIT_MESSAGE,
    PROMPT_LINES,
    SESSION_COOKIE,
    TEST_PASSWORD,
    TEST_USERNAME,
    AccessKind,
    Author,
    Block,
    RequestRecord,
    SampleArticle,
    SiteOptions,
    blocks_text,
    meter_message,
)
from ._server import Outlets, SampleServer, make_outlets, wait_until_responds
from ._site import Site, build_site

__all__ = [
    "FAULTS",
    "FAULT_PATHS",
    "METER_COOKIE",
    "METER_LIMIT_MESSAGE",
    "PROMPT_LINES",
    "SESSION_COOKIE",
    "TEST_PASSWORD",
    "TEST_USERNAME",
    "AccessKind",
    "Author",
    "Block",
    "Fault",
    "Outlets",
    "RequestRecord",
    "SampleArticle",
    "SampleServer",
    "Site",
    "SiteOptions",
    "blocks_text",
    "build_site",
    "make_outlets",
    "meter_message",
    "wait_until_responds",
]
