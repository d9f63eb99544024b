"""HTML for the sample outlet's pages, written to look like a UK local-government trade title.

Every page carries the same boilerplate a scraper has to see past: cookie banner, site navigation,
newsletter box and a footer naming the publisher; listing pages add job adverts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from . import _words as w
from ._model import METER_LIMIT_MESSAGE, Block, SampleArticle, meter_message
from ._prose import slugify
from ._site import Site


@dataclass(frozen=True)
class View:
    """Who is looking, and from where: absolute URLs use the host the client asked for."""

    site: Site
    base: str  # "http://127.0.0.1:PORT", no trailing slash
    logged_in: bool = False

    def abs(self, path: str) -> str:
        return self.base + path


def display_date(moment: datetime) -> str:
    return f"{moment:%d %B %Y}"


def byline_text(article: SampleArticle) -> str:
    return " and ".join(article.authors)


def _byline_html(article: SampleArticle) -> str:
    names = " and ".join(
        f'<a rel="author" href="{author.path}">{escape(author.name)}</a>' for author in article.bylines
    )
    return (
        f'<div class="byline">By {names} | <time datetime="{article.published_iso}">'
        f"{display_date(article.published)}</time></div>"
    )


def _head(view: View, title: str, description: str, canonical: str, extra: str = "") -> str:
    site = view.site
    feeds = ""
    if site.options.feeds:
        feeds = (
            f'<link rel="alternate" type="application/rss+xml" title="{escape(site.name)} news" '
            f'href="{view.abs("/feed")}">\n'
            f'<link rel="alternate" type="application/atom+xml" title="{escape(site.name)} (Atom)" '
            f'href="{view.abs("/feed/atom")}">\n'
        )
    return (
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="description" content="{escape(description)}">\n'
        f'<link rel="canonical" href="{escape(canonical)}">\n'
        f"{feeds}{extra}"
        '<link rel="stylesheet" href="/static/site.css">\n'
        '<script src="/static/site.js" defer></script>\n'
        '<script src="https://cdn.tinypass.com/api/tinypass.min.js" async></script>\n'
        "</head>\n"
    )


def _cookie_banner() -> str:
    return (
        '<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookie consent">\n'
        "<p>We use cookies to give you the best experience of our website. By continuing to browse you "
        "agree to our use of cookies.</p>\n"
        '<button type="button" class="accept">Accept all cookies</button> '
        '<a href="/cookie-policy">Manage preferences</a>\n</div>\n'
    )


def _header(view: View) -> str:
    sections = "".join(
        f'<li><a href="/news/{key}">{escape(str(value["label"]))}</a></li>' for key, value in w.SECTIONS.items()
    )
    topics = "".join(f'<li><a href="/{topic}">{topic}</a></li>' for topic in w.TOPICS)
    account = (
        '<li><a href="/account">My account</a></li><li><a href="/logout">Log out</a></li>'
        if view.logged_in
        else '<li><a href="/login">Login</a></li><li><a href="/subscribe">Subscribe</a></li>'
    )
    return (
        '<header class="site-header">\n'
        f'<a class="logo" href="/">{escape(view.site.name)}</a>\n'
        '<nav class="main-nav" aria-label="Main"><ul>'
        '<li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
        f'{sections}<li class="topics">Topics<ul>{topics}</ul></li>'
        '<li><a href="https://jobs.example.net/">Jobs</a></li>'
        '<li><a href="/search">Search</a></li>'
        f"{account}</ul></nav>\n</header>\n"
    )


def _newsletter(view: View) -> str:
    return (
        '<aside class="newsletter-signup">\n'
        f"<h3>Get the {escape(view.site.name.removeprefix('The '))} daily briefing</h3>\n"
        "<p>Sign up for our free newsletter: the day's local government news, straight to your inbox.</p>\n"
        '<form action="/newsletter" method="post"><input type="email" name="email" '
        'placeholder="Your email address"> <button type="submit">Sign up</button></form>\n</aside>\n'
    )


def _footer(view: View) -> str:
    site = view.site
    year = site.options.now.year
    return (
        '<footer class="site-footer">\n<ul class="footer-links">'
        '<li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>'
        '<li><a href="/privacy">Privacy policy</a></li><li><a href="/cookie-policy">Cookies</a></li>'
        '<li><a href="/subscribe">Subscriptions</a></li><li><a href="/admin/">Staff login</a></li></ul>\n'
        f"<p>© {year} {escape(site.options.publisher)}. All rights reserved. "
        f"{escape(site.name)} is published by "
        f"{escape(site.options.publisher)}, registered in England and Wales.</p>\n"
        '<p class="social"><a href="https://twitter.com/samplemj">X / Twitter</a> '
        '<a href="https://www.linkedin.com/company/samplemj">LinkedIn</a></p>\n</footer>\n'
    )


def _jobs(view: View, offset: int) -> str:
    items = []
    for i in range(3):
        number = (view.site.seed * 97 + offset * 3 + i) % 9000 + 1000
        title, salary = w.JOBS[(offset + i) % len(w.JOBS)]
        place = w.PLACES[number % len(w.PLACES)]
        href = f"https://jobs.example.net/job/{number}"
        items.append(
            f'<li><a href="{href}">{title}, {escape(place)} Council</a> <span class="salary">{salary}</span> '
            f'<a class="apply" href="{href}/apply">Apply for this job</a></li>'
        )
    return f'<aside class="jobs"><h3>Latest jobs</h3><ul>{"".join(items)}</ul></aside>\n'


def page(
    view: View,
    *,
    title: str,
    description: str,
    canonical: str,
    main: str,
    head_extra: str = "",
    jobs: int | None = None,
    body_class: str = "",
) -> str:
    """A whole page: boilerplate around `main`."""
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n'
        + _head(view, title, description, canonical, head_extra)
        + f'<body class="{body_class}">\n'
        + _cookie_banner()
        + _header(view)
        + f'<main id="main" class="container">\n{main}'
        + (_jobs(view, jobs) if jobs is not None else "")
        + _newsletter(view)
        + "</main>\n"
        + _footer(view)
        + "</body>\n</html>\n"
    )


# --- articles ------------------------------------------------------------------------------------
def _inline(block: Block) -> str:
    if block.link is None:
        return escape(block.text)
    anchor, href = block.link
    before, _, after = block.text.partition(anchor)
    return f'{escape(before)}<a href="{escape(href)}">{escape(anchor)}</a>{escape(after)}'


def render_blocks(blocks: tuple[Block, ...]) -> str:
    out: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(block)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        tag = "h2" if block.kind == "h2" else "p"
        out.append(f"<{tag}>{_inline(block)}</{tag}>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def prompt_html(view: View) -> str:
    """The subscription prompt, each line its own element, as The MJ serves it inside the article."""
    lines = view.site.options.prompt
    login = "/login"
    parts = []
    for line in lines:
        if line.lower() == "subscribe":
            parts.append(f'<a class="button subscribe" href="/subscribe">{escape(line)}</a>')
        elif line.lower() == "login":
            parts.append(f'<a class="button login" href="{login}">{escape(line)}</a>')
        elif line.isupper():
            parts.append(f"<h3>{escape(line)}</h3>")
        else:
            parts.append(f"<p>{escape(line)}</p>")
    return '<div class="subscribe-prompt" id="paywall">\n' + "\n".join(parts) + "\n</div>\n"


def _declared_value(article: SampleArticle) -> Any:
    """isAccessibleForFree as this page writes it: some pages use strings, as real CMSs do."""
    if article.paywall_declared is None:
        return None
    free = not article.paywall_declared
    return ("True" if free else "False") if article.id % 5 == 0 else free


def json_ld(view: View, article: SampleArticle) -> str:
    url = view.abs(article.path)
    authors = [{"@type": "Person", "name": author.name, "url": view.abs(author.path)} for author in article.bylines]
    data: dict[str, Any] = {
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title,
        "description": article.standfirst,
        "datePublished": article.published_iso,
        "dateModified": article.modified_iso,
        "author": authors if len(authors) > 1 or article.id % 2 else authors[0],
        "publisher": {
            "@type": "Organization",
            "name": view.site.name,
            "logo": {"@type": "ImageObject", "url": view.abs("/static/logo.png")},
        },
        "articleSection": article.section_label,
        "keywords": list(article.tags) if article.id % 3 else ", ".join(article.tags),
        "wordCount": article.word_count,
        "inLanguage": "en-GB",
    }
    if article.image:
        data["image"] = view.abs(f"/images/article-{article.id}.png")
    declared = _declared_value(article)
    if declared is not None:
        data["isAccessibleForFree"] = declared
    if article.paywall_declared:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": declared,
            "cssSelector": ".paywalled-content",
        }
    if article.id % 3 == 0:
        # Some pages wrap the article in an @graph with the site and a breadcrumb, as Yoast does.
        document: dict[str, Any] = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": view.site.name, "url": view.abs("/")},
                data,
                {
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": 1, "name": "Home", "item": view.abs("/")},
                        {
                            "@type": "ListItem",
                            "position": 2,
                            "name": article.section_label,
                            "item": view.abs(f"/news/{article.section}"),
                        },
                    ],
                },
            ],
        }
    else:
        document = {"@context": "https://schema.org", **data}
    text = json.dumps(document, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _article_meta(view: View, article: SampleArticle) -> str:
    url = view.abs(article.path)
    tags = "".join(f'<meta property="article:tag" content="{escape(tag)}">\n' for tag in article.tags)
    tier = ""
    if article.paywall_declared is not None:
        content_tier = "locked" if article.paywall_declared else "free"
        tier = f'<meta property="article:content_tier" content="{content_tier}">\n'
    image = (
        f'<meta property="og:image" content="{view.abs(f"/images/article-{article.id}.png")}">\n'
        if article.image
        else ""
    )
    return (
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta property="og:description" content="{escape(article.standfirst)}">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:site_name" content="{escape(view.site.name)}">\n'
        f"{image}"
        f'<meta property="article:published_time" content="{article.published_iso}">\n'
        f'<meta property="article:modified_time" content="{article.modified_iso}">\n'
        f'<meta property="article:section" content="{escape(article.section_label)}">\n'
        f"{tags}{tier}"
        f'<meta name="author" content="{escape(byline_text(article))}">\n'
        '<meta name="twitter:card" content="summary_large_image">\n' + json_ld(view, article)
    )


def _related(view: View, article: SampleArticle) -> str:
    items = [a for a in view.site.section_articles(article.section) if a.slug != article.slug][:4]
    links = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in items)
    return f'<aside class="related-articles"><h3>Related articles</h3><ul>{links}</ul></aside>\n'


def article_page(
    view: View,
    article: SampleArticle,
    *,
    full: bool,
    meter_left: int | None = None,
    meter_blocked: bool = False,
) -> str:
    """An article page. `full`: the whole body; otherwise the teaser and the subscription prompt."""
    url = view.abs(article.path)
    label = escape(article.section_label.upper())
    one_line = not full and article.teaser_style == "sentence"
    parts = [
        f'<article class="article" id="article-{article.id}">\n',
        f'<div class="article-section"><a href="/news/{article.section}">{label}</a></div>\n',
        f'<h1 class="article-title">{escape(article.title)}</h1>\n',
    ]
    if not one_line:
        parts.append(f'<p class="standfirst">{escape(article.standfirst)}</p>\n')
        parts.append(_byline_html(article) + "\n")
        if article.image:
            parts.append(
                f'<figure class="article-image"><img src="/images/article-{article.id}.png" '
                f'alt="{escape(article.title)}" width="800" height="450"><figcaption>'
                f"{escape(article.section_label)}: file picture. Photo: {escape(view.site.options.publisher)}"
                "</figcaption></figure>\n"
            )
        share = quote(url, safe="")
        parts.append(
            '<div class="share-bar"><span>Share this article</span> '
            f'<a href="https://twitter.com/intent/tweet?url={share}">X</a> '
            f'<a href="https://www.linkedin.com/sharing/share-offsite/?url={share}">LinkedIn</a> '
            f'<a href="mailto:?subject={quote(article.title)}&amp;body={share}">Email</a></div>\n'
        )
    if meter_left is not None and not meter_blocked:
        parts.append(f'<div class="meter-message"><p>{meter_message(meter_left)}</p></div>\n')
    body_class = "article-body paywalled-content" if article.paywall_declared else "article-body"
    blocks = article.blocks if full else article.teaser_blocks
    parts.append(f'<div class="{body_class}" itemprop="articleBody">\n{render_blocks(blocks)}\n</div>\n')
    if not full:
        if meter_blocked:
            parts.append(f'<div class="meter-message meter-limit"><p>{METER_LIMIT_MESSAGE}</p></div>\n')
        parts.append(prompt_html(view))
    tags = " ".join(f'<a href="/tag/{slugify(tag)}">{escape(tag)}</a>' for tag in article.tags)
    parts.append(f'<div class="article-tags"><span>Tags:</span> {tags}</div>\n')
    if article.id % 4 == 0:
        parts.append(
            f'<div class="downloads"><a href="/downloads/{article.slug}.pdf">Download the full report (PDF)</a></div>\n'
        )
    parts.append("</article>\n")
    parts.append(_related(view, article))
    parts.append(
        '<section class="comments-teaser"><h3>Comments</h3><p>Comments are open to registered readers. '
        '<a href="/login">Log in</a> or <a href="/subscribe">register</a> to join the discussion.</p>'
        "</section>\n"
    )
    return page(
        view,
        title=f"{article.title} | {view.site.name}",
        description=article.standfirst,
        canonical=url,
        main="".join(parts),
        head_extra=_article_meta(view, article),
        body_class="article-page",
    )


# --- listings ------------------------------------------------------------------------------------
def _entry(article: SampleArticle, query: str = "") -> str:
    return (
        f'<div class="news-item"><h3><a href="{article.path}{query}">{escape(article.title)}</a></h3>'
        f'<p class="summary">{escape(article.standfirst)}</p>'
        f'<p class="meta">By {escape(byline_text(article))} | {display_date(article.published)}</p></div>\n'
    )


@dataclass(frozen=True)
class Listing:
    heading: str
    items: tuple[SampleArticle, ...]
    page: int
    pages: int
    base_path: str
    style: str  # "query": ?page=N, "path": /page/N
    tracking: str = ""  # query string added to every article link (utm_* variants)
    intro: str = ""

    def page_path(self, number: int) -> str:
        if number <= 1:
            return self.base_path
        if self.style == "query":
            return f"{self.base_path}?page={number}"
        return f"{self.base_path}/page/{number}"


def paginate(items: tuple[SampleArticle, ...], page_number: int, size: int) -> tuple[tuple[SampleArticle, ...], int]:
    pages = max(1, math.ceil(len(items) / size))
    start = (page_number - 1) * size
    return items[start : start + size], pages


def listing_page(view: View, listing: Listing) -> str:
    entries = "".join(_entry(article, listing.tracking) for article in listing.items)
    nav = []
    links = ""
    if listing.page > 1:
        previous = listing.page_path(listing.page - 1)
        nav.append(f'<a rel="prev" href="{previous}">Previous</a>')
        links += f'<link rel="prev" href="{view.abs(previous)}">\n'
    nav.append(f"<span>Page {listing.page} of {listing.pages}</span>")
    if listing.page < listing.pages:
        following = listing.page_path(listing.page + 1)
        nav.append(f'<a rel="next" href="{following}">Next</a>')
        links += f'<link rel="next" href="{view.abs(following)}">\n'
    intro = f'<p class="intro">{escape(listing.intro)}</p>\n' if listing.intro else ""
    main = (
        f'<section class="listing"><h1>{escape(listing.heading)}</h1>\n{intro}{entries}'
        f'<nav class="pagination">{" ".join(nav)}</nav></section>\n'
    )
    title = listing.heading if listing.page == 1 else f"{listing.heading} - page {listing.page}"
    return page(
        view,
        title=f"{title} | {view.site.name}",
        description=f"{listing.heading}: the latest local government news from {view.site.name}.",
        canonical=view.abs(listing.page_path(listing.page)),
        main=main,
        head_extra=links,
        jobs=listing.page + len(listing.base_path),
        body_class="listing-page",
    )


def home_page(view: View, extra_links: tuple[tuple[str, str], ...], extra_feeds: tuple[str, ...]) -> str:
    site = view.site
    live = site.articles
    top = "".join(_entry(article) for article in live[:10])
    blocks = []
    for key, value in w.SECTIONS.items():
        items = site.section_articles(key)[:3]
        if not items:
            continue
        links = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in items)
        blocks.append(
            f'<section class="section-block"><h2><a href="/news/{key}">{escape(str(value["label"]))}</a></h2>'
            f"<ul>{links}</ul></section>\n"
        )
    most_read = ""
    if len(live) > 12:
        tracking = "?utm_source=homepage&utm_medium=most_read" if site.options.tracking_links else ""
        picks = live[10:15]
        links = "".join(f'<li><a href="{a.path}{tracking}">{escape(a.title)}</a></li>' for a in picks)
        most_read = f'<aside class="most-read"><h2>Most read</h2><ol>{links}</ol></aside>\n'
    more = ""
    if extra_links:
        links = "".join(f'<li><a href="{path}">{escape(title)}</a></li>' for path, title in extra_links)
        more = f'<section class="more-stories"><h2>More from the newsroom</h2><ul>{links}</ul></section>\n'
    main = (
        f'<section class="top-stories"><h1>Latest news</h1>\n{top}'
        '<p class="more"><a href="/news">Read More News...</a></p></section>\n' + "".join(blocks) + most_read + more
    )
    head_extra = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="Feed" href="{view.abs(path)}">\n'
        for path in extra_feeds
    )
    return page(
        view,
        title=f"{site.name} | Local government news, jobs and analysis",
        description=f"{site.name}: news and analysis for local government leaders.",
        canonical=view.abs("/"),
        main=main,
        head_extra=head_extra,
        jobs=0,
        body_class="home-page",
    )


# --- other pages ---------------------------------------------------------------------------------
def login_page(view: View, csrf: str, next_path: str, error: str | None = None) -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    main = (
        '<section class="login"><h1>Log in</h1>\n'
        f"{message}"
        '<form method="post" action="/login" class="login-form">\n'
        f'<input type="hidden" name="csrf_token" value="{csrf}">\n'
        f'<input type="hidden" name="next" value="{escape(next_path)}">\n'
        '<label for="username">Email address</label> <input type="email" id="username" name="username">\n'
        '<label for="password">Password</label> <input type="password" id="password" name="password">\n'
        '<button type="submit">Log in</button>\n</form>\n'
        '<p><a href="/subscribe">Not a subscriber? Subscribe today</a></p></section>\n'
    )
    return page(
        view,
        title=f"Log in | {view.site.name}",
        description="Subscriber login",
        canonical=view.abs("/login"),
        main=main,
        body_class="login-page",
    )


def static_page(view: View, path: str, title: str, paragraphs: tuple[str, ...]) -> str:
    body = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    main = f'<section class="static-page"><h1>{escape(title)}</h1>\n{body}</section>\n'
    return page(
        view,
        title=f"{title} | {view.site.name}",
        description=title,
        canonical=view.abs(path),
        main=main,
        body_class="static-page",
    )


def static_paragraphs(site: Site, path: str) -> tuple[str, tuple[str, ...]] | None:
    name, publisher = site.name, site.options.publisher
    pages = {
        "/about": (
            "About us",
            (
                f"{name} is the weekly title for senior decision-makers in local government, published by {publisher}.",
                "Our reporters cover finance, social care, housing, workforce and governance across the UK.",
                "Subscribers receive the weekly magazine, full access to the website and our daily briefing.",
            ),
        ),
        "/contact": (
            "Contact us",
            (
                "Newsdesk: news@sample-outlet.example. Subscriptions: subs@sample-outlet.example.",
                "Our offices are open Monday to Friday, 9am to 5pm.",
            ),
        ),
        "/privacy": (
            "Privacy policy",
            (
                f"{publisher} is the data controller for personal information collected through this site.",
                "We use your details to manage your subscription and, with your consent, to send you our newsletters.",
            ),
        ),
        "/cookie-policy": (
            "Cookie policy",
            (
                "We use strictly necessary cookies to keep you logged in and analytics cookies to improve the site.",
                "You can change your preferences at any time from the link in the cookie banner.",
            ),
        ),
        "/subscribe": (
            "Subscribe",
            (
                f"Get unlimited access to {name} online, plus the weekly magazine delivered to your door.",
                "Individual subscriptions start at £199 a year; team and council-wide licences are available.",
            ),
        ),
        "/account": ("My account", ("Your subscription is active.",)),
        "/admin/": ("Staff login", ("This area is for staff only.",)),
    }
    return pages.get(path)


def search_page(view: View, query: str) -> str:
    needle = query.lower()
    hits = [a for a in view.site.articles if needle and needle in a.title.lower()][:20]
    entries = "".join(_entry(article) for article in hits)
    main = f'<section class="search"><h1>Search results for “{escape(query)}”</h1>\n{entries}</section>\n'
    return page(
        view,
        title=f"Search | {view.site.name}",
        description="Search",
        canonical=view.abs("/search"),
        main=main,
        body_class="search-page",
    )


def not_found_page(view: View, gone: bool = False) -> str:
    title = "This article has been removed" if gone else "Page not found"
    text = (
        ("The article you requested is no longer available.",)
        if gone
        else ("Sorry, we couldn't find the page you were looking for.",)
    )
    return static_page(view, "/", title, text)
