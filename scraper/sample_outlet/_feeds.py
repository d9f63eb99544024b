"""robots.txt, sitemaps (index, gzipped children, Google News) and RSS / Atom feeds for the sample outlet."""

from __future__ import annotations

import gzip
import math
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from . import _words as w
from ._model import SampleArticle
from ._pages import View, byline_text


def robots_txt(view: View, extra_sitemaps: tuple[str, ...]) -> str:
    site = view.site
    lines = [f"# robots.txt for {site.name}", "User-agent: *"]
    lines += [f"Disallow: {path}" for path in site.disallowed_paths]
    if site.options.crawl_delay is not None:
        lines.append(f"Crawl-delay: {site.options.crawl_delay:g}")
    lines += ["", "User-agent: BadBot", "Disallow: /", ""]
    lines.append(f"Sitemap: {view.abs('/sitemap.xml')}")
    lines.append(f"Sitemap: {view.abs('/sitemap-news.xml')}")
    lines += [f"Sitemap: {view.abs(path)}" for path in extra_sitemaps]
    return "\n".join(lines) + "\n"


def _w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def sitemap_chunks(view: View) -> int:
    return max(1, math.ceil(len(view.site.articles) / view.site.options.sitemap_chunk))


def sitemap_index(view: View) -> bytes:
    site = view.site
    articles = site.articles
    size = site.options.sitemap_chunk
    entries = []
    for number in range(1, sitemap_chunks(view) + 1):
        chunk = articles[(number - 1) * size : number * size]
        lastmod = max((a.modified for a in chunk), default=site.last_change)
        entries.append(
            f"<sitemap><loc>{view.abs(f'/sitemaps/articles-{number}.xml.gz')}</loc>"
            f"<lastmod>{_w3c(lastmod)}</lastmod></sitemap>"
        )
    entries.append(f"<sitemap><loc>{view.abs('/sitemaps/pages.xml')}</loc></sitemap>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(entries)
        + "\n</sitemapindex>\n"
    ).encode()


def sitemap_articles(view: View, number: int) -> bytes | None:
    """The gzipped child sitemap `number` (1-based), or None past the last one."""
    site = view.site
    size = site.options.sitemap_chunk
    if not 1 <= number <= sitemap_chunks(view):
        return None
    chunk = site.articles[(number - 1) * size : number * size]
    urls = "\n".join(
        f"<url><loc>{escape(view.abs(a.path))}</loc><lastmod>{_w3c(a.modified)}</lastmod></url>" for a in chunk
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    )
    # mtime=0 keeps the gzip bytes (and so the ETag) the same from one request to the next.
    return gzip.compress(xml.encode(), compresslevel=6, mtime=0)


def sitemap_pages(view: View) -> bytes:
    """Listing pages: a sitemap that names non-articles, as many real sites do."""
    paths = [
        "/",
        "/news",
        *(f"/news/{key}" for key in w.SECTIONS),
        *(f"/{topic}" for topic in w.TOPICS),
        "/about",
    ]
    urls = "\n".join(f"<url><loc>{escape(view.abs(path))}</loc><changefreq>hourly</changefreq></url>" for path in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    ).encode()


def news_sitemap(view: View) -> bytes:
    site = view.site
    entries = []
    for article in site.articles[: site.options.news_sitemap_size]:
        entries.append(
            f"<url><loc>{escape(view.abs(article.path))}</loc><news:news><news:publication>"
            f"<news:name>{escape(site.name)}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{_w3c(article.published)}</news:publication_date>"
            f"<news:title>{escape(article.title)}</news:title>"
            f"<news:keywords>{escape(', '.join(article.tags))}</news:keywords></news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(entries) + "\n</urlset>\n"
    ).encode()


def _feed_items(view: View) -> tuple[SampleArticle, ...]:
    return view.site.articles[: view.site.options.feed_size]


def rss(view: View) -> bytes:
    site = view.site
    items = []
    for a in _feed_items(view):
        url = escape(view.abs(a.path))
        items.append(
            f'<item><title>{escape(a.title)}</title><link>{url}</link><guid isPermaLink="true">{url}</guid>'
            f"<description>{escape(a.standfirst)}</description><pubDate>{format_datetime(a.published)}</pubDate>"
            f"<dc:creator>{escape(byline_text(a))}</dc:creator><category>{escape(a.section_label)}</category></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"<channel><title>{escape(site.name)}</title><link>{view.abs('/')}</link>"
        f"<description>Local government news from {escape(site.name)}</description><language>en-gb</language>"
        f"<lastBuildDate>{format_datetime(site.last_change)}</lastBuildDate>"
        f'<atom:link href="{view.abs("/feed")}" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(items)
        + "\n</channel></rss>\n"
    ).encode()


def atom(view: View) -> bytes:
    site = view.site
    entries = []
    for a in _feed_items(view):
        url = escape(view.abs(a.path))
        authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in a.authors)
        entries.append(
            f'<entry><title>{escape(a.title)}</title><id>{url}</id><link rel="alternate" href="{url}"/>'
            f"<published>{_w3c(a.published)}</published><updated>{_w3c(a.modified)}</updated>{authors}"
            f'<summary>{escape(a.standfirst)}</summary><category term="{escape(a.section_label)}"/></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">\n'
        f"<title>{escape(site.name)}</title><id>{view.abs('/')}</id><updated>{_w3c(site.last_change)}</updated>"
        f'<link rel="self" href="{view.abs("/feed/atom")}"/><link rel="alternate" href="{view.abs("/")}"/>\n'
        + "\n".join(entries)
        + "\n</feed>\n"
    ).encode()
