"""URLs and HTML: absolute links, feed links, and telling articles from listings and other pages.

Heuristics (`classify_url`), from the URL's shape only, with no per-site rule:

- never articles ("other"): other sites (the host, ignoring www., the scheme and IDNA spelling,
  and any non-default port must match home), non-HTTP links, files by extension (.pdf, images,
  media, archives, .xml ...), utility paths (login, subscribe, account, search, privacy, feed ...)
  and search queries (?q=, ?s=);
- listing pages: the home page, paths with a listing word as a segment (tag, topic, category,
  section, author, page, archive, ...), `?page=N`, date archives (/2024/05/ with nothing after),
  paths of at most three segments whose last one is a single word (/business, /news/world), and
  two-word last segments under plain-word parents (/news/social-care, /world/middle-east);
- articles: a last segment that is a slug of three or more words, or carries an id (5+ digits,
  a UUID anywhere in the path), or a date in the path with a slug, or a .html page of two+ words.

Everything else (a top-level two-word slug, a deep path of short words) is a weak "other".
URLs from sitemaps and feeds are dropped only on the strong verdicts above; a link scraped from a
page must be judged an article, or be weak "other" and presented by the page as a story: a
headline's worth of anchor text inside h1-h4 or an <article>. `classify_page` reads what a
fetched page says about itself (og:type, JSON-LD @type, <article> count).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..parsing import parse_html

UrlKind = Literal["article", "listing", "other"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NON_PAGE_EXTENSIONS = _words(
    "pdf jpg jpeg png gif webp svg bmp ico tif tiff avif heic mp3 mp4 m4a m4v mov avi wmv webm ogg oga ogv "
    "wav flac zip gz tgz bz2 xz 7z rar tar dmg exe msi apk doc docx xls xlsx ppt pptx odt ods odp rtf csv "
    "txt xml rss atom json js mjs css woff woff2 ttf otf eot ics vcf epub mobi"
)
_PAGE_EXTENSIONS = _words("html htm shtml xhtml php asp aspx jsp cfm ece")
# Paths that are neither articles nor listings worth crawling.
_UTILITY_WORDS = _words(
    "login logout signin sign-in signout sign-out signup sign-up register registration subscribe "
    "subscription subscriptions account my-account myaccount profile settings preferences cart basket "
    "checkout search privacy privacy-policy terms terms-and-conditions terms-of-use cookies cookie-policy "
    "contact contact-us about about-us advertise advertising help faq sitemap feed feeds rss atom print "
    "share email newsletter newsletters wp-admin wp-login.php wp-json xmlrpc.php cdn-cgi static assets "
    "media images img css js fonts download downloads uploads wp-content wp-includes amp-ad jobs careers "
    "events shop store donate"
)
# Path segments that mark a page listing other pages.
_LISTING_WORDS = _words(
    "tag tags topic topics category categories section sections author authors writer writers contributor "
    "contributors columnist columnists people page pages archive archives series collection collections "
    "hub latest index keyword keywords subject subjects theme themes"
)
_SEARCH_PARAMS = frozenset({"q", "s", "query", "search", "keyword", "keywords"})
_PAGE_PARAMS = frozenset({"page", "p", "pg", "paged", "offset", "start"})
_DATE_IN_PATH = re.compile(
    r"(?:^|/)(?:19|20)\d\d(?:/|-)(?:0?[1-9]|1[0-2])(?:(?:/|-)(?:0?[1-9]|[12]\d|3[01]))?(?=/|$|-)"
)
_COMPACT_DATE = re.compile(r"(?:^|[/_-])(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?=$|[/_.-])")
_LONG_ID = re.compile(r"\d{5,}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_PLAIN_WORD = re.compile(r"[^\W\d_]+")
_YEAR_OR_MONTH = re.compile(r"^(?:(?:19|20)\d\d|0?[1-9]|1[0-2]|[12]\d|3[01])$")
_ARTICLE_TYPES = _words(
    "article newsarticle blogposting reportagenews analysisnewsarticle opinionnewsarticle reviewnewsarticle "
    "backgroundnewsarticle report scholarlyarticle techarticle liveblogposting"
)
_LISTING_TYPES = _words("collectionpage itemlist website profilepage searchresultspage")
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
_TRACKING_PARAMS = _words("fbclid gclid dclid gbraid wbraid msclkid mc_cid mc_eid igshid _ga _gl yclid")
# A headline link names its story in several words; a section heading link ("Housing") does not.
_HEADLINE_WORDS = 4


def _untracked(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not (k.lower().startswith("utm_") or k.lower() in _TRACKING_PARAMS)]
    return query if len(kept) == len(pairs) else urlencode(kept)


MAX_URL_LENGTH = 2048


def absolute_url(base: str, href: str | None) -> str | None:
    """An absolute http(s) URL without its fragment and tracking parameters (utm_*, fbclid ...),
    or None. Tracking variants of one link would otherwise be fetched once each."""
    if not href:
        return None
    href = href.strip()
    # No news site links its stories with URLs of thousands of characters; such links are traps.
    if not href or len(href) > MAX_URL_LENGTH or href.startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", _untracked(parts.query), ""))


def _host_key(hostname: str) -> str:
    """The host as sites are compared: lower-case, no trailing dot, no leading www. (while a dot
    remains), and IDNA-encoded, so that a Unicode home matches the punycode URLs of its sitemaps."""
    host = hostname.lower().rstrip(".")
    if host.startswith("www.") and host.count(".") > 1:
        host = host[4:]
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # not a valid IDN: compared as written, it can still equal itself


def _site(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    # One site over http and https: an outlet's home, sitemaps and links mix both schemes. Only an
    # explicit port other than the scheme's default makes another server (as fetch.limits.site_key).
    if port == (443 if parts.scheme.lower() == "https" else 80):
        port = None
    host = _host_key(parts.hostname or "")
    return (host, port) if host else None


def same_site(url: str, home: str) -> bool:
    """Same host as the home page (ignoring a leading www., the scheme and IDNA spelling) and the
    same explicit non-default port, if any."""
    site = _site(url)
    return site is not None and site == _site(home)


def _document_base(tree: LexborHTMLParser, base_url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return absolute_url(base_url, href) or base_url


def find_feed_links(html: str, base_url: str) -> list[str]:
    """RSS/Atom URLs announced by <link rel="alternate" type=...>, comment feeds left out."""
    tree = parse_html(html)
    base = _document_base(tree, base_url)
    found: list[str] = []
    for node in tree.css("link[rel][href]"):
        attrs = node.attributes
        rels = (attrs.get("rel") or "").lower().split()
        kind = (attrs.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            continue
        absolute = absolute_url(base, attrs.get("href"))
        if absolute is None or absolute in found:
            continue
        # A comments feed lists the same articles again, with #fragments; it costs a request for nothing.
        if _is_comments_feed(attrs.get("title") or "", absolute):
            continue
        found.append(absolute)
    return found


# Comment feeds by title ("Comments on: ...", "Blog » Comments Feed") or URL (/comments/feed,
# ?feed=comments-rss2, wp-commentsrss2.php). Always the plural: "Comment", "Comment and analysis"
# or /comment/rss.xml name an opinion section, whose feed lists articles.
_COMMENTS_TITLE = re.compile(r"\bcomments\s*(?::|on\b|for\b|feed\b|rss\b|atom\b)", re.IGNORECASE)
_COMMENTS_URL = re.compile(r"(?:^|/)comments(?:/|$)|comments[-_.]?(?:feed|rss|atom)", re.IGNORECASE)


def _is_comments_feed(title: str, url: str) -> bool:
    parts = urlsplit(url)
    return bool(_COMMENTS_TITLE.search(title) or _COMMENTS_URL.search(f"{parts.path}?{parts.query}"))


def links_with_context(html: str, base_url: str) -> list[tuple[str, bool]]:
    """Same-site absolute links with a flag: is the link presented as a story (a headline's worth of
    words, inside a heading or an <article>)?"""
    tree = parse_html(html)
    base = _document_base(tree, base_url)
    seen: dict[str, bool] = {}
    for node in tree.css("a[href]"):
        absolute = absolute_url(base, node.attributes.get("href"))
        if absolute is None or not same_site(absolute, base_url):
            continue
        prominent = len(node.text(strip=True).split()) >= _HEADLINE_WORDS and _in_headline_or_article(node)
        seen[absolute] = seen.get(absolute, False) or prominent
    return list(seen.items())


def _in_headline_or_article(node: LexborNode) -> bool:
    parent = node.parent
    depth = 0
    while parent is not None and depth < 8:
        if parent.tag in ("h1", "h2", "h3", "h4", "article"):
            return True
        if parent.tag in ("nav", "header", "footer", "aside", "body"):
            return False
        parent = parent.parent
        depth += 1
    return False


def extract_links(html: str, base_url: str) -> list[str]:
    """Absolute, fragment-free, same-site links of a page, in document order, without duplicates."""
    return [url for url, _ in links_with_context(html, base_url)]


def _segments(path: str) -> list[str]:
    return [unquote(part).lower() for part in path.split("/") if part]


def url_shape(url: str, home: str) -> tuple[UrlKind, bool]:
    """(kind, strong): strong verdicts hold for any source, weak ones only for scraped links."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "other", True
    if parts.scheme not in ("http", "https") or not same_site(url, home):
        return "other", True
    segments = _segments(parts.path)
    home_segments = _segments(urlsplit(home).path)
    query = {key.lower(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
    if _SEARCH_PARAMS & query.keys():
        return "other", True
    if not segments or segments == home_segments:
        return "listing", True
    last = segments[-1]
    stem, dot, extension = last.rpartition(".")
    if dot and extension in _NON_PAGE_EXTENSIONS:
        return "other", True
    if dot and extension in _PAGE_EXTENSIONS:
        last = stem
    if any(segment in _UTILITY_WORDS for segment in segments):
        return "other", True
    if any(segment in _LISTING_WORDS for segment in segments) or _PAGE_PARAMS & query.keys():
        return "listing", True
    if all(_YEAR_OR_MONTH.match(segment) for segment in segments):
        return "listing", True  # /2024/ or /2024/05/: a date archive
    words = [word for word in re.split(r"[-_+.]+", last) if word]
    letter_words = [word for word in words if any(ch.isalpha() for ch in word)]
    dated = bool(_DATE_IN_PATH.search(parts.path) or _COMPACT_DATE.search(parts.path))
    if _UUID.search(parts.path) or _LONG_ID.search(last):
        return "article", True
    if len(letter_words) >= 3:
        return "article", True
    if dated and letter_words:
        return "article", True
    if dot and extension in _PAGE_EXTENSIONS and len(letter_words) >= 2:
        return "article", True
    if len(words) == 1 and letter_words and len(segments) <= 3:
        return "listing", True  # /business, /news/world: a section or topic, never an article slug
    if len(segments) >= 2 and len(words) == 2 and all(_PLAIN_WORD.fullmatch(s) for s in segments[:-1]):
        return "listing", True  # /news/social-care, /world/middle-east: a subsection
    return "other", False


def classify_url(
    url: str, home: str, *, article_pattern: str | None = None, exclude_pattern: str | None = None
) -> UrlKind:
    """ "article", "listing" or "other" for a URL of the outlet whose home page is `home`
    (heuristics in the module docstring). With `article_pattern`, a URL is an article iff it
    matches (and `exclude_pattern` does not)."""
    kind, _strong = url_shape(url, home)
    if exclude_pattern and re.search(exclude_pattern, url):
        return "listing" if kind == "listing" else "other"
    if article_pattern:
        if re.search(article_pattern, url):
            return "article" if same_site(url, home) else "other"
        return "listing" if kind == "listing" else "other"
    return kind


def classify_page(html: str) -> UrlKind | None:
    """What the page's own markup says it is (og:type, JSON-LD @type, <article> count), or None."""
    tree = parse_html(html)
    og = tree.css_first('meta[property="og:type"]')
    og_type = (og.attributes.get("content") or "").strip().lower() if og is not None else ""
    if og_type == "article":
        return "article"
    # An article page's @graph often names its WebSite too: any article type wins over listing types.
    declared = {
        name.rsplit("/", 1)[-1].lower()
        for script in tree.css('script[type="application/ld+json"]')
        for name in re.findall(r'"@type"\s*:\s*"([^"]+)"', script.text() or "")
    }
    if declared & _ARTICLE_TYPES:
        return "article"
    if declared & (_LISTING_TYPES - {"website"}):
        return "listing"
    articles = tree.css("article")
    if len(articles) >= 3:
        return "listing"
    if len(articles) == 1 and len(articles[0].css("p")) >= 3:
        return "article"
    return None
